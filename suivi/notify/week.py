"""The weekly summary's opening, "This week": what the coming days hold, in five lines at most.

Pure: the planner calls `week_ahead` with the frames it already has; the renderer turns the
result into lines in the mail's language with `week_lines`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from suivi.compute.changes import done_mask, flag_mask
from suivi.i18n import format_day
from suivi.i18n.catalogs import N_, NN_, Plural, gettext, ngettext
from suivi.schema import Flag

WEEK_DAYS = 7  # "this week": today and the seven days after (a Monday sees next Monday)
NAMED = 3  # items named on a line; the rest are counted
Isolate = Callable[[object], object]  # keeps a sheet value whole inside the mail's direction


def week_ahead(
    tracking: pd.DataFrame,
    committees: list[dict[str, Any]],
    newly_late: pd.DataFrame,
    as_of: dt.date,
    *,
    first_run: bool,
) -> dict[str, Any]:
    """What the week holds: meetings, deliverables due, what became late, what needs a decision."""
    until = as_of + dt.timedelta(days=WEEK_DAYS)
    deadline = pd.to_datetime(tracking["deadline"], errors="coerce")
    deliverable = (tracking["kind"] == "deliverable").to_numpy()
    activity = (tracking["kind"] == "activity").to_numpy()
    done = done_mask(tracking).to_numpy()
    late = flag_mask(tracking, Flag.LATE).to_numpy()
    at_risk = flag_mask(tracking, Flag.AT_RISK).to_numpy()
    due = (
        deliverable & ~done & deadline.between(pd.Timestamp(as_of), pd.Timestamp(until)).to_numpy()
    )
    # Only the columns a line reads are copied when rows are picked out.
    named = tracking[_read_columns(tracking)]
    became_late = named[late] if first_run else newly_late[_read_columns(newly_late)]
    return {
        "until": until,
        "first_run": first_run,
        "meetings": [
            {"body": meeting.get("body"), "date": meeting.get("date")}
            for meeting in committees
            if meeting.get("date") is not None
            and pd.Timestamp(meeting["date"]) <= pd.Timestamp(until)
        ],
        "deliverables_due": _named(named[due].sort_values("deadline"), with_date=True),
        "late_activities": _named(became_late[(became_late["kind"] == "activity").to_numpy()]),
        "late_deliverables": _named(became_late[(became_late["kind"] == "deliverable").to_numpy()]),
        "at_risk": _named(named[activity & at_risk]),
        "overdue_deliverables": _named(named[deliverable & late]),
        "activities": int(activity.sum()),
        "activities_late": int((activity & late).sum()),
        "deliverables_open": int((deliverable & ~done).sum()),
        "deliverables_late": int((deliverable & late).sum()),
    }


def _read_columns(rows: pd.DataFrame) -> list[str]:
    """The columns `week_ahead` reads that the frame has."""
    return [column for column in ("kind", "id", "name", "deadline") if column in rows.columns]


def _named(rows: pd.DataFrame, *, with_date: bool = False) -> dict[str, Any]:
    """How many rows, and the first few by their shortest name (the ID, else the title)."""
    first = rows.head(NAMED)
    identifiers = first["id"].where(first["id"].notna() & (first["id"] != ""), first["name"])
    names = [str(value) for value in identifiers]
    dates = list(first["deadline"]) if with_date else [None] * len(names)
    return {"count": len(rows), "names": list(zip(names, dates, strict=True))}


def week_lines(week: dict[str, Any], language: str, isolate: Isolate) -> list[str]:
    """The opening lines, in `language`; sheet text passes through `isolate`."""
    if not week:
        return []
    until = format_day(week["until"], language, "short")
    return [
        _meetings_line(week["meetings"], until, language, isolate),
        _deliverables_line(week["deliverables_due"], until, language, isolate),
        _late_line(week, language, isolate),
        _decision_line(week, language, isolate),
        _counts_line(week, language),
    ]


def _meetings_line(
    meetings: list[dict[str, Any]], until: str, language: str, isolate: Isolate
) -> str:
    if not meetings:
        return gettext("Meetings: none until {date}.", language, date=until)
    shown = ", ".join(
        gettext(
            "{body} on {date}",
            language,
            body=isolate(meeting["body"] or "—"),
            date=format_day(meeting["date"], language, "full"),
        )
        for meeting in meetings[:NAMED]
    )
    return gettext("Meetings: {meetings}.", language, meetings=shown)


def _deliverables_line(due: dict[str, Any], until: str, language: str, isolate: Isolate) -> str:
    if not due["count"]:
        return gettext("Deliverables due: none until {date}.", language, date=until)
    shown = _list(due, language, isolate)
    return gettext("Deliverables due: {deliverables}.", language, deliverables=shown)


# Each part of a line: the week's group and how its count reads.
LATE_PARTS = (
    ("late_activities", NN_("{count} activity ({names})", "{count} activities ({names})")),
    ("late_deliverables", NN_("{count} deliverable ({names})", "{count} deliverables ({names})")),
)
DECISION_PARTS = (
    ("at_risk", NN_("{count} activity at risk ({names})", "{count} activities at risk ({names})")),
    (
        "overdue_deliverables",
        NN_("{count} overdue deliverable ({names})", "{count} overdue deliverables ({names})"),
    ),
)


def _counted_parts(
    week: dict[str, Any], parts: tuple[tuple[str, Plural], ...], language: str, isolate: Isolate
) -> list[str]:
    """`3 activities (A1, A2, A3)` for each group of the week that has any."""
    return [
        ngettext(
            words.singular,
            words.plural,
            week[group]["count"],
            language,
            names=_list(week[group], language, isolate),
        )
        for group, words in parts
        if week[group]["count"]
    ]


def _late_line(week: dict[str, Any], language: str, isolate: Isolate) -> str:
    parts = _counted_parts(week, LATE_PARTS, language, isolate)
    if not parts:
        return gettext("Nothing became late.", language)
    # With no earlier run, nothing "became" late: the line lists what is late.
    message = N_("Late: {items}.") if week["first_run"] else N_("Became late: {items}.")
    return gettext(message, language, items="; ".join(parts))


def _decision_line(week: dict[str, Any], language: str, isolate: Isolate) -> str:
    parts = _counted_parts(week, DECISION_PARTS, language, isolate)
    if not parts:
        return gettext("To decide: nothing.", language)
    return gettext("To decide: {items}.", language, items="; ".join(parts))


def _counts_line(week: dict[str, Any], language: str) -> str:
    activities = ngettext(
        "{count} activity, {late} late",
        "{count} activities, {late} late",
        week["activities"],
        language,
        late=week["activities_late"],
    )
    deliverables = ngettext(
        "{count} deliverable not submitted, {late} late",
        "{count} deliverables not submitted, {late} late",
        week["deliverables_open"],
        language,
        late=week["deliverables_late"],
    )
    return gettext(
        "Counts: {activities} · {deliverables}.",
        language,
        activities=activities,
        deliverables=deliverables,
    )


def _list(named: dict[str, Any], language: str, isolate: Isolate) -> str:
    """`A1.2, A3.1, A4.4 …`: the named ones, then an ellipsis when there are more."""
    shown = [
        str(isolate(name)) + (f" ({format_day(day, language, 'short')})" if day is not None else "")
        for name, day in named["names"]
    ]
    more = " …" if named["count"] > len(shown) else ""
    return ", ".join(shown) + more
