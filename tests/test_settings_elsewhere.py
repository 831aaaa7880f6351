"""A settings file in any folder works: the templates ship with the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from suivi.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo"


@pytest.fixture
def settings_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's settings copied alone into an empty folder, naming the workbooks by full path."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    text = (ROOT / "config" / "suivi.yaml").read_text(encoding="utf-8")
    text = text.replace("source: demo/", f"source: {DEMO}/")
    text = text.replace("../data/demo/", f"{tmp_path / 'written'}/")
    assert "templates" not in text  # nothing points back at the repository's folders
    (folder / "suivi.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder / "suivi.yaml"


@pytest.mark.usefixtures("prefect_harness")
def test_weekly_and_daily_run_from_a_settings_file_in_another_folder(
    suivi_env: Path, settings_elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weekly = main(["run", "weekly", "--as-of", "2026-12-07", "--config", str(settings_elsewhere)])
    daily = main(["run", "daily", "--as-of", "2026-12-07", "--config", str(settings_elsewhere)])

    printed = capsys.readouterr()
    assert (weekly, daily) == (0, 0), printed.err
    written = sorted(path.name for path in (suivi_env / "outbox").glob("*.html"))
    assert any("-weekly-summary-" in name for name in written), written
    assert any("-committee-reminder-" in name for name in written), written


def test_an_override_folder_replaces_one_template_and_keeps_the_others(tmp_path: Path) -> None:
    from suivi.notify.render import template_environment

    (tmp_path / "weekly_summary.txt").write_text("Notre résumé maison", encoding="utf-8")
    templates = template_environment(tmp_path)

    assert templates.get_template("weekly_summary.txt").render() == "Notre résumé maison"
    assert "{%" in (templates.loader.get_source(templates, "owner_digest.txt")[0])  # type: ignore[union-attr]
