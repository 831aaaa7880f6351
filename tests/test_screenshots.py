"""The French and Arabic weekly summaries, drawn by a real headless Chromium (when installed)."""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from suivi.jobs.pipeline import calendar_of, view_project
from suivi.notify.messages import MessageKind, plan_weekly
from suivi.notify.render import render_page, template_environment
from suivi.settings import Env, load_config

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-headless-shell", "chromium-browser", "google-chrome")
BROWSER = next((found for name in BROWSERS if (found := shutil.which(name))), None)

pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no headless Chromium installed (Debian: apt install chromium)"
)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def screenshot(page: Path, out: Path) -> Path:
    """Draw a local page with headless Chromium, offline, in a throwaway profile."""
    assert BROWSER is not None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                BROWSER,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--window-size=800,2400",
                f"--screenshot={out}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    return out


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_weekly_summary_draws_in_french_and_arabic(
    language: str, suivi_env: Path, demo_config: Path, tmp_path: Path
) -> None:
    config = load_config(demo_config).model_copy(update={"language": language})
    as_of = dt.date(2026, 12, 7)
    view = view_project(config.projects[0], config, Env(), as_of)
    summary = next(
        m
        for m in plan_weekly([view], config, as_of, calendar_of(config))
        if m.kind == MessageKind.WEEKLY_SUMMARY
    )
    page = tmp_path / f"weekly-{language}.html"
    html = render_page(summary, template_environment())
    page.write_text(html, encoding="utf-8")
    assert ('dir="rtl"' in html) == (language == "ar")

    image = screenshot(page, tmp_path / f"weekly-{language}.png")

    width, height = png_size(image)
    assert (width, height) == (800, 2400)
    assert image.stat().st_size > 20_000  # a drawn page, not a blank one
