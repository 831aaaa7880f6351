"""The tracking tab as the team's dashboard: table from A1, summary block to the right, layout as styles."""

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
from suivi.sheet.dashboard import summary_block, tracking_layout, with_summary

AS_OF = dt.date(2026, 12, 7)
ROOT = Path(__file__).resolve().parents[1]
TRACKING = OwnedTab.TRACKING.value


def test_summary_sits_right_of_the_table_which_keeps_one_row_per_item() -> None:
    table = [["ID", "Statut"], ["A1", "En retard"], ["A2", "Terminée"], ["A3", "En cours"]]
    block = [["Résumé", ""], ["En retard", 1], ["Terminée", 1]]
    grid = with_summary(table, block)
    assert [row[:2] for row in grid] == table  # A1 onwards, untouched
    assert grid[0][2] == "" and grid[0][3:] == ["Résumé", ""]  # one blank column between
    assert grid[3] == ["A3", "En cours"]  # past the block, rows stay as they were
    longer = with_summary(table[:1], block)
    assert len(longer) == 3 and longer[2] == ["", "", "", "Terminée", 1]


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
    # Colours and bold need the workbook's shared styles (styles.xml), which the team's own
    # workbook keeps byte for byte (CONTRACT §6.2): a local workbook's tab is not coloured.
    assert list(sheet.conditional_formatting) == []
    assert all(
        isinstance(cell.value, (str, int, type(None))) for row in sheet.iter_rows() for cell in row
    )
    # The summary block, one blank column to the right of the table.
    block = [
        [sheet.cell(row=row, column=width + 2).value, sheet.cell(row=row, column=width + 3).value]
        for row in range(1, 30)
    ]
    assert block[0][0] == "Résumé"
    counts = {name: count for name, count in block if isinstance(count, int)}
    late = int((assessment.tracking["state"] == "en_retard").sum())  # type: ignore[attr-defined]
    assert counts["En retard"] == late
    labels = [name for name, _ in block]
    assert "Prochain comité" in labels and "Prochains livrables" in labels
    committee = block[labels.index("Prochain comité")][1]
    assert committee.startswith("14 déc. 2026") and "COPIL" in committee
    assert all(sheet.cell(row=row, column=width + 1).value in (None, "") for row in range(1, 30))


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
