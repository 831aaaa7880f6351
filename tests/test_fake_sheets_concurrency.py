"""The fake Sheets API serves spreadsheets side by side, as Google does, and stays atomic."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fakes.sheets_api import FakeSheetsApi

from suivi.adapters.google_sheets import GoogleSheets
from suivi.adapters.source import SourceError
from suivi.schema import OwnedTab

# The fixtures sheets_api, service_account and service_account_file.
pytest_plugins = ["fakes.sheets_api"]

FIRST = "1FirstSpreadsheetOfTwo2026xYz0123456789abcd"
SECOND = "1SecondSpreadsheetOfTwo2026xYz012345678abcd"
TRACKING = OwnedTab.TRACKING.value
TEAM: dict[str, list[list[Any]]] = {"Activités": [["ID", "Avancement"], ["A1", 0.5]]}


@pytest.fixture
def two(sheets_api: FakeSheetsApi) -> FakeSheetsApi:
    """Two spreadsheets on the same fake."""
    sheets_api.add_spreadsheet(FIRST, "Premier", TEAM)
    sheets_api.add_spreadsheet(SECOND, "Second", TEAM)
    return sheets_api


def source(fake: FakeSheetsApi, key: str, credentials: Path) -> GoogleSheets:
    return GoogleSheets(key, credentials=credentials, endpoint=fake.url, timeout=30, retries=0)


def test_a_busy_spreadsheet_does_not_hold_up_another(
    two: FakeSheetsApi, service_account_file: Path
) -> None:
    first, second = (source(two, key, service_account_file) for key in (FIRST, SECOND))
    first.read_tabs()  # the token is fetched before the first spreadsheet is held
    finished = threading.Event()

    def read_first() -> None:
        first.read_tabs()
        finished.set()

    with two._sheet_lock(FIRST):  # as a long write on the first spreadsheet would
        waiting = threading.Thread(target=read_first, daemon=True)
        waiting.start()
        tabs = second.read_tabs()  # one global lock would hang here until the timeout
        assert tabs["Activités"] == [["ID", "Avancement"], ["A1", 0.5]]
        assert not finished.is_set()  # the first spreadsheet's reader still waits its turn
    waiting.join(timeout=30)
    assert finished.is_set()


def test_writes_on_two_spreadsheets_at_once_both_land(
    two: FakeSheetsApi, service_account_file: Path
) -> None:
    rows = {
        key: [["ID", "État"], *([f"{key[:6]}-{n}", "En cours"] for n in range(300))]
        for key in (FIRST, SECOND)
    }
    sources = {key: source(two, key, service_account_file) for key in (FIRST, SECOND)}
    for opened in sources.values():
        opened.read_tabs()
    errors: list[BaseException] = []

    def write(key: str) -> None:
        try:
            sources[key].write_tabs({TRACKING: rows[key]})
        except BaseException as error:  # reported to the test's thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(key,)) for key in (FIRST, SECOND)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    for key in (FIRST, SECOND):
        assert two.values(key, TRACKING) == rows[key]


def test_a_failed_batch_leaves_the_cells_as_they_were(
    two: FakeSheetsApi, service_account_file: Path
) -> None:
    opened = source(two, FIRST, service_account_file)
    opened.read_tabs()
    opened.write_tabs({TRACKING: [["ID"], ["A1"]]})
    url = f"{two.url}/v4/spreadsheets/{FIRST}/values:batchUpdate"
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"range": f"'{TRACKING}'!A1", "values": [["changed"]]},
            {"range": "'No such tab'!A1", "values": [["x"]]},
        ],
    }

    with pytest.raises(SourceError):  # the second range names no tab: 400, nothing applied
        opened.api_call("write two ranges", "post", url, json=body)

    assert two.values(FIRST, TRACKING) == [["ID"], ["A1"]]


def test_the_log_can_leave_out_request_bodies(
    two: FakeSheetsApi, service_account_file: Path
) -> None:
    two.keep_bodies = False
    opened = source(two, FIRST, service_account_file)
    opened.read_tabs()
    opened.write_tabs({TRACKING: [["ID"], ["A1"]]})

    writes = [call for call in two.log if call.kind == "values.batchUpdate"]
    assert len(writes) == 1 and writes[0].body is None
    assert [call.body is not None for call in two.log if call.kind == "token"] == [True]
    assert two.values(FIRST, TRACKING) == [["ID"], ["A1"]]
