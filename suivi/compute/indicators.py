"""Indicators: measures and activities at a reference date → current value, achievement, status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from suivi.compute.targets import judge_periods, with_period_status
from suivi.schema import AGGREGATION_LABELS, DIRECTION_LABELS, STATUS_LABELS, normalise_label
from suivi.settings import IndicatorRule

# How far below the straight line an indicator may sit and still be on track (a fraction).
ON_TRACK_TOLERANCE = 0.05
# Methods meaning "values come from the Mesures tab" (after folding case and accents).
MEASURED_METHODS = frozenset({"", "saisie"})

ACHIEVED = "achieved"
ON_TRACK = "on_track"
BEHIND = "behind"
NO_DATA = "no_data"

INDICATOR_TABLE_COLUMNS: list[str] = [
    "project", "code", "level", "output", "name", "unit", "baseline", "target", "target_date",
    "direction", "method", "aggregation", "frequency", "owner", "current", "achievement", "expected", "status",
    "last_measure", "row",
]  # fmt: skip
HISTORY_COLUMNS: list[str] = ["project", "code", "date", "value"]

_INDICATOR_TEXT = ("project", "code", "level", "output", "name", "unit", "direction", "method",
                   "aggregation", "owner")  # fmt: skip
_INDICATOR_NUMBERS = ("baseline", "target", "frequency")


def compute_indicators(
    indicators: pd.DataFrame,
    measures: pd.DataFrame,
    activities: pd.DataFrame,
    *,
    as_of: dt.date,
    rules: Mapping[str, IndicatorRule],
    project_start: dt.date | None = None,
    targets: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The indicator table: current value at as_of, achievement, expected share and status.

    `targets` (the clean `Cibles` tab) judges an indicator against its current period instead.
    """
    indicators = _conform_indicators(indicators)
    today = pd.Timestamp(as_of).normalize()
    keys = ["project_key", "code"]
    measured = _is_measured(indicators["method"])

    per_date = _totals_per_date(measures, today)
    latest = per_date.groupby(keys, sort=False).agg(
        latest=("value", "last"), total=("value", "sum"), last_measure=("date", "max")
    )
    joined = indicators[keys].join(latest, on=keys) if not latest.empty else None
    from_measures = pd.Series(np.nan, index=indicators.index)
    last_measure = pd.Series(pd.NaT, index=indicators.index, dtype="datetime64[ns]")
    if joined is not None:
        summed = _canonical(indicators["aggregation"], AGGREGATION_LABELS).eq("sum")
        from_measures = joined["total"].where(summed, joined["latest"]).astype("float64")
        last_measure = joined["last_measure"].astype("datetime64[ns]")

    computed = _computed_values(indicators, activities, rules, measured)
    current = from_measures.where(measured, computed)
    # A computed value is as fresh as the activities it was computed from.
    last_measure = last_measure.where(measured, pd.Series(today, index=indicators.index))
    last_measure = last_measure.where(current.notna()).astype("datetime64[ns]")

    baseline, target = indicators["baseline"], indicators["target"]
    span = target - baseline
    achievement = ((current - baseline) / span.where(span != 0)).astype("float64")
    expected = _expected_share(indicators, activities, today, project_start)

    lower_is_better = _canonical(indicators["direction"], DIRECTION_LABELS).eq("down")
    # Target equal to baseline: no share to compute, but reaching the target still counts.
    target_met = (
        (span == 0)
        & current.notna()
        & ((lower_is_better & (current <= target)) | (~lower_is_better & (current >= target)))
    )
    # No straight line to compare with (no target date or start): judge against nothing expected.
    bar = expected.fillna(0.0) - ON_TRACK_TOLERANCE
    status = np.select(
        [
            (achievement >= 1).to_numpy(dtype=bool) | target_met.to_numpy(dtype=bool),
            # No value, or no baseline/target to measure it against.
            (current.isna() | (achievement.isna() & (span != 0))).to_numpy(dtype=bool),
            (achievement >= bar).to_numpy(dtype=bool),
        ],
        [ACHIEVED, NO_DATA, ON_TRACK],
        default=BEHIND,
    )
    table = indicators.assign(
        current=current,
        achievement=achievement,
        expected=expected,
        status=pd.Series(status, index=indicators.index, dtype="str"),
        last_measure=last_measure,
        row=pd.to_numeric(indicators["row"], errors="coerce").astype("Int64"),
    )
    table = table[INDICATOR_TABLE_COLUMNS].reset_index(drop=True)
    if targets is None or targets.empty:
        return table
    return with_period_status(table, judge_periods(targets, table, measures, as_of=as_of))


