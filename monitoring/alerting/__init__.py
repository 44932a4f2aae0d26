"""Budgets and alerts: evaluated in the background worker, delivered through an outbox (see ``monitoring.models``)."""
