"""API routes of the accelerators domain (full paths under /api/v1/, no trailing slashes)."""

from __future__ import annotations

urlpatterns: list = []
