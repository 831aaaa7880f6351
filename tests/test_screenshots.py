"""Every e-mail of the demo, drawn by a real Chromium at a phone's and a desktop's width.

Each kind (weekly summary, owner digest, committee reminder, deliverable reminder and overdue
alert, late alert, problem report, escalation, run failure, the notices of where data goes and of
a forced run) in French, Arabic and English is rendered from the demo workbooks as of Monday
2026-12-07 (weekly and daily; the overdue alert from the daily of 2026-12-22, the demo's next
one; the notices of where data goes from a partner's address added to a team), loaded in
Debian's Chromium through Playwright, measured (no horizontal scrolling at 375 px; the column
at most 600 px at 900 px) and photographed at both widths. Set SUIVI_SCREENSHOTS to a folder to
keep the PNGs (`docs/screenshots/` holds a few of them); otherwise they go to pytest's temporary
folder.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from suivi.jobs.pipeline import calendar_of, view_project
from suivi.notify.forced import StartedBy, plan_forced_run
from suivi.notify.messages import Message, MessageKind, plan_daily, plan_run_failure, plan_weekly
from suivi.notify.render import render_email, render_page, template_environment
from suivi.settings import Config, Env, MailSettings, load_config

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 12, 7)  # a Monday: the weekly and the daily both run
OVERDUE_DAY = dt.date(2026, 12, 22)  # the demo's next deliverable-overdue alert
LANGUAGES = ("fr", "ar", "en")
PHONE, DESKTOP, COLUMN = 375, 900, 600
BROWSERS = ("/usr/bin/chromium", "chromium", "chromium-headless-shell", "google-chrome")
BROWSER = next((found for name in BROWSERS if (found := shutil.which(name))), None)
# A failed run as the flow reports it: one project unreadable, the other followed and sent.
FAILED_RUN = {
    "projects": ["TPM"],
    "failed_projects": {"INSER": "SourceError: spreadsheet not found: check the key/URL in config"},
    "emails_planned": 9,
    "emails_sent": 7,
    "emails_already_sent": 1,
    "emails_failed": [],
}
# A partner's address in a team, outside the demo's one domain; and a run started with force.
PARTNER = "partenaire@partner.example.net"
ALLOWED_DOMAINS = ["example.org"]
FORCED_RUN_ID = "0c6f3e1a-5b2d-4f8e-9a71-2d4c8b6e1f05"
FORCED_BY = StartedBy("api", deployment="weekly-summary")
FORCED_RESENT = 7
# How wide the page is and how wide its 600 px column is drawn, read in the page itself.
MEASURE = """() => {
  const column = document.querySelector('.column');
  return {
    scroll: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    column: column ? Math.round(column.getBoundingClientRect().width) : 0,
  };
}"""


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def demo_messages(demo_config: Path, language: str) -> dict[str, Message]:
    """One e-mail of each kind from the demo in `language` (the first one planned)."""
    config = load_config(demo_config).model_copy(update={"language": language})
    config = config.model_copy(
        update={"projects": [p.model_copy(update={"language": None}) for p in config.projects]}
    )
    views = [view_project(project, config, Env(), AS_OF) for project in config.projects]
    calendar = calendar_of(config)
    planned = plan_weekly(views, config, AS_OF, calendar) + plan_daily(
        views, config, AS_OF, calendar
    )
    overdue_views = [
        view_project(project, config, Env(), OVERDUE_DAY) for project in config.projects
    ]
    planned += plan_daily(overdue_views, config, OVERDUE_DAY, calendar)
    planned.append(
        plan_run_failure(config, "weekly-summary", "ProjectsFailed", None, AS_OF, FAILED_RUN)
    )
    planned += partner_messages(config)
    planned.append(
        plan_forced_run(config, "weekly-summary", AS_OF, FORCED_RUN_ID, FORCED_BY, FORCED_RESENT)
    )
    kinds: dict[str, Message] = {}
    for message in planned:
        kinds.setdefault(str(message.kind), message)
    return kinds


def partner_messages(config: Config) -> list[Message]:
    """The officer's notices of where data goes, for the demo's first project with a partner in
    its team: on the first weekly without `mail.allowed_domains` (the domains the data goes to),
    then with it (the partner's address left out)."""
    first = config.projects[0]
    project = first.model_copy(update={"team": [*first.team, PARTNER]})
    calendar = calendar_of(config)
    planned: list[Message] = []
    for mail in (MailSettings(), MailSettings(allowed_domains=ALLOWED_DOMAINS)):
        partner = config.model_copy(update={"projects": [project], "mail": mail})
        view = view_project(project, partner, Env(), AS_OF)
        planned += plan_weekly([view], partner, AS_OF, calendar)
    return planned


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; never skipped in CI (.ci/run installs it)."""
    if BROWSER is None or not _playwright_installed():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium and playwright are needed in CI (.ci/run installs them)")
        pytest.skip("no Chromium or playwright here (Debian: apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _playwright_installed() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: SUIVI_SCREENSHOTS when set, else a temporary folder."""
    chosen = os.environ.get("SUIVI_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_fits_a_phone_and_a_600_px_column(
    language: str, browser: Any, shots: Path, suivi_env: Path, demo_config: Path
) -> None:
    messages = demo_messages(demo_config, language)
    missing = sorted({str(kind) for kind in MessageKind} - set(messages))
    assert not missing, f"not drawn (add a demo day that plans them to demo_messages): {missing}"
    templates = template_environment()
    overflowing = []
    for kind, message in sorted(messages.items()):
        html = render_page(message, templates)
        assert ('dir="rtl"' in html) == (language == "ar")
        for width in (PHONE, DESKTOP):
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.set_content(html, wait_until="load")
            measured = page.evaluate(MEASURE)
            assert measured["viewport"] == width  # a real phone width, not Chromium's 500 px floor
            if measured["scroll"] > width or measured["column"] > COLUMN:
                overflowing.append((kind, width, measured))
            shot = page.screenshot(
                path=str(shots / f"{kind}-{language}-{width}.png"), full_page=True
            )
            page.close()
            assert len(shot) > 5_000  # a drawn page, not a blank one
            drawn_width, _ = png_size(shots / f"{kind}-{language}-{width}.png")
            assert drawn_width == width
        # What a mail client gets: the sent fragment alone (styles inline, no <head>).
        fragment = render_email(message, templates).html
        page = browser.new_page(viewport={"width": PHONE, "height": 800})
        page.set_content(f'<!DOCTYPE html><meta charset="utf-8"><body style="margin:0">{fragment}')
        sent = page.evaluate(MEASURE)
        page.close()
        if sent["scroll"] > PHONE:
            overflowing.append((kind, "sent fragment", sent))
    assert not overflowing, f"wider than the screen or the 600 px column: {overflowing}"


def test_a_wide_table_would_be_caught(browser: Any) -> None:
    """The measure itself: the old 9-column table of the owner digest overflows a phone."""
    cells = "".join(f"<td>Quoi mettre à jour, colonne {n}</td>" for n in range(9))
    html = f'<table class="column" style="max-width:600px"><tr>{cells}</tr></table>'
    page = browser.new_page(viewport={"width": PHONE, "height": 800})
    page.set_content(html)
    measured = page.evaluate(MEASURE)
    page.close()
    assert measured["scroll"] > PHONE
