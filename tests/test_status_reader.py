"""calamine reads a workbook exactly as openpyxl did, or leaves it to openpyxl.

`Workbook.read_tabs` reads through calamine (quick to load and to read) when the package holds
nothing calamine could read differently; the reference is openpyxl's streaming reader.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from suivi.adapters.workbook import Workbook, read_with_calamine

ROOT = Path(__file__).resolve().parents[1]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKBOOKS = sorted(
    [*(ROOT / "config" / "demo").glob("*.xlsx"), *(ROOT / "tests" / "fixtures").rglob("*.xlsx")]
)


def as_openpyxl_reads(path: Path) -> dict[str, list[list[object]]]:
    """The reference: every tab through openpyxl."""
    return Workbook(path)._read_with_openpyxl()


def same_cells(quick: object, reference: object) -> bool:
    """Equal values of equal types (5 is not 5.0, a date is not a datetime)."""
    return repr(quick) == repr(reference)


def edited(path: Path, sheet_xml: dict[str, str]) -> Path:
    """The package with `old → new` replaced in its first sheet's XML."""
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    part = "xl/worksheets/sheet1.xml"
    text = parts[part].decode()
    for old, new in sheet_xml.items():
        assert old in text, old
        text = text.replace(old, new)
    parts[part] = text.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return path


def mixed_workbook(path: Path) -> Path:
    """Real dates, serials, text dates, empty and merged cells, formulas with their last value."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activités"
    sheet.append(["ID", "Début", "Fin", "Avancement (%)", "Statut", "Note", "Total"])
    sheet.append(["A1", dt.datetime(2026, 3, 1), 46000, 0.25, "En cours", None, None])
    sheet.append(["A2", dt.date(2026, 1, 2), "31/12/2026", 1, "Terminé", "", None])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append(["A3", "7 déc. 2026", dt.datetime(2026, 5, 4, 13, 45, 12), 35, True, "x", None])
    sheet["C2"].number_format = "0"
    sheet["B6"] = 45000
    sheet["B6"].number_format = "dd/mm/yyyy"
    sheet["A8"] = "fusionnée"
    sheet.merge_cells("A8:C9")
    sheet["G2"] = "=D2*100"
    sheet["G3"] = '=IF(D3>0,"oui","")'
    book.create_sheet("Mesures").append(["Code indicateur", "Date", "Valeur"])
    book.save(path)
    # openpyxl saves no computed value: give the formulas the ones Excel would have saved.
    return edited(
        path,
        {
            '<c r="G2"><f>D2*100</f><v></v>': '<c r="G2"><f>D2*100</f><v>25</v>',
            '<c r="G3"><f>IF(D3&gt;0,"oui","")</f><v></v>': (
                '<c r="G3" t="str"><f>IF(D3&gt;0,"oui","")</f><v>oui</v>'
            ),
        },
    )


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda path: path.name)
def test_the_demo_and_fixture_workbooks_read_as_openpyxl_reads_them(path: Path) -> None:
    quick = read_with_calamine(path)
    assert quick is not None  # calamine did read them
    assert same_cells(quick, as_openpyxl_reads(path))


def test_dates_serials_text_dates_empty_merged_and_formula_cells_read_alike(
    tmp_path: Path,
) -> None:
    path = mixed_workbook(tmp_path / "mixed.xlsx")
    quick = read_with_calamine(path)
    assert quick is not None
    reference = as_openpyxl_reads(path)
    assert reference["Activités"][1][6] == 25  # the formula's last value, as an int
    assert reference["Activités"][2][5] is None and reference["Activités"][3] == [None] * 7
    assert same_cells(quick, reference)
    assert same_cells(Workbook(path).read_tabs(), reference)


@pytest.mark.parametrize(
    "change",
    [
        {'<c r="D3" t="n"><v>1</v>': '<c r="D3" t="n"><v>1.0</v>'},  # a whole float: 1.0
        {"<t>En cours</t>": "<t>En_x000D_cours</t>"},  # an escape openpyxl keeps
        {"</row></sheetData>": '</row><row r="30000"><c r="GS30000" s="0"/></row></sheetData>'},
        {"</row></sheetData>": '</row><row r="20001"><c r="AB20001" s="0"/></row></sheetData>'},
        {'<c r="A2" t="inlineStr">': '<c t="inlineStr">'},  # a cell placed by counting
        {'<c r="A2" t="inlineStr">': '<c t="inlineStr" r="A2">'},  # its reference not first
        {  # element names with a prefix, which the patterns would not read
            "<worksheet ": f'<worksheet xmlns:x="{MAIN}" ',
            "<row r=": "<x:row r=",
            "</row>": "</x:row>",
        },
    ],
    ids=[
        "whole-float",
        "escape",
        "far-row",
        "far-row-two-letters",
        "no-reference",
        "reference-not-first",
        "prefixed",
    ],
)
def test_what_calamine_could_read_differently_goes_to_openpyxl(
    change: dict[str, str], tmp_path: Path
) -> None:
    path = edited(mixed_workbook(tmp_path / "mixed.xlsx"), change)
    assert read_with_calamine(path) is None
    assert same_cells(Workbook(path).read_tabs(), as_openpyxl_reads(path))


def test_a_damaged_workbook_keeps_openpyxl_s_message(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not a package")
    assert read_with_calamine(path) is None
    with pytest.raises(Exception, match=re.escape("cannot be opened")):
        Workbook(path).read_tabs()
