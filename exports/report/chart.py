"""The report's power chart, drawn on the server as a PNG (Pillow): stacked areas per cluster.

Drawn at 3x its printed size so it stays sharp on paper. Fonts are the Bitstream
Vera files that ship inside reportlab (a dependency of xhtml2pdf), so the chart
looks the same on every machine, air-gapped ones included; a Korean chart uses the
report's Hangul font instead (:mod:`exports.report.fonts`), Vera when it is missing.
Its words and dates are in the active language. A gap in the data (a cluster not
reporting) is left empty, never drawn as zero.
"""

from __future__ import annotations

import io
import math
from datetime import datetime
from pathlib import Path

from django.utils import dateformat
from django.utils.translation import gettext
from PIL import Image, ImageDraw, ImageFont

from exports.report.fonts import ReportFont

# The dashboard's palette (static/js/charts.js), so the report and the pages agree.
PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#0a7ea4", "#bf3989", "#57606a", "#fb8500")
INK, MUTED, GRID, AXIS = "#1f2328", "#656d76", "#e6e9ed", "#9aa4ae"
SCALE = 3
PX_PER_MM = 12  # about 300 dpi on paper


def _font(
    size: int, *, bold: bool = False, face: ReportFont | None = None
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if face is not None:
        try:
            return ImageFont.truetype(str(face.bold if bold else face.regular), size * SCALE)
        except OSError:  # pragma: no cover - checked readable by exports.report.fonts; Vera then
            pass
    import reportlab

    path = Path(reportlab.__file__).parent / "fonts" / ("VeraBd.ttf" if bold else "Vera.ttf")
    try:
        return ImageFont.truetype(str(path), size * SCALE)
    except OSError:  # pragma: no cover - reportlab without its fonts
        return ImageFont.load_default(size * SCALE)


def _rgba(color: str, alpha: int) -> tuple[int, int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), alpha


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round top for the y axis and its tick spacing (5 ticks or fewer)."""
    if value <= 0:
        return 1.0, 0.2
    raw = value / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        tick = factor * magnitude
        if tick >= raw:
            return tick * math.ceil(value / tick - 1e-9), tick
    return value, raw  # pragma: no cover


# Tick spacings (seconds) and the kind of their label, finest first; the first giving at most 9 ticks wins.
_TICKS = (
    (3600, "time"),
    (3 * 3600, "time"),
    (6 * 3600, "time"),
    (86400, "weekday"),
    (2 * 86400, "date"),
    (5 * 86400, "date"),
    (7 * 86400, "date"),
)


def _tick_format(kind: str) -> str:
    """The Django date format (``django.utils.dateformat``) of a kind of tick label, in the active language."""
    if kind == "weekday":
        # Translators: Django date format of a day on the report chart's time axis ("Thu 26"):
        # D = weekday abbreviation, d = day of the month with a leading zero, j = without.
        return gettext("D d")
    if kind == "date":
        # Translators: Django date format of a date on the report chart's time axis ("Nov 20"):
        # M = month abbreviation, n = month number, d = day with a leading zero, j = without.
        return gettext("M d")
    if kind == "daytime":
        # Translators: Django date format of a day and time on the report chart's time axis ("26 14:00").
        return gettext("d H:i")
    return "H:i"


def _time_ticks(start: float, end: float) -> tuple[list[float], str]:
    """Tick instants (UTC) and the kind of their label for a window."""
    span = end - start
    every, kind = next(((e, k) for e, k in _TICKS if span / e <= 9), _TICKS[-1])
    first = math.ceil(start / every) * every
    ticks = [first + i * every for i in range(int((end - first) // every) + 1)]
    if span > 2 * 86400 and every < 86400:
        kind = "daytime"
    return ticks, kind


def power_chart_png(
    timestamps: list[datetime],
    series: list[tuple[str, list[float | None]]],
    *,
    width_mm: float = 180,
    height_mm: float = 70,
    face: ReportFont | None = None,
) -> bytes:
    """Stacked power (kW) of each named series over ``timestamps``; PNG bytes.

    ``face``: the font for a language the built-in (Latin) one cannot write; None = Vera.
    """
    width, height = int(width_mm * PX_PER_MM), int(height_mm * PX_PER_MM)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image, "RGBA")
    small, label = _font(9, face=face), _font(10, bold=True, face=face)
    left, right, top, bottom = 62 * SCALE, 24 * SCALE, 30 * SCALE, 26 * SCALE
    plot_w, plot_h = width - left - right, height - top - bottom

    xs = [t.timestamp() for t in timestamps]
    stacks: list[list[float | None]] = []
    running = [0.0] * len(xs)
    for _name, values in series:
        level = []
        for i, v in enumerate(values):
            if v is None:
                level.append(None)
            else:
                running[i] += v / 1000.0
                level.append(running[i])
        stacks.append(level)
    peak = max((v for level in stacks for v in level if v is not None), default=0.0)
    y_top, tick = nice_ceiling(peak * 1.05)
    x0, x1 = (xs[0], xs[-1]) if len(xs) > 1 else (xs[0] - 1, xs[0] + 1)

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return top + plot_h - y / y_top * plot_h

    # Grid and y axis (kW), with as many decimals as the tick spacing needs (2.5 is not "2").
    decimals = next((d for d in range(4) if math.isclose(round(tick, d), tick, rel_tol=1e-9)), 3)
    y = 0.0
    while y <= y_top + 1e-9:
        draw.line([(left, py(y)), (left + plot_w, py(y))], fill=GRID, width=SCALE)
        text = f"{y:,.{decimals}f}"
        draw.text((left - 8 * SCALE, py(y)), text, font=small, fill=MUTED, anchor="rm")
        y += tick
    draw.text((4 * SCALE, top - 16 * SCALE), "kW", font=label, fill=MUTED, anchor="lm")
    ticks, kind = _time_ticks(x0, x1)
    fmt = _tick_format(kind)
    for t in ticks:
        draw.line([(px(t), top + plot_h), (px(t), top + plot_h + 4 * SCALE)], fill=AXIS, width=SCALE)
        stamp = datetime.fromtimestamp(t, tz=timestamps[0].tzinfo)
        draw.text((px(t), top + plot_h + 7 * SCALE), dateformat.format(stamp, fmt), font=small, fill=MUTED, anchor="ma")

    # Stacked areas, drawn per run of known values (a gap stays a gap).
    below: list[float | None] = [0.0] * len(xs)
    for index, level in enumerate(stacks):
        color = PALETTE[index % len(PALETTE)]
        run: list[int] = []
        for i in [*range(len(xs)), None]:
            if i is not None and level[i] is not None:
                run.append(i)
                continue
            if run:
                upper = [(px(xs[j]), py(level[j])) for j in run]
                lower = [(px(xs[j]), py(below[j] or 0.0)) for j in reversed(run)]
                if len(run) == 1:
                    draw.line([upper[0], lower[0]], fill=color, width=2 * SCALE)
                else:
                    draw.polygon(upper + lower, fill=_rgba(color, 110))
                    draw.line(upper, fill=color, width=2 * SCALE, joint="curve")
            run = []
        below = [lv if lv is not None else b for lv, b in zip(level, below, strict=True)]
    draw.line([(left, top + plot_h), (left + plot_w, top + plot_h)], fill=AXIS, width=SCALE)

    # Legend, right-aligned above the plot.
    x = left + plot_w
    for index in reversed(range(len(series))):
        name = series[index][0]
        w = draw.textlength(name, font=small)
        x -= w
        draw.text((x, top - 16 * SCALE), name, font=small, fill=INK, anchor="lm")
        x -= 14 * SCALE
        color = PALETTE[index % len(PALETTE)]
        sq = 9 * SCALE
        draw.rectangle([x, top - 16 * SCALE - sq / 2, x + sq, top - 16 * SCALE + sq / 2], fill=_rgba(color, 180))
        x -= 14 * SCALE
    if not any(v is not None for level in stacks for v in level):
        empty = gettext("No power data in this window")
        draw.text((left + plot_w / 2, top + plot_h / 2), empty, font=label, fill=MUTED, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
