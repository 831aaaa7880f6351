"""The tracking tab's summary as a strip of cells in row 1, right of the table's header.

Pure. Row 1 is the filter's header row: a filter hides whole rows, but never its header row,
and row 1 is frozen, so the summary stays in view whatever the team filters or scrolls to.
A block beside the table in rows 2, 3… would lose its rows to the filter along with the
table's. Each cell says one thing (`En retard : 5`, `Prochain comité : 14 déc. 2026 COPIL`),
the deliverables date first, so a narrow cell still shows when.
"""

from __future__ import annotations

from suivi.i18n.catalogs import gettext
from suivi.model import RawTab

STRIP_WIDTH = 26  # characters, each of the strip's first columns
STRIP_SIZED = 14  # columns given that width: table (9) + gap + these stay within 26 columns


def summary_strip(block: RawTab, language: str) -> list[str]:
    """The summary block's rows as one row of cells: title, counts, committee, deliverables.

    `block` is `dashboard.summary_block`'s: a title row, one row per state, a blank row, the
    next committee, the deliverables' heading, then one row per deliverable (name, date).
    """
    if not block:
        return []
    title, rest = block[0], block[1:]
    blank = next((index for index, row in enumerate(rest) if not any(row)), len(rest))
    counts, after = rest[:blank], rest[blank + 1 :]
    cells = [str(title[0])]
    cells += [_fact(label, value, language) for label, value in counts]
    if after:
        cells.append(_fact(after[0][0], after[0][1], language))  # the next committee
    if len(after) > 1:
        cells.append(_fact(after[1][0], "", language))  # "Next deliverables"
        cells += [f"{day} — {name}" for name, day in after[2:]]
    return cells


def with_strip(table: RawTab, strip: list[str]) -> RawTab:
    """The table from A1, untouched, with the strip in row 1 after one blank column."""
    if not table or not strip:
        return table
    width = max(map(len, table))
    header = [*table[0], *[""] * (width - len(table[0])), "", *strip]
    return [header, *table[1:]]


def strip_widths() -> tuple[int, ...]:
    """The gap column, then the strip's sized columns."""
    return (3, *[STRIP_WIDTH] * STRIP_SIZED)


def _fact(label: object, value: object, language: str) -> str:
    """`label : value` in the language's typography; the label alone when there is no value."""
    if value in (None, ""):
        return gettext("{label}:", language, label=label)
    return gettext("{label}: {value}", language, label=label, value=value)
