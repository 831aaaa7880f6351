"""The tracking tab's layout: on Google sent once and again only when it changed, never stacked;
in a workbook as conditional formats whose styles are appended to the workbook's own."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from fakes.sheets_api import FakeSheetsApi
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill

from suivi.adapters.google_sheets import GoogleSheets
from suivi.adapters.tab_layout import LAYOUT_KEY, layout_fingerprint
from suivi.adapters.workbook import Workbook
from suivi.adapters.xlsx_package import PackageError, with_dxfs
from suivi.schema import OwnedTab
from suivi.sheet.dashboard import tracking_layout

KEY = "1TabLayoutSheet0123456789abcdefghijklmnop"
TRACKING = OwnedTab.TRACKING.value
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["ID", "Statut calculé", "Retard (jours)", "Fin projetée", "Alertes"]
ROWS: list[list[Any]] = [
    HEADER,
    ["A1.1", "En retard", 12, "2027-01-12", "en_retard"],
    ["A1.2", "En cours", None, None, ""],
    ["A1.3", "Terminée", None, None, ""],
]


@pytest.fixture(autouse=True)
def _fake_has_no_bugs(sheets_api: FakeSheetsApi) -> Iterator[None]:
    yield
    assert sheets_api.errors == []


@pytest.fixture
def sheet(sheets_api: FakeSheetsApi) -> FakeSheetsApi:
    sheets_api.add_spreadsheet(KEY, "Suivi", {"Activités": [["ID", "Titre"], ["A1.1", "x"]]})
    return sheets_api


def run(sheet: FakeSheetsApi, account: Path, languages: tuple[str, ...], rows: Any = ROWS) -> None:
    """One run as the pipeline does it: a fresh adapter, read everything, write the owned tab."""
    source = GoogleSheets(KEY, credentials=account, endpoint=sheet.url, timeout=5)
    source.read_tabs()
    source.write_tabs({TRACKING: rows}, layouts={TRACKING: tracking_layout(rows, languages)})


def owned(sheet: FakeSheetsApi) -> Any:
    tab = sheet.spreadsheet(KEY).tab(TRACKING)
    assert tab is not None
    return tab


def rule_texts(tab: Any) -> set[str]:
    return {
        rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
        for rule in tab.conditional_formats
    }


def test_the_layout_goes_once_then_again_only_when_it_changed(
    sheet: FakeSheetsApi, service_account_file: Path
) -> None:
    run(sheet, service_account_file, ("fr",))  # creates the tab, with its layout and its mark
    tab = owned(sheet)
    french = tracking_layout(ROWS, ("fr",))
    assert len(tab.conditional_formats) == len(french.colours)
    assert [(m["metadataKey"], m["metadataValue"]) for m in tab.developer_metadata] == [
        (LAYOUT_KEY, layout_fingerprint(french))
    ]

    sheet.reset_log()
    run(sheet, service_account_file, ("fr",), [*ROWS, ["A1.4", "À risque", 3, None, ""]])
    assert (sheet.reads, sheet.writes) == (2, 1)  # same layout, one more row: values only
    assert [call.kind for call in sheet.log][-1] == "values.batchUpdate"

    sheet.reset_log()
    run(sheet, service_account_file, ("en",))  # the project now speaks English
    assert (sheet.reads, sheet.writes) == (2, 2)  # one structural batchUpdate, one values write
    structure = next(call for call in sheet.log if call.kind == "batchUpdate")
    kinds = [next(iter(request)) for request in structure.body["requests"]]
    assert kinds[: len(french.colours)] == ["deleteConditionalFormatRule"] * len(french.colours)
    english = tracking_layout(ROWS, ("en",))
    tab = owned(sheet)  # each batch works on a copy of the spreadsheet, kept when it all went well
    assert len(tab.conditional_formats) == len(english.colours)  # replaced, not stacked
    assert "Late" in rule_texts(tab) and "En retard" not in rule_texts(tab)
    assert [m["metadataValue"] for m in tab.developer_metadata] == [layout_fingerprint(english)]
    assert tab.basic_filter == {
        "range": {
            "sheetId": tab.sheet_id,
            "startRowIndex": 0,
            "startColumnIndex": 0,
            "endColumnIndex": len(HEADER),  # the table only: never the summary to its right
        }
    }

    sheet.reset_log()
    run(sheet, service_account_file, ("en",))
    assert (sheet.reads, sheet.writes) == (2, 1)


def test_a_tab_without_a_mark_gets_the_layout_again_without_stacking(
    sheet: FakeSheetsApi, service_account_file: Path
) -> None:
    run(sheet, service_account_file, ("fr",))
    tab = owned(sheet)
    tab.developer_metadata.clear()  # laid out by an older suivi, which left no fingerprint
    rules = len(tab.conditional_formats)

    sheet.reset_log()
    run(sheet, service_account_file, ("fr",))
    tab = owned(sheet)
    assert sheet.writes == 2 and len(tab.conditional_formats) == rules
    assert len(tab.developer_metadata) == 1

    # Two marks (two runs at once, say): neither is trusted, both go, one comes back.
    tab.developer_metadata.append({**tab.developer_metadata[0], "metadataId": 77})
    run(sheet, service_account_file, ("fr",))
    tab = owned(sheet)
    assert len(tab.developer_metadata) == 1 and len(tab.conditional_formats) == rules


def test_a_layout_applied_before_a_timeout_is_not_sent_twice(
    sheet: FakeSheetsApi, service_account_file: Path
) -> None:
    run(sheet, service_account_file, ("fr",))
    sheet.reset_log()
    sheet.timeout_delay = 2.0
    sheet.fail_next("timeout", match="batchUpdate")  # applied, but answered too late
    source = GoogleSheets(
        KEY, credentials=service_account_file, endpoint=sheet.url, timeout=1, sleep=lambda _: None
    )
    source.read_tabs()
    source.write_tabs({TRACKING: ROWS}, layouts={TRACKING: tracking_layout(ROWS, ("ar",))})
    assert sheet.count("batchUpdate") == 1  # looked again, saw the mark, did not resend
    tab = owned(sheet)
    assert len(tab.conditional_formats) == len(tracking_layout(ROWS, ("ar",)).colours)
    assert "متأخر" in rule_texts(tab) and "En retard" not in rule_texts(tab)


def test_the_fake_refuses_a_rule_index_that_is_not_there(
    sheet: FakeSheetsApi, service_account_file: Path
) -> None:
    run(sheet, service_account_file, ("fr",))
    tab = owned(sheet)
    source = GoogleSheets(KEY, credentials=service_account_file, endpoint=sheet.url, timeout=5)
    request = {"deleteConditionalFormatRule": {"sheetId": tab.sheet_id, "index": 99}}
    with pytest.raises(Exception, match="No conditional format on sheet"):
        source.structural_update("delete a rule", [request])
    metadata = source.api_call(
        "read",
        "get",
        f"https://sheets.googleapis.com/v4/spreadsheets/{KEY}",
        params={"fields": "sheets(properties.title,developerMetadata.metadataKey)"},
    )
    assert {"properties": {"title": TRACKING}, "developerMetadata": [{"metadataKey": LAYOUT_KEY}]} in metadata["sheets"]
