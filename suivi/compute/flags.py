"""Flags: activities and deliverables against their deadlines at a reference date → tracking."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, Unpack

import numpy as np
import pandas as pd

from suivi.compute.calendar import CALENDAR_DAYS, Calendar
from suivi.schema import FLAG_ORDER, DeliverableStatus, Flag, Status

# One boolean column per flag the tracking frame carries (missing measures concern indicators).
TRACKED_FLAGS: tuple[Flag, ...] = tuple(
    flag for flag in FLAG_ORDER if flag is not Flag.MISSING_MEASURE
)
FLAG_COLUMNS: list[str] = [flag.value for flag in TRACKED_FLAGS]

TRACKING_COLUMNS: list[str] = [
    "project", "kind", "id", "name", "owner", "owner_email", "output", "funder", "status",
    "progress", "planned_start", "deadline", "actual_end", "last_update", "days_late",
    "projected_finish", "state", "row", *FLAG_COLUMNS,
]  # fmt: skip

# A pace measured from history needs this many stored snapshots in the window, besides today's.
HISTORY_WINDOW_DAYS = 28
MIN_HISTORY_SNAPSHOTS = 2
# Beyond this many days a projection means "never": it would also overflow the date type.
MAX_PROJECTION_DAYS = 36_525
# Floating-point slack so that a pace landing exactly on a whole day does not round up a day.
ROUNDING_SLACK = 1e-9
# A measured pace at or below this (share of the work per day) is a stall.
STALLED_PACE = 1e-9

# The contract's default thresholds (settings' `thresholds` override them).
DUE_SOON_DAYS = 14
STALE_DAYS = 30

STATE_UNKNOWN = "unknown"
_TEXT_COLUMNS = ("project", "id", "activity", "owner", "owner_email", "output", "funder", "status")
_DATE_COLUMNS = (
    "planned_start",
    "planned_end",
    "contractual_deadline",
    "actual_end",
    "last_update",
)
_DELIVERABLE_TEXT = ("project", "deliverable", "owner", "owner_email", "funder", "status")
_DELIVERABLE_DATES = ("due", "submitted_on")


def flag_activities(
    activities: pd.DataFrame,
    as_of: dt.date,
    *,
    due_soon_days: int = DUE_SOON_DAYS,
    stale_days: int = STALE_DAYS,
    calendar: Calendar = CALENDAR_DAYS,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Tracking rows for activities: deadline, days late, projected finish, state and flags."""
    activities = _conform(activities, _TEXT_COLUMNS, _DATE_COLUMNS, ("progress",))
    today = _as_timestamp(as_of)
    status = activities["status"]
    progress = activities["progress"]
    done = status.isin([Status.DONE.value])
    paused = status.isin([Status.CANCELLED.value, Status.SUSPENDED.value])
    open_ = ~done & ~paused  # includes a missing status: its dates still count
    in_progress = status.isin([Status.IN_PROGRESS.value])
    deadline = activities["contractual_deadline"].fillna(activities["planned_end"])

    overdue = calendar.days_between(deadline, today)  # > 0: the deadline has passed
    late = open_ & (overdue >= 1).fillna(False)
    started_late = (calendar.days_between(activities["planned_start"], today) >= 1).fillna(False)
    late_start = status.isin([Status.NOT_STARTED.value]) & ~late & started_late
    due_soon = open_ & ~late & overdue.between(-due_soon_days, 0).fillna(False)
    silent = calendar.days_between(activities["last_update"], today) > stale_days
    stale = open_ & silent.fillna(False)
    finished_after = calendar.days_between(deadline, activities["actual_end"])
    done_late = done & (finished_after >= 1).fillna(False)

    projected, never_finishes = _project_finish(activities, today, calendar, history)
    finishes_after = (calendar.days_between(deadline, projected) >= 1).fillna(False)
    at_risk = in_progress & ~late & deadline.notna() & (finishes_after | never_finishes)

    days_late = (
        overdue.clip(lower=0)
        .where(open_, finished_after.clip(lower=0))
        .where(~paused, pd.NA)
        .astype("Int64")
    )
    projected_finish = projected.where(open_, activities["actual_end"].where(done))
    flags = {
        Flag.LATE: late,
        Flag.AT_RISK: at_risk,
        Flag.LATE_START: late_start,
        Flag.DUE_SOON: due_soon,
        Flag.STALE: stale,
        Flag.DONE_LATE: done_late,
    }
    return _tracking_frame(
        activities,
        kind="activity",
        ids=activities["id"],
        names=activities["activity"],
        status=status,
        progress=progress,
        planned_start=activities["planned_start"],
        deadline=deadline,
        actual_end=activities["actual_end"],
        last_update=activities["last_update"],
        days_late=days_late,
        projected_finish=projected_finish,
        flags=flags,
    )


