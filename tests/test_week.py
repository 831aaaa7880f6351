"""week_ahead / week_lines: the weekly summary's "This week", five lines, counted apart."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from suivi.notify.week import week_ahead, week_lines

AS_OF = dt.date(2026, 12, 7)


def tracking() -> pd.DataFrame:
    """Two late activities, one at risk, a late deliverable and one due on Friday."""
    rows = [
        ("A1", "Atelier", "activity", "in_progress", "2026-11-30", True, False),
        ("A2", "Formation", "activity", "in_progress", "2026-11-20", True, False),
        ("A3", "Étude", "activity", "in_progress", "2027-01-31", False, True),
        ("A4", "Lancement", "activity", "done", "2026-10-01", False, False),
        ("Rapport annuel", "Rapport annuel", "deliverable", "todo", "2026-11-30", True, False),
        ("Note au bailleur", "Note au bailleur", "deliverable", "todo", "2026-12-11", False, False),
        ("Audit", "Audit", "deliverable", "todo", "2027-03-01", False, False),
    ]
    frame = pd.DataFrame(
        rows, columns=["id", "name", "kind", "status", "deadline", "en_retard", "a_risque"]
    )
    return frame.assign(deadline=pd.to_datetime(frame["deadline"]))


def test_the_week_counts_activities_and_deliverables_apart() -> None:
    rows = tracking()
    newly_late = rows[rows["id"] == "A1"]
    meetings = [
        {"body": "COPIL", "date": pd.Timestamp("2026-12-14")},
        {"body": "CA", "date": pd.Timestamp("2027-01-20")},
    ]
    week = week_ahead(rows, meetings, newly_late, AS_OF, first_run=False)

    assert [meeting["body"] for meeting in week["meetings"]] == [
        "COPIL"
    ]  # next Monday, not January
    assert week["deliverables_due"]["names"] == [("Note au bailleur", pd.Timestamp("2026-12-11"))]
    assert week["late_activities"]["count"] == 1 and week["late_deliverables"]["count"] == 0
    assert week["at_risk"]["names"][0][0] == "A3"
    assert week["overdue_deliverables"]["names"][0][0] == "Rapport annuel"  # its name, once
    assert (week["activities"], week["activities_late"]) == (4, 2)
    assert (week["deliverables_open"], week["deliverables_late"]) == (3, 1)
    assert rows.equals(tracking())  # inputs untouched


def test_five_lines_in_each_language() -> None:
    rows = tracking()
    week = week_ahead(rows, [], rows.iloc[0:0], AS_OF, first_run=False)
    for language in ("fr", "ar", "en"):
        lines = week_lines(week, language, str)
        assert len(lines) == 5 and all(lines)
    english = week_lines(week, "en", str)
    assert english[0] == "Meetings: none until 14 Dec 2026."
    assert english[2] == "Nothing became late."
    assert english[3] == (
        "To decide: 1 activity at risk (A3); 1 overdue deliverable (Rapport annuel)."
    )
    assert english[4] == "Counts: 4 activities, 2 late · 3 deliverables not submitted, 1 late."


def test_on_a_first_run_the_line_lists_what_is_late() -> None:
    rows = tracking()
    week = week_ahead(rows, [], rows.iloc[0:0], AS_OF, first_run=True)
    line = week_lines(week, "fr", str)[2]

    assert line == "En retard\u00a0: 2 activités (A1, A2); 1 livrable (Rapport annuel)."
