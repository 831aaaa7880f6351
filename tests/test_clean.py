"""Cleaning: header detection, alias matching, typing, and the problem report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from suivi.model import RawTabs
from suivi.schema import Tab
from suivi.sheet.clean import clean_project, find_header, match_tabs

SHARED = Path(__file__).resolve().parent / "fixtures" / "real"

HEADER = ["ID", "Activité", "Responsable", "Début prévu", "Fin prévue", "Avancement", "Statut"]


def tabs_with(rows: list[list[object]], title: str = "Activités", above: int = 0) -> RawTabs:
    """A spreadsheet with one activities tab, `above` title lines over the header."""
    banner: list[list[object]] = [["Plan d'action"], []][:above] if above else []
    return {title: [*banner, HEADER, *rows]}


def test_header_found_below_a_title_and_a_blank_line() -> None:
    tables = clean_project(
        "P",
        tabs_with(
            [["A1", "Atelier", "Salma", "01/01/2026", "31/03/2026", "50 %", "En cours"]], above=2
        ),
    )
    assert tables.activities["id"].tolist() == ["A1"]
    assert tables.activities["row"].tolist() == [4]  # title, blank, header, then the row


def test_tab_and_columns_match_english_aliases_in_any_case_and_order() -> None:
    rows = [
        ["  PLANNED_END ", "id", "Owner", "ACTIVITY", "planned start", "Progress (%)", "status"],
        ["31/03/2026", "A1", "Salma", "Atelier", "01/01/2026", 0.5, "in progress"],
    ]
    tables = clean_project("P", {" activities ": rows})
    activity = tables.activities.iloc[0]
    assert activity["planned_end"] == pd.Timestamp("2026-03-31")
    assert activity["progress"] == 0.5 and activity["status"] == "in_progress"
    assert tables.tab_titles["activities"] == " activities "


def test_tab_titles_match_without_accents() -> None:
    assert match_tabs({"ECHEANCES": [], "Comites": [], "indicateurs": []}) == {
        Tab.DELIVERABLES: "ECHEANCES",
        Tab.COMMITTEES: "Comites",
        Tab.INDICATORS: "indicateurs",
    }


def test_a_bad_cell_is_reported_with_tab_a1_and_value_and_the_row_is_kept() -> None:
    tables = clean_project(
        "P",
        tabs_with(
            [["A1", "Atelier", "Salma", "fin mars", "31/03/2026", "45 %", "En cours"]], above=2
        ),
    )
    assert tables.activities["id"].tolist() == ["A1"]
    assert pd.isna(tables.activities["planned_start"].iloc[0])
    assert tables.activities["progress"].iloc[0] == pytest.approx(0.45)
    [problem] = [p for p in tables.problems if p.tab == "Activités"]
    assert (problem.tab, problem.cell, problem.value) == ("Activités", "D4", "fin mars")
    assert "date" in problem.message and not problem.blocking


def test_blank_rows_are_skipped_and_unknown_columns_ignored() -> None:
    rows = [
        [*HEADER, "Localisation"],
        ["A1", "Atelier", "Salma", "01/01/2026", "31/03/2026", 0, "Non démarrée", "Agadir"],
        [None] * 8,
        ["", " ", None, None, None, None, None, None],
        ["A2", "Forum", "Karim", "01/01/2026", "31/03/2026", 1, "Terminée", "Tiznit"],
    ]
    tables = clean_project("P", {"Activités": rows})
    assert tables.activities["id"].tolist() == ["A1", "A2"]
    assert tables.activities["row"].tolist() == [2, 5]
    assert "Localisation" not in tables.activities.columns


def test_unknown_status_is_a_problem_and_the_status_missing() -> None:
    tables = clean_project(
        "P", tabs_with([["A1", "Atelier", "Salma", "01/01/2026", "31/03/2026", 0, "En attente"]])
    )
    assert pd.isna(tables.activities["status"].iloc[0])
    assert any(p.cell == "G2" and p.value == "En attente" for p in tables.problems)


def test_missing_or_repeated_id_drops_the_row_and_blocks() -> None:
    rows = [
        ["A1", "Atelier", "Salma", "01/01/2026", "31/03/2026", 0, "En cours"],
        [None, "Sans ID", "Salma", "01/01/2026", "31/03/2026", 0, "En cours"],
        ["A1", "Doublon", "Karim", "01/01/2026", "31/03/2026", 0, "En cours"],
    ]
    tables = clean_project("P", tabs_with(rows))
    assert tables.activities["activity"].tolist() == ["Atelier"]
    blocking = sorted((p.cell, p.blocking) for p in tables.problems if p.blocking)
    assert blocking == [("A3", True), ("A4", True)]


def test_missing_required_column_is_reported_on_the_header_row() -> None:
    rows = [
        ["ID", "Activité", "Responsable", "Début prévu", "Fin prévue", "Statut"],
        ["A1", "Atelier", "Salma", "01/01/2026", "31/03/2026", "En cours"],
    ]
    tables = clean_project("P", {"Activités": rows})
    assert any(p.cell == "1:1" and "Avancement" in p.text("fr") for p in tables.problems)
    assert tables.activities["progress"].isna().all()


def test_missing_tabs_give_empty_typed_frames() -> None:
    tables = clean_project(
        "P", tabs_with([["A1", "Atelier", "Salma", "01/01/2026", "31/03/2026", 0, "En cours"]])
    )
    assert tables.measures.empty and list(tables.measures.columns)[:3] == [
        "project",
        "indicator",
        "date",
    ]
    assert tables.indicators["target"].dtype == "float64"
    assert {p.tab for p in tables.problems} >= {"Indicateurs", "Mesures", "Comités", "Échéances"}


def test_missing_activities_tab_blocks() -> None:
    tables = clean_project("P", {"Feuil1": [["rien"]]})
    assert any(p.tab == "Activités" and p.blocking for p in tables.problems)
    assert tables.activities.empty


def test_measures_of_unknown_indicators_are_dropped_and_reported() -> None:
    tabs = {
        "Indicateurs": [
            ["Code", "Libellé", "Valeur de référence", "Cible"],
            ["I1", "Formés", 0, 10],
        ],
        "Mesures": [
            ["Code indicateur", "Date", "Valeur"],
            ["I1", dt.datetime(2026, 3, 31), "4"],
            ["I9", dt.datetime(2026, 3, 31), 3],
        ],
    }
    tables = clean_project("P", tabs)
    assert tables.measures["indicator"].tolist() == ["I1"]
    assert any(p.tab == "Mesures" and p.cell == "A3" and p.value == "I9" for p in tables.problems)


def test_unknown_computation_rule_is_a_problem_on_its_cell() -> None:
    tabs = {
        "Indicateurs": [
            ["Code", "Libellé", "Valeur de référence", "Cible", "Calcul"],
            ["I1", "A", 0, 10, "saisie"],
            ["I2", "B", 0, 10, "regle_x"],
            ["I3", "C", 0, 10, "taux"],
        ]
    }
    tables = clean_project("P", tabs, rules=["taux"])
    assert tables.indicators["method"].tolist() == ["saisie", "regle_x", "taux"]
    assert [p.cell for p in tables.problems if p.tab == "Indicateurs"] == ["E3"]


def test_committee_participants_become_address_lists() -> None:
    tabs = {
        "Comités": [
            ["Date", "Instance", "Participants"],
            ["14/12/2026", "COPIL", "a@x.org; b@y.org"],
        ]
    }
    committees = clean_project("P", tabs).committees
    assert committees["participants"].iloc[0] == ["a@x.org", "b@y.org"]
    assert committees["date"].iloc[0] == pd.Timestamp("2026-12-14")


def test_indicator_enums_default_and_fold() -> None:
    tabs = {
        "Indicateurs": [
            ["Code", "Libellé", "Valeur de référence", "Cible", "Sens", "Agrégation", "Fréquence"],
            ["I1", "A", "30", "10", "Baisse", "SOMME", "trimestrielle"],
            ["I2", "B", 0, 10, None, None, None],
        ]
    }
    indicators = clean_project("P", tabs).indicators
    assert indicators["direction"].tolist() == ["down", "up"]
    assert indicators["aggregation"].tolist() == ["sum", "latest"]
    assert indicators["frequency"].iloc[0] == 92


def test_bundled_demo_reads_with_its_known_mess() -> None:
    from suivi.adapters.sheets import Workbook

    root = Path(__file__).resolve().parents[1]
    tables = clean_project(
        "TPM",
        Workbook(root / "config" / "demo" / "tpm.xlsx").read_tabs(),
        rules=["activites_r2_terminees", "execution_budgetaire"],
    )
    assert len(tables.activities) >= 30
    assert len(tables.indicators) >= 8
    cells = {(p.tab, p.cell) for p in tables.problems}
    assert ("Activités", "K17") in cells  # "En attente": unknown status
    assert ("Activités", "M24") in cells  # "fin novembre": unreadable date
    assert ("Activités", "E36") in cells  # "h.idrissi@": bad address


@pytest.mark.skipif(
    not (SHARED / "mercycorps_tola_BulkIndicatorImportTemplate.xlsx").exists(),
    reason="shared data folder absent",
)
def test_header_detected_under_instructions_in_a_real_ngo_logframe() -> None:
    book = openpyxl.load_workbook(
        SHARED / "mercycorps_tola_BulkIndicatorImportTemplate.xlsx", read_only=True, data_only=True
    )
    rows = [list(row) for row in book["Import indicators"].iter_rows(values_only=True)]
    header, mapping = find_header(rows, Tab.INDICATORS)
    assert (
        header == 5
    )  # below a title, a programme name, a blank line, instructions and a section line
    assert set(mapping.values()) >= {
        "level",
        "code",
        "name",
        "unit",
        "baseline",
        "direction",
        "frequency",
    }
