"""The tracking tab as the team's dashboard: table from A1, summary in row 1 to its right, layout
as conditional formats."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from suivi.adapters.workbook import Workbook
from suivi.jobs.pipeline import assess_project, read_project, write_back
from suivi.schema import OwnedTab
from suivi.settings import Env, load_config
from suivi.sheet.dashboard import summary_block, tracking_layout
from suivi.sheet.summary_strip import summary_strip, with_strip

AS_OF = dt.date(2026, 12, 7)
ROOT = Path(__file__).resolve().parents[1]
TRACKING = OwnedTab.TRACKING.value


def test_summary_sits_in_row_1_right_of_the_table_which_keeps_one_row_per_item() -> None:
    table = [["ID", "Statut"], ["A1", "En retard"], ["A2", "Terminée"], ["A3", "En cours"]]
    block = [
        ["Résumé", ""],
        ["En retard", 1],
        ["Terminée", 1],
        ["", ""],
        ["Prochain comité", "14 déc. 2026 COPIL"],
        ["Prochains livrables", ""],
        ["Rapport T4", "15 déc. 2026"],
    ]
    strip = summary_strip(block, "fr")
    assert strip == [
        "Résumé",
        "En retard\u00a0: 1",
        "Terminée\u00a0: 1",
        "Prochain comité\u00a0: 14 déc. 2026 COPIL",
        "Prochains livrables\u00a0:",
        "15 déc. 2026 — Rapport T4",
    ]
    grid = with_strip(table, strip)
    assert [row[:2] for row in grid] == table and grid[1:] == table[1:]  # rows 2… untouched
    assert grid[0][2] == "" and grid[0][3:] == strip  # one blank column, then the strip
    assert summary_strip(block, "en")[1] == "En retard: 1"


@pytest.fixture
def demo_workbook(tmp_path: Path) -> tuple[Path, object, object]:
    """The TPM demo workbook copied, with its settings and assessment on the demo day."""
    text = (ROOT / "config" / "suivi.yaml").read_text(encoding="utf-8")
    text = text.replace("source: demo/", f"source: {ROOT / 'config' / 'demo'}/")
    text = text.replace("../data/demo/", f"{tmp_path / 'written'}/")
    (tmp_path / "suivi.yaml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "suivi.yaml")
    project = config.projects[0]
    assessment = assess_project(project, config, read_project(project, config, Env()), AS_OF)
    copy = tmp_path / "tpm.xlsx"
    shutil.copy(ROOT / "config" / "demo" / "tpm.xlsx", copy)
    return copy, config, assessment


def test_workbook_tab_is_written_with_its_layout_and_summary(
    demo_workbook: tuple[Path, object, object],
) -> None:
    path, _, assessment = demo_workbook
    write_back(Workbook(path), assessment, AS_OF)  # type: ignore[arg-type]

    book = openpyxl.load_workbook(path)
    sheet = book[TRACKING]
    items = len(assessment.tracking)  # type: ignore[attr-defined]
    width = 9
    assert sheet.cell(row=1, column=1).value == "ID"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:I{items + 1}"
    assert sheet.column_dimensions["H"].width == 48
    ids = [sheet.cell(row=row, column=1).value for row in range(2, items + 2)]
    assert ids == list(assessment.tracking["id"])  # type: ignore[attr-defined]
    states = {sheet.cell(row=row, column=2).value for row in range(2, items + 2)}
    assert "En retard" in states
    # Colours as conditional formats (their dxf styles appended to the workbook's): the
    # cells themselves stay unstyled plain values.
    late = [
        rule.dxf.fill.bgColor.rgb
        for rule in sheet.conditional_formatting[f"B2:B{items + 1}"]
        if rule.formula == ['"En retard"']
    ]
    assert late == ["FFF4C7C3"]
    assert all(cell.style_id == 0 for row in sheet.iter_rows() for cell in row)
    assert all(
        isinstance(cell.value, (str, int, type(None))) for row in sheet.iter_rows() for cell in row
    )
    # The summary, in row 1 (the filter's header row, never hidden), after one blank column.
    strip = [sheet.cell(row=1, column=column).value for column in range(width + 2, width + 30)]
    strip = [cell for cell in strip if cell]
    assert strip[0] == "Résumé"
    committee_at = next(i for i, cell in enumerate(strip) if cell.startswith("Prochain comité"))
    counts = dict(cell.split("\u00a0: ") for cell in strip[1:committee_at])
    late = int((assessment.tracking["state"] == "en_retard").sum())  # type: ignore[attr-defined]
    assert int(counts["En retard"]) == late
    committee = strip[committee_at]
    assert "14 déc. 2026" in committee and "COPIL" in committee
    assert "Prochains livrables\u00a0:" in strip
    assert sheet.cell(row=1, column=width + 1).value in (None, "")
    beside = [sheet.cell(row=row, column=width + 2).value for row in range(2, items + 2)]
    assert set(beside) <= {None, ""}  # nothing beside the table that a filter could hide
    filtered = sheet.auto_filter.ref.split(":")[1]
    assert filtered.rstrip("0123456789") == "I"  # the filter stops at the table's last column


def test_layout_colours_every_state_in_the_project_language() -> None:
    layout = tracking_layout([["ID", "Statut calculé", "x"]], ("en", "fr"))
    texts = {colour.text for colour in layout.colours}
    assert {"Late", "En retard", "Done", "Terminée"} <= texts
    assert layout.frozen_rows == 1 and layout.filter_columns == 3


def test_summary_block_counts_states_in_arabic(
    demo_workbook: tuple[Path, object, object],
) -> None:
    _, _, assessment = demo_workbook
    block = summary_block(
        assessment.tracking,  # type: ignore[attr-defined]
        assessment.tables.committees,  # type: ignore[attr-defined]
        AS_OF,
        "ar",
    )
    assert block[0][0] == "ملخص"
    assert any(name == "متأخر" for name, _ in block)
