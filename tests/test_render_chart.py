"""The e-mail's achievement chart, drawn with Pillow: bars where matplotlib put them, Arabic shaped."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from suivi.notify.charts import STYLES, achievement_chart

BARS = pd.DataFrame(
    {
        "code": ["IO1", "IO2", "IO3"],
        "achievement": [1.0, 0.5, None],
        "expected": [0.5, None, 0.25],
        "status": ["achieved", "behind", "no_data"],
    }
)


def pixels(png: bytes) -> Image.Image:
    """The chart's decoded pixels."""
    return Image.open(io.BytesIO(png)).convert("RGB")


def colour(hexadecimal: str) -> tuple[int, int, int]:
    """`#2e7d32` → (46, 125, 50)."""
    return (int(hexadecimal[1:3], 16), int(hexadecimal[3:5], 16), int(hexadecimal[5:7], 16))


def test_bars_have_matplotlibs_geometry() -> None:
    """600 × (95 + 42 a bar) px; the axes from x 66 to 582, 55 px under the top; 100 % at 2/3."""
    image = pixels(achievement_chart(BARS, "fr"))

    assert image.size == (600, 95 + 42 * 3)
    # The axis runs to 150 %: the achieved bar (100 %) ends at 66 + 516 × 2/3 = 410.
    top_bar = 55 + 0.7 * (42 * 3 / 3.4)
    assert image.getpixel((300, round(top_bar))) == colour(STYLES["achieved"][0])
    assert image.getpixel((412, round(top_bar))) != colour(STYLES["achieved"][0])
    assert image.getpixel((66, 120)) == (0, 0, 0)  # the left spine


def test_hatched_bars_show_their_colour_and_white_lines() -> None:
    """The behind bar is red crossed with white: both colours inside it, nothing else much."""
    image = pixels(achievement_chart(BARS, "fr"))
    middle = round(55 + 1.7 * (42 * 3 / 3.4))

    seen = {image.getpixel((x, y)) for x in range(70, 200) for y in range(middle - 8, middle + 8)}
    assert colour(STYLES["behind"][0]) in seen
    assert (255, 255, 255) in seen


def test_arabic_words_are_shaped() -> None:
    """Pillow lays out text with Raqm here: Arabic letters join (else they would be drawn apart)."""
    from suivi.notify import charts

    font = charts._font(8)
    basic = ImageFont.truetype(font.path, size=font.size, layout_engine=ImageFont.Layout.BASIC)
    word = "متأخر"

    def drawn(used: ImageFont.FreeTypeFont) -> bytes:
        canvas = Image.new("L", (80, 20), 0)
        ImageDraw.Draw(canvas).text((2, 2), word, fill=255, font=used)
        return canvas.tobytes()

    assert font.layout_engine == ImageFont.Layout.RAQM
    assert drawn(font) != drawn(basic)


def test_rendering_an_email_leaves_matplotlib_unimported() -> None:
    """The weekly chart costs no matplotlib import (about a second): the pack alone uses it."""
    script = (
        "import sys, pandas as pd\n"
        "from suivi.notify.charts import achievement_chart\n"
        "frame = pd.DataFrame({'code': ['I1'], 'achievement': [0.4], 'expected': [0.5],"
        " 'status': ['behind']})\n"
        "assert achievement_chart(frame, 'ar').startswith(b'\\x89PNG')\n"
        "import suivi.notify.render\n"
        "print('matplotlib' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
