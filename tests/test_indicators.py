"""Indicator table: aggregation of measures, computed rules, achievement, expected share, status."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from suivi.compute.indicators import (
    INDICATOR_TABLE_COLUMNS,
    ON_TRACK_TOLERANCE,
    compute_indicators,
    indicator_history,
)
from suivi.settings import IndicatorRule

AS_OF = dt.date(2026, 7, 1)
START = dt.date(2026, 1, 1)


def indicators_of(*rows: dict[str, Any]) -> pd.DataFrame:
    """A typed indicators frame; each row overrides a measured, rising default."""
    base: dict[str, Any] = {
        "level": "Effet",
        "output": "R1",
        "name": "Personnes formées",
        "unit": "nombre",
        "baseline": 0.0,
        "target": 100.0,
        "target_date": "2027-01-01",
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


def measures_of(*rows: tuple[str, str, float] | tuple[str, str, float, str]) -> pd.DataFrame:
    """A typed measures frame from (indicator, date, value[, breakdown])."""
    measures = pd.DataFrame(
        {
            "project": "TPM",
            "row": range(2, len(rows) + 2),
            "indicator": [row[0] for row in rows],
            "date": pd.to_datetime([row[1] for row in rows]).astype("datetime64[ns]"),
            "value": pd.Series([row[2] for row in rows], dtype="float64"),
            "breakdown": [row[3] if len(row) > 3 else None for row in rows],  # type: ignore[misc]
            "source": None,
        }
    )
    return measures


def activities_of(*rows: dict[str, Any]) -> pd.DataFrame:
    """A typed activities frame with the columns rules read."""
    base: dict[str, Any] = {
        "output": "R1",
        "planned_start": START.isoformat(),
        "status": "in_progress",
        "progress": 0.5,
        "budget_planned": 100.0,
        "budget_spent": 50.0,
    }
    records = [
        {"project": "TPM", "row": index + 2, "id": f"A{index + 1}", **base, **row}
        for index, row in enumerate(rows)
    ]
    activities = pd.DataFrame(records, columns=["project", "row", "id", *base])
    activities["planned_start"] = pd.to_datetime(activities["planned_start"]).astype(
        "datetime64[ns]"
    )
    return activities


NO_MEASURES = measures_of()
NO_ACTIVITIES = activities_of()


def compute(
    indicators: pd.DataFrame,
    measures: pd.DataFrame = NO_MEASURES,
    activities: pd.DataFrame = NO_ACTIVITIES,
    *,
    as_of: dt.date = AS_OF,
    rules: dict[str, IndicatorRule] | None = None,
    project_start: dt.date | None = START,
) -> pd.DataFrame:
    """compute_indicators with the test defaults."""
    return compute_indicators(
        indicators,
        measures,
        activities,
        as_of=as_of,
        rules=rules or {},
        project_start=project_start,
    )


# --- aggregation -----------------------------------------------------------------------------


def test_breakdowns_of_one_date_add_up_and_latest_takes_the_last_date() -> None:
    measures = measures_of(
        ("I1", "2026-03-31", 10, "Femmes"),
        ("I1", "2026-03-31", 12, "Hommes"),
        ("I1", "2026-06-30", 20, "Femmes"),
        ("I1", "2026-06-30", 25, "Hommes"),
    )
    table = compute(indicators_of({}), measures)
    assert table["current"].tolist() == [45.0]
    assert table["last_measure"].tolist() == [pd.Timestamp("2026-06-30")]


def test_sum_aggregation_adds_every_date() -> None:
    measures = measures_of(
        ("I1", "2026-03-31", 10, "Femmes"),
        ("I1", "2026-03-31", 12, "Hommes"),
        ("I1", "2026-06-30", 20),
    )
    table = compute(indicators_of({"aggregation": "sum"}), measures)
    assert table["current"].tolist() == [42.0]


def test_aggregation_labels_in_french_are_understood() -> None:
    measures = measures_of(("I1", "2026-03-31", 10), ("I1", "2026-06-30", 20))
    assert compute(indicators_of({"aggregation": "Somme"}), measures)["current"].tolist() == [30.0]
    assert compute(indicators_of({"aggregation": "dernière"}), measures)["current"].tolist() == [
        20.0
    ]
    assert compute(indicators_of({"aggregation": None}), measures)["current"].tolist() == [20.0]


def test_measures_after_as_of_are_ignored() -> None:
    measures = measures_of(("I1", "2026-06-30", 20), ("I1", "2026-07-02", 90))
    table = compute(indicators_of({}, {"aggregation": "sum"}), measures)
    assert table["current"].iloc[0] == 20.0
    assert table["last_measure"].iloc[0] == pd.Timestamp("2026-06-30")
    on_the_day = compute(indicators_of({}), measures, as_of=dt.date(2026, 7, 2))
    assert on_the_day["current"].iloc[0] == 90.0


def test_measures_of_other_indicators_and_projects_are_not_mixed() -> None:
    measures = pd.concat(
        [
            measures_of(("I1", "2026-06-30", 20), ("I2", "2026-06-30", 5)),
            measures_of(("I1", "2026-06-30", 999)).assign(project="AUTRE"),
        ]
    )
    table = compute(indicators_of({}, {}), measures)
    assert table["current"].tolist() == [20.0, 5.0]


def test_unusable_measures_are_skipped() -> None:
    measures = measures_of(("I1", "2026-06-30", 20), ("I1", "2026-06-01", np.nan))
    measures.loc[len(measures)] = ["TPM", 9, "I1", pd.NaT, 5.0, None, None]
    table = compute(indicators_of({}), measures)
    assert table["current"].iloc[0] == 20.0


# --- achievement and status ------------------------------------------------------------------


def test_achievement_rises_from_baseline_to_target() -> None:
    measures = measures_of(("I1", "2026-06-30", 40))
    table = compute(indicators_of({"baseline": 20.0, "target": 120.0}), measures)
    assert table["achievement"].iloc[0] == pytest.approx(0.2)


def test_baisse_indicator_achievement() -> None:
    # From 40 % down to 10 %: at 25 %, half the way.
    measures = measures_of(("I1", "2026-06-30", 25))
    indicators = indicators_of({"baseline": 40.0, "target": 10.0, "direction": "baisse"})
    table = compute(indicators, measures)
    assert table["achievement"].iloc[0] == pytest.approx(0.5)
    assert table["status"].iloc[0] == "on_track"
    worse = compute(indicators, measures_of(("I1", "2026-06-30", 45)))
    assert worse["achievement"].iloc[0] == pytest.approx(-1 / 6)
    assert worse["status"].iloc[0] == "behind"
    reached = compute(indicators, measures_of(("I1", "2026-06-30", 8)))
    assert reached["status"].iloc[0] == "achieved"


def test_target_equal_to_baseline_has_no_achievement() -> None:
    indicators = indicators_of({"baseline": 5.0, "target": 5.0}, {"baseline": 5.0, "target": 5.0})
    measures = measures_of(("I1", "2026-06-30", 6), ("I2", "2026-06-30", 4))
    table = compute(indicators, measures)
    assert table["achievement"].isna().all()
    # Still judged: at or beyond the target is achieved.
    assert table["status"].tolist() == ["achieved", "behind"]


def test_expected_is_the_straight_line_from_start_to_target_date() -> None:
    indicators = indicators_of({"target_date": "2026-12-31"})
    table = compute(indicators, measures_of(("I1", "2026-06-30", 10)))
    assert table["expected"].iloc[0] == pytest.approx(181 / 364)
    before = compute(indicators, as_of=dt.date(2025, 12, 1))
    after = compute(indicators, as_of=dt.date(2027, 6, 1))
    assert (before["expected"].iloc[0], after["expected"].iloc[0]) == (0.0, 1.0)


def test_expected_starts_at_earliest_planned_start_without_project_start() -> None:
    activities = activities_of({"planned_start": "2026-03-01"}, {"planned_start": "2026-05-01"})
    indicators = indicators_of({"target_date": "2026-11-01"})
    table = compute(indicators, activities=activities, project_start=None)
    assert table["expected"].iloc[0] == pytest.approx(122 / 245)


def test_expected_without_target_date_is_missing() -> None:
    table = compute(indicators_of({"target_date": None}), measures_of(("I1", "2026-06-30", 0)))
    assert np.isnan(table["expected"].iloc[0])
    assert table["status"].iloc[0] == "on_track"


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (100, "achieved"),
        (130, "achieved"),
        (50, "on_track"),
        (50 - 100 * ON_TRACK_TOLERANCE + 0.5, "on_track"),
        (50 - 100 * ON_TRACK_TOLERANCE - 0.5, "behind"),
        (0, "behind"),
    ],
)
def test_status_against_the_straight_line(value: float, status: str) -> None:
    # 2 July is halfway from 1 January to 31 December: 50 expected.
    indicators = indicators_of({"target_date": "2026-12-31"})
    table = compute(indicators, measures_of(("I1", "2026-06-30", value)), as_of=dt.date(2026, 7, 2))
    assert table["expected"].iloc[0] == pytest.approx(0.5)
    assert table["status"].iloc[0] == status


def test_no_measure_is_no_data() -> None:
    table = compute(indicators_of({}))
    assert table["status"].tolist() == ["no_data"]
    assert np.isnan(table["current"].iloc[0])
    assert pd.isna(table["last_measure"].iloc[0])


def test_missing_baseline_is_no_data_not_behind() -> None:
    table = compute(indicators_of({"baseline": np.nan}), measures_of(("I1", "2026-06-30", 3)))
    assert table["current"].iloc[0] == 3.0
    assert table["status"].iloc[0] == "no_data"


# --- computed rules --------------------------------------------------------------------------

RULES = {
    "done_count": IndicatorRule(kind="count", where={"status": "done"}),
    "done_or_cancelled": IndicatorRule(kind="count", where={"status": ["Terminée", "cancelled"]}),
    "spent_r1": IndicatorRule(kind="sum", column="budget_spent", where={"output": "R1"}),
    "execution_rate": IndicatorRule(
        kind="ratio", numerator="budget_spent", denominator="budget_planned", percent=True
    ),
    "spent_share": IndicatorRule(
        kind="ratio", numerator="budget_spent", denominator="budget_planned"
    ),
    "bad_column": IndicatorRule(kind="sum", column="nope"),
    "bad_filter": IndicatorRule(kind="count", where={"nope": 1}),
}


def rule_activities() -> pd.DataFrame:
    """Four activities: two done, one cancelled, one in another output."""
    return activities_of(
        {"status": "done", "budget_planned": 100.0, "budget_spent": 100.0},
        {"status": "done", "budget_planned": 300.0, "budget_spent": 150.0},
        {"status": "cancelled", "budget_planned": 100.0, "budget_spent": np.nan},
        {"output": "R2", "budget_planned": 500.0, "budget_spent": 50.0},
    )


def test_each_rule_kind() -> None:
    names = ["done_count", "done_or_cancelled", "spent_r1", "execution_rate", "spent_share"]
    indicators = indicators_of(*({"method": name} for name in names))
    table = compute(indicators, activities=rule_activities(), rules=RULES)
    assert table["current"].tolist() == pytest.approx([2.0, 3.0, 250.0, 30.0, 0.3])
    assert table["last_measure"].eq(pd.Timestamp(AS_OF)).all()


def test_measures_are_not_used_for_computed_indicators() -> None:
    indicators = indicators_of({"method": "done_count"})
    table = compute(
        indicators, measures_of(("I1", "2026-06-30", 40)), rule_activities(), rules=RULES
    )
    assert table["current"].tolist() == [2.0]


def test_count_with_no_match_is_zero_and_ratio_of_nothing_is_missing() -> None:
    indicators = indicators_of({"method": "done_count"}, {"method": "execution_rate"})
    table = compute(indicators, activities=activities_of({"budget_planned": 0.0}), rules=RULES)
    assert table["current"].iloc[0] == 0.0
    assert np.isnan(table["current"].iloc[1])


def test_rules_are_computed_per_project() -> None:
    activities = pd.concat(
        [rule_activities(), activities_of({"status": "done"}).assign(project="AUTRE")],
        ignore_index=True,
    )
    indicators = pd.concat(
        [
            indicators_of({"method": "done_count"}),
            indicators_of({"method": "done_count"}).assign(project="AUTRE"),
            indicators_of({"method": "done_count"}).assign(project="VIDE"),
        ],
        ignore_index=True,
    )
    table = compute(indicators, activities=activities, rules=RULES)
    # A project without any activity counts none.
    assert table["current"].tolist() == [2.0, 1.0, 0.0]


@pytest.mark.parametrize("method", ["unknown_rule", "bad_column", "bad_filter"])
def test_unknown_or_unusable_rule_is_no_data(method: str) -> None:
    table = compute(indicators_of({"method": method}), activities=rule_activities(), rules=RULES)
    assert np.isnan(table["current"].iloc[0])
    assert table["status"].iloc[0] == "no_data"


def test_empty_method_means_measures() -> None:
    indicators = indicators_of({"method": None}, {"method": " Saisie "})
    measures = measures_of(("I1", "2026-06-30", 7), ("I2", "2026-06-30", 8))
    assert compute(indicators, measures)["current"].tolist() == [7.0, 8.0]


# --- shape -----------------------------------------------------------------------------------


def test_table_columns_types_and_order() -> None:
    indicators = indicators_of({}, {"method": "done_count"})
    table = compute(indicators, measures_of(("I1", "2026-06-30", 7)), rules=RULES)
    assert table.columns.tolist() == INDICATOR_TABLE_COLUMNS
    assert table["code"].tolist() == ["I1", "I2"]
    assert table["row"].tolist() == [2, 3]
    assert table["row"].dtype == "Int64"
    assert table["last_measure"].dtype == "datetime64[ns]"
    for column in ("current", "achievement", "expected"):
        assert table[column].dtype == "float64"


def test_empty_inputs_give_an_empty_table() -> None:
    table = compute(indicators_of(), project_start=None)
    assert table.empty
    assert table.columns.tolist() == INDICATOR_TABLE_COLUMNS


def test_inputs_are_not_mutated() -> None:
    indicators = indicators_of({}, {"method": "done_count"})
    measures = measures_of(("I1", "2026-06-30", 7))
    activities = rule_activities()
    copies = [frame.copy(deep=True) for frame in (indicators, measures, activities)]
    compute(indicators, measures, activities, rules=RULES, project_start=None)
    for frame, copy in zip((indicators, measures, activities), copies, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


# --- history ---------------------------------------------------------------------------------


def test_indicator_history_per_date() -> None:
    indicators = indicators_of({}, {"aggregation": "sum"}, {"method": "done_count"})
    measures = measures_of(
        ("I1", "2026-03-31", 10, "Femmes"),
        ("I1", "2026-03-31", 12, "Hommes"),
        ("I1", "2026-06-30", 30),
        ("I2", "2026-06-30", 5),
        ("I2", "2026-03-31", 4),
        ("I3", "2026-03-31", 99),
        ("I9", "2026-03-31", 1),
    )
    history = indicator_history(indicators, measures)
    expected = pd.DataFrame(
        {
            "project": "TPM",
            "code": ["I1", "I1", "I2", "I2"],
            "date": pd.to_datetime(["2026-03-31", "2026-06-30"] * 2).astype("datetime64[ns]"),
            "value": [22.0, 30.0, 4.0, 9.0],
        }
    )
    pd.testing.assert_frame_equal(history, expected, check_dtype=False)
    assert history["date"].dtype == "datetime64[ns]"


def test_history_of_indicators_without_any_usable_measure_is_empty() -> None:
    from suivi.compute.indicators import HISTORY_COLUMNS, indicator_history

    indicators = pd.DataFrame(
        {"project": ["P"], "code": ["I1"], "method": ["saisie"], "aggregation": ["latest"]}
    )
    measures = pd.DataFrame(
        {"project": ["P"], "indicator": ["I1"], "date": [pd.NaT], "value": [float("nan")]}
    )
    history = indicator_history(indicators, measures)
    assert history.empty and list(history.columns) == HISTORY_COLUMNS
