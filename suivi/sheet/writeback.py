"""Rows of the tabs the product owns: `Suivi automatique` and `Contrôles`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from suivi.i18n import label
from suivi.model import Problem, RawTab
from suivi.schema import FLAG_ORDER, OwnedTab

TRACKING_HEADER = [
    "ID",
    "Statut calculé",
    "Retard (jours)",
    "Fin projetée",
    "Alertes",
    "Mis à jour le",
    "Type",
    "Intitulé",
    "Responsable",
]
CHECKS_HEADER = [
    "Onglet",
    "Cellule",
    "Valeur trouvée",
    "Problème",
    "Bloquant",
    "Lien",
    "Mis à jour le",
]

SHEET_LANGUAGE = "fr"  # the owned tabs speak the team's language, as the headers do


def in_words(codes: pd.Series) -> pd.Series:
    """State, status or kind codes as the team reads them (suivi.i18n), once per distinct code."""
    words = {code: label(code, SHEET_LANGUAGE) for code in codes.dropna().unique()}
    return codes.map(words).fillna("")


def french_date(dates: pd.Series) -> pd.Series:
    """dd/mm/yyyy text, empty where missing (written RAW, so it stays text)."""
    return dates.dt.strftime("%d/%m/%Y").fillna("")


def flag_text(tracking: pd.DataFrame) -> pd.Series:
    """The raised flags of each row, comma-separated, in order of severity."""
    text = pd.Series("", index=tracking.index, dtype="object")
    for flag in FLAG_ORDER:
        if flag.value in tracking.columns:
            text = text + tracking[flag.value].fillna(False).astype(bool).map(
                {True: flag.value + ", ", False: ""}
            )
    return text.str.removesuffix(", ")


def late_days(days: pd.Series) -> pd.Series:
    """Days late as whole numbers; empty when not late."""
    whole = days.astype("Int64")
    return whole.astype("object").where(whole.fillna(0) > 0, "")


def tracking_rows(tracking: pd.DataFrame, as_of: dt.date) -> RawTab:
    """One row per activity and deliverable: computed state, days late, projected finish, flags."""
    alerts = flag_text(tracking)
    table = pd.DataFrame(
        {
            "id": tracking["id"].astype("string").fillna(""),
            "state": in_words(tracking["state"]),
            "days_late": tracking["days_late"]
            .astype("Int64")
            .astype("object")
            .where(tracking["days_late"].notna(), ""),
            "projected": french_date(tracking["projected_finish"]),
            "alerts": alerts,
            "as_of": as_of.strftime("%d/%m/%Y"),
            "kind": in_words(tracking["kind"]),
            "name": tracking["name"].astype("string").fillna(""),
            "owner": tracking["owner"].astype("string").fillna(""),
        }
    )
    return [TRACKING_HEADER, *table.astype("object").values.tolist()]


def checks_rows(
    problems: list[Problem], as_of: dt.date, cell_url: Callable[[str, str], str | None]
) -> RawTab:
    """One row per data problem, each linking to its cell."""
    stamp = as_of.strftime("%d/%m/%Y")
    return [CHECKS_HEADER] + [
        [
            problem.tab,
            problem.cell,
            problem.value,
            problem.message,
            "oui" if problem.blocking else "non",
            (cell_url(problem.tab, problem.cell) or "") if problem.cell else "",
            stamp,
        ]
        for problem in problems
    ]


def owned_tabs(
    tracking: pd.DataFrame,
    problems: list[Problem],
    as_of: dt.date,
    cell_url: Callable[[str, str], str | None],
) -> dict[str, RawTab]:
    """Both owned tabs, ready for `Source.write_tabs`."""
    return {
        OwnedTab.TRACKING.value: tracking_rows(tracking, as_of),
        OwnedTab.CHECKS.value: checks_rows(problems, as_of, cell_url),
    }
