"""Flags on activities and deliverables: every rule on its edge days, pace, invariants."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suivi.compute.calendar import CALENDAR_DAYS, Calendar, calendar_for
from suivi.compute.flags import (
    FLAG_COLUMNS,
    TRACKING_COLUMNS,
    flag_activities,
    flag_deliverables,
    flag_lists,
    track,
)
from suivi.schema import FLAG_ORDER, Flag, Status

AS_OF = dt.date(2026, 3, 10)  # a Tuesday
ACTIVITY_DATES = (
    "planned_start",
    "planned_end",
    "contractual_deadline",
    "actual_end",
    "last_update",
)
WORKING = calendar_for(True)


def day(offset: int, base: dt.date = AS_OF) -> str:
    """ISO date `offset` days from `base`."""
    return (base + dt.timedelta(days=offset)).isoformat()


def activities_of(*rows: dict[str, Any]) -> pd.DataFrame:
    """A typed activities frame; each row overrides an in-progress, on-time default."""
    base: dict[str, Any] = {
        "output": "R1",
        "activity": "Atelier de formation",
        "owner": "Amina",
        "owner_email": "amina@example.org",
        "partner": None,
        "planned_start": "2026-01-01",
        "planned_end": "2026-12-31",
        "contractual_deadline": None,
        "progress": 0.3,
        "status": Status.IN_PROGRESS.value,
        "actual_end": None,
        "last_update": AS_OF.isoformat(),
        "funder": "UE",
        "budget_planned": 1000.0,
        "budget_spent": 100.0,
        "comment": None,
    }
    records = [
        {"project": "TPM", "row": index + 2, "id": f"A{index + 1}", **base, **row}
        for index, row in enumerate(rows)
    ]
    activities = pd.DataFrame(records)
    for column in ACTIVITY_DATES:
        activities[column] = pd.to_datetime(activities[column]).astype("datetime64[ns]")
    activities["progress"] = activities["progress"].astype("float64")
    activities["status"] = activities["status"].astype("str")
    return activities


def deliverables_of(*rows: dict[str, Any]) -> pd.DataFrame:
    """A typed deliverables frame; each row overrides a to-do default due in two months."""
    base: dict[str, Any] = {
        "funder": "UE",
        "deliverable": "Rapport",
        "due": day(60),
        "status": None,
        "owner": "Karim",
        "owner_email": "karim@example.org",
        "submitted_on": None,
    }
    records = [
        {"project": "TPM", "row": index + 2, **base, "deliverable": f"Rapport {index + 1}", **row}
        for index, row in enumerate(rows)
    ]
    deliverables = pd.DataFrame(records)
    for column in ("due", "submitted_on"):
        deliverables[column] = pd.to_datetime(deliverables[column]).astype("datetime64[ns]")
    deliverables["status"] = deliverables["status"].astype("str")
    return deliverables


def raised(tracking: pd.DataFrame) -> list[list[str]]:
    """Flags raised on each row."""
    return flag_lists(tracking).tolist()


def one(row: dict[str, Any], **options: Any) -> pd.Series:
    """The tracking row of a single activity."""
    return flag_activities(activities_of(row), AS_OF, **options).iloc[0]


# --- deadline edges --------------------------------------------------------------------------


def test_deadline_today_is_due_soon_not_late() -> None:
    row = one({"planned_end": day(0), "progress": 1.0})
    assert not row["en_retard"]
    assert row["echeance_proche"]
    assert row["days_late"] == 0
    assert row["state"] == "echeance_proche"


def test_deadline_yesterday_is_late_by_one_day() -> None:
    row = one({"planned_end": day(-1)})
    assert row["en_retard"]
    assert not row["echeance_proche"]
    assert row["days_late"] == 1
    assert row["state"] == "en_retard"


def test_deadline_tomorrow_is_due_soon() -> None:
    row = one({"planned_end": day(1), "progress": 1.0})
    assert (row["en_retard"], row["echeance_proche"], row["days_late"]) == (False, True, 0)


@pytest.mark.parametrize(("offset", "due_soon"), [(14, True), (15, False)])
def test_due_soon_horizon_edge(offset: int, due_soon: bool) -> None:
    assert one({"planned_end": day(offset), "progress": 0.9})["echeance_proche"] == due_soon


def test_due_soon_horizon_is_configurable() -> None:
    row = {"planned_end": day(20), "progress": 0.9}
    assert not one(row)["echeance_proche"]
    assert one(row, due_soon_days=30)["echeance_proche"]


def test_contractual_deadline_overrides_planned_end() -> None:
    row = one({"planned_end": day(-5), "contractual_deadline": day(40)})
    assert not row["en_retard"]
    assert row["deadline"] == pd.Timestamp(day(40))


def test_late_not_started_activity_is_late_not_late_start() -> None:
    row = one({"status": "not_started", "progress": 0.0, "planned_end": day(-3)})
    assert raised(pd.DataFrame([row]))[0] == ["en_retard"]
    assert row["days_late"] == 3


# --- late start ------------------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "late_start"), [(-1, True), (0, False), (1, False)])
def test_late_start_edges(offset: int, late_start: bool) -> None:
    row = one({"status": "not_started", "progress": 0.0, "planned_start": day(offset)})
    assert row["demarrage_tardif"] == late_start


def test_late_start_only_for_not_started() -> None:
    assert not one({"planned_start": day(-30)})["demarrage_tardif"]


# --- stale -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "stale"), [(-30, False), (-31, True)])
def test_stale_edge(offset: int, stale: bool) -> None:
    assert one({"last_update": day(offset)})["sans_mise_a_jour"] == stale


def test_stale_limit_is_configurable_and_done_is_never_stale() -> None:
    assert one({"last_update": day(-8)}, stale_days=7)["sans_mise_a_jour"]
    done = {"status": "done", "progress": 1.0, "actual_end": day(-60), "last_update": day(-60)}
    assert not one(done, stale_days=7)["sans_mise_a_jour"]


# --- done ------------------------------------------------------------------------------------


def test_done_late_is_reported_with_its_delay() -> None:
    row = one({"status": "done", "progress": 1.0, "planned_end": day(-10), "actual_end": day(-7)})
    assert raised(pd.DataFrame([row]))[0] == ["termine_en_retard"]
    assert row["days_late"] == 3
    assert row["projected_finish"] == pd.Timestamp(day(-7))
    assert row["state"] == "termine_en_retard"


def test_done_on_time_has_no_flag() -> None:
    row = one({"status": "done", "progress": 1.0, "planned_end": day(-10), "actual_end": day(-10)})
    assert raised(pd.DataFrame([row]))[0] == []
    assert row["days_late"] == 0
    assert row["state"] == "done"


def test_done_without_actual_end_is_not_done_late() -> None:
    row = one({"status": "done", "progress": 1.0, "planned_end": day(-10), "actual_end": None})
    assert raised(pd.DataFrame([row]))[0] == []
    assert pd.isna(row["days_late"])
    assert pd.isna(row["projected_finish"])


# --- paused ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["cancelled", "suspended"])
def test_cancelled_and_suspended_raise_no_flag(status: str) -> None:
    row = one(
        {
            "status": status,
            "progress": 0.1,
            "planned_start": day(-90),
            "planned_end": day(-20),
            "last_update": day(-200),
        }
    )
    assert raised(pd.DataFrame([row]))[0] == []
    assert row["state"] == status
    assert pd.isna(row["days_late"])
    assert pd.isna(row["projected_finish"])


# --- missing values --------------------------------------------------------------------------


def test_missing_dates_raise_no_flag_and_do_not_crash() -> None:
    empty_dates = {column: None for column in ACTIVITY_DATES}
    rows = [
        {**empty_dates, "status": status, "progress": progress}
        for status in ("not_started", "in_progress", "done", None)
        for progress in (0.0, 0.5, None)
    ]
    tracking = flag_activities(activities_of(*rows), AS_OF)
    assert not tracking[FLAG_COLUMNS].to_numpy().any()
    assert tracking["days_late"].isna().all()
    assert tracking["projected_finish"].isna().all()


def test_missing_status_is_unknown_but_still_late() -> None:
    tracking = flag_activities(
        activities_of({"status": None}, {"status": None, "planned_end": day(-2)}), AS_OF
    )
    assert tracking["state"].tolist() == ["unknown", "en_retard"]


def test_absent_optional_columns_are_tolerated() -> None:
    activities = activities_of({"planned_end": day(-1)}).drop(
        columns=["contractual_deadline", "last_update", "output", "funder", "owner_email"]
    )
    tracking = flag_activities(activities, AS_OF)
    assert tracking["en_retard"].tolist() == [True]
    assert tracking.columns.tolist() == TRACKING_COLUMNS


def test_input_frame_is_not_mutated() -> None:
    activities = activities_of({"planned_end": day(-1)}, {"status": "done"})
    before = activities.copy(deep=True)
    flag_activities(activities, AS_OF, calendar=WORKING)
    pd.testing.assert_frame_equal(activities, before)


# --- pace ------------------------------------------------------------------------------------


def test_simple_pace_projects_finish_and_flags_at_risk() -> None:
    # 68 days since 1 January; 20 % done: 272 more days, after the 30 June deadline.
    slow = one({"progress": 0.2, "planned_end": "2026-06-30"})
    assert slow["a_risque"]
    assert slow["projected_finish"] == pd.Timestamp(AS_OF) + pd.Timedelta(days=272)
    # 80 % done: 17 more days.
    fast = one({"progress": 0.8, "planned_end": "2026-06-30"})
    assert not fast["a_risque"]
    assert fast["projected_finish"] == pd.Timestamp("2026-03-27")


def test_no_progress_yet_means_no_projection_and_no_risk() -> None:
    row = one({"progress": 0.0, "planned_end": day(30)})
    assert pd.isna(row["projected_finish"])
    assert not row["a_risque"]


def test_late_activity_is_not_also_at_risk() -> None:
    row = one({"progress": 0.1, "planned_end": day(-1)})
    assert row["en_retard"]
    assert not row["a_risque"]


def test_at_risk_outranks_due_soon_in_state() -> None:
    row = one({"progress": 0.1, "planned_end": day(5)})
    assert row["a_risque"] and row["echeance_proche"]
    assert row["state"] == "a_risque"
    assert raised(pd.DataFrame([row]))[0] == ["a_risque", "echeance_proche"]


def history_of(points: list[tuple[int, float]], activity: str = "A1") -> pd.DataFrame:
    """Stored snapshots of one activity: (days before AS_OF, progress)."""
    return pd.DataFrame(
        {
            "project": "TPM",
            "id": activity,
            "as_of": pd.to_datetime([day(-days) for days, _ in points]),
            "progress": [progress for _, progress in points],
        }
    )


def test_history_pace_steady() -> None:
    # One point a day for three weeks: 50 more days, not the 68 the simple pace gives.
    history = history_of([(21, 0.29), (14, 0.36), (7, 0.43)])
    row = one({"progress": 0.5, "planned_end": "2026-06-30"}, history=history)
    assert row["projected_finish"] == pd.Timestamp(AS_OF) + pd.Timedelta(days=50)
    assert not row["a_risque"]
    no_history = one({"progress": 0.5, "planned_end": "2026-06-30"})
    assert no_history["projected_finish"] == pd.Timestamp(AS_OF) + pd.Timedelta(days=68)


def test_history_pace_stalled_is_at_risk() -> None:
    history = history_of([(21, 0.5), (14, 0.5), (7, 0.5)])
    row = one({"progress": 0.5, "planned_end": "2026-12-31"}, history=history)
    assert row["a_risque"]
    assert pd.isna(row["projected_finish"])
    # The simple pace alone would see no risk at all.
    assert not one({"progress": 0.5, "planned_end": "2026-12-31"})["a_risque"]


def test_history_pace_accelerating_clears_the_risk() -> None:
    activity = {"progress": 0.3, "planned_end": "2026-06-30"}
    assert one(activity)["a_risque"]  # 0.3 in 68 days: 159 more days
    history = history_of([(21, 0.09), (14, 0.16), (7, 0.23)])
    row = one(activity, history=history)
    assert not row["a_risque"]
    assert row["projected_finish"] == pd.Timestamp(AS_OF) + pd.Timedelta(days=70)


def test_history_needs_two_snapshots_in_the_last_28_days() -> None:
    activity = {"progress": 0.5, "planned_end": "2026-12-31"}
    simple = one(activity)["projected_finish"]
    too_few = history_of([(7, 0.5)])
    too_old = history_of([(40, 0.5), (29, 0.5), (7, 0.5)])
    same_day = history_of([(0, 0.5), (0, 0.5), (7, 0.5)])
    other_activity = history_of([(14, 0.5), (7, 0.5)], activity="A9")
    for history in (too_few, too_old, same_day, other_activity):
        assert one(activity, history=history)["projected_finish"] == simple


def test_history_repeated_runs_on_one_day_count_once() -> None:
    history = history_of([(14, 0.1), (14, 0.36), (7, 0.43)])
    row = one({"progress": 0.5, "planned_end": "2026-12-31"}, history=history)
    assert row["projected_finish"] == pd.Timestamp(AS_OF) + pd.Timedelta(days=50)


def test_history_of_another_project_is_not_used() -> None:
    history = history_of([(21, 0.5), (14, 0.5), (7, 0.5)]).assign(project="AUTRE")
    assert not one({"progress": 0.5, "planned_end": "2026-12-31"}, history=history)["a_risque"]


# --- working days ----------------------------------------------------------------------------


def test_working_days_deadline_on_a_holiday_rolls_to_the_next_working_day() -> None:
    friday = dt.date(2026, 7, 31)
    activities = activities_of({"planned_end": "2026-07-30", "progress": 0.99})  # Throne Day
    by_calendar = flag_activities(activities, friday).iloc[0]
    by_working_days = flag_activities(activities, friday, calendar=WORKING).iloc[0]
    assert by_calendar["en_retard"] and by_calendar["days_late"] == 1
    assert not by_working_days["en_retard"] and by_working_days["echeance_proche"]


def test_working_days_late_across_independence_day() -> None:
    thursday = dt.date(2026, 11, 19)
    activities = activities_of({"planned_end": "2026-11-17", "progress": 0.99})
    assert flag_activities(activities, thursday).iloc[0]["days_late"] == 2
    assert flag_activities(activities, thursday, calendar=WORKING).iloc[0]["days_late"] == 1


def test_working_days_deadline_before_the_green_march_weekend() -> None:
    activities = activities_of({"planned_end": "2026-11-06", "progress": 0.99})
    monday, tuesday = dt.date(2026, 11, 9), dt.date(2026, 11, 10)
    assert flag_activities(activities, monday).iloc[0]["days_late"] == 3
    assert not flag_activities(activities, monday, calendar=WORKING).iloc[0]["en_retard"]
    assert flag_activities(activities, tuesday, calendar=WORKING).iloc[0]["days_late"] == 1


def test_working_days_weekend_does_not_count() -> None:
    activities = activities_of({"planned_end": "2026-03-06", "progress": 0.99})  # a Friday
    monday = dt.date(2026, 3, 9)
    assert flag_activities(activities, monday).iloc[0]["days_late"] == 3
    assert flag_activities(activities, monday, calendar=WORKING).iloc[0]["days_late"] == 1


def test_working_days_projection_lands_on_a_working_day() -> None:
    # Started Monday 2 Nov; by Monday 9 Nov 4 working days (Green March off) did 4/11 of the
    # work: 7 more working days, with Independence Day off on the way.
    activities = activities_of(
        {"planned_start": "2026-11-02", "progress": 4 / 11, "planned_end": "2026-12-31"}
    )
    row = flag_activities(activities, dt.date(2026, 11, 9), calendar=WORKING).iloc[0]
    assert row["projected_finish"] == pd.Timestamp("2026-11-19")  # 18 Nov is off


# --- deliverables ----------------------------------------------------------------------------


def test_deliverable_rules() -> None:
    deliverables = deliverables_of(
        {"due": day(-1)},
        {"due": day(0)},
        {"due": day(15)},
        {"due": day(-10), "status": "submitted", "submitted_on": day(-4)},
        {"due": day(-10), "status": "validated", "submitted_on": day(-12)},
        {"due": None},
        {"due": day(-3), "status": "todo"},
    )
    tracking = flag_deliverables(deliverables, AS_OF)
    assert raised(tracking) == [
        ["en_retard"],
        ["echeance_proche"],
        [],
        ["termine_en_retard"],
        [],
        [],
        ["en_retard"],
    ]
    assert tracking["days_late"].tolist() == [1, 0, 0, 6, 0, pd.NA, 3]
    assert tracking["state"].tolist() == [
        "en_retard",
        "echeance_proche",
        "todo",
        "termine_en_retard",
        "validated",
        "todo",
        "en_retard",
    ]
    assert tracking["kind"].eq("deliverable").all()
    assert (
        tracking["id"].tolist() == tracking["name"].tolist() == deliverables["deliverable"].tolist()
    )
    assert tracking["progress"].isna().all()
    assert tracking["projected_finish"].iloc[3] == pd.Timestamp(day(-4))


def test_submitted_deliverable_is_never_due_soon_or_late() -> None:
    tracking = flag_deliverables(
        deliverables_of({"due": day(3), "status": "submitted", "submitted_on": day(-1)}), AS_OF
    )
    assert raised(tracking) == [[]]


# --- track and flag lists --------------------------------------------------------------------


def test_track_concatenates_activities_then_deliverables() -> None:
    tracking = track(
        activities_of({"planned_end": day(-1)}, {}),
        deliverables_of({"due": day(-2)}),
        AS_OF,
        due_soon_days=7,
        stale_days=10,
        calendar=CALENDAR_DAYS,
    )
    assert tracking.columns.tolist() == TRACKING_COLUMNS
    assert tracking["kind"].tolist() == ["activity", "activity", "deliverable"]
    assert tracking["id"].tolist() == ["A1", "A2", "Rapport 1"]
    assert tracking["row"].tolist() == [2, 3, 2]
    assert tracking["days_late"].tolist() == [1, 0, 2]
    assert tracking["days_late"].dtype == "Int64"
    for column in ("planned_start", "deadline", "actual_end", "last_update", "projected_finish"):
        assert tracking[column].dtype == "datetime64[ns]"
    for column in FLAG_COLUMNS:
        assert tracking[column].dtype == bool


def test_track_empty_frames_keeps_the_columns() -> None:
    activities = pd.DataFrame({"id": pd.Series(dtype="str"), "status": pd.Series(dtype="str")})
    deliverables = pd.DataFrame({"deliverable": pd.Series(dtype="str")})
    tracking = track(activities, deliverables, AS_OF)
    assert tracking.empty
    assert tracking.columns.tolist() == TRACKING_COLUMNS


def test_flag_lists_follow_flag_order() -> None:
    tracking = flag_activities(
        activities_of({"progress": 0.01, "planned_end": day(3), "last_update": day(-40)}), AS_OF
    )
    assert raised(tracking) == [["a_risque", "echeance_proche", "sans_mise_a_jour"]]
    order = [flag.value for flag in FLAG_ORDER]
    assert sorted(raised(tracking)[0], key=order.index) == raised(tracking)[0]


def test_flag_columns_are_the_flags_of_the_schema_except_missing_measure() -> None:
    assert set(FLAG_COLUMNS) == {flag.value for flag in Flag} - {"mesure_manquante"}


# --- properties ------------------------------------------------------------------------------

offsets = st.one_of(st.none(), st.integers(min_value=-120, max_value=120))
activity_rows = st.fixed_dictionaries(
    {
        "status": st.sampled_from([*(status.value for status in Status), None]),
        "progress": st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
        "planned_start": offsets,
        "planned_end": offsets,
        "contractual_deadline": offsets,
        "actual_end": offsets,
        "last_update": offsets,
    }
)
calendars = st.sampled_from([CALENDAR_DAYS, WORKING])
property_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def as_activity(draw: dict[str, Any]) -> dict[str, Any]:
    """A drawn row with day offsets turned into dates."""
    return {
        key: (day(value) if value is not None else None) if key in ACTIVITY_DATES else value
        for key, value in draw.items()
    }


@property_settings
@given(st.lists(activity_rows, min_size=1, max_size=12), st.randoms(), calendars)
def test_flags_do_not_depend_on_row_order(
    rows: list[dict[str, Any]], random: Any, calendar: Calendar
) -> None:
    activities = activities_of(*map(as_activity, rows))
    shuffled = activities.sample(frac=1, random_state=random.randint(0, 2**31))
    flags = flag_activities(activities, AS_OF, calendar=calendar).set_index("id")
    reshuffled = flag_activities(shuffled, AS_OF, calendar=calendar).set_index("id")
    columns = [*FLAG_COLUMNS, "days_late", "projected_finish", "state"]
    pd.testing.assert_frame_equal(reshuffled.loc[flags.index, columns], flags[columns])


@property_settings
@given(st.lists(activity_rows, min_size=1, max_size=12), calendars)
def test_never_both_late_and_at_risk(rows: list[dict[str, Any]], calendar: Calendar) -> None:
    tracking = flag_activities(activities_of(*map(as_activity, rows)), AS_OF, calendar=calendar)
    assert not (tracking["en_retard"] & tracking["a_risque"]).any()


@property_settings
@given(st.lists(activity_rows, min_size=1, max_size=12), calendars)
def test_cancelled_and_suspended_never_flag(rows: list[dict[str, Any]], calendar: Calendar) -> None:
    tracking = flag_activities(activities_of(*map(as_activity, rows)), AS_OF, calendar=calendar)
    paused = tracking["status"].isin(["cancelled", "suspended"])
    assert not tracking.loc[paused, FLAG_COLUMNS].to_numpy().any()


@property_settings
@given(
    elapsed=st.integers(min_value=1, max_value=400),
    ahead=st.integers(min_value=0, max_value=400),
    slack=st.integers(min_value=0, max_value=30),
    calendar=calendars,
    as_of=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2028, 12, 31)),
)
def test_steady_pace_on_time_is_never_at_risk(
    elapsed: int, ahead: int, slack: int, calendar: Calendar, as_of: dt.date
) -> None:
    start = pd.Series([pd.Timestamp(as_of) - pd.Timedelta(days=elapsed)], dtype="datetime64[ns]")
    end = start + pd.Timedelta(days=elapsed + ahead)
    done_days = calendar.days_between(start, as_of).iloc[0]
    total_days = calendar.days_between(start, end).iloc[0]
    if done_days <= 0 or total_days <= 0 or done_days > total_days:
        return  # a start on a long run of days off: no working time yet
    activities = activities_of(
        {
            "planned_start": start.iloc[0],
            "planned_end": end.iloc[0],
            "contractual_deadline": (end + pd.Timedelta(days=slack)).iloc[0],
            "progress": done_days / total_days,
            "last_update": as_of,
        }
    )
    row = flag_activities(activities, as_of, calendar=calendar).iloc[0]
    assert not row["a_risque"]


def test_property_helpers_build_typed_frames() -> None:
    activities = activities_of(as_activity({"status": None, "progress": None, "planned_end": 3}))
    assert activities["planned_end"].dtype == "datetime64[ns]"
    assert np.isnan(activities["progress"].iloc[0])
