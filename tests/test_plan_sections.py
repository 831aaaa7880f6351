"""The weekly summary's item sections: the first rows in reading order, as sorting everything would give."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from test_messages import config, late, tracking, view

from suivi.compute.calendar import calendar_for
from suivi.model import records
from suivi.notify.messages import MAX_ROWS, MessageKind, plan_weekly

AS_OF = dt.date(2026, 12, 7)


def many_rows(count: int) -> pd.DataFrame:
    """Late rows with tied, missing and unordered delays and deadlines, some also due soon."""
    generator = np.random.default_rng(7)
    rows = [
        late(
            id=f"A{number}",
            days_late=None if number % 11 == 0 else int(generator.integers(1, 6)),
            deadline=None if number % 13 == 0 else f"2026-11-{1 + number % 28:02d}",
            echeance_proche=number % 3 == 0,
        )
        for number in range(count)
    ]
    return tracking(*rows)


def expected_rows(rows: pd.DataFrame, by: list[str], ascending: list[bool]) -> list[str]:
    """IDs of the first MAX_ROWS rows once the whole frame is sorted (stable, missing last)."""
    ordered = rows.sort_values(by, ascending=ascending, na_position="last", kind="stable")
    return [row["id"] for row in records(ordered.head(MAX_ROWS))]


def test_sections_show_the_first_rows_of_the_whole_sorted_frame() -> None:
    rows = many_rows(3 * MAX_ROWS)
    messages = plan_weekly([view(rows)], config(), AS_OF, calendar_for(False))
    summary = next(m for m in messages if m.kind is MessageKind.WEEKLY_SUMMARY)
    late_section = summary.context["late"]
    due_soon = summary.context["due_soon"]
    assert [row["id"] for row in late_section["rows"]] == expected_rows(
        rows, ["days_late", "deadline"], [False, True]
    )
    assert late_section["total"] == 3 * MAX_ROWS
    assert late_section["more"] == 2 * MAX_ROWS
    soon = rows[rows["echeance_proche"].to_numpy()]
    assert [row["id"] for row in due_soon["rows"]] == expected_rows(soon, ["deadline"], [True])
    assert due_soon["total"] == len(soon)


def test_a_row_in_two_sections_is_the_same_record_in_each() -> None:
    rows = many_rows(30)
    messages = plan_weekly([view(rows)], config(), AS_OF, calendar_for(False))
    summary = next(m for m in messages if m.kind is MessageKind.WEEKLY_SUMMARY)
    in_late = {row["id"]: row for row in summary.context["late"]["rows"]}
    for row in summary.context["due_soon"]["rows"]:
        assert row == in_late[row["id"]]
        assert row is not in_late[row["id"]]  # each section its own dicts
        assert row["flags"] == ["en_retard", "echeance_proche"]
        assert row["tab"] == "Activités"
