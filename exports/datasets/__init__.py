"""Datasets of the exports, each built on the service that answers the matching JSON API."""
