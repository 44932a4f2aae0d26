"""The application's version and, when known, the git revision it runs from."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from django.conf import settings

__version__ = "0.1.0"
API_VERSION = "v1"


@functools.cache
def git_revision() -> str | None:
    """Return the deployed git revision: from settings, else from a checkout, else None."""
    if settings.KCLOUD_GIT_REVISION:
        return settings.KCLOUD_GIT_REVISION
    repo = Path(settings.BASE_DIR)
    if not (repo / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=2,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
