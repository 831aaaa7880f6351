"""What the weekly summary says for funders: periodic targets by breakdown, next obligations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from suivi.compute.obligations import next_obligations


def funders_context(
    tracking: pd.DataFrame, indicators: pd.DataFrame, as_of: dt.date
) -> dict[str, Any]:
    """`period_targets` (indicators judged on a period, with their breakdowns) and `obligations`."""
    return {
        "period_targets": period_targets(indicators),
        "obligations": obligations_by_funder(tracking, as_of),
    }


def period_targets(indicators: pd.DataFrame) -> list[dict[str, Any]]:
    """Indicators with a target for the current period or breakdowns judged on their own."""
    if "period" not in indicators.columns:
        return []
    judged = indicators["period"].notna() | indicators["breakdowns"].map(bool)
    rows = indicators[judged.to_numpy()]
    columns = ["code", "name", "period", "period_target", "period_actual", "period_achievement",
               "status", "breakdowns"]  # fmt: skip
    records = rows[columns].astype("object").where(rows[columns].notna(), None)
    return records.to_dict("records")


def obligations_by_funder(tracking: pd.DataFrame, as_of: dt.date) -> list[dict[str, Any]]:
    """Per funder, its next three unsubmitted deliverables (late ones first): [{funder, due}]."""
    upcoming = next_obligations(tracking, as_of)
    if upcoming.empty:
        return []
    upcoming = upcoming.assign(deadline=upcoming["deadline"].dt.date).astype("object")
    upcoming = upcoming.where(upcoming.notna(), None)
    return [
        {"funder": funder, "due": rows.drop(columns="funder").to_dict("records")}
        for funder, rows in upcoming.groupby("funder", sort=True)
    ]
