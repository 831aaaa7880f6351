"""A team's Google Sheet made or prepared by suivi, its sharing, and whether suivi can edit it.

Creating is one `spreadsheets.create` (the tabs) and one `batchUpdate` (headers, frozen rows,
drop-downs, date and percentage validation, number formats, the owned tabs protected with a
warning); preparing an existing sheet is one `batchUpdate` that changes no value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from suivi.adapters.google_sheets import GoogleSheets
from suivi.adapters.source import SourceError
from suivi.sheet.clean import match_tabs
from suivi.sheet.layout import (
    DATE_PATTERN,
    NUMBER_PATTERN,
    PERCENT_PATTERN,
    ColumnPlan,
    FoundColumn,
    TabPlan,
    find_columns,
)

SHEETS_API = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
GRID_ROWS = 1000


def can_edit(sheet: GoogleSheets) -> bool:
    """Drive's `capabilities.canEdit` for the credentials in use (write-back needs it)."""

    answer = sheet.api_call(
        "check the sharing (Google Drive)",
        "get",
        f"{DRIVE_FILES}/{sheet.key}",
        params={"fields": "capabilities(canEdit)", "supportsAllDrives": "true"},
    )
    return bool(answer.get("capabilities", {}).get("canEdit", False))


def create_spreadsheet(
    sheet: GoogleSheets,
    title: str,
    plans: Sequence[TabPlan],
    time_zone: str,
    messages: dict[str, str],
) -> str:
    """Make the spreadsheet with its tabs (one create), then lay them out (one batchUpdate)."""
    body = {
        "properties": {"title": title, "locale": "fr_FR", "timeZone": time_zone},
        "sheets": [
            {
                "properties": {
                    "sheetId": sheet_id,
                    "title": plan.title,
                    "index": sheet_id,
                    "gridProperties": {
                        "rowCount": GRID_ROWS,
                        "columnCount": max(26, len(plan.columns)),
                        **({} if plan.owned else {"frozenRowCount": 1}),
                    },
                }
            }
            for sheet_id, plan in enumerate(plans)
        ],
    }
    try:
        created = sheet.api_call("create the spreadsheet", "post", SHEETS_API, json=body)
    except SourceError as error:
        if "permission denied" not in str(error):
            raise
        # Service accounts have had no Drive storage of their own since 2025: Google answers
        # 403 (storage quota) to a create; the way round is a sheet the officer owns.
        raise SourceError(
            f"Google refused to create a spreadsheet for {sheet.identity.who()}: create an"
            " empty Google Sheet yourself, share it with that identity as Editor, put its URL"
            " in `source:` and run `suivi sheet prepare` (or sign in with `suivi auth google`)"
        ) from error
    key = str(created["spreadsheetId"])
    requests: list[dict[str, Any]] = []
    for sheet_id, plan in enumerate(plans):
        if plan.owned:
            requests.append(_protect(sheet_id, messages["owned"]))
            continue
        requests.append(_headers(sheet_id, [column.header for column in plan.columns]))
        for index, column in enumerate(plan.columns):
            requests += column_requests(sheet_id, FoundColumn(0, index, column), messages)
    sheet.key = key
    sheet.structural_update("lay out the tabs", requests)
    return key


def share(sheet: GoogleSheets, addresses: Iterable[str]) -> list[str]:
    """Give each address Editor rights (Drive sends them Google's invitation); those shared."""
    shared = []
    for address in dict.fromkeys(address.strip().lower() for address in addresses if address):
        body = {"type": "user", "role": "writer", "emailAddress": address}
        sheet.api_call(
            f"share the spreadsheet with {address}",
            "post",
            f"{DRIVE_FILES}/{sheet.key}/permissions",
            params={"sendNotificationEmail": "true", "supportsAllDrives": "true"},
            json=body,
        )
        shared.append(address)
    return shared


