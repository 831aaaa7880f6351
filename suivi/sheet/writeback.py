"""Rows of the tabs the product owns: `Suivi automatique` and `Contrôles`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from suivi.i18n import label, translate
from suivi.i18n.catalogs import gettext, pgettext
from suivi.model import Problem, RawTab
from suivi.schema import FLAG_ORDER, OwnedTab

SHEET_LANGUAGE = "fr"  # when the settings name none, the owned tabs speak French, as the team


def tracking_header(language: str) -> list[str]:
    """The header of `Suivi automatique`, in the project's language."""
    return [
        translate("col.id", language),
        gettext("Computed state", language),
        translate("col.days_late", language),
        translate("col.projected_finish", language),
        gettext("Alerts", language),
        gettext("Updated on", language),
        translate("col.kind", language),
        translate("col.name", language),
        translate("col.owner", language),
    ]


def checks_header(language: str) -> list[str]:
    """The header of `Contrôles`, in the project's language (column and row ID come last)."""
    return [
        translate("col.tab", language),
        translate("col.cell", language),
        pgettext("checks tab", "Value found", language),
        translate("col.problem", language),
        gettext("Blocking", language),
        gettext("Link", language),
        gettext("Updated on", language),
        pgettext("checks tab", "Column", language),
        translate("col.id", language),
    ]


def in_words(codes: pd.Series, language: str = SHEET_LANGUAGE) -> pd.Series:
    """State, status or kind codes as the team reads them (suivi.i18n), once per distinct code."""
    words = {code: label(code, language) for code in codes.dropna().unique()}
    return codes.map(words).fillna("")


def french_date(dates: pd.Series) -> pd.Series:
    """dd/mm/yyyy text, empty where missing (written RAW, so it stays text).

    Each distinct day is formatted once: a portfolio's dates repeat a lot.
    """
    codes, days = pd.factorize(dates)  # NaT → -1, the "" after the formatted days
    texts = np.array([*days.strftime("%d/%m/%Y"), ""], dtype=object)
    return pd.Series(texts[codes], index=dates.index, dtype="object")


def flag_text(tracking: pd.DataFrame) -> pd.Series:
    """The raised flags of each row, comma-separated, in order of severity.

    Rows are grouped by which flags they raise (one bit each): each combination is joined once.
    """
    flags = [flag.value for flag in FLAG_ORDER if flag.value in tracking.columns]
    raised = np.zeros((len(tracking), len(flags)), dtype=np.int64)
    for number, flag in enumerate(flags):
        raised[:, number] = tracking[flag].fillna(False).astype(bool).to_numpy()
    combinations, rows = np.unique(raised @ (1 << np.arange(len(flags))), return_inverse=True)
    texts = np.array(
        [", ".join(f for bit, f in enumerate(flags) if code >> bit & 1) for code in combinations]
        + [""],  # keeps the array one-dimensional of str when there is no row
        dtype=object,
    )
    return pd.Series(texts[rows.reshape(-1)], index=tracking.index, dtype="object")


def late_days(days: pd.Series) -> pd.Series:
    """Days late as whole numbers; empty when not late."""
    whole = days.astype("Int64")
    return whole.astype("object").where(whole.fillna(0) > 0, "")


def tracking_rows(tracking: pd.DataFrame, as_of: dt.date, language: str = SHEET_LANGUAGE) -> RawTab:
    """One row per activity and deliverable: computed state, days late, projected finish, flags."""
    days = tracking["days_late"]
    columns = [
        tracking["id"].astype("string").fillna(""),
        in_words(tracking["state"], language),
        days.astype("Int64").astype("object").where(days.notna(), ""),
        french_date(tracking["projected_finish"]),
        flag_text(tracking),
        pd.Series(as_of.strftime("%d/%m/%Y"), index=tracking.index, dtype="object"),
        in_words(tracking["kind"], language),
        tracking["name"].astype("string").fillna(""),
        tracking["owner"].astype("string").fillna(""),
    ]
    # Column by column into one object grid, turned into rows once (no frame to assemble).
    grid = np.column_stack([column.to_numpy(dtype=object) for column in columns])
    return [tracking_header(language), *grid.tolist()]


def checks_rows(
    problems: list[Problem],
    as_of: dt.date,
    cell_url: Callable[[str, str], str | None],
    language: str = SHEET_LANGUAGE,
) -> RawTab:
    """One row per data problem, in the project's language, each linking to its cell."""
    stamp = as_of.strftime("%d/%m/%Y")
    answers = {
        True: pgettext("blocking", "yes", language),
        False: pgettext("blocking", "no", language),
    }
    return [checks_header(language)] + [
        [
            problem.tab,
            problem.cell,
            problem.value,
            problem.text(language),
            answers[problem.blocking],
            (cell_url(problem.tab, problem.cell) or "") if problem.cell else "",
            stamp,
            problem.column,
            problem.row_id,
        ]
        for problem in problems
    ]


def owned_tabs(
    tracking: pd.DataFrame,
    problems: list[Problem],
    as_of: dt.date,
    cell_url: Callable[[str, str], str | None],
    language: str = SHEET_LANGUAGE,
) -> dict[str, RawTab]:
    """Both owned tabs in the project's language, ready for `Source.write_tabs`."""
    return {
        OwnedTab.TRACKING.value: tracking_rows(tracking, as_of, language),
        OwnedTab.CHECKS.value: checks_rows(problems, as_of, cell_url, language),
    }
