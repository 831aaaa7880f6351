"""Charts for the e-mails, drawn with Pillow into palette PNG bytes; the pack's figures encoded.

The achievement chart is drawn straight onto pixels: a few rectangles, lines and words, laid
out as matplotlib laid them out before (same font, sizes, margins, hatches), at a tenth of the
cost and without importing matplotlib (about a second) to render e-mails. Words are shaped by
Pillow's text layout (Raqm): Arabic letters join and read right to left, as they did.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from suivi.compute.columns import number_array as _fractions
from suivi.compute.columns import texts as _texts
from suivi.i18n import format_fraction, label, translate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_INCHES = 6.0
DPI = 100  # 6 in × 100 dpi = 600 px: the width of the e-mail column
MAX_BARS = 20  # more would make a tall image; the table below the chart lists them all
BAR_INCHES = 0.42
FRAME_INCHES = 0.95  # title, legend and axis
# Status is told by the bar's pattern and by the words next to it, never by colour alone.
STYLES: dict[str, tuple[str, str]] = {  # status → (colour, hatch)
    "achieved": ("#2e7d32", ""),
    "on_track": ("#1565c0", "//"),
    "behind": ("#c62828", "xx"),
    "no_data": ("#9e9e9e", ".."),
}
FALLBACK_STYLE = ("#616161", "--")
PALETTE_COLOURS = 32


BAR_CAP_PERCENT = 200.0

# The layout, in pixels at DPI (a point is DPI / 72 pixels), as matplotlib's defaults set it.
POINT = DPI / 72
WIDTH = round(WIDTH_INCHES * DPI)
LEFT, RIGHT = round(0.11 * WIDTH), round(0.97 * WIDTH)  # the axes' box in the figure
TOP_MARGIN, BOTTOM_MARGIN = 55, 40  # (FRAME_INCHES - 0.4) and 0.4 inch
BAR_HEIGHT = 0.6  # in bar steps
TICK_LENGTH = TICK_PAD = 3.5 * POINT
SPINE_WIDTH = round(0.8 * POINT)  # 1 px, as the snapped 0.8 pt line
MARK_WIDTH = round(1.5 * POINT)  # the expected level's dashed mark
DASH_ON, DASH_OFF = 3.7 * 1.5 * POINT, 1.6 * 1.5 * POINT  # matplotlib's "dashed", scaled by width
TITLE_PAD = 6 * POINT
LEGEND_HANDLE, LEGEND_TEXT_PAD = 2.0 * 8 * POINT, 0.8 * 8 * POINT
LEGEND_INSET = (0.5 + 0.4) * 8 * POINT  # legend border padding and pad to the axes, 8 pt text
LEGEND_LINE_ABOVE = 0.59 * 8 * POINT  # the handle's line over the bottom of the legend's words
HATCH_TILE = DPI  # a hatch pattern repeats every inch (72 pt), 6 lines or rows per "/" or "."
HATCH_DENSITY = 6
HATCH_WIDTH = 1.0 * POINT
SUPERSAMPLE = 4  # hatch tiles are drawn 4× larger, then shrunk: smooth diagonals and dots
INK, WHITE, REFERENCE_LINE = "#000000", "#ffffff", "#757575"
FONT_FILE = "DejaVuSans.ttf"  # matplotlib's own font: the chart keeps its look


def achievement_chart(indicators: pd.DataFrame, language: str) -> bytes:
    """Horizontal bars of % achieved per indicator, the expected level marked; PNG ≤ 600 px wide."""
    shown = indicators.head(MAX_BARS)
    height = round((FRAME_INCHES + BAR_INCHES * max(len(shown), 1)) * DPI)
    image = Image.new("RGB", (WIDTH, height), WHITE)
    draw = ImageDraw.Draw(image)
    _write(draw, (LEFT, TOP_MARGIN - TITLE_PAD), translate("chart.title", language), 11, "ls")
    if shown.empty:
        middle = ((LEFT + RIGHT) / 2, (TOP_MARGIN + height - BOTTOM_MARGIN) / 2)
        _write(draw, middle, translate("chart.none", language), 10, "mm")
        return _chart_png(image)
    _draw_bars(image, draw, _Bars.of(shown, language), language)
    return _chart_png(image)


def _chart_png(image: Image.Image) -> bytes:
    """The chart on the palette of its known colours: no colour count per chart (~20 ms)."""
    palette = image.quantize(palette=_chart_palette(), dither=Image.Dither.NONE)
    smaller = io.BytesIO()
    palette.save(smaller, format="PNG")
    return smaller.getvalue()


@cache
def _chart_palette() -> Image.Image:
    """Every colour the chart draws: greys from ink to paper (smoothed letters), each bar's
    colour and its blends with the white of its hatch, the 100 % line's grey."""
    greys = [(round(level),) * 3 for level in np.linspace(0, 255, 16)]
    blends = [
        tuple(round(channel + (255 - channel) * share) for channel in _rgb(colour))
        for colour, _ in [*STYLES.values(), FALLBACK_STYLE]
        for share in (0.0, 0.25, 0.5, 0.75)
    ]
    colours = [*greys, *blends, _rgb(REFERENCE_LINE)]
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for colour in colours for channel in colour])
    return palette


