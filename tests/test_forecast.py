"""Forecasts: indicator trends to the target date, the rate still needed, missing measures, pace."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suivi.compute.flags import track
from suivi.compute.forecast import (
    DAYS_PER_MONTH,
    FORECAST_COLUMNS,
    OUTLOOK_COLUMNS,
    activity_outlook,
    aggregation_codes,
    forecast_indicators,
)
from suivi.compute.indicators import compute_indicators
from suivi.schema import Status

AS_OF = dt.date(2026, 7, 1)
START = dt.date(2025, 7, 1)


def day(offset: int) -> str:
    """ISO date `offset` days from AS_OF."""
    return (AS_OF + dt.timedelta(days=offset)).isoformat()


def indicators_of(*rows: dict[str, Any]) -> pd.DataFrame:
    """Clean indicators; each row overrides a measured, rising default due in 100 days."""
    base: dict[str, Any] = {
        "level": "Effet",
        "output": "R1",
        "name": "Personnes formées",
        "unit": "nombre",
        "baseline": 0.0,
        "target": 100.0,
        "target_date": day(100),
        "direction": "up",
        "method": "saisie",
        "aggregation": "latest",
        "frequency": 92.0,
        "owner": "Amina",
    }
    records = [
        {"project": "TPM", "row": index + 2, "code": f"I{index + 1}", **base, **row}
        for index, row in enumerate(rows)
    ]
    indicators = pd.DataFrame(records, columns=["project", "row", "code", *base])
    indicators["target_date"] = pd.to_datetime(indicators["target_date"]).astype("datetime64[ns]")
    for column in ("baseline", "target", "frequency"):
        indicators[column] = indicators[column].astype("float64")
    return indicators


def measures_of(*rows: tuple[str, int, float]) -> pd.DataFrame:
    """Clean measures from (indicator, days from AS_OF, value)."""
    return pd.DataFrame(
        {
            "project": "TPM",
            "row": range(2, len(rows) + 2),
            "indicator": [row[0] for row in rows],
            "date": pd.to_datetime([day(row[1]) for row in rows]).astype("datetime64[ns]"),
            "value": pd.Series([row[2] for row in rows], dtype="float64"),
            "breakdown": pd.Series([None] * len(rows), dtype="str"),
            "source": pd.Series([None] * len(rows), dtype="str"),
        }
    )


def forecast(
    indicators: pd.DataFrame,
    measures: pd.DataFrame,
    *,
    project_start: dt.date | None = START,
    as_of: dt.date = AS_OF,
) -> pd.DataFrame:
    """The indicator table of the real computation, forecast (aggregation from the definitions)."""
    table = compute_indicators(
        indicators, measures, pd.DataFrame(), as_of=as_of, rules={}, project_start=project_start
    )
    return forecast_indicators(
        table, measures, as_of=as_of, definitions=indicators, project_start=project_start
    )


# --- trends with known answers -------------------------------------------------------------


def test_steady_pace_landing_on_the_target_is_on_track() -> None:
    # 0.25 a day for 300 days: 75 today, 100 exactly at the target date 100 days ahead.
    measures = measures_of(
        ("I1", -300, 0.0), ("I1", -200, 25.0), ("I1", -100, 50.0), ("I1", 0, 75.0)
    )
    row = forecast(indicators_of({}), measures).iloc[0]
    assert row["projected"] == pytest.approx(100.0)
    assert row["monthly_rate"] == pytest.approx(0.25 * DAYS_PER_MONTH)
    assert row["monthly_rate_needed"] == pytest.approx(25.0 / (100 / DAYS_PER_MONTH))
    assert row["forecast_status"] == "on_track"


def test_stalled_indicator_is_behind_and_needs_the_whole_gap() -> None:
    measures = measures_of(("I1", -200, 50.0), ("I1", -100, 50.0), ("I1", 0, 50.0))
    row = forecast(indicators_of({}), measures).iloc[0]
    assert row["projected"] == pytest.approx(50.0)
    assert row["monthly_rate"] == pytest.approx(0.0)
    assert row["monthly_rate_needed"] == pytest.approx(50.0 / (100 / DAYS_PER_MONTH))
    assert row["forecast_status"] == "behind"


def test_accelerating_indicator_follows_the_least_squares_line() -> None:
    # 0, 5, 20, 45 at -300, -200, -100, 0 days: least-squares slope 7500 / 50000 = 0.15 a day.
    measures = measures_of(
        ("I1", -300, 0.0), ("I1", -200, 5.0), ("I1", -100, 20.0), ("I1", 0, 45.0)
    )
    row = forecast(indicators_of({}), measures).iloc[0]
    assert row["projected"] == pytest.approx(45.0 + 0.15 * 100)
    assert row["forecast_status"] == "behind"


def test_sum_indicator_trends_its_running_total() -> None:
    # 10 every 30 days: totals 10, 20, 30, 40; a third a day, 40 + 100/3 at the target date.
    measures = measures_of(("I1", -90, 10.0), ("I1", -60, 10.0), ("I1", -30, 10.0), ("I1", 0, 10.0))
    row = forecast(indicators_of({"aggregation": "somme", "target": 70.0}), measures).iloc[0]
    assert row["current"] == pytest.approx(40.0)
    assert row["projected"] == pytest.approx(40.0 + 100 / 3)
    assert row["forecast_status"] == "on_track"


def test_falling_indicator_reaching_a_lower_target_is_on_track() -> None:
    measures = measures_of(("I1", -100, 40.0), ("I1", 0, 30.0))
    indicators = indicators_of({"direction": "down", "baseline": 50.0, "target": 20.0})
    row = forecast(indicators, measures).iloc[0]
    assert row["projected"] == pytest.approx(20.0)
    assert row["monthly_rate_needed"] == pytest.approx(-10.0 / (100 / DAYS_PER_MONTH))
    assert row["forecast_status"] == "on_track"


def test_one_measure_trends_from_the_baseline_at_the_project_start() -> None:
    start = dt.date(2026, 3, 3)  # 120 days before AS_OF
    measures = measures_of(("I1", 0, 60.0))
    row = forecast(indicators_of({"baseline": 0.0}), measures, project_start=start).iloc[0]
    assert row["projected"] == pytest.approx(60.0 + 0.5 * 100)
    assert row["forecast_status"] == "on_track"
    no_start = forecast(indicators_of({}), measures, project_start=None).iloc[0]
    assert np.isnan(no_start["projected"])
    assert no_start["forecast_status"] == "no_data"


def test_achieved_target_passed_and_no_data() -> None:
    indicators = indicators_of(
        {},  # I1: achieved already
        {"target_date": day(-10)},  # I2: target date passed, short of it
        {},  # I3: never measured
    )
    measures = measures_of(
        ("I1", -100, 50.0), ("I1", 0, 120.0), ("I2", -100, 10.0), ("I2", -20, 60.0)
    )
    rows = forecast(indicators, measures).set_index("code")
    assert rows.loc["I1", "forecast_status"] == "achieved"
    assert rows.loc["I1", "monthly_rate_needed"] == 0.0
    assert rows.loc["I2", "forecast_status"] == "behind"
    assert rows.loc["I2", "projected"] == pytest.approx(60.0)  # known: no projection past the date
    assert np.isnan(rows.loc["I2", "monthly_rate_needed"])
    assert rows.loc["I3", "forecast_status"] == "no_data"
    assert rows.loc["I3", "monthly_rate_needed"] == pytest.approx(100.0 / (100 / DAYS_PER_MONTH))


def test_measures_after_as_of_do_not_bend_the_trend() -> None:
    measures = measures_of(("I1", -100, 50.0), ("I1", 0, 75.0), ("I1", 30, 0.0))
    row = forecast(indicators_of({}), measures).iloc[0]
    assert row["projected"] == pytest.approx(100.0)


def test_indicators_of_two_projects_do_not_mix() -> None:
    indicators = pd.concat(
        [indicators_of({}), indicators_of({}).assign(project="INSER")], ignore_index=True
    )
    measures = pd.concat(
        [
            measures_of(("I1", -100, 50.0), ("I1", 0, 75.0)),
            measures_of(("I1", -100, 10.0), ("I1", 0, 10.0)).assign(project="INSER"),
        ],
        ignore_index=True,
    )
    rows = forecast(indicators, measures)
    assert list(rows["forecast_status"]) == ["on_track", "behind"]


# --- missing measures ----------------------------------------------------------------------


def test_missing_measure_after_longer_than_the_frequency() -> None:
    indicators = indicators_of(
        {"frequency": 92.0},  # I1: last measure 93 days ago
        {"frequency": 92.0},  # I2: 92 days ago: not longer than the frequency
        {"frequency": 92.0},  # I3: never measured, project started 93 days ago
        {"frequency": 31.0, "method": "budget_rule"},  # I4: computed, never flagged
        {"frequency": np.nan},  # I5: no frequency, no flag
    )
    measures = measures_of(("I1", -93, 5.0), ("I2", -92, 5.0), ("I5", -400, 5.0))
    start = AS_OF - dt.timedelta(days=93)
    rows = forecast(indicators, measures, project_start=start).set_index("code")
    assert rows["missing_measure"].to_dict() == {
        "I1": True,
        "I2": False,
        "I3": True,
        "I4": False,
        "I5": False,
    }
    assert rows.loc["I1", "days_without_measure"] == 93
    assert rows.loc["I3", "days_without_measure"] == 93
    assert np.isnan(rows.loc["I4", "days_without_measure"])


def test_never_measured_without_a_known_start_is_not_flagged() -> None:
    rows = forecast(indicators_of({}), measures_of(), project_start=None)
    assert not rows.loc[0, "missing_measure"]


# --- shape ---------------------------------------------------------------------------------


def test_columns_are_added_and_inputs_untouched() -> None:
    indicators = indicators_of({}, {"aggregation": "sum"})
    measures = measures_of(("I1", -10, 1.0), ("I2", -5, 3.0))
    table = compute_indicators(indicators, measures, pd.DataFrame(), as_of=AS_OF, rules={})
    before = (table.copy(), measures.copy())
    result = forecast_indicators(table, measures, as_of=AS_OF, definitions=indicators)
    assert list(result.columns) == [*table.columns, *FORECAST_COLUMNS]
    pd.testing.assert_frame_equal(table, before[0])
    pd.testing.assert_frame_equal(measures, before[1])
    assert result["missing_measure"].dtype == bool
    assert result["forecast_status"].dtype == "str"


def test_empty_table_forecasts_to_an_empty_table() -> None:
    table = compute_indicators(
        indicators_of(), measures_of(), pd.DataFrame(), as_of=AS_OF, rules={}
    )
    result = forecast_indicators(table, measures_of(), as_of=AS_OF)
    assert result.empty
    assert list(result.columns)[-len(FORECAST_COLUMNS) :] == FORECAST_COLUMNS
    # Measures that name no known indicator, or hold no value, make no trend either.
    unusable = measures_of(("I9", -10, 1.0), ("I1", -5, np.nan))
    rows = forecast(indicators_of({}), unusable)
    assert rows.loc[0, "forecast_status"] == "no_data" and np.isnan(rows.loc[0, "projected"])


def test_aggregation_from_own_column_else_definitions_else_latest() -> None:
    indicators = indicators_of({"aggregation": "somme"}, {"aggregation": "dernière"})
    table = indicators.drop(columns="aggregation")
    assert list(aggregation_codes(indicators)) == ["sum", "latest"]
    assert list(aggregation_codes(table, indicators)) == ["sum", "latest"]
    assert list(aggregation_codes(table)) == ["latest", "latest"]


@settings(max_examples=20, deadline=None)
@given(
    slope=st.integers(min_value=1, max_value=50),
    start_value=st.integers(min_value=0, max_value=1000),
    spacing=st.integers(min_value=1, max_value=60),
    count=st.integers(min_value=2, max_value=8),
    days_left=st.integers(min_value=1, max_value=730),
    share=st.fractions(min_value=0, max_value=1).filter(lambda share: share > 0),
)
def test_a_steady_pace_that_reaches_the_target_on_time_is_on_track(
    slope: int, start_value: int, spacing: int, count: int, days_left: int, share: Any
) -> None:
    offsets = [-(count - 1 - step) * spacing for step in range(count)]
    values = [start_value + slope * (offset - offsets[0]) for offset in offsets]
    current = values[-1]
    # Any target between today's value and where the steady pace lands is reached in time.
    target = current + int(slope * days_left * share)
    indicators = indicators_of(
        {"baseline": float(start_value), "target": float(target), "target_date": day(days_left)}
    )
    measures = measures_of(
        *[("I1", offset, float(value)) for offset, value in zip(offsets, values, strict=True)]
    )
    row = forecast(indicators, measures).iloc[0]
    assert row["forecast_status"] in ("on_track", "achieved")


# --- activities: the pace they need --------------------------------------------------------


def tracking_of(*rows: dict[str, Any]) -> pd.DataFrame:
    """A tracking frame from the real flag engine; each row overrides an in-progress default."""
    base: dict[str, Any] = {
        "project": "TPM",
        "output": "R1",
        "activity": "Atelier",
        "owner": "Amina",
        "owner_email": "amina@example.org",
        "partner": None,
        "planned_start": day(-60),
        "planned_end": day(42),
        "contractual_deadline": None,
        "progress": 0.4,
        "status": Status.IN_PROGRESS.value,
        "actual_end": None,
        "last_update": day(0),
        "funder": "UE",
        "budget_planned": None,
        "budget_spent": None,
        "comment": None,
    }
    activities = pd.DataFrame(
        [{"row": index + 2, "id": f"A{index + 1}", **base, **row} for index, row in enumerate(rows)]
    )
    for column in (
        "planned_start",
        "planned_end",
        "contractual_deadline",
        "actual_end",
        "last_update",
    ):
        activities[column] = pd.to_datetime(activities[column]).astype("datetime64[ns]")
    activities["progress"] = activities["progress"].astype("float64")
    deliverables = pd.DataFrame(
        {
            "project": ["TPM"],
            "deliverable": ["Rapport"],
            "due": pd.to_datetime([day(10)]),
            "row": [2],
        }
    )
    return track(activities, deliverables, AS_OF)


def test_points_a_week_needed_and_pace_now() -> None:
    tracking = tracking_of(
        {},  # A1: 60 points left, 6 weeks to go: 10 a week; 40 points in 60 days now
        {"planned_end": day(-3)},  # A2: late: no weekly rate finishes on time
        {"status": Status.DONE.value, "progress": 1.0, "actual_end": day(-1)},  # A3: done
        {"progress": 0.0},  # A4: no pace yet
        {"progress": np.nan},  # A5: progress unknown
    )
    outlook = activity_outlook(tracking, as_of=AS_OF).set_index("id")
    assert list(outlook.index) == ["A1", "A2", "A4", "A5"]  # done ones and deliverables are out
    assert outlook.loc["A1", "points_per_week_needed"] == pytest.approx(10.0)
    # 40 % in 60 days: 60 points need 90 more days, so 60 points / (90 / 7) weeks.
    assert outlook.loc["A1", "points_per_week_now"] == pytest.approx(60 / (90 / 7))
    assert not outlook.loc["A1", "finishes_on_time"]
    assert np.isnan(outlook.loc["A2", "points_per_week_needed"])
    assert outlook.loc["A4", "points_per_week_needed"] == pytest.approx(100 / 6)
    assert np.isnan(outlook.loc["A4", "points_per_week_now"])
    assert pd.isna(outlook.loc["A4", "finishes_on_time"])
    assert np.isnan(outlook.loc["A5", "points_per_week_needed"])


def test_outlook_of_an_activity_on_time_and_of_nothing() -> None:
    tracking = tracking_of({"progress": 0.6, "planned_start": day(-60), "planned_end": day(40)})
    outlook = activity_outlook(tracking, as_of=AS_OF)
    assert bool(outlook.loc[0, "finishes_on_time"])
    assert outlook.loc[0, "points_per_week_needed"] == pytest.approx(40 / (40 / 7))
    empty = activity_outlook(tracking.iloc[0:0], as_of=AS_OF)
    assert empty.empty
    assert list(empty.columns) == OUTLOOK_COLUMNS
