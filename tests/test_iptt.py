"""The IPTT workbook: quarters aggregated per rule, source cells, layout; read back cell by cell."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from suivi.cli.reports import (
    add_import_commands,
    add_report_commands,
    command_import,
    command_report,
)
from suivi.compute.indicators import compute_indicators
from suivi.jobs.iptt import write_iptt
from suivi.report.iptt import IpttProject, iptt_table, period_table, value_column_letter
from suivi.settings import IndicatorRule
from suivi.sheet.clean import clean_project

AS_OF = dt.date(2026, 7, 15)
RULES = {"ateliers_faits": IndicatorRule(kind="count", where={"status": "done"})}

# fmt: off
SHEET: dict[str, list[list[Any]]] = {
    "Activités": [
        ["ID", "Activité", "Responsable", "Début prévu", "Fin prévue", "Avancement", "Statut"],
        ["A1", "Atelier", "Amina", "01/01/2026", "31/03/2026", "100 %", "Terminée"],
        ["A2", "Atelier 2", "Amina", "01/01/2026", "31/12/2026", "40 %", "En cours"],
    ],
    "Indicateurs": [
        ["Code", "Niveau", "Libellé", "Unité", "Valeur de référence", "Cible", "Échéance cible",
         "Calcul", "Agrégation", "Fréquence"],
        ["P1", "Produit", "Personnes formées", "nombre", 0, 200, "31/12/2026", "saisie", "somme", "trimestrielle"],
        ["E1", "Effet", "=Satisfaction (%)", "%", 40, 80, "31/12/2026", "saisie", "dernière", "semestrielle"],
        ["P2", "Produit", "Ateliers réalisés", "nombre", 0, 4, "31/12/2026", "ateliers_faits", "dernière", ""],
    ],
    # Valeur sits in column D here (an extra Note column first): the source cells must follow.
    "Mesures": [
        ["Note", "Code indicateur", "Date", "Valeur", "Désagrégation"],
        [None, "P1", "15/01/2026", 10, "Femmes"],
        [None, "P1", "15/01/2026", 12, "Hommes"],
        [None, "P1", "20/03/2026", 8, None],
        [None, "E1", "31/01/2026", 50, None],
        [None, "E1", "31/03/2026", 55, None],
        [None, "P1", "10/05/2026", 30, None],
        [None, "E1", "30/06/2026", 61, None],
        [None, "P1", "01/09/2026", 99, None],  # after as_of: left out
    ],
}
# fmt: on


def project_of(
    tabs: dict[str, list[list[Any]]], code: str = "TPM", language: str = "fr"
) -> IpttProject:
    """An IPTT project from sheet tabs, through the real cleaning and indicator computation."""
    tables = clean_project(code, tabs, rules=list(RULES))
    indicators = compute_indicators(
        tables.indicators, tables.measures, tables.activities, as_of=AS_OF, rules=RULES
    )
    return IpttProject(
        code=code,
        name="Territorialisation",
        indicators=indicators,
        measures=tables.measures,
        definitions=tables.indicators,
        language=language,
        measures_tab=tables.tab_titles["measures"],
        value_column=value_column_letter(tabs) or "C",
    )


def rows_of(sheet: Any) -> list[list[Any]]:
    """Every row of a sheet as cell values."""
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_quarters_follow_each_indicator_rule() -> None:
    table, quarters = iptt_table(project_of(SHEET), AS_OF)
    assert [str(quarter) for quarter in quarters] == ["2026Q1", "2026Q2", "2026Q3"]
    rows = table.set_index("code")
    q1, q2, q3 = quarters
    # somme: the quarter's measures added up (breakdowns of a date too); dernière: the last one.
    assert rows.loc["P1", q1] == 30 and rows.loc["P1", q2] == 30 and pd.isna(rows.loc["P1", q3])
    assert rows.loc["E1", q1] == 55 and rows.loc["E1", q2] == 61
    assert rows.loc["P1", "cumulative"] == 60 and rows.loc["E1", "cumulative"] == 61
    assert rows.loc["P2", "current"] == 1 and pd.isna(rows.loc["P2", "cumulative"])
    assert rows.loc["P1", "sources"] == "Mesures!D2:D4, D7"
    assert rows.loc["E1", "sources"] == "Mesures!D5:D6, D8"
    assert pd.isna(rows.loc["P2", "sources"])


def test_workbook_read_back_cell_by_cell(tmp_path: Path) -> None:
    inser = {**SHEET, "Mesures": [["Code indicateur", "Date", "Valeur"], ["P1", "30/04/2026", 5]]}
    path = write_iptt(
        [project_of(SHEET), project_of(inser, "INSER", "en")], tmp_path / "iptt.xlsx", AS_OF
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["TPM", "INSER"]
    sheet = book["TPM"]
    rows = rows_of(sheet)
    assert rows[0][0] == (
        "Tableau de suivi de la performance des indicateurs (IPTT) – Territorialisation (TPM)"
    )
    assert rows[1][0] == "Situation au mercredi 15 juillet 2026"
    assert rows[2] == [None] * len(rows[3])
    assert rows[3] == [
        "Code", "Niveau", "Indicateur", "Unité", "Référence", "Cible", "Échéance cible",
        "T1 2026", "T2 2026", "T3 2026", "Cumul", "Valeur actuelle", "% réalisé", "Statut",
        "Cellules sources",
    ]  # fmt: skip
    end = dt.datetime(2026, 12, 31)
    assert rows[4] == [
        "P1", "Produit", "Personnes formées", "nombre", 0, 200, end, 30, 30, None, 60, 60, 0.3,
        "En retard", "Mesures!D2:D4, D7",
    ]  # fmt: skip
    assert rows[5] == [
        "E1", "Effet", "=Satisfaction (%)", "%", 40, 80, end, 55, 61, None, 61, 61, 0.525,
        "Dans les temps", "Mesures!D5:D6, D8",
    ]  # fmt: skip
    assert rows[6] == [
        "P2", "Produit", "Ateliers réalisés", "nombre", 0, 4, end, None, None, None, None, 1, 0.25,
        "En retard", None,
    ]  # fmt: skip
    assert rows[7] == [None] * len(rows[3])
    assert rows[8][0].startswith("Valeur d'un trimestre")
    assert len(rows) == 9
    # What a funder opens: real percentages and dates, text never a formula, a usable layout.
    assert sheet["M5"].number_format == "0%"
    assert sheet["G5"].number_format == "DD/MM/YYYY"
    assert sheet["C6"].data_type == "s"
    assert sheet["A4"].font.bold and sheet["A4"].fill.fgColor.rgb.endswith("0B3A5E")
    assert sheet.freeze_panes == "D5"
    assert sheet.column_dimensions["C"].width == 48
    assert sheet.auto_filter.ref == "A4:O7"
    assert not sheet.sheet_view.rightToLeft
    english = rows_of(book["INSER"])
    assert english[3][7:9] == ["Q2 2026", "Q3 2026"]
    assert english[4][:9] == [
        "P1", "Produit", "Personnes formées", "nombre", 0, 200, end, 5, None,
    ]  # fmt: skip
    assert english[4][-1] == "Mesures!C2"


def test_arabic_sheet_reads_right_to_left(tmp_path: Path) -> None:
    path = write_iptt([project_of(SHEET, "AR", "ar")], tmp_path / "ar.xlsx", AS_OF)
    sheet = openpyxl.load_workbook(path)["AR"]
    assert sheet.sheet_view.rightToLeft
    assert sheet["H4"].value == "الربع 1 2026"


def test_a_project_without_measures_still_gets_its_sheet(tmp_path: Path) -> None:
    empty = {**SHEET, "Mesures": [["Code indicateur", "Date", "Valeur"]]}
    path = write_iptt([project_of(empty)], tmp_path / "empty.xlsx", AS_OF)
    rows = rows_of(openpyxl.load_workbook(path)["TPM"])
    assert rows[3][7] == "T3 2026"  # the quarter of as_of
    assert rows[4][7:12] == [None, None, None, None, "Pas de donnée"]  # P1: nothing measured


def test_value_column_is_found_or_unknown() -> None:
    assert value_column_letter(SHEET) == "D"
    assert value_column_letter({"Measurements": [["indicator", "date", "value"]]}) == "C"
    assert value_column_letter({"Activités": []}) is None


def run_cli(argv: Sequence[str]) -> int:
    """`suivi …` through suivi.cli.main once it knows the command, else through these handlers."""
    from suivi import cli

    if argv[0] in getattr(cli, "COMMANDS", {}):
        return cli.main(list(argv))
    parser = argparse.ArgumentParser(prog="suivi")
    commands = parser.add_subparsers(dest="command", required=True)
    add_report_commands(commands)
    add_import_commands(commands)
    args = parser.parse_args(list(argv))
    return {"report": command_report, "import": command_import}[args.command](args)


def test_report_iptt_command_on_the_demo(
    demo_config: Path, suivi_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = suivi_env / "funders" / "iptt.xlsx"
    code = run_cli(
        ["report", "iptt", "--config", str(demo_config), "--as-of", "2026-12-07", "--out", str(out)]
    )
    assert code == 0
    assert str(out) in capsys.readouterr().out
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["TPM", "TPM par période", "INSER"]
    by_period = rows_of(book["TPM par période"])
    assert by_period[3][6] == "Durée du programme" and by_period[3][12] == (
        "2026-S1 (1 janv. 2026 – 30 juin 2026)"
    )
    women = next(
        row for row in by_period if row[:3] == ["R1.2", "Élus et cadres communaux formés", "Femmes"]
    )
    # 2026: 18 + 15 of 60 → 55 %.
    assert women[6:12] == [60, 33, 0.55, 60, 33, 0.55]
    tpm = rows_of(book["TPM"])
    header = tpm[3]
    assert header[7] == "T3 2025" and header[-1] == "Cellules sources"
    first = dict(zip(header, tpm[4], strict=True))
    assert first["Code"] == "IO1" and first["Cumul"] == 15 and first["% réalisé"] == 0.375
    assert first["Cellules sources"] == "Mesures!C2:C4"


# fmt: off
TARGETS = [
    ["Code indicateur", "Période", "Désagrégation", "Cible"],
    ["P1", "2026", "", 200],
    ["P1", "2026-S1", "", 80],
    ["P1", "2026-S2", "", 120],
    ["P1", "2026", "Femmes", 50],
    ["E1", "2026-S1", "", 60],
    ["E1", "2026-S2", "", 80],
]
# fmt: on


def project_with_targets(language: str = "fr") -> IpttProject:
    """The SHEET project with periodic and disaggregated targets."""
    tabs = {**SHEET, "Cibles": TARGETS}
    project = project_of(tabs, language=language)
    tables = clean_project("TPM", tabs, rules=list(RULES))
    return IpttProject(**{**project.__dict__, "targets": tables.targets})


def test_period_table_per_indicator_and_breakdown_by_hand() -> None:
    table, periods = period_table(project_with_targets(), AS_OF)
    assert [period.label for period in periods] == ["2026", "2026-S1", "2026-S2"]
    rows = table.set_index(["code", "breakdown"])
    # P1 (somme): S1 = 10 + 12 + 8 + 30 = 60 of 80; S2 has nothing yet by 15 July; 2026 = 60.
    assert rows.loc[("P1", ""), "2026-S1|actual"] == 60
    assert rows.loc[("P1", ""), "2026-S1|met"] == pytest.approx(0.75)
    assert pd.isna(rows.loc[("P1", ""), "2026-S2|actual"])
    assert rows.loc[("P1", ""), "life|target"] == 200
    # Femmes: 10 of the 2026 target of 50; Hommes has no target: actual only.
    assert rows.loc[("P1", "Femmes"), "2026|met"] == pytest.approx(0.2)
    assert rows.loc[("P1", "Femmes"), "life|target"] == 50
    assert pd.isna(rows.loc[("P1", "Hommes"), "2026|target"])
    assert rows.loc[("P1", "Hommes"), "2026|actual"] == 12
    # E1 (dernière): the last measure of S1 is 61 of 60.
    assert rows.loc[("E1", ""), "2026-S1|actual"] == 61
    assert rows.loc[("E1", ""), "2026-S1|met"] == pytest.approx(61 / 60)
    assert list(table["code"]) == ["P1", "P1", "P1", "E1", "P2"]


def test_period_sheet_read_back_cell_by_cell(tmp_path: Path) -> None:
    path = write_iptt([project_with_targets("en")], tmp_path / "iptt.xlsx", AS_OF)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["TPM", "TPM by period"]
    sheet = book["TPM by period"]
    rows = rows_of(sheet)
    assert rows[0][0] == "Indicator Performance Tracking Table by period – Territorialisation (TPM)"
    assert rows[3] == [None] * 6 + [
        "Life of programme", None, None,
        "2026 (1 Jan 2026 – 31 Dec 2026)", None, None,
        "2026-S1 (1 Jan 2026 – 30 Jun 2026)", None, None,
        "2026-S2 (1 Jul 2026 – 31 Dec 2026)", None, None,
    ]  # fmt: skip
    assert rows[4] == ["Code", "Indicator", "Breakdown", "Level", "Unit", "Baseline"] + [
        "Target", "Actual", "% met",
    ] * 4  # fmt: skip
    assert rows[5] == [
        "P1", "Personnes formées", "All", "Produit", "nombre", 0,
        200, 60, 0.3, 200, 60, 0.3, 80, 60, 0.75, 120, None, None,
    ]  # fmt: skip
    assert rows[6] == [
        "P1", "Personnes formées", "Femmes", "Produit", "nombre", None,
        50, 10, 0.2, 50, 10, 0.2, None, 10, None, None, None, None,
    ]  # fmt: skip
    assert rows[7] == [
        "P1", "Personnes formées", "Hommes", "Produit", "nombre", None,
        None, 12, None, None, 12, None, None, 12, None, None, None, None,
    ]  # fmt: skip
    assert rows[8][:2] == ["E1", "=Satisfaction (%)"] and sheet["B9"].data_type == "s"
    assert rows[8][6:] == pytest.approx(
        [80, 61, 61 / 80, None, 61, None, 60, 61, 61 / 60, 80, None, None]
    )
    assert rows[9][:3] == ["P2", "Ateliers réalisés", "All"] and rows[9][7] == 1
    assert rows[11][0].startswith("Actual of a period")
    assert "G4:I4" in {str(merged) for merged in sheet.merged_cells.ranges}
    assert sheet["I6"].number_format == "0%"
    assert sheet.freeze_panes == "D6"