def _rgb(colour: str) -> tuple[int, int, int]:
    """`#2e7d32` → (46, 125, 50)."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@dataclass(frozen=True)
class _Bars:
    """What the chart shows of each indicator, top bar first."""

    codes: list[str]
    percent: np.ndarray  # bar lengths, cut to 0–200 %
    expected: np.ndarray  # the expected level, as a fraction (NaN: none)
    statuses: list[str]
    words: list[str]  # "45 % · Behind", right of each bar
    upper: float  # the x axis's end, in %

    @classmethod
    def of(cls, shown: pd.DataFrame, language: str) -> _Bars:
        """The bars of the first MAX_BARS indicators, in `language`."""
        achievement = _fractions(shown, "achievement")
        expected = _fractions(shown, "expected")
        statuses = list(_texts(shown, "status").where(lambda s: s != "", "no_data"))
        # Past 200 % a bar is cut (its words still give the true figure): a target in the wrong
        # unit (1e5 %) must not stretch the axis until the bars are invisible.
        percent = np.clip(np.nan_to_num(achievement * 100, nan=0.0), 0, BAR_CAP_PERCENT)
        expected = np.clip(expected, None, BAR_CAP_PERCENT / 100)
        # Room right of the longest bar for its words; past 200 % the bar is simply cut.
        largest = np.nanmax(np.append(np.minimum(np.append(percent, expected * 100), 200), 100.0))
        words = [
            # The isolates keep "-10 %" in one piece inside Arabic text.
            f"\u2066{format_fraction(value, language)}\u2069 · {label(status, language)}"
            if not np.isnan(value)
            else label("no_data", language)
            for value, status in zip(achievement, statuses, strict=True)
        ]
        # Codes, not names, label the bars: short, and the same in every language.
        codes = list(_texts(shown, "code"))
        return cls(codes, percent, expected, statuses, words, float(largest) * 1.5)


def _draw_bars(image: Image.Image, draw: ImageDraw.ImageDraw, bars: _Bars, language: str) -> None:
    """The axes, the bars with their patterns, the expected marks, the words and the legend."""
    count = len(bars.codes)
    bottom = image.height - BOTTOM_MARGIN
    step = (bottom - TOP_MARGIN) / (count + 0.4)  # the y axis runs from -0.7 to count - 0.3

    def x_of(percent: float) -> float:
        return LEFT + percent / bars.upper * (RIGHT - LEFT)

    def y_of(slot: int) -> float:  # the first indicator at the top
        return TOP_MARGIN + (slot + 0.7) * step

    for slot, (percent, status) in enumerate(zip(bars.percent, bars.statuses, strict=True)):
        colour, hatch = STYLES.get(status, FALLBACK_STYLE)
        half = BAR_HEIGHT / 2 * step
        box = (LEFT, round(y_of(slot) - half), round(x_of(percent)), round(y_of(slot) + half))
        if box[2] > box[0]:
            _fill(draw, box, colour)
            if hatch:
                image.paste(WHITE, box, _hatch_mask(hatch).crop(box))
    _draw_axes(draw, bars, count, bottom, x_of, y_of)
    marked = ~np.isnan(bars.expected)
    for marked_slot in np.flatnonzero(marked):
        middle = y_of(int(marked_slot))
        x = round(x_of(bars.expected[marked_slot] * 100) - MARK_WIDTH / 2)
        _dashed_line(draw, x, middle - 0.4 * step, middle + 0.4 * step)
    # The words go right of both the bar and the expected mark, so nothing overlaps.
    text_at = np.fmax(bars.percent, np.nan_to_num(bars.expected * 100, nan=0.0))
    for slot, (at, words) in enumerate(zip(text_at + bars.upper * 0.015, bars.words, strict=True)):
        _write(draw, (x_of(at), y_of(slot)), words, 8, "lm")
    if marked.any():
        _draw_legend(draw, translate("chart.expected", language))


def _draw_axes(
    draw: ImageDraw.ImageDraw,
    bars: _Bars,
    count: int,
    bottom: int,
    x_of: Callable[[float], float],
    y_of: Callable[[int], float],
) -> None:
    """The 100 % line, the left and bottom spines, their ticks and the ticks' words."""
    hundred = round(x_of(100))
    draw.rectangle((hundred, TOP_MARGIN, hundred, bottom - 1), fill=REFERENCE_LINE)
    draw.rectangle((LEFT, TOP_MARGIN, LEFT, bottom), fill=INK)
    draw.rectangle((LEFT, bottom, RIGHT, bottom), fill=INK)
    for percent in (0, 25, 50, 75, 100):
        x = round(x_of(percent))
        draw.rectangle((x, bottom, x, bottom + round(TICK_LENGTH)), fill=INK)
        _write(draw, (x_of(percent), bottom + TICK_LENGTH + TICK_PAD), str(percent), 8, "mt")
    for slot, code in enumerate(bars.codes[:count]):
        y = round(y_of(slot))
        draw.rectangle((LEFT - round(TICK_LENGTH), y, LEFT, y), fill=INK)
        _write(draw, (LEFT - TICK_LENGTH - TICK_PAD, y_of(slot)), code, 9, "rm")


