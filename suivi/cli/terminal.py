"""`suivi status` in a terminal: per project, activities, deliverables and indicators in its language.

One vocabulary (each state's label, as in the sheet's `Suivi automatique` tab), rounded numbers,
dates as people write them, at most 100 columns. JSON and CSV keep the contract's names.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterable, Mapping
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from suivi.i18n import format_day, format_fraction, format_number, label, translate
from suivi.i18n.catalogs import gettext
from suivi.sheet.dashboard import STATE_TONES

MAX_WIDTH = 100
# State → colour: the words carry the meaning, the colour only helps the eye. A tracking
# state has its tone in the sheet (a paused one stays plain); an indicator's forecast its own.
TONE_STYLES = {"late": "bold red", "at_risk": "yellow", "soon": "yellow", "done": "green"}
STATE_STYLES: dict[str, str] = {
    **{state: TONE_STYLES[tone] for state, tone in STATE_TONES.items() if tone in TONE_STYLES},
    "behind": "bold red",
    "achieved": "green",
    "on_track": "cyan",
}


def terminal_width() -> int:
    """The terminal's width, never above MAX_WIDTH (a pipe or a log gets MAX_WIDTH)."""
    return min(shutil.get_terminal_size((MAX_WIDTH, 24)).columns, MAX_WIDTH)


def render_status(
    records: list[dict[str, Any]],
    languages: Mapping[str, str],
    *,
    width: int = MAX_WIDTH,
    colour: bool = False,
) -> str:
    """The status records as one block per project: tables in the project's language."""
    output = io.StringIO()
    console = Console(
        file=output,
        width=width,
        color_system="standard" if colour else None,
        force_terminal=colour,
        highlight=False,
        emoji=False,
    )
    projects = list(dict.fromkeys(str(record["project"]) for record in records))
    for project in projects:
        language = languages.get(project, "fr")
        mine = [record for record in records if record["project"] == project]
        console.print(Group(*_project_block(project, mine, language, width)))
    lines = output.getvalue().rstrip("\n").splitlines()
    return "\n".join(line.rstrip() for line in lines)


def _project_block(
    project: str, records: list[dict[str, Any]], language: str, width: int
) -> list[RenderableType]:
    """The project's activities, deliverables and indicators."""
    blocks: list[RenderableType] = []
    for kind, title in (
        ("activity", gettext("Activities", language)),
        ("deliverable", gettext("Deliverables", language)),
    ):
        rows = [record for record in records if record["kind"] == kind]
        if rows:
            table = _items_table(
                f"{project} · {title}", rows, language, width, with_id=kind == "activity"
            )
            blocks.append(table)
    indicators = [record for record in records if record["kind"] == "indicator"]
    if indicators:
        title = gettext("Indicators", language)
        blocks.append(_indicators_table(f"{project} · {title}", indicators, language, width))
    return blocks


def _table(title: str) -> Table:
    """A compact table with a title on the left."""
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),  # with the blank column separator: two spaces between columns
        pad_edge=False,
        expand=False,
        show_edge=False,
    )


def _items_table(
    title: str, rows: Iterable[dict[str, Any]], language: str, width: int, *, with_id: bool
) -> Table:
    """Activities or deliverables: (ID,) name, owner, state, days late, projected finish."""
    table = _table(title)
    fixed = {"owner": 14, "state": 19, "days": 10, "finish": 13, "id": 6 if with_id else 0}
    if with_id:
        table.add_column(translate("col.id", language), width=fixed["id"], overflow="fold")
    table.add_column(
        translate("col.name", language),
        width=_rest(width, fixed, 6 if with_id else 5),
        no_wrap=True,
        overflow="ellipsis",
    )
    table.add_column(
        translate("col.owner", language), width=fixed["owner"], no_wrap=True, overflow="ellipsis"
    )
    table.add_column(translate("col.state", language), width=fixed["state"], overflow="fold")
    table.add_column(gettext("Days late", language), width=fixed["days"], justify="right")
    table.add_column(translate("col.projected_finish", language), width=fixed["finish"])
    for row in rows:
        days = row.get("days_late")
        cells = [str(row.get("id") or "")] if with_id else []
        table.add_row(
            *cells,
            str(row.get("name") or ""),
            str(row.get("owner") or ""),
            _states(row.get("state"), row.get("flags") or [], language),
            str(days) if days else "",
            format_day(row.get("projected_finish"), language, "short")
            if row.get("projected_finish")
            else "",
        )
    return table


def _indicators_table(
    title: str, rows: Iterable[dict[str, Any]], language: str, width: int
) -> Table:
    """Indicators: code, name, current value, share achieved, status."""
    table = _table(title)
    fixed = {"code": 6, "current": 15, "achievement": 8, "state": 15}
    table.add_column(translate("col.code", language), width=fixed["code"], overflow="fold")
    table.add_column(
        translate("col.indicator", language),
        width=_rest(width, fixed, 5),
        no_wrap=True,
        overflow="ellipsis",
    )
    table.add_column(translate("col.current", language), width=fixed["current"], justify="right")
    table.add_column(
        translate("col.achievement", language), width=fixed["achievement"], justify="right"
    )
    table.add_column(translate("col.state", language), width=fixed["state"], overflow="fold")
    for row in rows:
        table.add_row(
            str(row.get("id") or ""),
            str(row.get("name") or ""),
            format_number(row.get("current"), language),
            format_fraction(row.get("achievement"), language),
            _states(row.get("state") or "no_data", [], language),
        )
    return table


def _rest(width: int, fixed: Mapping[str, int], columns: int) -> int:
    """What is left of `width` for the flexible column (each column has a 1-space gap each side)."""
    return max(12, width - sum(fixed.values()) - 2 * columns)


def _states(state: object, flags: list[str], language: str) -> Text:
    """The state's label, then the other flags' labels, coloured by the first."""
    codes = [str(state)] if state else []
    codes += [flag for flag in flags if flag not in codes]
    words = " · ".join(label(code, language) for code in codes)
    return Text(words, style=STATE_STYLES.get(codes[0], "") if codes else "")
