"""Recurring reporting obligations (`Engagements`): the dated deliverables of each contract."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from suivi.compute.calendar import calendar_for
from suivi.compute.flags import flag_deliverables
from suivi.compute.obligations import expand_commitments, next_obligations, with_obligations
from suivi.model import RawTabs
from suivi.sheet.clean import clean_project


def commitments_of(*rows: tuple[str, str, int, int, str, str]) -> pd.DataFrame:
    """A clean `Engagements` frame from (funder, deliverable, months, delay, start, end)."""
    return pd.DataFrame(
        {
            "project": "TPM",
            "funder": [row[0] for row in rows],
            "deliverable": [row[1] for row in rows],
            "periodicity": "",
            "delay_days": pd.Series([row[3] for row in rows], dtype="float64"),
            "start": pd.to_datetime([row[4] for row in rows]).astype("datetime64[ns]"),
            "end": pd.to_datetime([row[5] for row in rows]).astype("datetime64[ns]"),
            "owner": "Karim",
            "owner_email": "karim@example.org",
            "row": range(2, len(rows) + 2),
            "months": [row[2] for row in rows],
        }
    )


def dues(obligations: pd.DataFrame) -> list[str]:
    return obligations["due"].dt.strftime("%Y-%m-%d").tolist()


def deliverables_of(*rows: tuple[str, str, str, str | None]) -> pd.DataFrame:
    """A clean `Échéances` frame from (funder, deliverable, due, status)."""
    return pd.DataFrame(
        {
            "project": "TPM",
            "funder": [row[0] for row in rows],
            "deliverable": [row[1] for row in rows],
            "due": pd.to_datetime([row[2] for row in rows]).astype("datetime64[ns]"),
            "status": [row[3] for row in rows],
            "owner": "Salma",
            "owner_email": None,
            "submitted_on": pd.to_datetime(["2026-08-20"] * len(rows)).astype("datetime64[ns]"),
            "row": range(2, len(rows) + 2),
        }
    )


def test_a_semestrial_report_60_days_after_each_semester_of_three_years_is_six_deliverables() -> (
    None
):
    lines = commitments_of(("AFD", "Rapport narratif", 6, 60, "2026-01-01", "2028-12-31"))
    obligations = expand_commitments(lines)
    assert obligations["deliverable"].tolist() == [
        f"Rapport narratif {period}"
        for period in ("2026-S1", "2026-S2", "2027-S1", "2027-S2", "2028-S1", "2028-S2")
    ]
    # 30 June + 60 = 29 August; 31 December 2027 + 60 lands on 29 February 2028 (leap year).
    assert dues(obligations) == [
        "2026-08-29", "2027-03-01", "2027-08-29", "2028-02-29", "2028-08-29", "2029-03-01",
    ]  # fmt: skip
    assert set(obligations["owner"]) == {"Karim"}
    assert obligations["row"].isna().all()  # no sheet row of their own


def test_a_contract_ending_mid_period_closes_a_shorter_last_period_on_its_end() -> None:
    lines = commitments_of(("UE", "Rapport annuel", 12, 90, "2026-01-01", "2027-06-30"))
    obligations = expand_commitments(lines)
    assert obligations["period"].tolist() == ["2026", "2027-01-01/2027-06-30"]
    assert dues(obligations) == ["2027-03-31", "2027-09-28"]  # 30 June + 90 days


def test_periods_follow_a_contract_that_starts_mid_month() -> None:
    lines = commitments_of(("AFD", "Point", 3, 0, "2026-01-31", "2026-07-30"))
    obligations = expand_commitments(lines)
    # 31 January + 3 months is 30 April (no 31st): periods end the day before the next start.
    assert obligations["period_end"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-04-29", "2026-07-30",
    ]  # fmt: skip


def test_a_matching_echeances_row_is_the_same_deliverable_and_keeps_its_status() -> None:
    generated = expand_commitments(
        commitments_of(("AFD", "Rapport narratif", 6, 60, "2026-01-01", "2026-12-31"))
    )
    entered = deliverables_of(("afd ", "Rapport narratif", "2026-08-29", "submitted"))
    merged = with_obligations(entered, generated)
    assert merged["deliverable"].tolist() == ["Rapport narratif", "Rapport narratif 2026-S2"]
    tracking = flag_deliverables(merged, dt.date(2027, 3, 2))
    assert tracking["status"].tolist() == ["submitted", "todo"]
    assert tracking["en_retard"].tolist() == [False, True]
    assert tracking["days_late"].tolist() == [0, 1]


def test_a_due_date_on_a_weekend_stays_and_lateness_counts_working_days() -> None:
    # Q3 2028 ends on Saturday 30 September; with no delay, that is the contract's due date.
    generated = expand_commitments(
        commitments_of(("AFD", "Point trimestriel", 3, 0, "2028-07-01", "2028-12-31"))
    )
    assert dues(generated)[0] == "2028-09-30"
    working = calendar_for(True)

    def state_on(day: str, calendar=working) -> tuple[bool, bool, int]:  # type: ignore[no-untyped-def]
        row = flag_deliverables(generated, dt.date.fromisoformat(day), calendar=calendar).iloc[0]
        return bool(row["en_retard"]), bool(row["echeance_proche"]), int(row["days_late"])

    assert state_on("2028-09-29") == (False, True, 0)  # the Friday before: due soon
    assert state_on("2028-10-02") == (False, True, 0)  # Monday: no working day has passed
    assert state_on("2028-10-03") == (True, False, 1)  # Tuesday: one working day late
    assert state_on("2028-10-02", calendar_for(False)) == (True, False, 2)


def test_the_next_three_obligations_per_funder() -> None:
    generated = expand_commitments(
        commitments_of(
            ("AFD", "Rapport narratif", 6, 60, "2026-01-01", "2028-12-31"),
            ("UE", "Rapport annuel", 12, 90, "2026-01-01", "2028-12-31"),
        )
    )
    tracking = flag_deliverables(generated, dt.date(2026, 12, 7))
    upcoming = next_obligations(tracking, dt.date(2026, 12, 7))
    assert upcoming.groupby("funder")["id"].apply(list).to_dict() == {
        "AFD": ["Rapport narratif 2026-S1", "Rapport narratif 2026-S2", "Rapport narratif 2027-S1"],
        "UE": ["Rapport annuel 2026", "Rapport annuel 2027", "Rapport annuel 2028"],
    }


def test_unreadable_engagements_rows_are_problems_on_their_cells() -> None:
    tabs: RawTabs = {
        "Activités": [["ID", "Activité", "Responsable", "Début prévu", "Fin prévue", "Avancement", "Statut"]],
        "Indicateurs": [["Code", "Libellé", "Valeur de référence", "Cible"]],
        "Engagements": [
            ["Bailleur", "Livrable", "Périodicité", "Délai (jours)", "Début", "Fin"],
            ["AFD", "Rapport", "bimensuelle", 60, "01/01/2026", "31/12/2028"],
            ["AFD", "Rapport", "semestrielle", -3, "01/01/2026", "31/12/2028"],
            ["AFD", "Rapport", "semestrielle", 60, "31/12/2028", "01/01/2026"],
            ["UE", "Rapport annuel", "annuelle", 90, "01/01/2026", "31/12/2028"],
        ],
    }  # fmt: skip
    tables = clean_project("TPM", tabs)
    found = {(p.cell, p.column): p for p in tables.problems if p.tab == "Engagements"}
    assert set(found) == {("C2", "Périodicité"), ("D3", "Délai"), ("F4", "Fin")}
    assert all(problem.blocking and problem.row_id == "Rapport" for problem in found.values())
    assert tables.commitments["deliverable"].tolist() == ["Rapport annuel"]
    assert tables.commitments["months"].tolist() == [12]