def prepare(sheet: GoogleSheets, messages: dict[str, str]) -> list[str]:
    """Add validation, formats and frozen header rows to the team's tabs; no value changes.

    Reads the tabs (two reads) and sends one batchUpdate; returns the tabs prepared.
    """
    tabs = sheet.read_tabs()
    grids = sheet.sheet_ids()
    requests: list[dict[str, Any]] = []
    prepared = []
    for tab, title in match_tabs(tabs).items():
        rows = tabs[title]
        found = find_columns(tab, rows)
        grid = grids.get(title)
        if not found or grid is None:
            continue
        prepared.append(title)
        sheet_id, rows_in_grid = grid
        requests.append(_freeze(sheet_id, found[0].header_row + 1))
        for column in found:
            requests += column_requests(
                sheet_id, column, messages, rows=rows_in_grid, existing=True
            )
    if not prepared:
        raise SourceError(f"{sheet.describe()}: none of the team's tabs was found")
    sheet.structural_update("add the validation", requests)
    return prepared


def column_requests(
    sheet_id: int,
    column: FoundColumn,
    messages: dict[str, str],
    *,
    rows: int = GRID_ROWS,
    existing: bool = False,
) -> list[dict[str, Any]]:
    """Validation and number format of one column, below its header row."""
    cells = {
        "sheetId": sheet_id,
        "startRowIndex": column.header_row + 1,
        "endRowIndex": max(rows, column.header_row + 2),
        "startColumnIndex": column.index,
        "endColumnIndex": column.index + 1,
    }
    plan: ColumnPlan = column.plan
    requests: list[dict[str, Any]] = []
    if plan.rule == "choice":
        values = [{"userEnteredValue": choice} for choice in plan.choices]
        requests.append(_validation(cells, "ONE_OF_LIST", values, messages["choice"], strict=True))
    elif plan.rule == "date":
        requests.append(_validation(cells, "DATE_IS_VALID", [], messages["date"], strict=True))
        requests.append(_number_format(cells, "DATE", DATE_PATTERN))
    elif plan.rule == "percent":
        # An existing sheet may hold 45 or 0.45 (both read): accept both there, warn only.
        top = "100" if existing else "1"
        bounds = [{"userEnteredValue": "0"}, {"userEnteredValue": top}]
        requests.append(
            _validation(cells, "NUMBER_BETWEEN", bounds, messages["percent"], strict=not existing)
        )
        if not existing:
            requests.append(_number_format(cells, "PERCENT", PERCENT_PATTERN))
    elif plan.rule == "number":
        requests.append(_number_format(cells, "NUMBER", NUMBER_PATTERN))
    elif plan.rule == "email":
        requests.append(_validation(cells, "TEXT_IS_EMAIL", [], messages["email"], strict=False))
    return requests


def _validation(
    cells: dict[str, Any], kind: str, values: list[dict[str, str]], message: str, *, strict: bool
) -> dict[str, Any]:
    condition: dict[str, Any] = {"type": kind, **({"values": values} if values else {})}
    rule = {"condition": condition, "inputMessage": message, "strict": strict, "showCustomUi": True}
    return {"setDataValidation": {"range": cells, "rule": rule}}


def _number_format(cells: dict[str, Any], kind: str, pattern: str) -> dict[str, Any]:
    return {
        "repeatCell": {
            "range": cells,
            "cell": {"userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}}},
            "fields": "userEnteredFormat.numberFormat",
        }
    }


def _headers(sheet_id: int, headers: list[str]) -> dict[str, Any]:
    values = [{"userEnteredValue": {"stringValue": header}} for header in headers]
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
            "rows": [{"values": values}],
            "fields": "userEnteredValue",
        }
    }


def _freeze(sheet_id: int, rows: int) -> dict[str, Any]:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": rows}},
            "fields": "gridProperties.frozenRowCount",
        }
    }


def _protect(sheet_id: int, description: str) -> dict[str, Any]:
    return {
        "addProtectedRange": {
            "protectedRange": {
                "range": {"sheetId": sheet_id},
                "description": description,
                "warningOnly": True,
            }
        }
    }
