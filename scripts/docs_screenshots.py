"""Pick, crop and shrink a few of the test suite's e-mail screenshots for docs/screenshots/.

SUIVI_SCREENSHOTS=/tmp/shots .venv/bin/pytest tests/test_screenshots.py
.venv/bin/python scripts/docs_screenshots.py /tmp/shots
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
# (screenshot made by the tests, how many pixels from the top to keep)
CHOSEN = [
    ("weekly_summary-fr-375.png", 1250),
    ("owner_digest-ar-375.png", 1000),
    ("late_alert-en-375.png", 900),
    ("committee_reminder-fr-900.png", 1100),
    ("run_failure-fr-375.png", 800),
]
COLOURS = 48  # e-mails are flat colours: a small palette keeps each file small


def main(folder: Path) -> None:
    """Crop each chosen screenshot to its top and save it with a small palette."""
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, height in CHOSEN:
        with Image.open(folder / name) as image:
            top = image.crop((0, 0, image.width, min(height, image.height))).convert("RGB")
            small = top.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT)
            target = DOCS / name.replace("_", "-")
            small.save(target, optimize=True)
            print(f"{target.name}: {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
