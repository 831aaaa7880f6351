"""An owned tab's layout in a workbook (openpyxl): frozen header, widths, filter, colour by state.

Styles and conditional formats only: the cells keep the RAW values written. The workbook
writer calls `style_sheet` on the sheet it produced, whatever way it saves the package.
"""

from __future__ import annotations

from typing import Any

from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from suivi.sheet.dashboard import HEADER_COLOUR, TabLayout

PIXELS_PER_CHARACTER = 7  # Arial 10 in Sheets
FILTER_ROWS = 1000  # a new tab's rows: the filter and the colours cover them all


def style_sheet(sheet: Any, layout: TabLayout) -> None:
    """Apply the layout to an openpyxl worksheet holding the tab's values."""
    sheet.freeze_panes = sheet.cell(row=layout.frozen_rows + 1, column=1).coordinate
    for index, width in enumerate(layout.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if layout.filter_columns:
        last = get_column_letter(layout.filter_columns)
        sheet.auto_filter.ref = f"A1:{last}{max(layout.filter_rows, 1)}"
    header = PatternFill("solid", fgColor=HEADER_COLOUR)
    for column in range(1, layout.filter_columns + 1):
        cell = sheet.cell(row=1, column=column)
        cell.font, cell.fill = Font(bold=True), header
    for row, column in layout.bold_cells:
        sheet.cell(row=row + 1, column=column + 1).font = Font(bold=True)
    for colour in layout.colours:
        letter = get_column_letter(colour.column + 1)
        rows = f"{letter}2:{letter}{max(layout.filter_rows, 2)}"
        text = '"' + colour.text.replace('"', '""') + '"'
        fill = PatternFill("solid", fgColor=colour.colour, bgColor=colour.colour)
        sheet.conditional_formatting.add(
            rows, CellIsRule(operator="equal", formula=[text], fill=fill)
        )


def layout_requests(sheet_id: int, layout: TabLayout) -> list[dict[str, Any]]:
    """The layout as Sheets API requests (frozen header, widths, filter, colours, bold header)."""

    def grid(rows: tuple[int, int], columns: tuple[int, int]) -> dict[str, int]:
        return {
            "sheetId": sheet_id,
            "startRowIndex": rows[0],
            "endRowIndex": rows[1],
            "startColumnIndex": columns[0],
            "endColumnIndex": columns[1],
        }

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
    requests.append(
        {
            "repeatCell": {
                "range": grid((0, 1), (0, layout.filter_columns)),
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
    # The filter covers every row a later run may write, not only today's.
    requests.append(
        {
            "setBasicFilter": {
                "filter": {"range": grid((0, FILTER_ROWS), (0, layout.filter_columns))}
            }
        }
    )
    requests += [
        {
            "addConditionalFormatRule": {
                "index": index,
                "rule": {
                    "ranges": [grid((1, FILTER_ROWS), (colour.column, colour.column + 1))],
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


def _rgb(colour: str) -> dict[str, float]:
    """`F4C7C3` as the API's colour (fractions of 1)."""
    red, green, blue = (int(colour[start : start + 2], 16) / 255 for start in (0, 2, 4))
    return {"red": round(red, 4), "green": round(green, 4), "blue": round(blue, 4)}
