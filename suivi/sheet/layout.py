"""The layout of a team's tracking spreadsheet: tabs, headers and what each column accepts.

Pure: `suivi sheet create` and `suivi sheet prepare` turn it into a Google batchUpdate or an
.xlsx workbook; where an existing sheet's header row and columns are comes from its values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from suivi.schema import (
    COLUMNS,
    TAB_HEADERS,
    Column,
    OwnedTab,
    Tab,
    column_lookup,
)
from suivi.sheet.parse import fold_label

Rule = Literal["choice", "date", "percent", "number", "email", "text"]

# The words the team picks from; the first of each list is how the contract writes it.
CHOICES: dict[tuple[Tab, str], tuple[str, ...]] = {
    (Tab.ACTIVITIES, "status"): ("Non démarrée", "En cours", "Terminée", "Suspendue", "Annulée"),
    (Tab.DELIVERABLES, "status"): ("À faire", "Soumis", "Validé"),
    (Tab.INDICATORS, "direction"): ("hausse", "baisse"),
    (Tab.INDICATORS, "level"): ("Impact", "Effet", "Produit"),
    (Tab.INDICATORS, "aggregation"): ("dernière", "somme"),
    (Tab.INDICATORS, "frequency"): ("mensuelle", "trimestrielle", "semestrielle", "annuelle"),
}
DATE_PATTERN = "dd/mm/yyyy"  # day first, as the team writes dates
PERCENT_PATTERN = "0%"
NUMBER_PATTERN = "#,##0.##"
HEADER_SEARCH_ROWS = 20  # a header row sits at most under a title block


@dataclass(frozen=True)
class ColumnPlan:
    """One column: its header, what it accepts and, for a drop-down, the choices."""

    header: str
    rule: Rule
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class TabPlan:
    """One tab to make: title, columns (none for the owned tabs) and whether suivi owns it."""

    title: str
    columns: tuple[ColumnPlan, ...]
    owned: bool = False


@dataclass(frozen=True)
class FoundColumn:
    """A column of an existing tab: 0-based header row and column index, and its plan."""

    header_row: int
    index: int
    plan: ColumnPlan


def rule_of(tab: Tab, column: Column) -> ColumnPlan:
    """What a contract column accepts, as a spreadsheet can check it."""
    choices = CHOICES.get((tab, column.name), ())
    rule: Rule
    if choices:
        rule = "choice"
    elif column.kind in ("date", "percent", "number", "email"):
        rule = column.kind
    else:
        rule = "text"
    return ColumnPlan(column.fr, rule, choices)


def spreadsheet_plan() -> list[TabPlan]:
    """The team tabs with their French headers (the five of the contract, then the optional
    `Cibles` and `Engagements`, empty until used), then the two tabs suivi owns."""
    team = [
        TabPlan(TAB_HEADERS[tab][0], tuple(rule_of(tab, column) for column in COLUMNS[tab]))
        for tab in Tab
    ]
    return [*team, *(TabPlan(owned.value, (), owned=True) for owned in OwnedTab)]


def find_columns(tab: Tab, rows: Sequence[Sequence[Any]]) -> list[FoundColumn]:
    """The contract columns of an existing team tab, where they are (matched as the reader does).

    The header row is the one, among the first rows, naming the most contract columns: it
    may sit under a title.
    """
    lookup = column_lookup(tab)
    by_name = {column.name: column for column in COLUMNS[tab]}
    best: list[FoundColumn] = []
    for header, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = [
            FoundColumn(header, index, rule_of(tab, by_name[name]))
            for index, cell in enumerate(row)
            if cell not in (None, "") and (name := lookup.get(fold_label(cell))) is not None
        ]
        if len(found) > len(best):
            best = found
    return best
