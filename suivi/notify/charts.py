"""Charts for the e-mails, drawn off-screen (Agg) into PNG bytes; no pyplot state."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from suivi.compute.columns import number_array as _fractions
from suivi.compute.columns import texts as _texts
from suivi.i18n import format_fraction, label, translate

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


def achievement_chart(indicators: pd.DataFrame, language: str) -> bytes:
    """Horizontal bars of % achieved per indicator, the expected level marked; PNG ≤ 600 px wide."""
    shown = indicators.head(MAX_BARS)
    codes = _texts(shown, "code")
    achievement = _fractions(shown, "achievement")
    expected = _fractions(shown, "expected")
    statuses = _texts(shown, "status").where(lambda s: s != "", "no_data")
    # Codes, not names, label the bars: short, and free of Arabic shaping issues.
    positions = np.arange(len(shown))[::-1]
    # Past 200 % a bar is cut (its words still give the true figure): a target in the wrong
    # unit (1e5 %) must not draw off the canvas, which matplotlib cannot raster.
    percent = np.clip(np.nan_to_num(achievement * 100, nan=0.0), 0, BAR_CAP_PERCENT)
    expected = np.clip(expected, None, BAR_CAP_PERCENT / 100)
    # Room right of the longest bar for its words; past 200 % the bar is simply cut.
    largest = np.nanmax(np.append(np.minimum(np.append(percent, expected * 100), 200), 100.0))
    upper = float(largest) * 1.5

    height = FRAME_INCHES + BAR_INCHES * max(len(shown), 1)
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.11, 0.4 / height, 0.86, 1 - 0.95 / height))
    axes.set_title(translate("chart.title", language), fontsize=11, loc="left")
    if shown.empty:
        axes.text(0.5, 0.5, translate("chart.none", language), ha="center", va="center")
        axes.set_axis_off()
        return figure_png(figure)

    for status in sorted(set(statuses)):  # one call per status: a handful at most
        chosen = (statuses == status).to_numpy()
        colour, hatch = STYLES.get(status, FALLBACK_STYLE)
        axes.barh(
            positions[chosen],
            percent[chosen],
            height=0.6,
            color=colour,
            hatch=hatch,
            edgecolor="white",
            linewidth=0,
        )
    marked = ~np.isnan(expected)
    axes.vlines(
        expected[marked] * 100,
        positions[marked] - 0.4,
        positions[marked] + 0.4,
        colors="black",
        linestyles="dashed",
        linewidth=1.5,
        label=translate("chart.expected", language),
    )
    axes.axvline(100, color="#757575", linewidth=0.8)
    # The words go right of both the bar and the expected mark, so nothing overlaps.
    text_at = np.fmax(percent, np.nan_to_num(expected * 100, nan=0.0)) + upper * 0.015
    words = [
        # The isolates keep "-10 %" in one piece inside Arabic text.
        f"\u2066{format_fraction(value, language)}\u2069 · {label(status, language)}"
        if not np.isnan(value)
        else label("no_data", language)
        for value, status in zip(achievement, statuses, strict=True)
    ]
    for position, at, text in zip(positions, text_at, words, strict=True):
        axes.text(at, position, text, va="center", fontsize=8)
    axes.set_yticks(positions, labels=list(codes), fontsize=9)
    axes.set_xlim(0, upper)
    axes.set_ylim(-0.7, len(shown) - 0.3)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="x", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    if marked.any():
        axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return figure_png(figure)


def figure_png(figure: Figure, dpi: int = DPI, colours: int = PALETTE_COLOURS) -> bytes:
    """The figure as a palette PNG at its own size (no tight box: the width must stay 600 px).

    The canvas's pixels go straight to the palette (no PNG written and read back first), and
    zlib's default level does the rest: `optimize` tried every filter for a few % of bytes.
    """
    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = (int(size) for size in canvas.get_width_height())
    pixels = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    # A flat chart needs few colours: a palette makes the image about 4 times smaller.
    palette = pixels.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    smaller = io.BytesIO()
    palette.save(smaller, format="PNG")
    return smaller.getvalue()
