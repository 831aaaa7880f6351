"""The whole Google path: key signing, token, Sheets reads and write-back, through the flows and CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fakes.sheets_api import FakeSheetsApi, tabs_from_workbook

from suivi.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo"
AS_OF = dt.date(2026, 12, 7)
KEYS = {
    "TPM": "1TpmDemoSpreadsheetKey_0123456789abcdef",
    "INSER": "1InserDemoSpreadsheetKey_0123456789abcd",
}


@pytest.fixture
def google_config(
    suivi_env: Path,
    demo_config: Path,
    sheets_api: FakeSheetsApi,
    service_account_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The demo portfolio served as two Google Sheets by the fake API."""
    monkeypatch.setenv("SUIVI_SHEETS_ENDPOINT", sheets_api.url)
    monkeypatch.setenv("SUIVI_GOOGLE_CREDENTIALS", str(service_account_file))
    text = demo_config.read_text(encoding="utf-8")
    for code, key in KEYS.items():
        workbook = DEMO / f"{code.lower()}.xlsx"
        sheets_api.add_spreadsheet(key, f"Suivi {code}", tabs_from_workbook(workbook))
        text = text.replace(
            str(workbook), f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=0"
        )
    text = "\n".join(line for line in text.splitlines() if "write_back" not in line)
    path = demo_config.parent / "google.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def test_status_and_check_read_the_same_from_google_as_from_the_workbook(
    google_config: Path, demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--as-of", AS_OF.isoformat(), "--format", "json"]
    _, from_workbook = run_cli(["status", "--config", str(demo_config), *options], capsys)
    _, from_google = run_cli(["status", "--config", str(google_config), *options], capsys)
    assert json.loads(from_google) == json.loads(from_workbook)
    late = {r["id"] for r in json.loads(from_google) if "en_retard" in r["flags"]}
    assert {"A2.5", "A3.4", "A4.3"} <= late

    code_workbook, problems_workbook = run_cli(
        ["check", "--config", str(demo_config), "--format", "json"], capsys
    )
    code_google, problems_google = run_cli(
        ["check", "--config", str(google_config), "--format", "json"], capsys
    )
    assert code_google == code_workbook == 1  # a measure of an unknown indicator blocks its row
    cells = lambda text: {(p["project"], p["tab"], p["cell"]) for p in json.loads(text)}  # noqa: E731
    assert cells(problems_google) == cells(problems_workbook)


@pytest.mark.usefixtures("prefect_harness")
def test_weekly_run_reads_two_sheets_in_four_requests_and_writes_back_once_each(
    google_config: Path, sheets_api: FakeSheetsApi, suivi_env: Path
) -> None:
    from flows.daily import daily_watch
    from flows.weekly import weekly_summary

    report = weekly_summary(config_path=str(google_config), as_of=AS_OF)
    assert report["projects"] == ["TPM", "INSER"] and report["emails_sent"] > 0
    assert sheets_api.reads == 4  # per spreadsheet: one metadata read, one batchGet
    assert sheets_api.writes == 4  # first run: one addSheet and one values:batchUpdate each
    tracking = sheets_api.values(KEYS["TPM"], "Suivi automatique", "UNFORMATTED_VALUE")
    assert tracking[0][:5] == ["ID", "Statut calculé", "Retard (jours)", "Fin projetée", "Alertes"]
    assert {row[0]: row for row in tracking[1:]}["A2.5"][:3] == ["A2.5", "En retard", 68]
    checks = sheets_api.values(KEYS["TPM"], "Contrôles", "UNFORMATTED_VALUE")
    bad_email = next(row for row in checks if row[1] == "E36")
    assert bad_email[5].startswith(
        f"https://docs.google.com/spreadsheets/d/{KEYS['TPM']}/edit#gid="
    )

    sheets_api.reset_log()
    daily_watch(config_path=str(google_config), as_of=AS_OF)
    assert (sheets_api.reads, sheets_api.writes) == (4, 2)  # steady state: 2 reads + 1 write each
