"""Recurring reporting owed to funders (`Engagements`) → the dated deliverables of each contract.

A line of `Engagements` is a funder's rule: a deliverable due `Délai` days after the end of each
period (quarter, semester, year) counted from `Début`, until `Fin`. The periods are anchored on
`Début` (a contract starting on 1 January has calendar semesters); a contract ending mid-period
closes a last, shorter period on its `Fin`, whose deliverable is due `Délai` days after `Fin`.
Due dates are the contract's, in calendar days, in every mode: in working-days mode a due date
on a weekend or holiday stays as the contract says; only the reminders before it move (§6.1).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from suivi.schema import fold_labels

OBLIGATION_COLUMNS = [
    "project", "funder", "deliverable", "due", "status", "owner", "owner_email", "submitted_on",
    "row", "commitment", "period", "period_start", "period_end",
]  # fmt: skip
# Past this many periods per line a contract is surely mistyped (a century of quarters).
MAX_PERIODS = 400
NEXT_PER_FUNDER = 3


def expand_commitments(commitments: pd.DataFrame) -> pd.DataFrame:
    """Every dated deliverable of every contract line, in line then period order."""
    if commitments.empty:
        return pd.DataFrame(columns=OBLIGATION_COLUMNS)
    start = pd.to_datetime(commitments["start"]).dt.normalize()
    end = pd.to_datetime(commitments["end"]).dt.normalize()
    step = commitments["months"].astype("int64").to_numpy()
    first_month = (start.dt.year * 12 + start.dt.month - 1).to_numpy()
    span = (end.dt.year * 12 + end.dt.month - 1).to_numpy() - first_month
    counts = np.clip(span // step + 1, 1, MAX_PERIODS)
    line = np.repeat(np.arange(len(commitments)), counts)
    index = np.arange(len(line)) - np.repeat(np.cumsum(counts) - counts, counts)
    lines = commitments.iloc[line].reset_index(drop=True)
    period_start = _add_months(start.iloc[line], index * step[line])
    next_start = _add_months(start.iloc[line], (index + 1) * step[line])
    contract_end = end.iloc[line].reset_index(drop=True)
    period_end = (next_start - pd.Timedelta(days=1)).where(
        next_start - pd.Timedelta(days=1) <= contract_end, contract_end
    )
    within = (period_start <= contract_end).to_numpy()
    due = period_end + pd.to_timedelta(lines["delay_days"].astype("int64"), unit="D")
    label = _period_labels(period_start, period_end, step[line])
    name = lines["deliverable"].astype("str").str.strip()
    obligations = pd.DataFrame(
        {
            "project": lines["project"],
            "funder": lines["funder"],
            "deliverable": name + " " + label,
            "due": due.astype("datetime64[ns]"),
            "status": pd.Series(np.nan, index=lines.index, dtype="object"),
            "owner": lines["owner"],
            "owner_email": lines["owner_email"],
            "submitted_on": pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns]"),
            # The deliverable has no row of its own: it is not the `Engagements` line.
            "row": pd.Series(pd.NA, index=lines.index, dtype="Int64"),
            "commitment": name,
            "period": label,
            "period_start": period_start.astype("datetime64[ns]"),
            "period_end": period_end.astype("datetime64[ns]"),
        }
    )
    return obligations[within].reset_index(drop=True)[OBLIGATION_COLUMNS]


def with_obligations(deliverables: pd.DataFrame, obligations: pd.DataFrame) -> pd.DataFrame:
    """`Échéances` rows, then each generated deliverable that no `Échéances` row already is.

    A row of `Échéances` with the same funder, due date and deliverable (the line's name, or
    the generated name with its period) is that deliverable: its status and submission date
    are the team's, so the generated copy is left out.
    """
    if obligations.empty:
        return deliverables
    typed = deliverables.assign(
        _key=_keys(deliverables["project"], deliverables["funder"], deliverables["due"]),
        _name=fold_labels(deliverables["deliverable"]),
    )
    keys = _keys(obligations["project"], obligations["funder"], obligations["due"])
    entered = set(zip(typed["_key"], typed["_name"], strict=True))
    by_line = pd.Series(
        list(zip(keys, fold_labels(obligations["commitment"]), strict=True)),
        index=obligations.index,
    )
    by_label = pd.Series(
        list(zip(keys, fold_labels(obligations["deliverable"]), strict=True)),
        index=obligations.index,
    )
    matched = by_line.isin(entered) | by_label.isin(entered)
    added = obligations[~matched.to_numpy()].reindex(columns=deliverables.columns)
    added = added.astype(deliverables.dtypes.to_dict(), errors="ignore")
    return pd.concat([deliverables, added], ignore_index=True)


def next_obligations(
    tracking: pd.DataFrame, as_of: dt.date, per_funder: int = NEXT_PER_FUNDER
) -> pd.DataFrame:
    """Each funder's next unsubmitted deliverables from as_of on (also late ones), soonest first."""
    columns = ["funder", "id", "deadline", "owner", "days_late", "state"]
    if tracking.empty:
        return pd.DataFrame(columns=columns)
    deadline = pd.to_datetime(tracking["deadline"], errors="coerce")
    open_ = (
        tracking["kind"].eq("deliverable")
        & ~tracking["status"].isin(["submitted", "validated"])
        & tracking["funder"].notna()
        & deadline.notna()
    )
    rows = tracking[open_.to_numpy()].assign(deadline=deadline[open_.to_numpy()])
    rows = rows.sort_values(["funder", "deadline"], kind="stable")
    del as_of  # late ones come first by date: nothing owed is left out of "next"
    return rows.groupby("funder", sort=True).head(per_funder)[columns].reset_index(drop=True)


