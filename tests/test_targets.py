"""Periodic and disaggregated targets (`Cibles`): hand-computed judgements on small frames."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_indicators import activities_of, indicators_of, measures_of

from suivi.compute.forecast import forecast_indicators
from suivi.compute.indicators import compute_indicators
from suivi.compute.targets import judge_periods
from suivi.model import RawTabs
from suivi.sheet.clean import clean_project
from suivi.sheet.funders import parse_periods


def targets_of(*rows: tuple[str, str, str, float]) -> pd.DataFrame:
    """A clean `Cibles` frame from (indicator, period, breakdown, target)."""
    periods = parse_periods(pd.Series([row[1] for row in rows], dtype="object"))
    return pd.DataFrame(
        {
            "project": "TPM",
            "indicator": [row[0] for row in rows],
            "breakdown": [row[2] for row in rows],
            "target": pd.Series([row[3] for row in rows], dtype="float64"),
            "row": range(2, len(rows) + 2),
        }
    ).join(periods)


def judged(targets: pd.DataFrame, indicators: pd.DataFrame, measures: pd.DataFrame, day: str):
    rows = judge_periods(targets, indicators, measures, as_of=dt.date.fromisoformat(day))
    return rows.set_index("breakdown")


def test_periods_read_as_years_semesters_quarters_and_months() -> None:
    periods = parse_periods(pd.Series(["2026", "2026-s2", "2026-T3", "2026-09", "2028-02", "26"]))
    assert periods["period"].tolist()[:5] == ["2026", "2026-S2", "2026-T3", "2026-09", "2028-02"]
    assert periods["period_end"].dt.strftime("%Y-%m-%d").tolist()[:5] == [
        "2026-12-31", "2026-12-31", "2026-09-30", "2026-09-30", "2028-02-29",
    ]  # fmt: skip
    assert pd.isna(periods["period"].iloc[5])


def test_period_boundary_a_sum_starts_again_on_the_first_day_of_the_semester() -> None:
    indicators = indicators_of({"aggregation": "sum"})
    targets = targets_of(("I1", "2026-S1", "", 60.0), ("I1", "2026-S2", "", 40.0))
    measures = measures_of(("I1", "2026-06-30", 30.0), ("I1", "2026-07-01", 10.0))
    # 30 June: S1 (181 days) is over, 30 of 60 → behind, 50 %.
    last_day = judged(targets, indicators, measures, "2026-06-30").loc[""]
    assert (last_day["period"], last_day["actual"], last_day["status"]) == (
        "2026-S1",
        30.0,
        "behind",
    )
    assert last_day["achievement"] == pytest.approx(0.5)
    # 1 July: S2 counts only its own 10; the line is at 40 × 1/184 → on track, 25 %.
    first_day = judged(targets, indicators, measures, "2026-07-01").loc[""]
    assert (first_day["period"], first_day["actual"], first_day["status"]) == (
        "2026-S2", 10.0, "on_track",
    )  # fmt: skip
    assert first_day["expected"] == pytest.approx(40 / 184)
    assert first_day["achievement"] == pytest.approx(0.25)


def test_a_breakdown_with_its_own_target_is_judged_on_its_own() -> None:
    indicators = indicators_of({"aggregation": "sum"})
    targets = targets_of(
        ("I1", "2026", "", 100.0), ("I1", "2026", "Femmes", 50.0), ("I1", "2026", "Jeunes", 10.0)
    )
    measures = measures_of(
        ("I1", "2026-03-01", 19.0, "Femmes"), ("I1", "2026-03-01", 30.0, "Hommes")
    )
    rows = judged(targets, indicators, measures, "2026-07-02")
    share = 183 / 365  # 2 July is the 183rd day of 2026
    # Total: 49 against a line at 100 × share = 50.1, within 5 points → on track.
    assert rows.loc["", "actual"] == 49.0
    assert rows.loc["", "expected"] == pytest.approx(100 * share)
    assert rows.loc["", "status"] == "on_track"
    # Femmes: 19 of 50 = 38 %, below 25.07 − 2.5 → behind.
    assert rows.loc["Femmes", "achievement"] == pytest.approx(0.38)
    assert rows.loc["Femmes", "status"] == "behind"
    # Hommes has no target: not judged on its own. Jeunes has one but no measure.
    assert "Hommes" not in rows.index
    assert rows.loc["Jeunes", "status"] == "no_data"
    assert bool(rows.loc["Jeunes", "missing_measure"]) is True


def test_leap_year_semester_and_a_latest_value_line_from_the_previous_target() -> None:
    indicators = indicators_of({"aggregation": "latest", "baseline": 5.0})
    targets = targets_of(("I1", "2027-S2", "", 20.0), ("I1", "2028-S1", "", 40.0))
    # 2028-S1 has 182 days; 29 February is its 60th: the line is 20 + 20 × 60/182 = 26.59.
    line = 20 + 20 * 60 / 182
    on_line = judged(targets, indicators, measures_of(("I1", "2028-02-29", 26.0)), "2028-02-29")
    assert on_line.loc["", "expected"] == pytest.approx(line)
    assert on_line.loc["", "status"] == "on_track"  # 26 ≥ 26.59 − 0.05 × 20
    below = judged(targets, indicators, measures_of(("I1", "2028-02-29", 25.0)), "2028-02-29")
    assert below.loc["", "status"] == "behind"  # 25 < 25.59


def test_the_shortest_period_holding_the_day_is_the_current_one() -> None:
    indicators = indicators_of({"aggregation": "sum"})
    targets = targets_of(("I1", "2026", "", 100.0), ("I1", "2026-S2", "", 50.0))
    # Against 2026 (100) 47 would be far behind; against S2: 47 < 50 − 2.5 → behind, barely.
    rows = judged(targets, indicators, measures_of(("I1", "2026-12-01", 47.0)), "2026-12-31")
    assert (rows.loc["", "period"], rows.loc["", "status"]) == ("2026-S2", "behind")


def test_indicator_table_status_comes_from_the_period_and_others_are_unchanged() -> None:
    indicators = indicators_of({"aggregation": "sum"}, {"aggregation": "sum"})
    measures = measures_of(("I1", "2026-03-01", 45.0), ("I2", "2026-03-01", 45.0))
    activities = activities_of({})
    as_of = dt.date(2026, 7, 1)
    targets = targets_of(("I1", "2026-S2", "", 80.0), ("I1", "2026-S2", "Femmes", 10.0))
    before = compute_indicators(indicators, measures, activities, as_of=as_of, rules={})
    after = compute_indicators(
        indicators, measures, activities, as_of=as_of, rules={}, targets=targets
    )
    # I2 has no row in Cibles: every value as today.
    pd.testing.assert_series_equal(before.iloc[1], after[before.columns].iloc[1], check_names=False)
    # I1: nothing measured in S2 yet → no data for the period, however good 45/100 looked.
    assert before.loc[0, "status"] == "on_track"
    assert after.loc[0, "status"] == "no_data"
    assert after.loc[0, "period"] == "2026-S2"
    assert [part["breakdown"] for part in after.loc[0, "breakdowns"]] == ["Femmes"]
    assert after.loc[1, "breakdowns"] == []


def test_the_forecast_aims_at_the_end_of_the_current_period() -> None:
    indicators = indicators_of({"aggregation": "sum", "target_date": "2028-12-31"})
    measures = measures_of(("I1", "2026-01-31", 10.0), ("I1", "2026-03-02", 10.0))
    targets = targets_of(("I1", "2026-S1", "", 60.0))
    as_of = dt.date(2026, 3, 2)
    table = compute_indicators(
        indicators, measures, activities_of({}), as_of=as_of, rules={}, targets=targets
    )
    forecast = forecast_indicators(table, measures, as_of=as_of, project_start=dt.date(2026, 1, 1))
    # 10 a month (20 over 60 days since 1 January); 120 days to 30 June → 20 + 40 = 60: on track.
    assert forecast.loc[0, "projected"] == pytest.approx(20 + 20 / 60 * 120)
    assert forecast.loc[0, "forecast_status"] == "on_track"


def test_unreadable_rows_of_cibles_are_problems_on_their_cells() -> None:
    tabs: RawTabs = {
        "Activités": [["ID", "Activité", "Responsable", "Début prévu", "Fin prévue", "Avancement", "Statut"]],
        "Indicateurs": [["Code", "Libellé", "Valeur de référence", "Cible"], ["I1", "Formés", 0, 10]],
        "Cibles": [
            ["Code indicateur", "Période", "Désagrégation", "Cible"],
            ["I1", "2026-S3", "", 5],
            ["I9", "2026", "", 5],
            ["I1", "2026", "Femmes", 4],
            ["I1", "2026", "femmes ", 6],
        ],
    }  # fmt: skip
    tables = clean_project("TPM", tabs)
    found = {(p.cell, p.column, p.row_id): p for p in tables.problems if p.tab == "Cibles"}
    assert set(found) == {
        ("B2", "Période", "I1"), ("A3", "Code indicateur", "I9"), ("B5", "Période", "I1"),
    }  # fmt: skip
    # A second target for the same breakdown and period: reported, the first one kept.
    assert not found[("B5", "Période", "I1")].blocking
    assert found[("B2", "Période", "I1")].params == {"value": "2026-S3"}
    assert found[("B2", "Période", "I1")].message.startswith("Unreadable period")
    assert tables.targets[["indicator", "period", "breakdown", "target"]].values.tolist() == [
        ["I1", "2026", "Femmes", 4.0]
    ]
