"""The tracking tab as the team's dashboard: its layout, and a summary block right of the table.

Pure: the table still starts at A1 with one row per item (written RAW by the adapters); this
module says how the tab looks (frozen header, widths, a filter, colour by state as conditional
formats, so the cells stay plain values) and what the summary block to the right holds
(counts by state, next committee, next deliverables), laid out in row 1 right of the table's
header (`suivi.sheet.summary_strip`: a filter never hides it). The workbook and Google
adapters apply the layout each in their own way (`suivi.adapters.tab_layout`,
`google_sheets`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from suivi.i18n import format_day, label
from suivi.i18n.catalogs import gettext
from suivi.model import RawTab
from suivi.schema import OwnedTab
from suivi.sheet.summary_strip import strip_widths, summary_strip, with_strip

# Column widths of the tracking table, in characters (ID, state, days, finish, alerts, updated,
# kind, name, owner); the summary strip's after one blank one.
TRACKING_WIDTHS = (10, 20, 9, 12, 28, 12, 11, 48, 20)
STATE_COLUMN = 1  # "Statut calculé", where the colours go
NEXT_DELIVERABLES = 5
# A tracking state's tone, which the sheet's colours and the terminal's styles both follow.
STATE_TONES: dict[str, str] = {
    "en_retard": "late",
    "termine_en_retard": "at_risk",
    "a_risque": "at_risk",
    "demarrage_tardif": "at_risk",
    "echeance_proche": "soon",
    "sans_mise_a_jour": "soon",
    "done": "done",
    "submitted": "done",
    "validated": "done",
    "suspended": "paused",
    "cancelled": "paused",
}
# Tone → background colour (hex RGB): red for late, amber for at risk, green for done.
TONE_COLOURS = {
    "late": "F4C7C3",
    "at_risk": "FCE8B2",
    "soon": "FFF2CC",
    "done": "D9EAD3",
    "paused": "E0E0E0",
}
STATE_COLOURS = {state: TONE_COLOURS[tone] for state, tone in STATE_TONES.items()}
HEADER_COLOUR = "E5E7EB"


@dataclass(frozen=True)
class StateColour:
    """Cells of a column whose text equals `text` get `colour` (a conditional format)."""

    column: int
    text: str
    colour: str


@dataclass(frozen=True)
class TabLayout:
    """How an owned tab looks: what the adapters apply around the RAW values."""

    frozen_rows: int
    widths: tuple[int, ...]  # characters per column, from A
    filter_columns: int  # the filter covers A1 to this column, all rows of the table
    filter_rows: int
    colours: tuple[StateColour, ...] = ()
    bold_cells: tuple[tuple[int, int], ...] = field(default=())  # (row, column), 0-based


def summary_block(
    tracking: pd.DataFrame, committees: pd.DataFrame, as_of: dt.date, language: str
) -> RawTab:
    """Counts by state, the next committee and the next deliverables, as rows of two cells."""
    counts = tracking["state"].dropna().astype("str").value_counts()
    rows: RawTab = [[gettext("Summary", language), ""]]
    rows += [[label(state, language), int(count)] for state, count in counts.items()]
    rows.append(["", ""])
    dates = pd.to_datetime(committees.get("date", pd.Series(dtype="object")), errors="coerce")
    ahead = committees[(dates >= pd.Timestamp(as_of)).to_numpy()] if len(dates) else committees
    if len(ahead):
        first = ahead.assign(_date=dates).sort_values("_date").iloc[0]
        body = str(first.get("body") or "") if "body" in first.index else ""
        rows.append(
            [
                gettext("Next committee", language),
                f"{format_day(first['_date'], language, 'short')} {body}".strip(),
            ]
        )
    else:
        rows.append([gettext("Next committee", language), "—"])
    rows.append([gettext("Next deliverables", language), ""])
    open_deliverables = tracking[
        (tracking["kind"] == "deliverable").to_numpy()
        & ~tracking["state"].isin(["submitted", "validated"]).to_numpy()
        & tracking["deadline"].notna().to_numpy()
    ].sort_values("deadline", kind="stable")
    for _, row in open_deliverables.head(NEXT_DELIVERABLES).iterrows():
        rows.append([str(row["name"]), format_day(row["deadline"], language, "short")])
    return rows


def tracking_layout(table: RawTab, languages: tuple[str, ...]) -> TabLayout:
    """Frozen header, widths, a filter over the table, colours by state in `languages`' words."""
    width = max((len(row) for row in table[:1]), default=0)
    words = {
        (label(code, language), colour)
        for code, colour in STATE_COLOURS.items()
        for language in languages
    }
    summary_column = width + 1
    return TabLayout(
        frozen_rows=1,
        widths=(*TRACKING_WIDTHS[:width], *strip_widths()),
        filter_columns=width,
        filter_rows=len(table),
        colours=tuple(StateColour(STATE_COLUMN, text, colour) for text, colour in sorted(words)),
        bold_cells=((0, summary_column),),
    )


def tracking_dashboard(
    tabs: dict[str, RawTab],
    tracking: pd.DataFrame,
    committees: pd.DataFrame,
    as_of: dt.date,
    language: str,
) -> tuple[dict[str, RawTab], dict[str, TabLayout]]:
    """The owned tabs with the summary in row 1 right of the tracking table, and its layout."""
    title = OwnedTab.TRACKING.value
    if title not in tabs:
        return tabs, {}
    table = tabs[title]
    layout = tracking_layout(table, (language,))
    block = summary_block(tracking, committees, as_of, language)
    strip = summary_strip(block, language)
    return {**tabs, title: with_strip(table, strip)}, {title: layout}
