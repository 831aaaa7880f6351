"""Synthetic portfolios for benchmarks: typed frames, progress history and raw sheet rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from suivi.model import RawTabs
from suivi.schema import COLUMNS, TAB_HEADERS, DeliverableStatus, Status, Tab
from suivi.settings import IndicatorRule

AS_OF = dt.date(2026, 6, 1)
DATE_COLUMNS = ("planned_start", "planned_end", "contractual_deadline", "actual_end", "last_update")

# A realistic mix of statuses in a running project (missing: a cell the team left empty).
STATUS_MIX: dict[str | None, float] = {
    Status.NOT_STARTED.value: 0.15,
    Status.IN_PROGRESS.value: 0.44,
    Status.DONE.value: 0.30,
    Status.SUSPENDED.value: 0.05,
    Status.CANCELLED.value: 0.05,
    None: 0.01,
}
DELIVERABLE_MIX: dict[str | None, float] = {
    None: 0.2,
    DeliverableStatus.TODO.value: 0.3,
    DeliverableStatus.SUBMITTED.value: 0.3,
    DeliverableStatus.VALIDATED.value: 0.2,
}
FRENCH_STATUS = {
    Status.NOT_STARTED.value: "Non démarrée",
    Status.IN_PROGRESS.value: "En cours",
    Status.DONE.value: "Terminée",
    Status.SUSPENDED.value: "Suspendue",
    Status.CANCELLED.value: "Annulée",
}
FRENCH_DELIVERABLE_STATUS = {
    DeliverableStatus.TODO.value: "À faire",
    DeliverableStatus.SUBMITTED.value: "Soumis",
    DeliverableStatus.VALIDATED.value: "Validé",
}
OWNERS = ("Amina", "Karim", "Fatima", "Youssef", "Salma", "Omar", "Nadia", "Hicham")
FUNDERS = ("UE", "AFD", "GIZ", "Enabel")

# Rules the synthetic indicators compute from activities (as in config/suivi.yaml).
SYNTHETIC_RULES: dict[str, IndicatorRule] = {
    "activites_terminees": IndicatorRule(kind="count", where={"status": "done"}),
    "budget_consomme": IndicatorRule(kind="sum", column="budget_spent"),
    "taux_execution": IndicatorRule(
        kind="ratio", numerator="budget_spent", denominator="budget_planned", percent=True
    ),
}


def project_codes(projects: int) -> list[str]:
    """Codes P01, P02, … of a synthetic portfolio."""
    return [f"P{number:02d}" for number in range(1, projects + 1)]


def synthetic_activities(
    n: int, projects: int = 1, seed: int = 0, as_of: dt.date = AS_OF
) -> pd.DataFrame:
    """A typed activities frame: `projects` projects of `n` activities each."""
    rng = np.random.default_rng(seed)
    total = n * projects
    today = np.datetime64(as_of, "D")
    statuses = rng.choice(
        np.array(list(STATUS_MIX), dtype=object), size=total, p=list(STATUS_MIX.values())
    )
    start = today + rng.integers(-365, 90, total).astype("timedelta64[D]")
    end = start + rng.integers(14, 240, total).astype("timedelta64[D]")
    deadline = np.where(
        rng.random(total) < 0.3,
        end + rng.integers(0, 30, total).astype("timedelta64[D]"),
        np.datetime64("NaT", "D"),
    )
    done = statuses == Status.DONE.value
    finished = end + rng.normal(0, 15, total).round().astype("int64").astype("timedelta64[D]")
    actual_end = np.where(done, np.minimum(finished, today), np.datetime64("NaT", "D"))
    progress = np.select(
        [done, statuses == Status.NOT_STARTED.value, statuses == Status.IN_PROGRESS.value],
        [1.0, 0.0, rng.uniform(0.05, 0.95, total).round(2)],
        default=rng.uniform(0, 0.6, total).round(2),
    )
    progress = np.where(rng.random(total) < 0.01, np.nan, progress)
    last_update = today - rng.exponential(20, total).astype("int64").astype("timedelta64[D]")
    last_update = np.where(rng.random(total) < 0.05, np.datetime64("NaT", "D"), last_update)
    per_project = np.arange(total) % n
    budget_planned = rng.integers(1, 200, total) * 500.0
    activities = pd.DataFrame(
        {
            "project": pd.Series(np.repeat(project_codes(projects), n), dtype="str"),
            "row": per_project + 2,
            "id": pd.Series([f"A{number}" for number in per_project + 1], dtype="str"),
            "output": pd.Series([f"R{number % 4 + 1}" for number in per_project], dtype="str"),
            "activity": pd.Series(
                [f"Activité {number}" for number in per_project + 1], dtype="str"
            ),
            "owner": pd.Series(np.array(OWNERS)[per_project % len(OWNERS)], dtype="str"),
            "owner_email": pd.Series(
                [f"{OWNERS[number % len(OWNERS)].lower()}@example.org" for number in per_project],
                dtype="str",
            ),
            "partner": pd.Series(np.nan, index=range(total), dtype="str"),
            "planned_start": start,
            "planned_end": end,
            "contractual_deadline": deadline,
            "progress": progress,
            "status": pd.Series(statuses, dtype="str"),
            "actual_end": actual_end,
            "last_update": last_update,
            "funder": pd.Series(np.array(FUNDERS)[per_project % len(FUNDERS)], dtype="str"),
            "budget_planned": budget_planned,
            "budget_spent": (budget_planned * np.nan_to_num(progress)).round(2),
            "comment": pd.Series(np.nan, index=range(total), dtype="str"),
        }
    )
    for column in DATE_COLUMNS:
        activities[column] = activities[column].astype("datetime64[ns]")
    return activities


def synthetic_deliverables(
    n: int, projects: int = 1, seed: int = 0, as_of: dt.date = AS_OF
) -> pd.DataFrame:
    """A typed deliverables frame: `projects` projects of `n` deliverables each."""
    rng = np.random.default_rng(seed + 1)
    total = n * projects
    today = np.datetime64(as_of, "D")
    statuses = rng.choice(
        np.array(list(DELIVERABLE_MIX), dtype=object), size=total, p=list(DELIVERABLE_MIX.values())
    )
    due = today + rng.integers(-180, 180, total).astype("timedelta64[D]")
    submitted = np.isin(statuses, [DeliverableStatus.SUBMITTED.value, "validated"])
    handed_in = due + rng.integers(-20, 15, total).astype("timedelta64[D]")
    per_project = np.arange(total) % n
    return pd.DataFrame(
        {
            "project": pd.Series(np.repeat(project_codes(projects), n), dtype="str"),
            "row": per_project + 2,
            "funder": pd.Series(np.array(FUNDERS)[per_project % len(FUNDERS)], dtype="str"),
            "deliverable": pd.Series(
                [f"Rapport {number}" for number in per_project + 1], dtype="str"
            ),
            "due": due.astype("datetime64[ns]"),
            "status": pd.Series(statuses, dtype="str"),
            "owner": pd.Series(np.array(OWNERS)[per_project % len(OWNERS)], dtype="str"),
            "owner_email": pd.Series(
                [f"{OWNERS[number % len(OWNERS)].lower()}@example.org" for number in per_project],
                dtype="str",
            ),
            "submitted_on": np.where(
                submitted, np.minimum(handed_in, today), np.datetime64("NaT", "D")
            ).astype("datetime64[ns]"),
        }
    )


def synthetic_indicators(
    n: int, projects: int = 1, seed: int = 0, as_of: dt.date = AS_OF
) -> pd.DataFrame:
    """A typed indicators frame: `n` per project, mostly measured, a few computed by rules."""
    rng = np.random.default_rng(seed + 2)
    total = n * projects
    per_project = np.arange(total) % n
    rule_names = list(SYNTHETIC_RULES)
    methods = np.where(
        per_project < len(rule_names),
        np.array([*rule_names, "saisie"])[np.minimum(per_project, len(rule_names))],
        "saisie",
    )
    # The budget rule sums amounts in MAD: its baseline and target are in MAD too (a target
    # a million times too small is a settings mistake, and a chart of 10^7 % cannot be drawn).
    budget = methods == "budget_consomme"
    down = (rng.random(total) < 0.2) & ~budget
    baseline = np.where(budget, 0.0, rng.integers(0, 100, total).astype("float64"))
    change = np.where(budget, 5e8, rng.integers(10, 200, total).astype("float64"))
    return pd.DataFrame(
        {
            "project": pd.Series(np.repeat(project_codes(projects), n), dtype="str"),
            "row": per_project + 2,
            "code": pd.Series([f"I{number}" for number in per_project + 1], dtype="str"),
            "level": pd.Series(np.where(per_project % 3 == 0, "Effet", "Produit"), dtype="str"),
            "output": pd.Series([f"R{number % 4 + 1}" for number in per_project], dtype="str"),
            "name": pd.Series([f"Indicateur {number}" for number in per_project + 1], dtype="str"),
            "unit": pd.Series("nombre", index=range(total), dtype="str"),
            "baseline": baseline,
            "target": np.where(down, np.maximum(baseline - change, 0), baseline + change),
            "target_date": pd.Series(
                np.datetime64(as_of, "D") + rng.integers(30, 720, total).astype("timedelta64[D]")
            ).astype("datetime64[ns]"),
            "direction": pd.Series(np.where(down, "down", "up"), dtype="str"),
            "method": pd.Series(methods, dtype="str"),
            "aggregation": pd.Series(
                np.where(rng.random(total) < 0.3, "sum", "latest"), dtype="str"
            ),
            "frequency": np.full(total, 92.0),
            "owner": pd.Series(np.array(OWNERS)[per_project % len(OWNERS)], dtype="str"),
        }
    )


def synthetic_measures(
    indicators: pd.DataFrame, dates: int = 12, seed: int = 0, as_of: dt.date = AS_OF
) -> pd.DataFrame:
    """Monthly measures of every measured indicator, split Femmes/Hommes."""
    rng = np.random.default_rng(seed + 3)
    measured = indicators[indicators["method"].eq("saisie")]
    months = pd.date_range(end=pd.Timestamp(as_of), periods=dates, freq="MS")
    grid = measured[["project", "code", "baseline", "target"]].merge(
        pd.DataFrame({"date": months}), how="cross"
    )
    grid = grid.merge(pd.DataFrame({"breakdown": ["Femmes", "Hommes"]}), how="cross")
    share = rng.uniform(0, 1, len(grid))
    value = (grid["baseline"] + (grid["target"] - grid["baseline"]) * share) / 2
    return pd.DataFrame(
        {
            "project": grid["project"].astype("str"),
            "row": np.arange(len(grid)) + 2,
            "indicator": grid["code"].astype("str"),
            "date": grid["date"].astype("datetime64[ns]"),
            "value": value.round(1),
            "breakdown": grid["breakdown"].astype("str"),
            "source": pd.Series("Rapport de suivi", index=grid.index, dtype="str"),
        }
    )


def synthetic_history(
    activities: pd.DataFrame, weeks: int, seed: int = 0, as_of: dt.date = AS_OF
) -> pd.DataFrame:
    """Weekly stored snapshots (project, id, as_of, progress) before as_of, progress rising."""
    rng = np.random.default_rng(seed + 4)
    weeks_back = np.arange(1, weeks + 1)
    progress = activities["progress"].to_numpy(dtype="float64", na_value=np.nan)
    weekly_gain = rng.uniform(0, 0.05, len(activities))
    past = np.clip(progress[:, None] - weekly_gain[:, None] * weeks_back[None, :], 0, 1)
    days = np.datetime64(as_of, "D") - (weeks_back * 7).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "project": np.repeat(activities["project"].to_numpy(dtype=object), weeks),
            "id": np.repeat(activities["id"].to_numpy(dtype=object), weeks),
            "as_of": np.tile(days, len(activities)).astype("datetime64[ns]"),
            "progress": past.ravel(),
        }
    )


def synthetic_raw_tabs(
    activities: pd.DataFrame,
    deliverables: pd.DataFrame,
    indicators: pd.DataFrame,
    measures: pd.DataFrame,
) -> RawTabs:
    """The rows a spreadsheet would hold for these frames: French headers, text cells as typed."""
    return {
        TAB_HEADERS[Tab.ACTIVITIES][0]: _raw_rows(
            Tab.ACTIVITIES,
            activities.assign(
                status=activities["status"].map(FRENCH_STATUS),
                progress=_percent_text(activities["progress"]),
                budget_planned=_number_text(activities["budget_planned"]),
            ),
        ),
        TAB_HEADERS[Tab.DELIVERABLES][0]: _raw_rows(
            Tab.DELIVERABLES,
            deliverables.assign(status=deliverables["status"].map(FRENCH_DELIVERABLE_STATUS)),
        ),
        TAB_HEADERS[Tab.INDICATORS][0]: _raw_rows(
            Tab.INDICATORS,
            indicators.assign(
                direction=indicators["direction"].map({"up": "hausse", "down": "baisse"}),
                aggregation=indicators["aggregation"].map({"latest": "dernière", "sum": "somme"}),
                frequency="trimestrielle",
            ),
        ),
        TAB_HEADERS[Tab.MEASURES][0]: _raw_rows(Tab.MEASURES, measures),
        TAB_HEADERS[Tab.COMMITTEES][0]: [
            ["Date", "Instance", "Lieu", "Participants"],
            ["15/06/2026", "COPIL", "Agadir", "amina@example.org; karim@example.org"],
        ],
    }


def _raw_rows(tab: Tab, frame: pd.DataFrame) -> list[list[object]]:
    """Header row in French, then cells: dates as dd/mm/yyyy text, blanks as None."""
    columns = [column for column in COLUMNS[tab] if column.name in frame.columns]
    cells = pd.DataFrame(
        {
            column.fr: (
                frame[column.name].dt.strftime("%d/%m/%Y")
                if column.kind == "date"
                else frame[column.name]
            ).astype(object)
            for column in columns
        }
    )
    cells = cells.where(cells.notna(), None)
    return [[column.fr for column in columns], *cells.to_numpy().tolist()]


def _percent_text(progress: pd.Series) -> pd.Series:
    """Progress as the team types it: `45 %` or `45,5%`."""
    points = (progress * 100).round(1)
    text = points.map("{:g}".format, na_action="ignore").str.replace(".", ",", regex=False)
    return (text + " %").where(progress.notna())


def _number_text(numbers: pd.Series) -> pd.Series:
    """Numbers as French text: `12 500,50`."""
    text = numbers.map("{:,.2f}".format, na_action="ignore")
    return text.str.replace(",", " ", regex=False).str.replace(".", ",", regex=False)