def _draw_legend(draw: ImageDraw.ImageDraw, text: str) -> None:
    """The legend, a dashed line and "Expected by now", over the axes' top right corner."""
    right, base = RIGHT - LEGEND_INSET, TOP_MARGIN - LEGEND_INSET
    _write(draw, (right, base), text, 8, "rd")
    words_left = right - _font(8).getlength(text)
    y = round(base - LEGEND_LINE_ABOVE - MARK_WIDTH / 2)
    start = words_left - LEGEND_TEXT_PAD - LEGEND_HANDLE
    x = start
    while x < words_left - LEGEND_TEXT_PAD:
        end = min(x + DASH_ON, words_left - LEGEND_TEXT_PAD)
        _fill(draw, (round(x), y, round(end), y + MARK_WIDTH))
        x += DASH_ON + DASH_OFF


def _dashed_line(draw: ImageDraw.ImageDraw, x: int, top: float, bottom: float) -> None:
    """A vertical dashed mark, MARK_WIDTH wide, dashes starting from the bottom as matplotlib's."""
    y = bottom
    while y > top:
        start = max(y - DASH_ON, top)
        _fill(draw, (x, round(start), x + MARK_WIDTH, round(y)))
        y -= DASH_ON + DASH_OFF


def _fill(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: str = INK) -> None:
    """The pixels from (left, top) up to, not including, (right, bottom); none if it is empty."""
    left, top, right, bottom = box
    if right > left and bottom > top:
        draw.rectangle((left, top, right - 1, bottom - 1), fill=colour)


