"""Seeing ahead: indicator values projected to their target date, and the pace activities need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from suivi.compute.columns import dates as _dates
from suivi.compute.columns import numbers as _numbers
from suivi.compute.columns import texts as _texts
from suivi.compute.indicators import ACHIEVED, BEHIND, NO_DATA, ON_TRACK, indicator_history
from suivi.compute.targets import periodic_horizon
from suivi.schema import AGGREGATION_LABELS, DIRECTION_LABELS, Status, normalise_label

# An average month, for "per month" rates from day counts.
DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_WEEK = 7.0
# Methods meaning "values come from the Mesures tab" (after folding case and accents).
MEASURED_METHODS = frozenset({"", "saisie"})
# A projection this close to the target (as a share of baseline→target) counts as reaching it.
REACH_TOLERANCE = 1e-9

FORECAST_COLUMNS: list[str] = [
    "projected",
    "monthly_rate",
    "monthly_rate_needed",
    "forecast_status",
    "days_without_measure",
    "missing_measure",
]
OUTLOOK_COLUMNS: list[str] = [
    "project", "id", "name", "owner", "owner_email", "progress", "deadline", "projected_finish",
    "weeks_left", "points_per_week_needed", "points_per_week_now", "finishes_on_time",
]  # fmt: skip
_OPEN_EXCLUDED = frozenset({Status.DONE.value, Status.CANCELLED.value, Status.SUSPENDED.value})

ProjectStart = dt.date | Mapping[str, dt.date] | None


def forecast_indicators(
    indicators: pd.DataFrame,
    measures: pd.DataFrame,
    *,
    as_of: dt.date,
    definitions: pd.DataFrame | None = None,
    project_start: ProjectStart = None,
) -> pd.DataFrame:
    """The indicator table with its projection at the target date, the rate needed and missing measures.

    `indicators` is the table of `compute_indicators`; `definitions` (the clean `Indicateurs`
    frame) supplies each indicator's aggregation when the table has no `aggregation` column.
    `project_start` (one date, or project code → date) anchors a trend that has a single
    measure and tells when a never-measured indicator is overdue.
    """
    today = pd.Timestamp(as_of).normalize()
    aggregation = aggregation_codes(indicators, definitions)
    keys = _keys(indicators)
    starts = _project_starts(indicators, project_start)
    baseline = _numbers(indicators, "baseline")
    target = _numbers(indicators, "target")
    current = _numbers(indicators, "current")
    target_date = _dates(indicators, "target_date")
    # Periodic targets (`Cibles`): the current period's end and target are what to reach.
    target, target_date, current = periodic_horizon(indicators, target, target_date, current)

    slope = _trend_per_day(indicators.assign(aggregation=aggregation), measures, today, starts)
    days_to_target = (target_date - today).dt.days.astype("float64")
    passed = days_to_target <= 0
    # From where the indicator stands, at its measured pace; past its date, the value is known.
    projected = (current + slope * days_to_target).where(~passed, current)

    lower_is_better = _canonical(_texts(indicators, "direction"), DIRECTION_LABELS).eq("down")
    slack = REACH_TOLERANCE * (target - baseline).abs().fillna(0.0)
    reaches = (projected >= target - slack).where(~lower_is_better, projected <= target + slack)
    achieved = _texts(indicators, "status").eq(ACHIEVED)
    status = np.select(
        [
            achieved.to_numpy(dtype=bool),
            (passed & current.notna()).to_numpy(dtype=bool),  # too late to catch up
            projected.isna().to_numpy(dtype=bool),
            reaches.fillna(False).to_numpy(dtype=bool),
        ],
        [ACHIEVED, BEHIND, NO_DATA, ON_TRACK],
        default=BEHIND,
    )

    months_left = days_to_target / DAYS_PER_MONTH
    standing = current.fillna(baseline)  # nothing measured yet: the whole way from the baseline
    needed = ((target - standing) / months_left.where(months_left > 0)).where(~achieved, 0.0)

    last_measure = _last_measures(indicators, measures, keys, today)
    measured = _canonical(_texts(indicators, "method"), {}).isin(MEASURED_METHODS)
    silent_since = last_measure.fillna(starts)
    days_without = (today - silent_since).dt.days.astype("float64").where(measured)
    frequency = _numbers(indicators, "frequency")
    missing = measured & frequency.gt(0) & (days_without > frequency).fillna(False)

    return indicators.assign(
        status=one_status(_texts(indicators, "status"), status),
        projected=projected.astype("float64"),
        monthly_rate=(slope * DAYS_PER_MONTH).astype("float64"),
        monthly_rate_needed=needed.astype("float64"),
        forecast_status=pd.Series(status, index=indicators.index, dtype="str"),
        days_without_measure=days_without,
        missing_measure=missing.astype(bool),
    )


def one_status(status_now: pd.Series, projection: np.ndarray) -> pd.Series:
    """The indicator's one status: behind the straight line, or on it but projected to miss."""
    missing = (status_now == ON_TRACK).to_numpy(dtype=bool) & (projection == BEHIND)
    return status_now.where(~missing, BEHIND).astype("str")