def flag_deliverables(
    deliverables: pd.DataFrame,
    as_of: dt.date,
    *,
    due_soon_days: int = DUE_SOON_DAYS,
    calendar: Calendar = CALENDAR_DAYS,
) -> pd.DataFrame:
    """Tracking rows for deliverables: late when not submitted by the due date, due soon, done late."""
    deliverables = _conform(deliverables, _DELIVERABLE_TEXT, _DELIVERABLE_DATES, ())
    today = _as_timestamp(as_of)
    status = deliverables["status"].fillna(DeliverableStatus.TODO.value)
    submitted = status.isin([DeliverableStatus.SUBMITTED.value, DeliverableStatus.VALIDATED.value])
    due = deliverables["due"]
    submitted_on = deliverables["submitted_on"]

    overdue = calendar.days_between(due, today)
    late = ~submitted & (overdue >= 1).fillna(False)
    due_soon = ~submitted & ~late & overdue.between(-due_soon_days, 0).fillna(False)
    handed_in_after = calendar.days_between(due, submitted_on)
    done_late = submitted & (handed_in_after >= 1).fillna(False)
    days_late = (
        overdue.clip(lower=0).where(~submitted, handed_in_after.clip(lower=0)).astype("Int64")
    )
    # deliverables have no progress, start or update dates, and raise three flags of six
    return _tracking_frame(
        deliverables,
        kind="deliverable",
        ids=deliverables["deliverable"],
        status=status,
        deadline=due,
        actual_end=submitted_on.where(submitted),
        days_late=days_late,
        projected_finish=submitted_on.where(submitted),
        flags={Flag.LATE: late, Flag.DUE_SOON: due_soon, Flag.DONE_LATE: done_late},
    )


class FlagOptions(TypedDict, total=False):
    """The keyword options of `flag_activities`; deliverables use the first two."""

    due_soon_days: int
    calendar: Calendar
    stale_days: int
    history: pd.DataFrame | None


def track(
    activities: pd.DataFrame,
    deliverables: pd.DataFrame,
    as_of: dt.date,
    **options: Unpack[FlagOptions],
) -> pd.DataFrame:
    """The tracking frame: activities then deliverables, each in the order given (sheet order)."""
    activity_rows = flag_activities(activities, as_of, **options)
    deliverable_rows = flag_deliverables(
        deliverables,
        as_of,
        due_soon_days=options.get("due_soon_days", DUE_SOON_DAYS),
        calendar=options.get("calendar", CALENDAR_DAYS),
    )
    return pd.concat([activity_rows, deliverable_rows], ignore_index=True)


def flag_lists(tracking: pd.DataFrame) -> pd.Series:
    """Flag codes raised on each row, in FLAG_ORDER (lists shared between rows: read only)."""
    present = [flag for flag in TRACKED_FLAGS if flag.value in tracking.columns]
    # Each combination of flags is a bit pattern; at most 2**6 of them, each listed once.
    patterns = np.zeros(len(tracking), dtype="int64")
    for bit, flag in enumerate(present):
        raised = tracking[flag.value].fillna(False).to_numpy(dtype=bool)
        patterns |= raised.astype("int64") << bit
    combinations = np.empty(1 << len(present), dtype=object)
    for pattern in range(len(combinations)):
        combinations[pattern] = [f.value for bit, f in enumerate(present) if pattern >> bit & 1]
    return pd.Series(combinations[patterns], index=tracking.index, dtype=object)


