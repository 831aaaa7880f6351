"""Data leaves only to the domains the officer allows (`mail.allowed_domains`).

Pure: takes the cleaned tables and the settings, returns new tables without the outside
addresses, the problems that name them (tab, cell, column, row ID) and the officer's notices.
An address dropped here never reaches a message: not an owner's digest, not a committee's
participants (who would get the pack), not a deliverable's owner, not the team's summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import pandas as pd

from suivi.i18n.catalogs import N_
from suivi.model import Problem, ProjectTables, RawTabs
from suivi.schema import COLUMNS, Tab, column_letter
from suivi.settings import Project
from suivi.sheet.clean import find_header, match_tabs

OUTSIDE_ADDRESS = N_(
    "Address outside the allowed domains ({domains}): nothing is sent to {address}"
)
# (tab, canonical column, frame of ProjectTables): where a sheet names someone to write to.
ADDRESS_COLUMNS = (
    (Tab.ACTIVITIES, "owner_email", "activities"),
    (Tab.DELIVERABLES, "owner_email", "deliverables"),
    (Tab.COMMITTEES, "participants", "committees"),
)
ID_COLUMNS = {Tab.ACTIVITIES: "id", Tab.DELIVERABLES: "deliverable", Tab.COMMITTEES: "date"}


def domain_of(address: str) -> str:
    """The lower-case domain of an address (`a@Example.ORG` → `example.org`)."""
    return address.rpartition("@")[2].strip().lower()


def is_allowed(address: str, allowed: Sequence[str]) -> bool:
    """The address is at one of the allowed domains, or one of their subdomains."""
    domain = domain_of(address)
    return any(domain == name or domain.endswith("." + name) for name in _domains(allowed))


def restrict_recipients(
    tables: ProjectTables, tabs: RawTabs, allowed: Sequence[str] | None
) -> ProjectTables:
    """The tables without addresses outside `allowed`, each one a problem; unchanged without the key."""
    if not allowed:
        return tables
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for tab, column, attribute in ADDRESS_COLUMNS:
        frame: pd.DataFrame = getattr(tables, attribute)
        if column not in frame.columns or frame.empty:
            continue
        kept, dropped = _split_column(frame[column], allowed)
        if dropped.empty:
            continue
        frames[attribute] = frame.assign(**{column: kept})
        problems += _problems_of(tables, tabs, tab, column, frame, dropped, allowed)
    return replace(tables, **frames, problems=[*tables.problems, *problems])


def apply_allowed_domains(
    project: Project, tables: ProjectTables, tabs: RawTabs, allowed: Sequence[str] | None
) -> tuple[Project, ProjectTables]:
    """The project (its team) and tables with only allowed addresses; each dropped one a problem."""
    if not allowed:
        return project, tables
    tables = restrict_recipients(tables, tabs, allowed)
    kept, dropped = allowed_team(project.team, allowed)
    if not dropped:
        return project, tables
    problems = [*tables.problems, *team_problems(project.code, dropped, allowed)]
    return project.model_copy(update={"team": kept}), replace(tables, problems=problems)


def allowed_team(team: Iterable[str], allowed: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """The settings' team addresses split into (kept, dropped)."""
    addresses = list(team)
    if not allowed:
        return addresses, []
    kept = [address for address in addresses if is_allowed(_bare(address), allowed)]
    return kept, [address for address in addresses if address not in kept]


def team_problems(project: str, dropped: Iterable[str], allowed: Sequence[str]) -> list[Problem]:
    """A problem per team address of the settings that is outside the allowed domains."""
    return [
        Problem(
            project,
            "",
            "",
            address,
            OUTSIDE_ADDRESS,
            params={"domains": ", ".join(_domains(allowed)), "address": _bare(address)},
            column="team",
        )
        for address in dropped
    ]


def outside_addresses(problems: Iterable[Problem]) -> list[str]:
    """Each address the problems say was dropped, once, in the order met."""
    found = [str(p.params.get("address")) for p in problems if p.message == OUTSIDE_ADDRESS]
    return list(dict.fromkeys(found))


def mailed_problems(problems: Iterable[Problem]) -> list[Problem]:
    """The problems e-mails list: an outside address is told once, by its own notice, not each week."""
    return [problem for problem in problems if problem.message != OUTSIDE_ADDRESS]


