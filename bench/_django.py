"""Set Django up for a benchmark script: throwaway SQLite, no cache, DEBUG settings."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def setup(**env: str) -> None:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcloud.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("KCLOUD_VAR_DIR", tempfile.mkdtemp(prefix="kcloud-bench-"))
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def table(headers: list[str], rows: list[list]) -> str:
    """Render a plain-text table (what the closing notes quote)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