def _project_finish(
    activities: pd.DataFrame,
    today: pd.Timestamp,
    calendar: Calendar,
    history: pd.DataFrame | None,
) -> tuple[pd.Series, pd.Series]:
    """Projected finish at the current pace, and whether that pace never gets there."""
    progress = activities["progress"].to_numpy(dtype="float64", na_value=np.nan)
    remaining = np.clip(1.0 - progress, 0.0, None)
    elapsed = calendar.days_between(activities["planned_start"], today)
    elapsed_days = elapsed.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # No progress yet, or no time elapsed: no pace, so no projection.
        simple_pace = np.where((progress > 0) & (elapsed_days > 0), progress / elapsed_days, np.nan)
    measured = _history_pace(activities, today, calendar, history)
    pace = np.where(np.isnan(measured), simple_pace, measured)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        days_needed = np.where(
            pace > STALLED_PACE, np.ceil(remaining / pace - ROUNDING_SLACK), np.inf
        )
    days_needed = np.where(remaining <= 0, 0.0, days_needed)
    stalled = (remaining > 0) & (measured <= STALLED_PACE)
    too_far = (remaining > 0) & (pace > STALLED_PACE) & (days_needed > MAX_PROJECTION_DAYS)
    never = stalled | too_far
    reachable = np.isfinite(days_needed) & ~never & ~np.isnan(pace) | (remaining <= 0)
    reachable &= ~np.isnan(progress)
    starts = pd.Series(today, index=activities.index, dtype="datetime64[ns]")
    steps = pd.Series(np.where(reachable, days_needed, np.nan), index=activities.index)
    projected = calendar.add_days(starts, steps)
    return projected, pd.Series(never, index=activities.index)


