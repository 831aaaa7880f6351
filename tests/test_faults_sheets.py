"""Google Sheets faults under the real flows: a portfolio of two Google Sheets served by the
fake Sheets API (real gspread, real key signing), run by Prefect, e-mails to the outbox.

The adapter's own retry budget (429 and 5xx retried with capped jitter, timeouts, dropped
connections, 400 never retried) is tested in tests/test_google_sheets.py, and the task's
retry of a quota error in tests/test_flows_prefect.py; here the whole run meets the fault.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fakes.sheets_api import FakeSheetsApi, date_cell, tabs_from_workbook

from suivi.adapters.mail import message_of
from suivi.adapters.store import open_store

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 12, 7)
KEYS = {
    "TPM": "1TpmSuiviAgadir2026FaultsKey000000000000",
    "INSER": "1InserSuiviAgadir2026FaultsKey0000000000",
}

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def portfolio(
    suivi_env: Path,
    sheets_api: FakeSheetsApi,
    service_account_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Settings naming both demo projects as Google Sheets on the fake server."""
    for code, key in KEYS.items():
        sheets_api.add_spreadsheet(key, f"Suivi {code}", demo_tabs(code))
    monkeypatch.setenv("SUIVI_GOOGLE_CREDENTIALS", str(service_account_file))
    monkeypatch.setenv("SUIVI_SHEETS_ENDPOINT", sheets_api.url)
    config = suivi_env / "suivi.yaml"
    config.write_text(
        f"""\
officer: {{name: Chargée de projet, email: officer@example.org}}
projects:
  - {{code: TPM, name: Territorialisation, source: {KEYS["TPM"]}, team: [equipe@example.org]}}
  - {{code: INSER, name: Insertion, source: {KEYS["INSER"]}, team: [inser@example.org]}}
""",
        encoding="utf-8",
    )
    return config  # the `sheets_api` fixture fails the test on a bug of the fake


def demo_tabs(code: str) -> dict[str, Any]:
    """A demo workbook's tabs as the fake serves them."""
    return tabs_from_workbook(ROOT / "config" / "demo" / f"{code.lower()}.xlsx")


def outbox(folder: Path, kind: str) -> list[Any]:
    """The e-mails of one kind written to the outbox folder (the kind leads the file name)."""
    slug = kind.replace("_", "-")
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    chosen = [path for path in paths if re.match(rf"\d{{8}}-\d{{6}}-{slug}-", path.name)]
    return [message_of(path.read_text(encoding="utf-8")) for path in chosen]


def calls(sheets_api: FakeSheetsApi, key: str, *kinds: str) -> int:
    """How many requests of these kinds reached one spreadsheet."""
    return sum(1 for call in sheets_api.log if call.key == key and call.kind in kinds)


def test_quota_errors_then_success_the_run_goes_through_at_two_reads_and_one_write(
    portfolio: Path, suivi_env: Path, sheets_api: FakeSheetsApi
) -> None:
    from flows.weekly import weekly_summary

    sheets_api.fail_next(429, times=2, match="values.batchGet")

    report = weekly_summary(config_path=str(portfolio), as_of=AS_OF)

    assert report["projects"] == ["TPM", "INSER"] and report["failed_projects"] == {}
    # The projects' sheets are read ahead side by side, so the two 429s fall on whichever
    # reads come first: two refused, then each project's data once.
    assert sum(calls(sheets_api, key, "values.batchGet") for key in KEYS.values()) == 4
    assert outbox(suivi_env / "outbox", "run_failure") == []

    sheets_api.reset_log()
    weekly_summary(config_path=str(portfolio), as_of=AS_OF + dt.timedelta(days=7))
    for key in KEYS.values():  # steady state: the owned tabs exist already
        assert calls(sheets_api, key, "metadata", "values.batchGet") == 2
        assert calls(sheets_api, key, "values.batchUpdate", "batchUpdate") == 1


@pytest.mark.parametrize(
    ("fault", "hint"),
    [
        ("deleted", "spreadsheet not found: check the key/URL in config"),
        ("unshared", "share the spreadsheet with the service account"),
    ],
)
def test_an_unreadable_sheet_skips_its_project_keeps_its_history_and_alerts_once(
    portfolio: Path, suivi_env: Path, sheets_api: FakeSheetsApi, fault: str, hint: str
) -> None:
    from flows.common import ProjectsFailed
    from flows.weekly import weekly_summary

    weekly_summary(config_path=str(portfolio), as_of=AS_OF)
    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        before = store.last_snapshot("INSER")
    assert before is not None
    if fault == "deleted":
        sheets_api.delete_spreadsheet(KEYS["INSER"])
    else:
        sheets_api.set_access(KEYS["INSER"], "none")
    sheets_api.reset_log()
    next_week = AS_OF + dt.timedelta(days=7)

    with pytest.raises(ProjectsFailed) as raised:
        weekly_summary(config_path=str(portfolio), as_of=next_week)

    report = raised.value.report
    assert report["projects"] == ["TPM"]
    assert list(report["failed_projects"]) == ["INSER"]  # type: ignore[call-overload]
    assert hint in str(report["failed_projects"])
    assert calls(sheets_api, KEYS["INSER"], "metadata") == 1  # never retried
    summaries = [
        message
        for message in outbox(suivi_env / "outbox", "weekly_summary")
        if "officer@example.org" in str(message["To"])
    ]
    # Both the first week; only TPM the second: INSER was skipped, TPM went on.
    projects = Counter(str(message["Subject"]).split("]")[0] for message in summaries)
    assert projects == {"[TPM": 2, "[INSER": 1}
    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        kept = store.last_snapshot("INSER")
        latest = store.last_snapshot("TPM")
    assert kept is not None and kept.run_id == before.run_id and kept.as_of == AS_OF
    assert latest is not None and latest.as_of == next_week
    alerts = outbox(suivi_env / "outbox", "run_failure")
    assert len(alerts) == 1
    text = alerts[0].get_body(("plain",)).get_content()
    assert "INSER" in text and hint in text


def test_a_refused_write_back_loses_no_late_alert(
    portfolio: Path, suivi_env: Path, sheets_api: FakeSheetsApi
) -> None:
    """A project whose write-back fails keeps no snapshot of that run: nothing it saw is lost."""
    from flows.common import ProjectsFailed
    from flows.daily import daily_watch

    activities = sheets_api.spreadsheet(KEYS["INSER"]).tab("Activités")
    assert activities is not None
    # J3's planned end becomes the demo day: on the day after, J3 is newly late.
    activities.cells[(3 + 2, 7)] = date_cell(AS_OF)
    first = daily_watch(config_path=str(portfolio), as_of=AS_OF)
    assert first["failed_projects"] == {}
    sheets_api.set_access(KEYS["INSER"], "reader")  # reads work, the write-back is refused
    with pytest.raises(ProjectsFailed, match="Editor"):
        daily_watch(config_path=str(portfolio), as_of=AS_OF + dt.timedelta(days=1))
    sheets_api.set_access(KEYS["INSER"], "writer")

    daily_watch(config_path=str(portfolio), as_of=AS_OF + dt.timedelta(days=2))

    # J3 was not late on the first day and INSER sent nothing on the second: an INSER alert
    # naming J3 can only be the third day's.
    alerts = outbox(suivi_env / "outbox", "late_alert")
    assert any(
        "J3" in alert.get_body(("plain",)).get_content()
        for alert in alerts
        if "INSER" in str(alert["Subject"])
    )
