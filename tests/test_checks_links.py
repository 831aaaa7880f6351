"""The `Contrôles` tab links each problem to its cell in the file that holds the team's tabs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from suivi.adapters.workbook import Workbook
from suivi.model import Problem
from suivi.sheet.writeback import checks_rows

PROBLEM = Problem("TPM", "Activités", "J17", "", "required value missing", False)


def team_workbook(path: Path) -> Path:
    """A workbook with the team's tab, as a person made it."""
    book = openpyxl.Workbook()
    assert book.active is not None
    book.active.title = "Activités"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def written_link(source: Workbook) -> str | None:
    """The hyperlink of the first problem's row in the written `Contrôles` tab.

    A link into another file is an external target; a link inside the workbook is written as
    Excel does, in the `location` attribute (no `#`), and given back here as `#location`.
    """
    source.write_tabs({"Contrôles": checks_rows([PROBLEM], dt.date(2026, 12, 7), source.cell_url)})
    book = openpyxl.load_workbook(source.output)
    link_cell = next(cell for cell in book["Contrôles"][2] if cell.hyperlink is not None)
    if link_cell.hyperlink.target:
        return str(link_cell.hyperlink.target)
    location = link_cell.hyperlink.location
    return f"#{location}" if location else None


def test_written_into_the_team_workbook_the_link_stays_inside_it(tmp_path: Path) -> None:
    team = team_workbook(tmp_path / "tpm.xlsx")
    assert written_link(Workbook(team)) == "#'Activités'!J17"


def test_written_elsewhere_the_link_opens_the_team_workbook(tmp_path: Path) -> None:
    team = team_workbook(tmp_path / "equipe" / "tpm.xlsx")
    output = tmp_path / "suivi" / "tpm-suivi.xlsx"
    source = Workbook(team, output=output)

    link = source.cell_url("Activités", "J17")
    assert link == "../equipe/tpm.xlsx#'Activités'!J17"
    target = written_link(source)
    assert target is not None and target.startswith("../equipe/tpm.xlsx")
    # The file it names, from where the output lies, is the team's, and holds the tab.
    named = (output.parent / link.split("#", 1)[0]).resolve()
    assert named == team.resolve()
    assert "Activités" in openpyxl.load_workbook(named).sheetnames