def outside_domains(
    tables: ProjectTables, team: Iterable[str], own_domains: Iterable[str]
) -> list[str]:
    """Domains the sheets and the team name besides the officer's own (no `allowed_domains` set)."""
    own = set(_domains(own_domains))
    addresses = [_bare(address) for address in team]
    for _tab, column, attribute in ADDRESS_COLUMNS:
        frame: pd.DataFrame = getattr(tables, attribute)
        if column in frame.columns:
            addresses += [a for cell in _distinct_cells(frame[column]) for a in _as_list(cell)]
    domains = {domain_of(address) for address in addresses if "@" in address}
    return sorted(domain for domain in domains if domain and domain not in own)


# ---------------------------------------------------------------- helpers


def _split_column(values: pd.Series, allowed: Sequence[str]) -> tuple[pd.Series, pd.Series]:
    """(the column with outside addresses removed, the outside addresses of each row)."""
    lists = values.map(_as_list)
    dropped = lists.map(lambda cell: [a for a in cell if not is_allowed(a, allowed)])
    dropped = dropped[dropped.map(len) > 0]
    if values.map(lambda cell: isinstance(cell, list)).any():
        kept = lists.map(lambda cell: [a for a in cell if is_allowed(a, allowed)])
    else:
        keep = lists.map(lambda cell: all(is_allowed(a, allowed) for a in cell))
        kept = values.where(keep, pd.NA)
    return kept, dropped


def _problems_of(
    tables: ProjectTables,
    tabs: RawTabs,
    tab: Tab,
    column: str,
    frame: pd.DataFrame,
    dropped: pd.Series,
    allowed: Sequence[str],
) -> list[Problem]:
    """One problem per outside address, on its cell."""
    title = tables.tab_titles.get(tab.value) or match_tabs(tabs).get(tab, tab.value)
    letter, header = _letter_of(tabs.get(title, []), tab, column)
    domains = ", ".join(_domains(allowed))
    id_column = ID_COLUMNS[tab]
    problems = []
    for index, addresses in dropped.items():  # only rows with an outside address
        row = frame.at[index, "row"] if "row" in frame.columns else index
        row_id = frame.at[index, id_column] if id_column in frame.columns else ""
        for address in addresses:
            problems.append(
                Problem(
                    tables.project,
                    title,
                    f"{letter}{int(row)}" if letter else "",
                    address,
                    OUTSIDE_ADDRESS,
                    params={"domains": domains, "address": address},
                    column=header,
                    row_id=_text(row_id),
                )
            )
    return problems


def _letter_of(rows: list[list[object]], tab: Tab, column: str) -> tuple[str, str]:
    """The sheet column letter and header of a canonical column, when its header is found."""
    header_row, mapping = find_header(rows, tab)
    for position, name in mapping.items():
        if name == column and header_row is not None:
            return column_letter(position + 1), str(rows[header_row][position])
    fallback = next((c.fr for c in COLUMNS[tab] if c.name == column), column)
    return "", fallback


def _distinct_cells(values: pd.Series) -> list[object]:
    """The column's non-missing cells, each distinct one once (list cells: every one)."""
    cells = values.dropna().to_numpy(dtype=object)
    try:
        return list(pd.unique(cells))
    except TypeError:  # a list cell cannot be hashed: the cells as they are
        return list(cells)


def _as_list(cell: object) -> list[str]:
    if isinstance(cell, list | tuple):
        return [str(item).strip().lower() for item in cell]
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return []
    return [str(cell).strip().lower()] if str(cell).strip() else []


def _bare(address: str) -> str:
    """`Équipe <equipe@x.org>` → `equipe@x.org`."""
    text = str(address).strip()
    if "<" in text and text.endswith(">"):
        text = text[text.rindex("<") + 1 : -1]
    return text.lower()


def _domains(names: Iterable[str]) -> list[str]:
    return [
        str(name).strip().lower().lstrip("@").lstrip(".") for name in names if str(name).strip()
    ]


def _text(value: object) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return value.date().isoformat() if hasattr(value, "hour") else value.isoformat()
    return str(value)
