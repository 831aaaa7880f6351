"""Periodic and disaggregated targets (`Cibles`): each indicator and breakdown against its current period.

The current period of an indicator (or of one of its breakdowns) is the shortest period with a
target that holds as_of: with a 2026 target and a 2026-S2 target, December is judged against
2026-S2. Inside it the target is pro rata:

- `somme` [sum] indicators add up what was measured in the period (from its first day to as_of);
  the line runs from 0 on the period's first day to the target on its last day;
- `dernière` [latest] indicators take the latest value measured in the period; the line runs
  from the previous period's target of the same length (else the baseline; 0 for a breakdown,
  which has no baseline of its own) to this period's target.

Achieved when the actual reaches the target, on track when it is no further than the tolerance
below the line (above it for `baisse` indicators), behind otherwise; without any measure in the
period the item is `no_data` with the flag `mesure_manquante`. The share shown is TolaData's
"% met": actual ÷ target.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from suivi.schema import AGGREGATION_LABELS, DIRECTION_LABELS, fold_labels, normalise_label

ACHIEVED = "achieved"
ON_TRACK = "on_track"
BEHIND = "behind"
NO_DATA = "no_data"
ON_TRACK_TOLERANCE = 0.05  # as indicators.py: a share of the way from the start level to the target

PERIOD_COLUMNS = [
    "project", "code", "breakdown", "period", "period_start", "period_end", "target", "actual",
    "achievement", "expected", "status", "missing_measure",
]  # fmt: skip

CURRENT_COLUMNS = [
    "project", "code", "breakdown", "period", "period_start", "period_end", "period_months",
    "target",
]  # fmt: skip


def judge_periods(
    targets: pd.DataFrame,
    indicators: pd.DataFrame,
    measures: pd.DataFrame,
    *,
    as_of: dt.date,
) -> pd.DataFrame:
    """One row per indicator and breakdown with a target for the period holding as_of ('' = total)."""
    today = pd.Timestamp(as_of).normalize()
    current = _current_targets(targets, today)
    if current.empty:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    definitions = _definitions(indicators)
    current = current.merge(definitions, on=["project", "code"], how="inner")
    if current.empty:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    summed = current["aggregation"].eq("sum")
    actual, measured = _actuals(current, measures, today, summed)
    start_level = _start_levels(current, targets).where(~summed, 0.0)
    length = (current["period_end"] - current["period_start"]).dt.days + 1
    elapsed = (today - current["period_start"]).dt.days + 1
    share = (elapsed / length).clip(0.0, 1.0)
    target = current["target"]
    line = start_level + share * (target - start_level)
    slack = ON_TRACK_TOLERANCE * (target - start_level).abs()
    lower_is_better = current["direction"].eq("down")
    reached = (actual <= target).where(lower_is_better, actual >= target)
    near_line = (actual <= line + slack).where(lower_is_better, actual >= line - slack)
    status = np.select(
        [~measured.to_numpy(), reached.to_numpy(dtype=bool), near_line.to_numpy(dtype=bool)],
        [NO_DATA, ACHIEVED, ON_TRACK],
        default=BEHIND,
    )
    judged = current.assign(
        actual=actual.where(measured),
        achievement=(actual / target.where(target != 0)).where(measured),
        expected=line,
        status=status,
        missing_measure=~measured,
    )
    return judged[PERIOD_COLUMNS].reset_index(drop=True)


def with_period_status(table: pd.DataFrame, judged: pd.DataFrame) -> pd.DataFrame:
    """The indicator table where an indicator's total has a period target: status from the period.

    Adds `period`, `period_target`, `period_actual` and `period_achievement` (empty elsewhere);
    indicators without rows in `Cibles` keep every value they had.
    """
    totals = judged[judged["breakdown"].eq("")].set_index(["project", "code"])
    keys = pd.MultiIndex.from_arrays([table["project"].astype("str"), table["code"].astype("str")])
    found = totals.reindex(keys)
    has_period = found["status"].notna().to_numpy()
    added = {
        "period": found["period"].to_numpy(dtype=object),
        "period_target": found["target"].to_numpy(dtype="float64"),
        "period_actual": found["actual"].to_numpy(dtype="float64"),
        "period_achievement": found["achievement"].to_numpy(dtype="float64"),
        "period_end": found["period_end"].to_numpy(dtype="datetime64[ns]"),
        "breakdowns": _breakdown_lists(judged, keys),
    }
    status = np.where(has_period, found["status"].to_numpy(dtype=object), table["status"])
    return table.assign(**added, status=pd.Series(status, index=table.index, dtype="str"))


def periodic_horizon(
    indicators: pd.DataFrame, target: pd.Series, target_date: pd.Series, current: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Target, target date and value to project: the current period's where `Cibles` set one."""
    if "period_target" not in indicators.columns:
        return target, target_date, current
    periodic = indicators["period_target"].notna()
    period_end = pd.to_datetime(indicators["period_end"], errors="coerce").astype("datetime64[ns]")
    return (
        target.where(~periodic, indicators["period_target"]),
        target_date.where(~periodic, period_end),
        current.where(~periodic, indicators["period_actual"]),
    )


