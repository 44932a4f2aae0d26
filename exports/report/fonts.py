"""The font of a report in a language the built-in fonts cannot write (Korean: Hangul).

The PDF's built-in fonts (Helvetica) and the chart's (reportlab's Bitstream Vera)
have no Hangul, so a Korean report takes NanumGothic from the Debian package
``fonts-nanum`` (``scripts/system-deps.sh`` installs it). English reports keep
the built-in fonts, unchanged. When the font is missing or unreadable, a Korean
report still renders, with the built-in fonts (Hangul then shows as empty boxes),
and a warning is logged once per process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils import translation

logger = logging.getLogger(__name__)

NANUM_DIR = Path("/usr/share/fonts/truetype/nanum")
# Languages whose text the built-in Latin fonts cannot write.
NEEDS_FONT = frozenset({"ko"})


@dataclass(frozen=True)
class ReportFont:
    """A TrueType family: a regular and a bold face (the same file when there is no bold one)."""

    family: str
    regular: Path
    bold: Path

    @property
    def directories(self) -> tuple[Path, ...]:
        """Where the faces are: the only local files the PDF renderer may read."""
        return tuple(dict.fromkeys(p.parent for p in (self.regular, self.bold)))


NANUM_GOTHIC = ReportFont("NanumGothic", NANUM_DIR / "NanumGothic.ttf", NANUM_DIR / "NanumGothicBold.ttf")


def _readable(path: Path) -> bool:
    """Is ``path`` a TrueType file reportlab (the PDF) can embed?"""
    from reportlab.pdfbase.ttfonts import TTFontFile

    try:
        TTFontFile(str(path))
    except Exception:  # a missing, truncated or foreign file: any of reportlab's errors
        return False
    return True


@cache
def hangul_font() -> ReportFont | None:
    """The Hangul font if it is installed and readable, else None (with a warning, once per process)."""
    candidate = NANUM_GOTHIC
    if not _readable(candidate.regular):
        logger.warning(
            "No usable Hangul font at %s (Debian package fonts-nanum): Korean reports use the built-in "
            "fonts, which cannot show Hangul.",
            candidate.regular,
        )
        return None
    if candidate.bold != candidate.regular and not _readable(candidate.bold):
        logger.warning("No usable bold Hangul font at %s: bold Korean text uses the regular face.", candidate.bold)
        return ReportFont(candidate.family, candidate.regular, candidate.regular)
    return candidate


def report_font(language: str | None = None) -> ReportFont | None:
    """The font for a report in ``language`` (default: the active one); None = the built-in fonts."""
    code = (language or translation.get_language() or "").lower()
    if code.split("-")[0] not in NEEDS_FONT:
        return None
    return hangul_font()
