"""The tracking tab's layout: on Google sent once and again only when it changed, never stacked;
in a workbook as conditional formats whose styles are appended to the workbook's own."""

from __future__ import annotations

import re
import zipfile
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
    assert {
        "properties": {"title": TRACKING},
        "developerMetadata": [{"metadataKey": LAYOUT_KEY}],
    } in metadata["sheets"]


# -- a local workbook ----------------------------------------------------------------------


def team_book(path: Path) -> Path:
    """A team's workbook with its own conditional colour (dxf 0) on a tab of its own."""
    book = openpyxl.Workbook()
    budget = book.active
    assert budget is not None
    budget.title = "Budget"
    budget.append(["Poste", "Taux"])
    budget.append(["Ateliers", 1.2])
    budget.conditional_formatting.add(
        "B2:B9",
        CellIsRule(
            operator="greaterThan", formula=["1"], fill=PatternFill("solid", "FFC7CE", "FFC7CE")
        ),
    )
    book.save(path)
    return path


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def dxfs(styles: bytes) -> list[str]:
    root = ElementTree.fromstring(styles)
    block = root.find(f"{{{MAIN}}}dxfs")
    assert block is not None
    assert int(block.get("count", "-1")) == len(block)
    return [ElementTree.tostring(element, encoding="unicode") for element in block]


def fill_of(rule: Any) -> str:
    return str(rule.dxf.fill.bgColor.rgb)[-6:]


def test_a_workbook_tab_is_coloured_by_state_and_the_team_keeps_its_styles(tmp_path: Path) -> None:
    path = team_book(tmp_path / "equipe.xlsx")
    before = part(path, "xl/styles.xml")
    team_dxfs = dxfs(before)
    layout = tracking_layout(ROWS, ("fr",))

    Workbook(path).write_tabs({TRACKING: ROWS}, layouts={TRACKING: layout})

    after = part(path, "xl/styles.xml")
    assert dxfs(after)[: len(team_dxfs)] == team_dxfs  # the team's entries keep their index
    outside = lambda xml: re.sub(rb"<dxfs\b[^>]*/>|<dxfs\b.*?</dxfs>", b"", xml, flags=re.S)  # noqa: E731
    assert outside(after) == outside(before)  # fonts, fills, cell styles: byte for byte
    book = openpyxl.load_workbook(path)
    assert [fill_of(rule) for rule in book["Budget"].conditional_formatting["B2:B9"]] == ["FFC7CE"]
    sheet = book[TRACKING]
    assert sheet.auto_filter.ref == f"A1:E{len(ROWS)}"  # the table only
    colours = {
        rule.formula[0]: fill_of(rule) for rule in sheet.conditional_formatting[f"B2:B{len(ROWS)}"]
    }
    assert colours['"En retard"'] == "F4C7C3" and colours['"Terminée"'] == "D9EAD3"
    header = sheet.conditional_formatting["A1:E1"][0]
    assert header.dxf.font.b and fill_of(header) == "E5E7EB" and header.formula == ["TRUE"]
    assert all(cell.style_id == 0 for row in sheet.iter_rows() for cell in row)  # RAW values

    with zipfile.ZipFile(path) as archive:  # every XML part still well-formed
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(archive.read(name))
    grown = len(dxfs(after))
    Workbook(path).write_tabs({TRACKING: ROWS}, layouts={TRACKING: tracking_layout(ROWS, ("en",))})
    assert len(dxfs(part(path, "xl/styles.xml"))) == grown  # the same colours: reused, not added
    english = openpyxl.load_workbook(path)[TRACKING]
    texts = {r.formula[0] for r in english.conditional_formatting[f"B2:B{len(ROWS)}"]}
    assert '"Late"' in texts and '"En retard"' not in texts  # the sheet's rules are replaced


@pytest.mark.parametrize(
    ("styles", "expected_prefix"),
    [
        (  # no <dxfs> at all: made before <tableStyles>, where the schema wants it
            f'<styleSheet xmlns="{MAIN}"><cellXfs count="1"><xf/></cellXfs>'
            '<tableStyles count="0"/></styleSheet>',
            "",
        ),
        (  # an empty one, as Excel writes it
            f'<styleSheet xmlns="{MAIN}"><dxfs count="0"/><extLst/></styleSheet>',
            "",
        ),
        (  # a prefixed namespace, an existing entry
            f'<x:styleSheet xmlns:x="{MAIN}"><x:dxfs count="1"><x:dxf><x:font><x:i/></x:font>'
            "</x:dxf></x:dxfs></x:styleSheet>",
            "x:",
        ),
    ],
)
def test_dxfs_are_appended_in_any_styles_part(styles: str, expected_prefix: str) -> None:
    existing = len(dxfs(styles.encode())) if 'dxfs count="1"' in styles else 0
    wanted = [("F4C7C3", False), ("E5E7EB", True), ("F4C7C3", False)]
    text, ids = with_dxfs(styles.encode(), wanted)
    entries = dxfs(text)
    assert len(entries) == existing + 2 and ids == {
        ("F4C7C3", False): existing,
        ("E5E7EB", True): existing + 1,
    }
    assert f"<{expected_prefix}dxf>" in text.decode()
    root = ElementTree.fromstring(text)
    order = [child.tag.rpartition("}")[2] for child in root]
    assert order.index("dxfs") < order.index("tableStyles") if "tableStyles" in order else True
    again, same = with_dxfs(text, wanted)
    assert again == text and same == ids  # a second run adds nothing
    with pytest.raises(PackageError):
        with_dxfs(b"<styleSheet", wanted)


def test_styles_it_cannot_read_leave_the_tab_uncoloured_not_unwritten(tmp_path: Path) -> None:
    path = team_book(tmp_path / "equipe.xlsx")
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(MAIN.encode(), b"urn:other", 1)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)

    writer = Workbook(path)
    writer.write_tabs({TRACKING: ROWS}, layouts={TRACKING: tracking_layout(ROWS, ("fr",))})

    assert writer.companion_reason is None
    assert part(path, "xl/styles.xml") == parts["xl/styles.xml"]
    sheet = part(path, "xl/worksheets/sheet2.xml").decode()
    assert "<autoFilter" in sheet and "<conditionalFormatting" not in sheet
