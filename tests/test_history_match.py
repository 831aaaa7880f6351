"""Stored snapshots lend their pace only to the activity they were taken of."""

from __future__ import annotations

import pandas as pd
from test_flags import AS_OF, activities_of, history_of

from suivi.compute.flags import flag_activities


def finishes(activities: pd.DataFrame, history: pd.DataFrame | None) -> list[object]:
    """Projected finish of each activity, given the stored snapshots."""
    return list(flag_activities(activities, AS_OF, history=history)["projected_finish"])


def test_snapshots_of_activities_no_longer_listed_change_nothing() -> None:
    # A1 lost its ID in the sheet; the store still holds A9, which is gone: nobody is A9.
    activities = activities_of(
        {"progress": 0.5, "planned_end": "2026-12-31"},
        {"progress": 0.4, "planned_end": "2026-12-31"},
    )
    activities.loc[0, "id"] = None
    gone = history_of([(21, 0.1), (14, 0.3), (7, 0.49)], activity="A9")
    assert finishes(activities, gone) == finishes(activities, None)


def test_snapshots_match_on_project_and_id_together() -> None:
    activities = activities_of({"progress": 0.5, "planned_end": "2026-12-31"})
    other_project = history_of([(21, 0.1), (14, 0.3), (7, 0.49)]).assign(project="INSER")
    same = history_of([(21, 0.1), (14, 0.3), (7, 0.49)])
    assert finishes(activities, other_project) == finishes(activities, None)
    assert finishes(activities, same) != finishes(activities, None)


def test_the_last_snapshot_of_a_day_is_the_one_kept() -> None:
    activities = activities_of({"progress": 0.5, "planned_end": "2026-12-31"})
    steady = history_of([(21, 0.29), (14, 0.36), (7, 0.43)])
    # An earlier run the same day as the 14-day snapshot, stored first, is superseded.
    superseded = pd.concat([history_of([(14, 0.0)]), steady], ignore_index=True)
    assert finishes(activities, superseded) == finishes(activities, steady)
    # Stored last, it is what the team saw that day.
    kept = pd.concat([steady, history_of([(14, 0.0)])], ignore_index=True)
    assert finishes(activities, kept) != finishes(activities, steady)


def test_snapshots_without_a_date_lend_no_pace() -> None:
    activities = activities_of({"progress": 0.5, "planned_end": "2026-12-31"})
    undated = history_of([(21, 0.1), (14, 0.3), (7, 0.49)]).assign(as_of=pd.NaT)
    assert finishes(activities, undated) == finishes(activities, None)
    partly = pd.concat([undated, history_of([(21, 0.29), (14, 0.36), (7, 0.43)])])
    assert finishes(activities, partly) == finishes(
        activities, history_of([(21, 0.29), (14, 0.36), (7, 0.43)])
    )
    assert finishes(activities, partly) != finishes(activities, None)


def test_an_activity_listed_twice_gets_the_pace_of_its_snapshots() -> None:
    row = {"progress": 0.5, "planned_end": "2026-12-31"}
    history = history_of([(21, 0.29), (14, 0.36), (7, 0.43)])
    once = finishes(activities_of(row), history)
    assert once != finishes(activities_of(row), None)
    twice = activities_of(row, row).assign(id="A1")  # the sheet lists A1 twice
    assert finishes(twice, history) == once * 2


def test_runs_at_different_hours_of_one_day_are_one_snapshot() -> None:
    activities = activities_of({"progress": 0.5, "planned_end": "2026-12-31"})
    steady = history_of([(21, 0.29), (14, 0.36), (7, 0.43)])
    morning = history_of([(14, 0.0)])
    morning["as_of"] = morning["as_of"] + pd.Timedelta(hours=8)
    evening = steady.copy()
    evening["as_of"] = evening["as_of"] + pd.Timedelta(hours=18)
    assert finishes(activities, pd.concat([morning, evening])) == finishes(activities, steady)
