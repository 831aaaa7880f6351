"""An owned tab's layout as each adapter applies it: frozen header, widths, filter, colour by state.

Formats only (conditional formats for the colours): the cells keep the RAW values written.
Google gets Sheets API requests, sent in the run's one structural batchUpdate when the tab is
created or its layout changed (`layout_fingerprint`, kept as developer metadata on the tab);
a workbook gets a `SheetLook`, written into the owned sheet's part and `dxf` styles appended
to the workbook's styles (`suivi.adapters.xlsx_package`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from openpyxl.utils import get_column_letter

from suivi.adapters.xlsx_package import Highlight, SheetLook
from suivi.sheet.dashboard import HEADER_COLOUR, TabLayout

PIXELS_PER_CHARACTER = 7  # Arial 10 in Sheets
LAYOUT_KEY = "suivi.layout"  # developer metadata on the tab: the fingerprint of its layout
LAYOUT_VERSION = 2  # bump when the requests below change shape: tabs get the new layout once


def layout_fingerprint(layout: TabLayout) -> str:
    """A digest of everything the layout requests set (never the rows the table has today)."""
    shape = json.dumps([LAYOUT_VERSION, layout_requests(0, layout)], sort_keys=True)
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


def sheet_look(layout: TabLayout) -> SheetLook:
    """The layout as a workbook sheet carries it: the filter over the table's own rows only."""
    last = get_column_letter(max(layout.filter_columns, 1))
    rows = max(layout.filter_rows, 2)
    highlights = [Highlight(f"A1:{last}1", None, HEADER_COLOUR, bold=True)]
    highlights += [
        Highlight(f"{get_column_letter(column + 1)}{row + 1}", None, None, bold=True)
        for row, column in layout.bold_cells
    ]
    highlights += [
        Highlight(
            f"{get_column_letter(colour.column + 1)}2:{get_column_letter(colour.column + 1)}{rows}",
            colour.text,
            colour.colour,
        )
        for colour in layout.colours
    ]
    return SheetLook(
        frozen_rows=layout.frozen_rows,
        widths=tuple(layout.widths),
        filter_ref=f"A1:{last}{max(layout.filter_rows, 1)}" if layout.filter_columns else None,
        highlights=tuple(highlights),
    )


def layout_requests(sheet_id: int, layout: TabLayout) -> list[dict[str, Any]]:
    """The layout as Sheets API requests: frozen header, widths, bold header, filter, colours.

    Ranges leave the last row open (GridRange: a missing end is unbounded): the filter and
    the colours cover every row a later run writes, and the requests never depend on today's
    row count, so a run with one more item does not count as a layout change.
    """

    def grid(
        first_row: int, columns: tuple[int, int], last_row: int | None = None
    ) -> dict[str, int]:
        bounds = {
            "sheetId": sheet_id,
            "startRowIndex": first_row,
            "startColumnIndex": columns[0],
            "endColumnIndex": columns[1],
        }
        return bounds if last_row is None else {**bounds, "endRowIndex": last_row}

    requests: list[dict[str, Any]] = [
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": sheet_id,
                    "gridProperties": {"frozenRowCount": layout.frozen_rows},
                },
                "fields": "gridProperties.frozenRowCount",
            }
        }
    ]
    requests += [
        {
            "updateDimensionProperties": {
                "range": {
                    "sheetId": sheet_id,
                    "dimension": "COLUMNS",
                    "startIndex": index,
                    "endIndex": index + 1,
                },
                "properties": {"pixelSize": width * PIXELS_PER_CHARACTER},
                "fields": "pixelSize",
            }
        }
        for index, width in enumerate(layout.widths)
    ]
    # Row 1 first loses an older layout's bold and fill (a column fewer, a summary moved).
    requests.append(
        {
            "repeatCell": {
                "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1},
                "cell": {},
                "fields": "userEnteredFormat(textFormat,backgroundColor)",
            }
        }
    )
    requests.append(
        {
            "repeatCell": {
                "range": grid(0, (0, layout.filter_columns), 1),
                "cell": {
                    "userEnteredFormat": {
                        "textFormat": {"bold": True},
                        "backgroundColor": _rgb(HEADER_COLOUR),
                    }
                },
                "fields": "userEnteredFormat(textFormat,backgroundColor)",
            }
        }
    )
    requests += [
        {
            "repeatCell": {
                "range": grid(row, (column, column + 1), row + 1),
                "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                "fields": "userEnteredFormat.textFormat.bold",
            }
        }
        for row, column in layout.bold_cells
    ]
    # The table's columns only: the summary to their right is never part of the filter.
    requests.append({"setBasicFilter": {"filter": {"range": grid(0, (0, layout.filter_columns))}}})
    requests += [
        {
            "addConditionalFormatRule": {
                "index": index,
                "rule": {
                    "ranges": [grid(1, (colour.column, colour.column + 1))],
                    "booleanRule": {
                        "condition": {
                            "type": "TEXT_EQ",
                            "values": [{"userEnteredValue": colour.text}],
                        },
                        "format": {"backgroundColor": _rgb(colour.colour)},
                    },
                },
            }
        }
        for index, colour in enumerate(layout.colours)
    ]
    return requests


def relayout_requests(
    sheet_id: int, layout: TabLayout, rules: int, metadata_ids: tuple[int, ...]
) -> list[dict[str, Any]]:
    """A tab's layout replaced: its `rules` conditional formats and the old fingerprints go
    first (last rule first, so each index still names a rule), then the layout and its mark."""
    requests: list[dict[str, Any]] = [
        {"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": index}}
        for index in reversed(range(rules))
    ]
    requests += [
        {
            "deleteDeveloperMetadata": {
                "dataFilter": {"developerMetadataLookup": {"metadataId": metadata_id}}
            }
        }
        for metadata_id in metadata_ids
    ]
    return [*requests, *layout_requests(sheet_id, layout), mark_request(sheet_id, layout)]


def mark_request(sheet_id: int, layout: TabLayout) -> dict[str, Any]:
    """The layout's fingerprint as developer metadata on the tab, read back with the tab list."""
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataKey": LAYOUT_KEY,
                "metadataValue": layout_fingerprint(layout),
                "location": {"sheetId": sheet_id},
                "visibility": "DOCUMENT",
            }
        }
    }


def _rgb(colour: str) -> dict[str, float]:
    """`F4C7C3` as the API's colour (fractions of 1)."""
    red, green, blue = (int(colour[start : start + 2], 16) / 255 for start in (0, 2, 4))
    return {"red": round(red, 4), "green": round(green, 4), "blue": round(blue, 4)}