def _write(
    draw: ImageDraw.ImageDraw, at: tuple[float, float], text: str, points: int, anchor: str
) -> None:
    """Words at `at`, `points` high, anchored as Pillow anchors (l/m/r; t/m/s/d: top, the middle
    of the line's letters, baseline, bottom of its descenders)."""
    font = _font(points)
    x, y = at
    horizontal, vertical = anchor[0], anchor[1]
    if vertical in "mtd":  # matplotlib's line box: the top of "l" to the bottom of "p"
        _, top, _, descent = font.getbbox("lp", anchor="ls")
        y -= {"m": (top + descent) / 2, "t": top, "d": descent}[vertical]
    draw.text((x, y), text, fill=INK, font=font, anchor=f"{horizontal}s")


@cache
def _font(points: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans at `points` (matplotlib's file, read once), with Raqm's shaping if present."""
    return ImageFont.truetype(str(_font_file()), size=points * POINT)


@cache
def _font_file() -> Path:
    """DejaVu Sans, as matplotlib ships it (found without importing matplotlib)."""
    spec = find_spec("matplotlib")
    folders = spec.submodule_search_locations if spec else None
    if not folders:
        raise FileNotFoundError(FONT_FILE)
    return Path(next(iter(folders))) / "mpl-data" / "fonts" / "ttf" / FONT_FILE


@cache
def _hatch_mask(hatch: str) -> Image.Image:
    """Where a hatch's white lines or dots fall on the tallest chart (L mask, tiles from 0, 0)."""
    tile = _hatch_tile(hatch)
    size = (WIDTH, round((FRAME_INCHES + BAR_INCHES * MAX_BARS) * DPI))
    mask = Image.new("L", size, 0)
    for left in range(0, size[0], HATCH_TILE):
        for top in range(0, size[1], HATCH_TILE):
            mask.paste(tile, (left, top))
    return mask


@cache
def _hatch_tile(hatch: str) -> Image.Image:
    """One inch of a matplotlib hatch ("//", "xx", "..", "--"), drawn big and shrunk smooth."""
    big = HATCH_TILE * SUPERSAMPLE
    tile = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(tile)
    width = round(HATCH_WIDTH * SUPERSAMPLE)
    diagonal = (hatch.count("/") + hatch.count("x")) * HATCH_DENSITY
    if diagonal:  # north-east lines, and south-east ones too for "x": one every 1/diagonal
        for start in np.linspace(-1.0, 1.0, diagonal + 1):
            line = [(start * big, big), ((1 + start) * big, 0)]  # y down: up and to the right
            draw.line(line, fill=255, width=width)
            if "x" in hatch:
                draw.line([(start * big, 0), ((1 + start) * big, big)], fill=255, width=width)
    across = hatch.count("-") * HATCH_DENSITY
    for row in range(across):
        y = big - (row + 0.5) / across * big
        draw.line([(0, y), (big, y)], fill=255, width=width)
    rows = hatch.count(".") * HATCH_DENSITY
    if rows:  # staggered dots: rows of rows + 1, then rows, each 0.1 of a row wide
        radius = 0.1 / rows * big + width / 2
        for row in range(rows + 1):
            offset = 0.0 if row % 2 == 0 else 0.5 / rows
            count = rows + 1 if row % 2 == 0 else rows
            for column in range(count):
                x, y = (offset + column / rows) * big, big - row / rows * big
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return tile.resize((HATCH_TILE, HATCH_TILE), Image.Resampling.BOX)


def palette_png(image: Image.Image, colours: int = PALETTE_COLOURS) -> bytes:
    """An RGB image as a palette PNG: a flat chart needs few colours, about 4 times smaller.

    zlib's default level does the rest: `optimize` tried every filter for a few % of bytes.
    """
    palette = image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    smaller = io.BytesIO()
    palette.save(smaller, format="PNG")
    return smaller.getvalue()


def figure_png(figure: Figure, dpi: int = DPI, colours: int = PALETTE_COLOURS) -> bytes:
    """A matplotlib figure as a palette PNG at its own size (no tight box: widths must hold).

    The canvas's pixels go straight to the palette (no PNG written and read back first).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # the pack's charts only

    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = (int(size) for size in canvas.get_width_height())
    pixels = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    return palette_png(pixels.convert("RGB"), colours)