def _history_pace(
    activities: pd.DataFrame,
    today: pd.Timestamp,
    calendar: Calendar,
    history: pd.DataFrame | None,
) -> np.ndarray:
    """Recent pace (share per day) fitted on stored snapshots plus today; NaN where too few.

    Lean on memory: five weeks of 200 000 activities are a million stored rows, so each is
    reduced to an activity's row, a day's code and a progress (integer and float arrays);
    the few distinct days are converted and counted once, and the sums of the fit are
    `np.bincount`s (no frame of points, no group-by copies).
    """
    paces = np.full(len(activities), np.nan)
    if history is None or history.empty or not {"id", "as_of", "progress"} <= set(history.columns):
        return paces
    keys = ["project", "id"] if "project" in history.columns else ["id"]
    # A handful of distinct dates (one per run): convert and place those, not a million rows.
    day_of_row, stamps = pd.factorize(history["as_of"])
    days = pd.to_datetime(pd.Series(stamps, dtype=object), errors="coerce").dt.normalize()
    day_codes, distinct_days = pd.factorize(days)  # two runs on one day are one day
    window_start = today - pd.Timedelta(days=HISTORY_WINDOW_DAYS)
    # One more, False, for code -1 (no date): such rows are out of the window.
    in_window = np.append(days.between(window_start, today, inclusive="left").to_numpy(), False)
    progress_then = pd.to_numeric(history["progress"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    # Filter first: the store holds every run, the window a few weeks.
    recent = np.flatnonzero(in_window[day_of_row] & ~np.isnan(progress_then))
    day_of_row = day_codes[day_of_row[recent]]
    progress_then = progress_then[recent]
    stored = [history[key].iloc[recent].astype("str").to_numpy(dtype=object) for key in keys]
    now = [activities[key].astype("str").to_numpy(dtype=object) for key in keys]
    positions = _positions_of(now, stored)
    if positions is None:  # an activity listed twice: the general join
        positions, day_of_row, progress_then = _joined_points(
            now, stored, keys, day_of_row, progress_then
        )
    else:
        del stored, now
        # Each snapshot's activity found by integer codes: a join on the text keys costs triple.
        found = positions >= 0
        positions, day_of_row, progress_then = (
            positions[found],
            day_of_row[found],
            progress_then[found],
        )
        # Several runs on one day: the last one stored is what the team saw that day.
        point = positions * max(len(distinct_days), 1) + day_of_row
        last = ~pd.Series(point).duplicated(keep="last").to_numpy()
        positions, day_of_row, progress_then = (
            positions[last],
            day_of_row[last],
            progress_then[last],
        )
    size = len(activities)
    eligible = np.bincount(positions, minlength=size) >= MIN_HISTORY_SNAPSHOTS
    kept = eligible[positions]
    if not kept.any():
        return paces
    positions, day_of_row, progress_then = positions[kept], day_of_row[kept], progress_then[kept]
    # Days before today (negative), counted once per distinct day: each point's x.
    before_today = calendar.days_between(pd.Series(distinct_days), today)
    x = -before_today.to_numpy(dtype="float64", na_value=np.nan)[day_of_row]
    # Least-squares slope per activity from running sums: no loop over activities.
    n = np.bincount(positions, minlength=size).astype("float64")
    sum_x = np.bincount(positions, x, minlength=size)
    sum_y = np.bincount(positions, progress_then, minlength=size)
    sum_xx = np.bincount(positions, x * x, minlength=size)
    sum_xy = np.bincount(positions, x * progress_then, minlength=size)
    # Today's point, x = 0: it adds to the count and to the sum of progress only.
    progress = activities["progress"].to_numpy(dtype="float64", na_value=np.nan)
    today_point = eligible & ~np.isnan(progress)
    n += today_point
    sum_y += np.where(today_point, progress, 0.0)
    spread = n * sum_xx - sum_x**2
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (n * sum_xy - sum_x * sum_y) / np.where(spread > 0, spread, np.nan)
    paces[eligible] = slope[eligible]
    return paces


def _positions_of(now: list[np.ndarray], stored: list[np.ndarray]) -> np.ndarray | None:
    """Row of the activity (key columns `now`) each snapshot (`stored`) is of, -1 for none.

    None when an activity's keys appear twice among `now`.
    """
    codes_now = np.zeros(len(now[0]), dtype="int64")
    codes_stored = np.zeros(len(stored[0]), dtype="int64")
    for current, then in zip(now, stored, strict=True):
        codes, uniques = pd.factorize(
            current, use_na_sentinel=False
        )  # NaN matches NaN, as in a join
        found = _found_among(uniques, then)
        codes_now = codes_now * len(uniques) + codes
        # In place: a million stored rows make each temporary 8 MB.
        unknown = codes_stored < 0
        unknown |= found < 0
        codes_stored *= len(uniques)
        codes_stored += found
        codes_stored[unknown] = -1
        del found, unknown
    lookup = pd.Index(codes_now)
    if not lookup.is_unique:
        return None
    return np.asarray(lookup.get_indexer(codes_stored))


def _found_among(uniques: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value among `uniques`, -1 where absent (NaN finds NaN).

    One project's history has one distinct project code: a plain comparison of the million
    stored codes with it costs a tenth of hashing them.
    """
    if len(uniques) == 1 and isinstance(uniques[0], str):
        return np.where(values == uniques[0], 0, -1)
    return np.asarray(pd.Index(uniques, dtype=object).get_indexer(values))


def _joined_points(
    now: list[np.ndarray],
    stored: list[np.ndarray],
    keys: list[str],
    days: np.ndarray,
    progress: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Snapshot points (positions, day codes, progress) of activities whose keys may repeat."""
    snapshots = pd.DataFrame(
        dict(zip(keys, stored, strict=True)) | {"day": days, "progress": progress}
    )
    # Several runs on one day: the last one stored is what the team saw that day.
    snapshots = snapshots.drop_duplicates([*keys, "day"], keep="last")
    current = pd.DataFrame(dict(zip(keys, now, strict=True)) | {"position": np.arange(len(now[0]))})
    points = current.merge(snapshots, on=keys, how="inner")
    return (
        points["position"].to_numpy(dtype="int64"),
        points["day"].to_numpy(dtype="int64"),
        points["progress"].to_numpy(dtype="float64"),
    )


def _tracking_frame(
    source: pd.DataFrame,
    *,
    kind: str,
    ids: pd.Series,
    status: pd.Series,
    deadline: pd.Series,
    actual_end: pd.Series,
    days_late: pd.Series,
    projected_finish: pd.Series,
    flags: dict[Flag, pd.Series],
    names: pd.Series | None = None,
    progress: pd.Series | None = None,
    planned_start: pd.Series | None = None,
    last_update: pd.Series | None = None,
) -> pd.DataFrame:
    """Tracking rows in TRACKING_COLUMNS order; state is the first flag raised, else the status.

    Names default to the IDs, a flag not given is never raised, a column not given is empty.
    """
    no_flag = pd.Series(False, index=source.index)
    flags = {flag: flags.get(flag, no_flag) for flag in TRACKED_FLAGS}
    state = np.select(
        [flags[flag].to_numpy(dtype=bool) for flag in TRACKED_FLAGS],
        [flag.value for flag in TRACKED_FLAGS],
        default=status.fillna(STATE_UNKNOWN).to_numpy(dtype=object),
    )
    columns: dict[str, pd.Series | str] = {
        "project": source["project"],
        "kind": kind,
        "id": ids,
        "name": ids if names is None else names,
        "owner": source["owner"],
        "owner_email": source["owner_email"],
        "output": source["output"] if "output" in source else _missing_text(source),
        "funder": source["funder"],
        "status": status,
        "progress": np.nan if progress is None else progress.astype("float64"),
        "planned_start": pd.NaT if planned_start is None else planned_start,
        "deadline": deadline,
        "actual_end": actual_end,
        "last_update": pd.NaT if last_update is None else last_update,
        "days_late": days_late,
        "projected_finish": projected_finish,
        "state": pd.Series(state, index=source.index, dtype="str"),
        "row": source["row"] if "row" in source else pd.Series(pd.NA, index=source.index),
    }
    columns |= {flag.value: flags[flag].astype(bool) for flag in TRACKED_FLAGS}
    tracking = pd.DataFrame(columns, index=source.index)
    tracking["kind"] = tracking["kind"].astype("str")
    for column in ("planned_start", "deadline", "actual_end", "last_update", "projected_finish"):
        tracking[column] = tracking[column].astype("datetime64[ns]")
    tracking["row"] = pd.to_numeric(tracking["row"], errors="coerce").astype("Int64")
    return tracking.reset_index(drop=True)[TRACKING_COLUMNS]


def _conform(
    frame: pd.DataFrame,
    text: tuple[str, ...],
    dates: tuple[str, ...],
    numbers: tuple[str, ...],
) -> pd.DataFrame:
    """The frame with every column the rules read, typed; absent ones added empty (no mutation)."""
    added: dict[str, pd.Series] = {}
    for column in text:
        if column not in frame.columns:
            added[column] = _missing_text(frame)
    for column in dates:
        if column not in frame.columns:
            added[column] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        elif frame[column].dtype != "datetime64[ns]":
            added[column] = pd.to_datetime(frame[column], errors="coerce").astype("datetime64[ns]")
    for column in numbers:
        if column not in frame.columns:
            added[column] = pd.Series(np.nan, index=frame.index, dtype="float64")
        elif frame[column].dtype != "float64":
            added[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame.assign(**added) if added else frame


def _missing_text(frame: pd.DataFrame) -> pd.Series:
    """An all-missing text column shaped like the frame."""
    return pd.Series(np.nan, index=frame.index, dtype="str")


def _as_timestamp(day: dt.date) -> pd.Timestamp:
    """A reference date as a midnight timestamp."""
    return pd.Timestamp(day).normalize()
