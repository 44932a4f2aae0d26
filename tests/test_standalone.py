"""The repository stands alone: a user clones it and has nothing beside it.

No file may point outside the checkout — not at the team's reference folder that
sits beside it on development machines, not at a developer's absolute path — and
every relative link in the Markdown docs must resolve inside the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Built from parts so that this file does not match itself.
OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "shared/" + "fixtures", "shared/" + "DESIGN", "/" + "work/"]))
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _tracked_files() -> list[Path]:
    """Files git tracks (or would: untracked but not ignored), so a clone has exactly these."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.fail("git is needed to list the repository's files")
    return [ROOT / p for p in out.decode().split("\0") if p and (ROOT / p).is_file()]


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None  # binary (images, vendored fonts): cannot hold a path reference we care about


def test_no_file_refers_outside_the_repository():
    offenders = []
    for path in _tracked_files():
        text = _text(path)
        if text is None:
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()[:120]}")
    assert not offenders, "files refer to something outside the repository:\n" + "\n".join(offenders)


def test_markdown_links_resolve_inside_the_repository():
    broken = []
    for path in _tracked_files():
        if path.suffix != ".md":
            continue
        for target in LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("/"):
                continue  # URLs and site paths are not files of the checkout
            resolved = (path.parent / target).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{path.relative_to(ROOT)} → {target}")
    assert not broken, "Markdown links that leave the repository or point at nothing:\n" + "\n".join(broken)


def test_the_tests_reference_data_is_in_the_repository():
    assert (ROOT / "tests" / "fixtures" / "exporters" / "README.md").is_file()
    assert (ROOT / "demo" / "reference" / "real-gpu" / "gpu-trace.csv").is_file()