def indicator_history(indicators: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """Value of each measured indicator at each measure date (running total for `sum` ones)."""
    indicators = _conform_indicators(indicators)
    keys = ["project_key", "code"]
    per_date = _totals_per_date(measures, None)
    measured = indicators[_is_measured(indicators["method"])]
    named = measured.drop_duplicates(keys, keep="first")[[*keys, "project", "aggregation"]]
    history = per_date.merge(named, on=keys, how="inner")
    running = history.groupby(keys, sort=False)["value"].cumsum()
    summed = _canonical(history["aggregation"], AGGREGATION_LABELS).eq("sum")
    history = history.assign(value=running.where(summed, history["value"]))
    history = history.sort_values([*keys, "date"], kind="stable")
    return history[HISTORY_COLUMNS].reset_index(drop=True)


def _totals_per_date(measures: pd.DataFrame, today: pd.Timestamp | None) -> pd.DataFrame:
    """Measures added up per indicator and date (breakdowns summed), dated up to `today`."""
    columns = measures.columns
    indicator = (
        measures["indicator"] if "indicator" in columns else pd.Series(np.nan, measures.index)
    )
    dates = measures["date"] if "date" in columns else pd.Series(pd.NaT, index=measures.index)
    values = measures["value"] if "value" in columns else pd.Series(np.nan, index=measures.index)
    usable = pd.DataFrame(
        {
            "project_key": _project_key(measures),
            "code": indicator.astype("str").str.strip(),
            "date": pd.to_datetime(dates, errors="coerce").dt.normalize().astype("datetime64[ns]"),
            "value": pd.to_numeric(values, errors="coerce").astype("float64"),
        }
    )
    keep = usable["date"].notna() & usable["value"].notna() & indicator.notna()
    if today is not None:
        keep &= usable["date"] <= today
    totals = usable[keep].groupby(["project_key", "code", "date"], sort=True)["value"]
    return totals.sum().reset_index()


def _computed_values(
    indicators: pd.DataFrame,
    activities: pd.DataFrame,
    rules: Mapping[str, IndicatorRule],
    measured: pd.Series,
) -> pd.Series:
    """Values of indicators computed from activities by a named rule; NaN for an unknown rule."""
    values = pd.Series(np.nan, index=indicators.index)
    methods = indicators["method"].fillna("").str.strip()
    projects = indicators["project_key"]
    for name in methods[~measured].unique():
        rule = rules.get(name)
        if rule is None:
            continue  # unknown rule: no value, status no_data; the caller reports it
        per_project = _apply_rule(rule, activities, pd.Index(projects.unique()))
        if per_project is None:
            continue
        uses_rule = methods.eq(name) & ~measured
        values = values.where(~uses_rule, projects.map(per_project).astype("float64"))
    return values


def _apply_rule(
    rule: IndicatorRule, activities: pd.DataFrame, projects: pd.Index
) -> pd.Series | None:
    """Rule value per project (indexed by project code), or None when the rule cannot apply."""
    project = _project_key(activities)
    matching = pd.Series(True, index=activities.index)
    for column, wanted in rule.where.items():
        if column not in activities.columns:
            return None
        choices = list(wanted) if isinstance(wanted, list | tuple | set) else [wanted]
        if column == "status":
            # Accept the team's labels ("Terminée") as well as the canonical codes ("done").
            choices = [STATUS_LABELS.get(normalise_label(choice), choice) for choice in choices]
        matching &= activities[column].isin(choices)
    groups = project[matching]
    if rule.kind == "count":
        counts = groups.value_counts()
        return _with_all_projects(counts, projects, fill=0.0)
    if rule.kind == "sum":
        if rule.column is None or rule.column not in activities.columns:
            return None
        summed = _column_sum(activities, rule.column, matching, project)
        return _with_all_projects(summed, projects, fill=0.0)
    columns = (rule.numerator, rule.denominator)
    if any(column is None or column not in activities.columns for column in columns):
        return None
    numerator = _column_sum(activities, str(rule.numerator), matching, project)
    denominator = _column_sum(activities, str(rule.denominator), matching, project)
    ratio = numerator / denominator.where(denominator != 0)
    ratio = ratio * 100 if rule.percent else ratio
    return _with_all_projects(ratio, projects, fill=np.nan)


def _column_sum(
    activities: pd.DataFrame, column: str, matching: pd.Series, project: pd.Series
) -> pd.Series:
    """Sum of a numeric column over matching activities, per project."""
    numbers = pd.to_numeric(activities[column], errors="coerce").astype("float64")
    return numbers[matching].groupby(project[matching]).sum()


def _with_all_projects(values: pd.Series, projects: pd.Index, *, fill: float) -> pd.Series:
    """Per-project values including projects with no matching activity."""
    return values.astype("float64").reindex(values.index.union(projects), fill_value=fill)


def _expected_share(
    indicators: pd.DataFrame,
    activities: pd.DataFrame,
    today: pd.Timestamp,
    project_start: dt.date | None,
) -> pd.Series:
    """Share of the way from start to target date at `today`, on a straight line, in [0, 1]."""
    if project_start is not None:
        start = pd.Series(pd.Timestamp(project_start), index=indicators.index)
    elif "planned_start" in activities.columns and not activities.empty:
        planned = pd.to_datetime(activities["planned_start"], errors="coerce")
        earliest = planned.groupby(_project_key(activities)).min()
        start = indicators["project_key"].map(earliest)
    else:
        start = pd.Series(pd.NaT, index=indicators.index)
    start = pd.to_datetime(start, errors="coerce").astype("datetime64[ns]")
    target_date = indicators["target_date"]
    span_days = (target_date - start).dt.days.astype("float64")
    elapsed_days = (today - start).dt.days.astype("float64")
    share = (elapsed_days / span_days.where(span_days > 0)).clip(0.0, 1.0)
    # Target date on or before the start: nothing expected before it, everything after.
    instant = (target_date <= today).astype("float64").where(target_date.notna() & start.notna())
    return share.where(~(span_days <= 0), instant).astype("float64")


def _canonical(labels: pd.Series, codes: Mapping[str, str]) -> pd.Series:
    """Labels folded and mapped to their canonical code (already canonical codes map to themselves)."""
    texts = labels.fillna("").astype("str")
    # Fold each distinct label once: there are few of them, however many rows.
    folded = {label: normalise_label(label) for label in texts.unique()}
    return texts.map({label: codes.get(fold, fold) for label, fold in folded.items()})


def _is_measured(methods: pd.Series) -> pd.Series:
    """True where values come from measures (`saisie` or empty)."""
    return _canonical(methods, {}).isin(MEASURED_METHODS)


def _project_key(frame: pd.DataFrame) -> pd.Series:
    """The frame's project codes as join keys; a frame without them is one unnamed project."""
    if "project" not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    return frame["project"].astype("str").fillna("")


def _conform_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators with every column the computation reads, typed (no mutation)."""
    added: dict[str, pd.Series] = {}
    for column in _INDICATOR_TEXT:
        values = (
            indicators[column]
            if column in indicators.columns
            else pd.Series(np.nan, index=indicators.index)
        )
        added[column] = values.astype("str").str.strip() if column == "code" else values
    for column in _INDICATOR_NUMBERS:
        values = (
            indicators[column]
            if column in indicators.columns
            else pd.Series(np.nan, index=indicators.index)
        )
        added[column] = pd.to_numeric(values, errors="coerce").astype("float64")
    dates = (
        indicators["target_date"]
        if "target_date" in indicators.columns
        else pd.Series(pd.NaT, index=indicators.index)
    )
    added["target_date"] = pd.to_datetime(dates, errors="coerce").astype("datetime64[ns]")
    if "row" not in indicators.columns:
        added["row"] = pd.Series(pd.NA, index=indicators.index)
    added["project_key"] = _project_key(indicators)
    return indicators.assign(**added)
