"""The committee pack on the demo: one status per indicator everywhere, printed on A4 with nothing cut."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from suivi.cli import main
from suivi.i18n import label
from suivi.jobs.committee import prepare_committee_pack
from suivi.jobs.pipeline import calendar_of, view_project
from suivi.notify.messages import MessageKind, ProjectView, plan_weekly
from suivi.notify.render import render_email, template_environment
from suivi.report.committee import CommitteePack, render_committee_pack
from suivi.settings import Env, load_config

AS_OF = dt.date(2026, 12, 7)
INDICATOR_STATES = ("achieved", "on_track", "behind", "no_data")
DOCS = Path(__file__).resolve().parents[1] / "docs"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="no Chromium installed (`.ci/run` installs it, so this never skips in CI)",
)
# A4 less the pack's @page margins (14 mm each side): 182 mm at 96 CSS pixels per inch.
PRINTABLE_WIDTH_PX = 182 / 25.4 * 96


def demo_views(config_path: Path) -> list[ProjectView]:
    """Each demo project's view on the demo day, without a store."""
    config = load_config(config_path)
    return [view_project(project, config, Env(), AS_OF) for project in config.projects]


def row_states(page: str, language: str = "fr") -> dict[str, set[str]]:
    """code → the indicator states (as words) shown in table rows whose first cell is that code."""
    words = {label(state, language): state for state in INDICATOR_STATES}
    states: dict[str, set[str]] = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.DOTALL):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip().strip("\u2066\u2069")
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)
        ]
        shown = {state for word, state in words.items() if cells and word in cells[-1]}
        if cells and shown:
            states.setdefault(cells[0], set()).update(shown)
    return states


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ProjectView]]:
    """The demo settings (in a temporary folder) and its views."""
    root = Path(__file__).resolve().parents[1]
    folder = tmp_path_factory.mktemp("demo")
    text = (root / "config" / "suivi.yaml").read_text(encoding="utf-8")
    text = text.replace("source: demo/", f"source: {root / 'config' / 'demo'}/")
    text = text.replace("../data/demo/", f"{folder / 'written'}/")
    path = folder / "suivi.yaml"
    path.write_text(text, encoding="utf-8")
    return path, demo_views(path)


@pytest.fixture(scope="module")
def packs(demo: tuple[Path, list[ProjectView]]) -> list[tuple[CommitteePack, str]]:
    """Each demo project's pack for its next committee, and its page."""
    path, views = demo
    config = load_config(path)
    templates = template_environment(config.template_folder())
    built = []
    for view in views:
        pack = prepare_committee_pack(view, config, AS_OF)
        built.append((pack, render_committee_pack(pack, templates)))
    return built


def test_one_status_per_indicator_in_pack_summary_and_status(
    demo: tuple[Path, list[ProjectView]],
    packs: list[tuple[CommitteePack, str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, views = demo
    config = load_config(path)
    assert main(["status", "--config", str(path), "--as-of", "2026-12-07", "--format", "json"]) in (
        0,
        1,
    )
    status = {
        (record["project"], record["id"]): record["state"]
        for record in json.loads(capsys.readouterr().out)
        if record["kind"] == "indicator"
    }
    templates = template_environment(config.template_folder())
    summaries = {
        message.project: render_email(message, templates).html
        for message in plan_weekly(views, config, AS_OF, calendar_of(config))
        if message.kind == MessageKind.WEEKLY_SUMMARY
    }
    assert any(row_states(summary) for summary in summaries.values())  # the summary shows states
    compared = 0
    for pack, page in packs:
        in_pack = row_states(page)
        in_summary = row_states(summaries[pack.project_code])
        for code in pack.indicators["code"].astype(str):
            one = status[(pack.project_code, code)]
            assert in_pack[code] == {one}, (pack.project_code, code)  # moved and forecast tables
            if code in in_summary:
                assert in_summary[code] == {one}, (pack.project_code, code)
            compared += 1
    assert compared >= 6
    tpm = {code: state for (project, code), state in status.items() if project == "TPM"}
    assert tpm["OS2"] == "behind"  # below the straight line: behind in every place
    assert tpm["R2.2"] != "no_data" and tpm["G1"] != "no_data"  # they have values


@NEEDS_CHROMIUM
def test_pack_prints_on_a4_with_nothing_cut(
    packs: list[tuple[CommitteePack, str]], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM or "chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for pack, page_html in packs:
                page = browser.new_page(
                    viewport={"width": round(PRINTABLE_WIDTH_PX), "height": 1100}
                )
                page.set_content(page_html, wait_until="load")
                page.emulate_media(media="print")
                widest = page.evaluate(
                    """() => Math.max(...[...document.querySelectorAll('body *')].map(
                        element => element.getBoundingClientRect().right))"""
                )
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert widest <= PRINTABLE_WIDTH_PX + 1, (pack.project_code, widest)
                assert scroll <= round(PRINTABLE_WIDTH_PX), (pack.project_code, scroll)
                pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
                assert pdf.startswith(b"%PDF")
                if pack.project_code == "TPM":
                    # The widest table, as printed (the README shows it: SUIVI_DOCS_IMAGES=docs
                    # refreshes docs/pack-imprime.png; by default the suite writes nothing there).
                    shots = Path(os.environ.get("SUIVI_DOCS_IMAGES") or tmp_path)
                    page.locator("#indicators table").screenshot(
                        path=str(shots / "pack-imprime.png")
                    )
                    assert (shots / "pack-imprime.png").stat().st_size > 0
                page.close()
                # On screen, at a laptop's and a phone's width: no table spills past the page.
                for width in (1280, 800, 500):
                    screen = browser.new_page(viewport={"width": width, "height": 900})
                    screen.set_content(page_html, wait_until="load")
                    spill = screen.evaluate(
                        """() => [...document.querySelectorAll('table')].filter(table =>
                            table.getBoundingClientRect().right >
                            table.closest('.page').getBoundingClientRect().right + 0.5).length"""
                    )
                    assert spill == 0, (pack.project_code, width)
                    screen.close()
        finally:
            browser.close()