def activity_outlook(tracking: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """Open activities with the points a week they need to finish on time, and their pace now."""
    activities = tracking[
        (tracking["kind"] == "activity") & ~tracking["status"].isin(list(_OPEN_EXCLUDED))
    ]
    today = pd.Timestamp(as_of).normalize()
    progress = pd.to_numeric(activities["progress"], errors="coerce").astype("float64")
    remaining_points = (1.0 - progress).clip(lower=0.0) * 100
    deadline = _dates(activities, "deadline")
    projected = _dates(activities, "projected_finish")
    weeks_left = (deadline - today).dt.days.astype("float64") / DAYS_PER_WEEK
    # Deadline passed: no weekly rate finishes on time any more (the row is late already).
    needed = remaining_points / weeks_left.where(weeks_left > 0)
    weeks_to_finish = (projected - today).dt.days.astype("float64") / DAYS_PER_WEEK
    now = remaining_points / weeks_to_finish.where(weeks_to_finish > 0)
    on_time = (projected <= deadline).astype("boolean").mask(projected.isna() | deadline.isna())
    outlook = pd.DataFrame(
        {
            "project": activities["project"],
            "id": activities["id"],
            "name": activities["name"],
            "owner": activities["owner"],
            "owner_email": activities["owner_email"],
            "progress": progress,
            "deadline": deadline,
            "projected_finish": projected,
            "weeks_left": weeks_left,
            "points_per_week_needed": needed.mask(remaining_points.eq(0), 0.0),
            "points_per_week_now": now,
            "finishes_on_time": on_time,
        },
        index=activities.index,
    )
    return outlook.reset_index(drop=True)[OUTLOOK_COLUMNS]


def aggregation_codes(
    indicators: pd.DataFrame, definitions: pd.DataFrame | None = None
) -> pd.Series:
    """Each indicator's aggregation (`latest` or `sum`): its own column, else the definitions'."""
    if "aggregation" in indicators.columns:
        labels = _texts(indicators, "aggregation")
    elif definitions is not None and "aggregation" in definitions.columns:
        known = pd.DataFrame(
            {
                "project": _texts(definitions, "project").to_numpy(),
                "code": _texts(definitions, "code").str.strip().to_numpy(),
                "aggregation": _texts(definitions, "aggregation").to_numpy(),
            }
        ).drop_duplicates(["project", "code"], keep="first")
        found = _keys(indicators).merge(known, on=["project", "code"], how="left")
        labels = pd.Series(found["aggregation"].fillna("").to_numpy(), index=indicators.index)
    else:
        labels = pd.Series("", index=indicators.index, dtype="str")
    codes = _canonical(labels, AGGREGATION_LABELS)
    return codes.where(codes.eq("sum"), "latest").astype("str")


def _trend_per_day(
    indicators: pd.DataFrame,
    measures: pd.DataFrame,
    today: pd.Timestamp,
    starts: pd.Series,
) -> pd.Series:
    """Least-squares slope (value per day) of each indicator's dated values up to today."""
    slope = pd.Series(np.nan, index=indicators.index, dtype="float64")
    if not _has_usable_measures(measures):
        return slope  # indicator_history cannot group an empty frame
    history = indicator_history(indicators, measures)
    history = history[history["date"] <= today]
    positions = _keys(indicators).assign(position=np.arange(len(indicators)))
    points = history.assign(project=history["project"].astype("str")).merge(
        positions, on=["project", "code"], how="inner"
    )[["position", "date", "value"]]
    if points.empty:
        return slope
    # One measure is no trend: the baseline at the project's start is the other end of it.
    counts = points.groupby("position")["date"].nunique()
    anchors = pd.DataFrame(
        {
            "position": np.arange(len(indicators)),
            "date": starts.to_numpy(),
            "value": _numbers(indicators, "baseline").to_numpy(),
        }
    )
    first_dates = points.groupby("position")["date"].min()
    anchors = anchors[
        anchors["position"].map(counts).eq(1).to_numpy()
        & (anchors["date"] < anchors["position"].map(first_dates)).to_numpy()
        & anchors["value"].notna().to_numpy()
    ]
    fitted = pd.concat([points, anchors], ignore_index=True)
    x = (fitted["date"] - today).dt.days.astype("float64")
    y = fitted["value"].astype("float64")
    fitted = pd.DataFrame(
        {"position": fitted["position"], "n": 1.0, "x": x, "y": y, "xx": x * x, "xy": x * y}
    )
    # Running sums per indicator give each slope without a loop over indicators.
    sums = fitted.groupby("position")[["n", "x", "y", "xx", "xy"]].sum()
    spread = sums["n"] * sums["xx"] - sums["x"] ** 2
    slopes = (sums["n"] * sums["xy"] - sums["x"] * sums["y"]) / spread.where(spread > 0)
    slope.iloc[slopes.index.to_numpy()] = slopes.to_numpy(dtype="float64", na_value=np.nan)
    return slope


def _has_usable_measures(measures: pd.DataFrame) -> bool:
    """True when some measure names an indicator and has a date and a value."""
    if not {"indicator", "date", "value"} <= set(measures.columns):
        return False
    usable = (
        measures["indicator"].notna()
        & pd.to_datetime(measures["date"], errors="coerce").notna()
        & pd.to_numeric(measures["value"], errors="coerce").notna()
    )
    return bool(usable.any())


def _last_measures(
    indicators: pd.DataFrame, measures: pd.DataFrame, keys: pd.DataFrame, today: pd.Timestamp
) -> pd.Series:
    """Date of each indicator's latest measure up to today (NaT when none)."""
    if "last_measure" in indicators.columns:
        return _dates(indicators, "last_measure").where(lambda dates: dates <= today)
    dates = _dates(measures, "date")
    usable = (
        dates.notna()
        & (dates <= today)
        & pd.to_numeric(
            measures["value"] if "value" in measures.columns else pd.Series(np.nan, measures.index),
            errors="coerce",
        ).notna()
    )
    latest = (
        pd.DataFrame(
            {
                "project": _texts(measures, "project").to_numpy(),
                "code": _texts(measures, "indicator").str.strip().to_numpy(),
                "date": dates.to_numpy(),
            }
        )[usable.to_numpy()]
        .groupby(["project", "code"], as_index=False)["date"]
        .max()
    )
    found = keys.merge(latest, on=["project", "code"], how="left")
    return pd.Series(found["date"].to_numpy(), index=indicators.index).astype("datetime64[ns]")


def _project_starts(indicators: pd.DataFrame, project_start: ProjectStart) -> pd.Series:
    """Each indicator's project start as a timestamp (NaT when unknown)."""
    if project_start is None:
        starts = pd.Series(pd.NaT, index=indicators.index)
    elif isinstance(project_start, Mapping):
        starts = _texts(indicators, "project").map(
            {code: pd.Timestamp(day) for code, day in project_start.items()}
        )
    else:
        starts = pd.Series(pd.Timestamp(project_start), index=indicators.index)
    return pd.to_datetime(starts, errors="coerce").astype("datetime64[ns]")


def _keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Project and code of each row as strings, positionally aligned."""
    return pd.DataFrame(
        {
            "project": _texts(frame, "project").to_numpy(),
            "code": _texts(frame, "code").str.strip().to_numpy(),
        }
    )


def _canonical(labels: pd.Series, codes: Mapping[str, str]) -> pd.Series:
    """Labels folded and mapped to their canonical code (codes map to themselves)."""
    folded = {label: normalise_label(label) for label in labels.unique()}
    return labels.map({label: codes.get(fold, fold) for label, fold in folded.items()})
