"""API routes of the exports domain (full paths under /api/v1/, no trailing slashes)."""

from __future__ import annotations

urlpatterns: list = []