def _add_months(days: pd.Series, months: np.ndarray) -> pd.Series:
    """Each date `months` later; a day past the month's end lands on its last day (31 → 30)."""
    days = days.reset_index(drop=True)
    target = (days.dt.year * 12 + days.dt.month - 1).to_numpy() + months
    firsts = (target - 1970 * 12).astype("int64").astype("datetime64[M]")
    lengths = ((firsts + 1).astype("datetime64[D]") - firsts.astype("datetime64[D]")).astype(
        "int64"
    )
    day = np.minimum(days.dt.day.to_numpy(), lengths) - 1
    moved = firsts.astype("datetime64[D]") + day.astype("timedelta64[D]")
    return pd.Series(moved.astype("datetime64[ns]"))


def _period_labels(start: pd.Series, end: pd.Series, months: np.ndarray) -> pd.Series:
    """`2026`, `2026-S1`, `2026-T3`, `2026-09` for calendar periods; `start/end` (ISO) otherwise."""
    month = start.dt.month.to_numpy()
    year = start.dt.year.astype("str")
    calendar_aligned = (start.dt.day.to_numpy() == 1) & ((month - 1) % months == 0)
    full = ((end + pd.Timedelta(days=1)).dt.month.to_numpy() - 1) % 12 == (month - 1 + months) % 12
    interval = start.dt.strftime("%Y-%m-%d") + "/" + end.dt.strftime("%Y-%m-%d")
    named = pd.Series(
        np.select(
            [months == 12, months == 6, months == 3],
            [
                year,
                year + "-S" + ((month - 1) // 6 + 1).astype("str"),
                year + "-T" + ((month - 1) // 3 + 1).astype("str"),
            ],
            default=year + "-" + pd.Series(month).astype("str").str.zfill(2),
        ),
        index=start.index,
    )
    return named.where(calendar_aligned & full, interval)


def _keys(projects: pd.Series, funders: pd.Series, dues: pd.Series) -> pd.Series:
    """Project, folded funder and due date, as one matching key."""
    funder = fold_labels(funders).fillna("")
    due = pd.to_datetime(dues, errors="coerce").dt.strftime("%Y-%m-%d").fillna("")
    return projects.astype("str") + "|" + funder + "|" + due