def _breakdown_lists(judged: pd.DataFrame, keys: pd.MultiIndex) -> np.ndarray:
    """Per indicator, its breakdowns judged on their own (a list of plain dicts, maybe empty)."""
    lists = np.empty(len(keys), dtype=object)
    lists[:] = [[] for _ in range(len(keys))]
    parts = judged[judged["breakdown"].ne("")]
    if parts.empty:
        return lists
    fields = ["breakdown", "period", "target", "actual", "achievement", "status", "missing_measure"]
    position = {key: index for index, key in enumerate(keys)}
    for key, rows in parts.groupby(["project", "code"], sort=False):
        if key in position:
            lists[position[key]] = rows[fields].to_dict("records")
    return lists


def _current_targets(targets: pd.DataFrame, today: pd.Timestamp) -> pd.DataFrame:
    """Per project, indicator and breakdown, the shortest target period that holds today."""
    if targets.empty:
        return pd.DataFrame(columns=CURRENT_COLUMNS)
    holding = targets[(targets["period_start"] <= today) & (targets["period_end"] >= today)]
    holding = holding.sort_values("period_months", kind="stable")
    first = holding.drop_duplicates(["project", "indicator", "breakdown"], keep="first")
    return first.rename(columns={"indicator": "code"})[CURRENT_COLUMNS].reset_index(drop=True)


def _definitions(indicators: pd.DataFrame) -> pd.DataFrame:
    """Project, code, canonical aggregation and direction, and baseline of each indicator."""
    return pd.DataFrame(
        {
            "project": indicators["project"].astype("str"),
            "code": indicators["code"].astype("str").str.strip(),
            "aggregation": _canonical(indicators["aggregation"], AGGREGATION_LABELS),
            "direction": _canonical(indicators["direction"], DIRECTION_LABELS),
            "baseline": pd.to_numeric(indicators["baseline"], errors="coerce").astype("float64"),
        }
    ).drop_duplicates(["project", "code"])


def _actuals(
    current: pd.DataFrame, measures: pd.DataFrame, today: pd.Timestamp, summed: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Actual value in the period up to today, and whether anything was measured in it."""
    # Only measures of judged indicators, dated in a judged period: few of a large tab.
    dates = pd.to_datetime(measures["date"], errors="coerce").dt.normalize()
    wanted = (
        measures["indicator"].isin(current["code"])
        & dates.between(current["period_start"].min(), today)
    ).to_numpy()
    measures, dates = measures[wanted], dates[wanted]
    breakdowns = (
        measures["breakdown"]
        if "breakdown" in measures.columns
        else pd.Series("", index=measures.index, dtype="object")
    )
    usable = pd.DataFrame(
        {
            "project": measures["project"].astype("str"),
            "code": measures["indicator"].astype("str").str.strip(),
            "date": dates,
            "value": pd.to_numeric(measures["value"], errors="coerce").astype("float64"),
            "measured_part": fold_labels(breakdowns.fillna("").astype("str")),
        }
    ).dropna(subset=["date", "value"])
    slots = current[["project", "code", "period_start"]].assign(
        slot=np.arange(len(current)), part=fold_labels(current["breakdown"])
    )
    paired = slots.merge(usable, on=["project", "code"], how="inner")
    in_period = paired["date"] >= paired["period_start"]
    own = paired["part"].eq("") | paired["measured_part"].eq(paired["part"])
    kept = paired[(in_period & own).to_numpy()]
    # Values of one date across breakdowns add up (the total); then sum or latest per slot.
    per_date = kept.groupby(["slot", "date"], sort=True)["value"].sum().reset_index()
    by_slot = per_date.groupby("slot")["value"].agg(total="sum", latest="last")
    index = pd.RangeIndex(len(current))
    total = by_slot["total"].reindex(index)
    latest = by_slot["latest"].reindex(index)
    actual = total.where(summed.to_numpy(), latest).set_axis(current.index)
    return actual, actual.notna()


def _start_levels(current: pd.DataFrame, targets: pd.DataFrame) -> pd.Series:
    """Where a `dernière` line starts: the previous period's target of the same length, else baseline."""
    earlier = (
        current[["project", "code", "breakdown", "period_start", "period_months"]]
        .assign(slot=np.arange(len(current)))
        .merge(
            targets.rename(columns={"indicator": "code", "period_start": "other_start"})[
                ["project", "code", "breakdown", "period_months", "other_start", "target"]
            ],
            on=["project", "code", "breakdown", "period_months"],
            how="inner",
        )
    )
    earlier = earlier[earlier["other_start"] < earlier["period_start"]]
    previous = earlier.sort_values("other_start").groupby("slot")["target"].last()
    own_baseline = current["baseline"].where(current["breakdown"].eq(""), 0.0).fillna(0.0)
    levels = previous.reindex(pd.RangeIndex(len(current))).set_axis(current.index)
    return levels.fillna(own_baseline).astype("float64")


def _canonical(labels: pd.Series, codes: dict[str, str]) -> pd.Series:
    """Labels folded and mapped to their canonical code (canonical codes map to themselves)."""
    texts = labels.fillna("").astype("str")
    folded = {label: normalise_label(label) for label in texts.unique()}
    return texts.map({label: codes.get(fold, fold) for label, fold in folded.items()})
