"""Values passed between the core's steps: raw tabs, typed tables, problems."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.core.dtypes.cast import maybe_box_native

from suivi.i18n.catalogs import gettext

# Control characters and Unicode line/paragraph separators: never in a header, a file name or a log.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# A tab as read: rows of cells (str, int, float, bool, datetime, date or None), header row included.
RawTab = list[list[Any]]
# A spreadsheet as read: tab title as the team wrote it → its rows.
RawTabs = dict[str, RawTab]


@dataclass(frozen=True)
class Problem:
    """A data problem on one cell (or one tab when cell is empty), reported, never fatal."""

    project: str
    tab: str
    cell: str
    value: str
    message: str  # English, marked with N_(), `{name}` placeholders filled from `params`
    blocking: bool = False  # True when the row could not be used at all
    params: Mapping[str, object] = field(default_factory=dict)
    column: str = ""  # the column's header as the team wrote it, when the problem is a cell's
    row_id: str = ""  # the row's ID (activity ID, indicator code…), when it has one

    def text(self, language: str) -> str:
        """What is wrong, in `language`, its parameters filled in."""
        return gettext(self.message, language, **self.params)

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        """Plain dict, for JSON and tables: the message in `language` (as stored when None)."""
        return {
            "project": self.project,
            "tab": self.tab,
            "cell": self.cell,
            "column": self.column,
            "row_id": self.row_id,
            "value": self.value,
            "message": self.message if language is None else self.text(language),
            "blocking": self.blocking,
        }


PROBLEM_COLUMNS = ["project", "tab", "cell", "column", "row_id", "value", "message", "blocking"]


def problems_frame(
    problems: list[Problem], languages: Mapping[str, str] | None = None, default: str = "en"
) -> pd.DataFrame:
    """Problems as a frame with stable columns; messages in each project's language."""
    rows = [p.as_dict((languages or {}).get(p.project, default)) for p in problems]
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


def records(rows: pd.DataFrame, *, as_dates: bool = False) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, every missing value None (`as_dates`: datetimes as dates)."""
    names = [str(name) for name in rows.columns]
    # One pass per column (a loop over columns, not rows): object values, missing ones None.
    columns = [_plain_values(rows.iloc[:, place], as_dates) for place in range(rows.shape[1])]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _plain_values(column: pd.Series, as_dates: bool) -> list[Any]:
    """A column's values as plain Python objects (NumPy scalars unboxed), missing ones None."""
    missing = column.isna().to_numpy()
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "M" and as_dates:
        # Naive datetimes: NumPy's day unit converts straight to `datetime.date`.
        values = column.to_numpy().astype("datetime64[D]").astype(object)
    elif isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        values = column.to_numpy().astype(object)  # NumPy gives Python floats, ints, bools
    elif isinstance(column.dtype, pd.StringDtype):
        return list(column.to_numpy(dtype=object, na_value=None))  # already Python str
    else:
        if as_dates and pd.api.types.is_datetime64_any_dtype(column):
            column = column.dt.date  # time-zone aware: the local day
        values = column.astype(object).to_numpy()
        return [
            None if gone else maybe_box_native(value)
            for value, gone in zip(values, missing, strict=True)
        ]
    if missing.any():
        values[missing] = None
    return list(values)


@dataclass(frozen=True)
class ProjectTables:
    """One project's typed frames after cleaning, with the problems met on the way.

    Every frame carries `project` and `row` (the 1-based sheet row, for A1 references)
    besides the canonical columns of `suivi.schema.COLUMNS`. Dates are `datetime64[ns]`
    (midnight, naive), numbers `float64`, progress a fraction in [0, 1], statuses the
    canonical English codes (`Status`, `DeliverableStatus`) or missing.
    """

    project: str
    activities: pd.DataFrame
    indicators: pd.DataFrame
    measures: pd.DataFrame
    committees: pd.DataFrame
    deliverables: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    # Where each tab was found: canonical tab → the title as the team wrote it.
    tab_titles: dict[str, str] = field(default_factory=dict)
    # Optional tabs (§6.6), typed and checked by suivi.sheet.funders; empty when absent.
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    commitments: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Email:
    """A rendered e-mail, ready for the transport: no header value holds CR/LF."""

    key: str  # exactly-once identity: kind|project|occasion|recipient
    kind: str  # weekly_summary, owner_digest, committee_reminder, ...
    project: str  # project code, or "*" for the portfolio
    to: tuple[tuple[str, str], ...]  # (display name, address)
    subject: str
    html: str  # one-line HTML fragment, CSS inlined
    text: str  # the real text/plain alternative
    language: str = "fr"
    images: tuple[tuple[str, bytes], ...] = ()  # (content id, PNG bytes), inline
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (file name, bytes, MIME type)
    cc: tuple[tuple[str, str], ...] = ()
