"""What is due to whom today: views of each project → one Message per recipient and occasion."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from suivi.compute.calendar import Calendar
from suivi.compute.changes import Changes, done_mask, flag_mask
from suivi.compute.flags import flag_lists
from suivi.model import CONTROL_CHARACTERS, ProjectTables, records
from suivi.notify import escalation
from suivi.notify.due import DueWindow, RunDays, due_window, overdue_since
from suivi.notify.funders import funders_context
from suivi.notify.recipients import mailed_problems, outside_addresses, outside_domains
from suivi.notify.week import week_ahead
from suivi.schema import FLAG_ORDER, TAB_HEADERS, Flag, Tab
from suivi.settings import Config, Language, Person, Project

# Caps bound the context; templates show fewer (Gmail clips HTML past ~102 KB) and say how
# many more there are; the full list lives in the sheet's "Suivi automatique" tab.
MAX_ROWS = 100
MAX_PROBLEMS = 100
MAX_COMMITTEES = 5
UPCOMING_DAYS = 60  # how far ahead the weekly looks for deliverables
PACK_HORIZON_DAYS = 90  # deliverables in a meeting pack when no later meeting is planned
MAX_ERROR_CHARS = 4000

# Flags an owner is asked to act on (done-late is reported, never alerted).
DIGEST_FLAGS: tuple[Flag, ...] = (
    Flag.LATE,
    Flag.AT_RISK,
    Flag.LATE_START,
    Flag.DUE_SOON,
    Flag.STALE,
)
ITEM_COLUMNS = [
    "project", "kind", "id", "name", "owner", "owner_email", "funder", "status", "state",
    "progress", "planned_start", "deadline", "days_late", "projected_finish", "last_update",
    "row", "tab", "flags", "previous_progress", "previous_state", "points_per_week_needed",
]  # fmt: skip
INDICATOR_COLUMNS = [
    "code", "level", "output", "name", "unit", "baseline", "target", "target_date",
    "current", "achievement", "expected", "status", "last_measure", "owner",
    "projected", "monthly_rate_needed", "forecast_status", "missing_measure",
]  # fmt: skip
COMMITTEE_COLUMNS = ["date", "time", "body", "place", "agenda", "participants"]
# Plain ASCII addresses only: the transport cannot send SMTPUTF8, and `|` would split keys.
EMAIL_PATTERN = r"[A-Za-z0-9.!#$%&'*+/=?^_`{}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"

Recipient = tuple[str, str]  # (display name, address)
# A section to build: a frame of tracking rows (no item columns yet), which of them to keep
# (None: all), the sort keys and their directions.
SectionRows = tuple[pd.DataFrame, np.ndarray | None, list[str] | None, list[bool] | None]
# The weekly summary's flag sections: each one's flag and reading order.
FLAG_SECTIONS: dict[str, tuple[Flag, list[str], list[bool]]] = {
    "late": (Flag.LATE, ["days_late", "deadline"], [False, True]),
    "at_risk": (Flag.AT_RISK, ["deadline"], [True]),
    "late_start": (Flag.LATE_START, ["planned_start"], [True]),
    "due_soon": (Flag.DUE_SOON, ["deadline"], [True]),
    "stale": (Flag.STALE, ["last_update"], [True]),
}
# Tracking columns an item row is built from (flags included): what the digest keeps of a row.
ITEM_SOURCE_COLUMNS = frozenset([*ITEM_COLUMNS, *(flag.value for flag in FLAG_ORDER)])


class MessageKind(StrEnum):
    """Every e-mail the product sends."""

    WEEKLY_SUMMARY = "weekly_summary"
    OWNER_DIGEST = "owner_digest"
    COMMITTEE_REMINDER = "committee_reminder"
    DELIVERABLE_REMINDER = "deliverable_reminder"
    DELIVERABLE_OVERDUE = "deliverable_overdue"
    LATE_ALERT = "late_alert"
    PROBLEM_REPORT = "problem_report"
    RUN_FAILURE = "run_failure"
    ESCALATION = "escalation"
    OUTSIDE_RECIPIENT = "outside_recipient"  # an address dropped by mail.allowed_domains
    RECIPIENT_DOMAINS = "recipient_domains"  # no allowed_domains: the domains data goes to
    FORCED_RUN = "forced_run"  # a run started with force: e-mails sent again


@dataclass(frozen=True)
class Message:
    """One e-mail to one recipient on one occasion; `context` is what its templates need."""

    kind: MessageKind
    project: str  # project code, "*" for the portfolio
    occasion: str  # 2026-W50, 2026-12-14:J-7, 2026-12-07:1a2b3c4d, ...
    to: tuple[Recipient, ...]  # exactly one (name, address): exactly-once is per recipient
    language: Language
    context: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    cc: tuple[Recipient, ...] = field(default=(), compare=False, hash=False)

    @property
    def recipient(self) -> str:
        """The recipient's address."""
        return self.to[0][1] if self.to else ""

    @property
    def key(self) -> str:
        """Exactly-once identity: kind|project|occasion|recipient."""
        parts = (str(self.kind), self.project, self.occasion, self.recipient)
        return "|".join(part.replace("|", "/") for part in parts)


@dataclass(frozen=True, eq=False)
class ProjectView:
    """Everything known about one project for this run, as the flow gathered it."""

    project: Project
    tables: ProjectTables
    tracking: pd.DataFrame
    indicators: pd.DataFrame
    changes: Changes
    problems_changed: bool = False
    first_run: bool = False


# ---------------------------------------------------------------- weekly


def plan_weekly(
    views: Sequence[ProjectView], config: Config, as_of: dt.date, calendar: Calendar
) -> list[Message]:
    """Weekly summaries (officer and team) and one digest per owner e-mail."""
    del calendar  # the weekly sends on its schedule; no day shifting applies
    messages: list[Message] = []
    for view in views:
        messages.extend(_weekly_summaries(view, config, as_of))
    messages.extend(_owner_digests(views, config, as_of))
    messages.extend(recipient_notices(views, config, as_of, first_run=True))
    return _unique(messages)


def _weekly_summaries(view: ProjectView, config: Config, as_of: dt.date) -> list[Message]:
    """The weekly summary of one project, once per recipient."""
    project = view.project
    tracking = _conform_tracking(view.tracking)
    thresholds = config.thresholds
    officer = config.officer_of(project)
    without_email = _owners_without_email(tracking)
    committees = _upcoming_committees(view.tables.committees, as_of)
    first_run = view.first_run or view.changes.first_run
    newly_late = _conform_tracking(view.changes.newly_late)
    upcoming = _upcoming_deliverables(tracking, as_of)
    shown = _sections(
        view,
        {
            **_flag_rows(tracking),
            "deliverables": (tracking, upcoming, ["deadline"], [True]),
        },
    )
    context = {
        **_common(view, config, as_of),
        "week": as_of.isocalendar().week,
        "first_run": view.first_run,
        "thresholds": {
            "due_soon_days": thresholds.due_soon_days,
            "stale_days": thresholds.stale_days,
        },
        "this_week": week_ahead(tracking, committees, newly_late, as_of, first_run=first_run),
        "counts": _counts(tracking, view),
        "changes": _changes_context(view),
        **{name: shown[name] for name in FLAG_SECTIONS},
        "indicators": _records(_conform(view.indicators, INDICATOR_COLUMNS)),
        "committees": committees,
        "deliverables": shown["deliverables"],
        "problems": _problems(view, config.language_of(view.project)),
        "owners_without_email": without_email,
        **funders_context(tracking, view.indicators, as_of),
    }
    recipients = [_recipient(officer.name, officer.email)]
    recipients += [_recipient(*_split_address(address)) for address in project.team]
    return [
        _message(
            MessageKind.WEEKLY_SUMMARY,
            project.code,
            _week_of(as_of),
            person,
            config,
            project,
            context,
        )
        for person in _distinct(recipients)
    ]


def _owner_digests(views: Sequence[ProjectView], config: Config, as_of: dt.date) -> list[Message]:
    """One e-mail per owner address with all their items needing action, across projects."""
    if not views:
        return []
    items = pd.concat([_needing_action(view) for view in views], ignore_index=True)
    items = _by_severity(items[items["address"].notna().to_numpy()])
    to_measure = pd.concat([_missing_measures(view) for view in views], ignore_index=True)
    views_by_code = {view.project.code: view for view in views}
    # Positions of each address's rows, in severity order: one grouping, not a filter per owner.
    owned_at = items.groupby("address", sort=False).indices
    measures_at = to_measure.groupby(to_measure["address"].astype("str"), sort=False).indices
    item_projects = items["project"].astype("str").to_numpy()
    owners = _stripped_texts(pd.concat([items["owner"], to_measure["owner"]], ignore_index=True))
    item_owners, measure_owners = owners[: len(items)], owners[len(items) :]
    nothing = np.empty(0, dtype="int64")
    digests = []
    for address in sorted({str(address) for address in [*owned_at, *measures_at]}):
        owned = owned_at.get(address, nothing)
        measured = measures_at.get(address, nothing)
        measures_due = to_measure.iloc[measured]
        codes = list(dict.fromkeys([*item_projects[owned], *measures_due["project"].astype("str")]))
        owned_views = [views_by_code[code] for code in codes if code in views_by_code]
        name = _first_non_empty([*item_owners[owned], *measure_owners[measured]])
        # Per project, the address's first rows (the digest shows no more) and how many in all.
        shown = {
            view.project.code: owned[item_projects[owned] == view.project.code]
            for view in owned_views
        }
        digests.append((address, codes, owned, measures_due, owned_views, name, shown))
    rows = _digest_rows(items, views_by_code, [shown for *_, shown in digests])
    messages = []
    for (address, codes, owned, measures_due, owned_views, name, _), sections in zip(
        digests, rows, strict=True
    ):
        projects = [view.project for view in owned_views]
        languages = {config.language_of(project) for project in projects}
        language = languages.pop() if len(languages) == 1 else config.language
        officer = config.officer_of(projects[0]) if len(projects) == 1 else config.officer
        context = {
            "project": {
                "code": ", ".join(codes),
                "name": ", ".join(project.name for project in projects),
            },
            "as_of": as_of,
            "week": as_of.isocalendar().week,
            "officer": _person(officer),
            "projects": [
                {
                    "code": view.project.code,
                    "name": view.project.name,
                    **sections[view.project.code],
                }
                for view in owned_views
            ],
            "counts": {"count": len(owned)},
            "to_measure": _records(measures_due.drop(columns=["address"])),
        }
        person = _recipient(name, address)
        if person is None:
            continue
        messages.append(
            Message(
                kind=MessageKind.OWNER_DIGEST,
                project="*",
                occasion=_week_of(as_of),
                to=(person,),
                language=language,
                context={**context, "recipient": _named(person)},
            )
        )
    return messages


def _needing_action(view: ProjectView) -> pd.DataFrame:
    """A view's rows an owner is asked to act on, with the project's code and a usable address."""
    tracking = _conform_tracking(view.tracking)
    rows = tracking[_any_flag(tracking, DIGEST_FLAGS).to_numpy()]
    # Only what the digest reads: the item columns are added to the rows it shows.
    columns = [column for column in tracking.columns if column in ITEM_SOURCE_COLUMNS]
    return rows[columns].assign(project=view.project.code, address=_addresses(rows["owner_email"]))


def _digest_rows(
    items: pd.DataFrame,
    views_by_code: dict[str, ProjectView],
    digests: list[dict[str, np.ndarray]],
) -> list[dict[str, dict[str, Any]]]:
    """Each digest's section per project: the rows shown as records, one conversion per project."""
    wanted: dict[str, list[np.ndarray]] = {}
    for shown in digests:
        for code, positions in shown.items():
            wanted.setdefault(code, []).append(positions[:MAX_ROWS])
    converted: dict[str, list[list[dict[str, Any]]]] = {}
    for code, pieces in wanted.items():
        rows = items.iloc[np.concatenate(pieces)]
        view = views_by_code[code]
        every = _records(_with_item_columns(view, rows).assign(address=rows["address"]))
        ends = np.cumsum([len(piece) for piece in pieces])
        converted[code] = [
            every[end - len(piece) : end] for piece, end in zip(pieces, ends, strict=True)
        ]
    taken = dict.fromkeys(converted, 0)
    sections = []
    for shown in digests:
        section = {}
        for code, positions in shown.items():
            section[code] = _counted(converted[code][taken[code]], len(positions), MAX_ROWS)
            taken[code] += 1
        sections.append(section)
    return sections


def _missing_measures(view: ProjectView) -> pd.DataFrame:
    """Indicators overdue for a measure (`mesure_manquante`), with their owner's address.

    The `Indicateurs` tab names owners without addresses: the address is the one the same
    person has in `Activités` or `Échéances`.
    """
    columns = ["project", "code", "name", "owner", "last_measure", "address"]
    indicators = view.indicators
    if "missing_measure" not in indicators.columns or indicators.empty:
        return pd.DataFrame(columns=columns)
    missing = indicators[indicators["missing_measure"].fillna(False).astype(bool)]
    known = view.tracking[["owner", "owner_email"]].dropna().drop_duplicates("owner")
    book = pd.Series(
        _addresses(known["owner_email"]).to_numpy(), index=known["owner"].astype("str")
    )
    rows = missing.assign(
        project=view.project.code, address=missing["owner"].astype("str").map(book)
    )
    return rows[rows["address"].notna()][columns].reset_index(drop=True)


# ---------------------------------------------------------------- daily


def plan_daily(
    views: Sequence[ProjectView],
    config: Config,
    as_of: dt.date,
    calendar: Calendar,
    run_days: RunDays | None = None,
    last_run: dt.date | None = None,
) -> list[Message]:
    """Reminders falling due by the next scheduled run, and alerts on what is new since the last run.

    `run_days` are the daily schedule's days (Monday to Friday unless told); `last_run` the
    day of the last daily run whose e-mails were planned: reminders whose day no run saw go
    now (CONTRACT §6.1).
    """
    days = run_days or RunDays(calendar=calendar if config.working_days else None)
    window = due_window(as_of, days, last_run)
    overdue_from = overdue_since(
        as_of, _overdue_window_start(as_of, calendar, config.working_days), last_run
    )
    messages: list[Message] = []
    for view in views:
        messages += _committee_reminders(view, config, as_of, window)
        messages += _deliverable_reminders(view, config, as_of, window)
        if not window.empty:  # false on a day off in working-days mode
            messages += _deliverable_overdue(view, config, as_of, overdue_from)
        messages += _late_alerts(view, config, as_of, overdue_from)
        if view.problems_changed:
            messages += _problem_report(view, config, as_of)
        messages += plan_escalations(view, config, as_of)
    messages += recipient_notices(views, config, as_of)
    return _unique(messages)


def _overdue_window_start(as_of: dt.date, calendar: Calendar, working_days: bool) -> dt.date:
    """Earliest due date whose overdue alert goes out today (or on the next working day)."""
    yesterday = as_of - dt.timedelta(days=1)
    return calendar.previous_working_day(yesterday) if working_days else yesterday


def _committee_reminders(
    view: ProjectView, config: Config, as_of: dt.date, window: DueWindow
) -> list[Message]:
    """Committee reminders due today, to each participant and the officer, with the pack."""
    committees = _conform(view.tables.committees, COMMITTEE_COLUMNS)
    offsets = sorted(set(config.reminders_of(view.project).committee_days))
    if committees.empty or not offsets or window.empty:
        return []
    dated = committees.assign(
        date=pd.to_datetime(committees["date"], errors="coerce").dt.normalize(),
        position=np.arange(len(committees)),
    )
    due = _due_reminders(dated, "date", offsets, window)
    if due.empty:
        return []
    project = view.project
    officer = config.officer_of(project)
    tracking = _conform_tracking(view.tracking)
    late = _with_item_columns(view, tracking[flag_mask(tracking, Flag.LATE).to_numpy()])
    at_risk = _with_item_columns(view, tracking[flag_mask(tracking, Flag.AT_RISK).to_numpy()])
    # Two meetings the same day would share "date:J-n": the body tells them apart.
    shared_day = dated["date"].duplicated(keep=False).to_numpy()
    messages = []
    for meeting in _records(due):  # the handful of meetings due today
        day = meeting["date"]
        horizon = _next_meeting_after(dated, day) or day + dt.timedelta(days=PACK_HORIZON_DAYS)
        deliverables = _unsubmitted_deliverables(tracking, until=horizon)
        participants = _participants(meeting["participants"])
        committee = {**meeting, "participants": participants}
        context = {
            **_common(view, config, as_of),
            "committee": committee,
            "days_before": meeting["offset"],
            "horizon": horizon,
            "late": _section(late, by=["days_late"], ascending=[False]),
            "at_risk": _section(at_risk, by=["deadline"], ascending=[True]),
            "indicators": _records(_conform(view.indicators, INDICATOR_COLUMNS)),
            "deliverables": _section(
                _with_item_columns(view, deliverables), by=["deadline"], ascending=[True]
            ),
            "changes": _changes_context(view),
        }
        label = f"{day.isoformat()}"
        if shared_day[meeting["position"]]:
            label += f"-{_slug(meeting['body'])}"
        occasion = f"{label}:J-{meeting['offset']}"
        recipients = [_recipient("", address) for address in participants]
        recipients.append(_recipient(officer.name, officer.email))
        messages += [
            _message(
                MessageKind.COMMITTEE_REMINDER,
                project.code,
                occasion,
                person,
                config,
                project,
                context,
            )
            for person in _distinct(recipients)
        ]
    return messages


def _deliverable_reminders(
    view: ProjectView, config: Config, as_of: dt.date, window: DueWindow
) -> list[Message]:
    """Reminders before a deliverable's due date, to its owner and the officer, until submitted."""
    offsets = sorted(set(config.reminders_of(view.project).deliverable_days))
    tracking = _conform_tracking(view.tracking)
    open_deliverables = tracking[
        ((tracking["kind"] == "deliverable") & ~done_mask(tracking)).to_numpy()
    ]
    if open_deliverables.empty or not offsets or window.empty:
        return []
    due = _due_reminders(
        _with_item_columns(view, open_deliverables).assign(
            deadline=lambda rows: pd.to_datetime(rows["deadline"], errors="coerce").dt.normalize()
        ),
        "deadline",
        offsets,
        window,
    )
    messages = []
    for item in _records(due):
        occasion = f"{item['deadline'].isoformat()}:J-{item['offset']}:{_slug(item['id'])}"
        messages += _to_owner_and_officer(
            MessageKind.DELIVERABLE_REMINDER,
            view,
            config,
            as_of,
            occasion,
            item,
            days_before=item["offset"],
        )
    return messages


def _deliverable_overdue(
    view: ProjectView, config: Config, as_of: dt.date, overdue_from: dt.date
) -> list[Message]:
    """The day after its due date (next working day), once: an unsubmitted deliverable."""
    tracking = _conform_tracking(view.tracking)
    deadline = pd.to_datetime(tracking["deadline"], errors="coerce").dt.normalize()
    overdue = (
        (tracking["kind"] == "deliverable")
        & ~done_mask(tracking)
        & deadline.between(pd.Timestamp(overdue_from), pd.Timestamp(as_of), inclusive="left")
    )
    messages = []
    for item in _records(_with_item_columns(view, tracking[overdue.to_numpy()])):
        occasion = f"{item['deadline'].isoformat()}:{_slug(item['id'])}"
        messages += _to_owner_and_officer(
            MessageKind.DELIVERABLE_OVERDUE, view, config, as_of, occasion, item
        )
    return messages


def _late_alerts(
    view: ProjectView, config: Config, as_of: dt.date, overdue_from: dt.date
) -> list[Message]:
    """Newly late items to each owner and the officer; on a first run, one list to the officer."""
    project = view.project
    officer = config.officer_of(project)
    newly_late = _with_item_columns(view, _conform_tracking(view.changes.newly_late))
    if not view.first_run:
        # A deliverable that just went late gets its own overdue alert: do not say it twice.
        deadline = pd.to_datetime(newly_late["deadline"], errors="coerce").dt.normalize()
        covered = (newly_late["kind"] == "deliverable") & (deadline >= pd.Timestamp(overdue_from))
        newly_late = newly_late[~covered.to_numpy()]
    if newly_late.empty:
        return []
    newly_late = newly_late.sort_values(
        ["days_late", "deadline"], ascending=[False, True], na_position="last", kind="stable"
    )
    common = {**_common(view, config, as_of), "first_run": view.first_run}

    def alert(person: Recipient | None, rows: pd.DataFrame) -> list[Message]:
        """The alert listing `rows` to one person (none without a usable address)."""
        if person is None:
            return []
        keys = rows["kind"].astype("str") + ":" + rows["id"].astype("str")
        occasion = f"{as_of.isoformat()}:{_digest(keys)}"
        context = {**common, "items": _section(rows, by=None)}
        return [
            _message(
                MessageKind.LATE_ALERT, project.code, occasion, person, config, project, context
            )
        ]

    officer_person = _recipient(officer.name, officer.email)
    messages = alert(officer_person, newly_late)
    if view.first_run:
        return messages
    addresses = _addresses(newly_late["owner_email"])
    owned = newly_late.assign(address=addresses)[addresses.notna().to_numpy()]
    for address, rows in owned.groupby("address", sort=True):
        if officer_person is not None and address == officer_person[1]:
            continue  # the officer's own list already holds every item
        messages += alert(_recipient(_first_text(rows["owner"]), str(address)), rows)
    return messages


def _problem_report(view: ProjectView, config: Config, as_of: dt.date) -> list[Message]:
    """The data problems, to the officer, when they changed since the last run."""
    project = view.project
    officer = config.officer_of(project)
    person = _recipient(officer.name, officer.email)
    if person is None:
        return []
    problems = mailed_problems(view.tables.problems)
    fingerprint = _digest(
        pd.Series([f"{p.tab}:{p.cell}:{p.message}" for p in problems], dtype="str")
    )
    context = {
        **_common(view, config, as_of),
        "problems": _problems(view, config.language_of(view.project)),
    }
    occasion = f"{as_of.isoformat()}:{fingerprint}"
    return [
        _message(
            MessageKind.PROBLEM_REPORT, project.code, occasion, person, config, project, context
        )
    ]


def plan_escalations(view: ProjectView, config: Config, as_of: dt.date) -> list[Message]:
    """Items late long enough to go up (rules in suivi.notify.escalation), one alert each."""
    rules = config.escalation
    if rules is None or view.tracking.empty:
        return []
    items = _with_item_columns(view, view.tracking)
    items = items.assign(
        level=escalation.escalation_levels(_conform_tracking(view.tracking), rules)
    )
    messages = []
    for item in _records(items[items["level"].notna().to_numpy()]):
        level = item["level"]
        person, copy = escalation.escalation_people(level, rules, config.officer_of(view.project))
        recipient = _recipient(person.name, person.email)
        if recipient is None:
            continue
        context = {
            **_common(view, config, as_of),
            "item": item,
            "level": level,
            "after_days": escalation.threshold_of(level, rules),
            "blocked": escalation.blocked_by(item, view.tables.activities, view.indicators),
        }
        occasion = escalation.escalation_occasion(item, _slug(item["id"]))
        message = _message(
            MessageKind.ESCALATION, view.project.code, occasion, recipient, config, view.project,
            context,
        )  # fmt: skip
        cc = _distinct(_recipient(other.name, other.email) for other in copy)
        messages.append(dataclasses.replace(message, cc=tuple(cc)))
    return messages


# ---------------------------------------------------------------- who data goes to


def recipient_notices(
    views: Sequence[ProjectView], config: Config, as_of: dt.date, first_run: bool = False
) -> list[Message]:
    """To the officer: each address dropped by `mail.allowed_domains`, once ever (its own key);
    without the key, on the first weekly run, the domains the sheets send data to, once."""
    messages: list[Message] = []
    for view in views:
        project = view.project
        officer = _recipient(config.officer_of(project).name, config.officer_of(project).email)
        if officer is None:
            continue
        context = {**_common(view, config, as_of), "domains": config.mail.allowed_domains}
        for address in outside_addresses(view.tables.problems):
            messages.append(
                _message(MessageKind.OUTSIDE_RECIPIENT, project.code, address, officer,
                         config, project, {**context, "address": address})
            )  # fmt: skip
        own = [officer[1].rpartition("@")[2]]
        domains = outside_domains(view.tables, project.team, own)
        if first_run and config.mail.allowed_domains is None and domains:
            messages.append(
                _message(MessageKind.RECIPIENT_DOMAINS, project.code, "first-run", officer,
                         config, project, {**context, "outside_domains": domains})
            )  # fmt: skip
    return messages


# ---------------------------------------------------------------- run failure


def plan_run_failure(
    config: Config,
    flow_name: str,
    error: str,
    run_url: str | None,
    as_of: dt.date,
    report: dict[str, Any] | None = None,
) -> Message:
    """The alert to the portfolio's officer when a flow run fails (once a day per flow).

    `report` is what the run did before it failed (the flow's run report), when it got that
    far: which projects were followed, which failed and why, what was sent, what waits.
    """
    officer = config.officer
    person = _recipient(officer.name, officer.email) or (_clean_text(officer.name), officer.email)
    return Message(
        kind=MessageKind.RUN_FAILURE,
        project="*",
        occasion=f"{as_of.isoformat()}:{_slug(flow_name)}",
        to=(person,),
        language=config.language,
        context={
            "project": {"code": "*", "name": ""},
            "as_of": as_of,
            "flow": _clean_text(flow_name),
            "error": str(error)[:MAX_ERROR_CHARS],
            "run_url": run_url,
            "officer": _person(officer),
            "recipient": _named(person),
            "outcome": _run_outcome(report),
        },
    )


def _run_outcome(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a failed run did before failing, for the alert; None when it did nothing known."""
    if not report:
        return None
    failed = report.get("failed_projects") or {}
    emails_failed = report.get("emails_failed") or []
    sent = int(report.get("emails_sent") or 0)
    already = int(report.get("emails_already_sent") or 0)
    planned = int(report.get("emails_planned") or 0)
    return {
        "followed": [str(code) for code in report.get("projects") or []],
        "failed": [
            {
                "code": str(code),
                "kind": str(why).split(":", 1)[0].strip(),
                "detail": str(why)[:MAX_ERROR_CHARS],
            }
            for code, why in dict(failed).items()
        ],
        "sent": sent,
        "already_sent": already,
        "waiting": max(0, planned - sent - already),
        "send_failures": [str(failure)[:300] for failure in emails_failed][:10],
    }


# ---------------------------------------------------------------- building blocks


def _message(
    kind: MessageKind,
    code: str,
    occasion: str,
    person: Recipient,
    config: Config,
    project: Project,
    context: dict[str, Any],
) -> Message:
    """A message to one person, in the project's language, with their name in the context."""
    return Message(
        kind=kind,
        project=code,
        occasion=occasion,
        to=(person,),
        language=config.language_of(project),
        context={**context, "recipient": _named(person)},
    )


def _to_owner_and_officer(
    kind: MessageKind,
    view: ProjectView,
    config: Config,
    as_of: dt.date,
    occasion: str,
    item: dict[str, Any],
    **extra: object,
) -> list[Message]:
    """The same message about a row to its owner (when they have an address) and the officer."""
    context = {**_common(view, config, as_of), "item": item, **extra}
    officer = config.officer_of(view.project)
    recipients = [_recipient(item.get("owner") or "", item.get("owner_email") or "")]
    recipients.append(_recipient(officer.name, officer.email))
    return [
        _message(kind, view.project.code, occasion, person, config, view.project, context)
        for person in _distinct(recipients)
    ]


def _common(view: ProjectView, config: Config, as_of: dt.date) -> dict[str, Any]:
    """Context every project message carries."""
    return {
        "project": {"code": view.project.code, "name": view.project.name},
        "as_of": as_of,
        "officer": _person(config.officer_of(view.project)),
    }


def _due_reminders(
    events: pd.DataFrame, date_column: str, offsets: list[int], window: DueWindow
) -> pd.DataFrame:
    """Event rows × offsets this run sends: per event still ahead, the nearest reminder due by
    `window.last`, when no earlier run covered its day (CONTRACT §6.1)."""
    # A sheet may carry extra columns of any name: ours must not collide in the cross merge.
    events = events.drop(columns=["offset", "event_number", "reminder_day"], errors="ignore")
    plan = events.assign(event_number=np.arange(len(events))).merge(
        pd.DataFrame({"offset": offsets}), how="cross"
    )
    plan = plan.assign(reminder_day=plan[date_column] - pd.to_timedelta(plan["offset"], unit="D"))
    reachable = (plan["reminder_day"] <= pd.Timestamp(window.last)) & (
        plan[date_column] >= pd.Timestamp(window.as_of)
    )
    # J-2 and J-1 both by Friday: one reminder, the nearer one; a farther one whose day an
    # earlier run covered is never sent late once a nearer one is due.
    nearest = (
        plan[reachable.to_numpy()]
        .sort_values("offset", kind="stable")
        .drop_duplicates("event_number")
    )
    due = nearest[(nearest["reminder_day"] >= pd.Timestamp(window.first)).to_numpy()]
    return due.drop(columns="reminder_day")


def _next_meeting_after(committees: pd.DataFrame, day: dt.date) -> dt.date | None:
    """The date of the first meeting after `day`, if one is planned."""
    later = committees["date"][committees["date"] > pd.Timestamp(day)]
    return None if later.empty else later.min().date()


def _unsubmitted_deliverables(tracking: pd.DataFrame, *, until: dt.date) -> pd.DataFrame:
    """Deliverables not handed in, due on or before `until` (overdue ones included)."""
    deadline = pd.to_datetime(tracking["deadline"], errors="coerce")
    keep = (
        (tracking["kind"] == "deliverable")
        & ~done_mask(tracking)
        & (deadline <= pd.Timestamp(until))
    )
    return tracking[keep.to_numpy()]


def _upcoming_deliverables(tracking: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    """Which rows are deliverables not handed in, due from today to UPCOMING_DAYS ahead."""
    deadline = pd.to_datetime(tracking["deadline"], errors="coerce")
    start = pd.Timestamp(as_of)
    keep = (
        (tracking["kind"] == "deliverable")
        & ~done_mask(tracking)
        & deadline.between(start, start + pd.Timedelta(days=UPCOMING_DAYS))
    )
    return keep.to_numpy()


def _upcoming_committees(committees: pd.DataFrame, as_of: dt.date) -> list[dict[str, Any]]:
    """The next few meetings from today on."""
    committees = _conform(committees, COMMITTEE_COLUMNS)
    dates = pd.to_datetime(committees["date"], errors="coerce")
    upcoming = committees.assign(date=dates)[(dates >= pd.Timestamp(as_of)).to_numpy()]
    upcoming = upcoming.sort_values("date").head(MAX_COMMITTEES)
    records = _records(upcoming[COMMITTEE_COLUMNS])
    return [{**record, "participants": _participants(record["participants"])} for record in records]


def _flag_rows(tracking: pd.DataFrame) -> dict[str, SectionRows]:
    """Late, at-risk, late-start, due-soon and stale rows, each sorted the way it is read."""
    return {
        name: (tracking, flag_mask(tracking, flag).to_numpy(), by, ascending)
        for name, (flag, by, ascending) in FLAG_SECTIONS.items()
    }


def _changes_context(view: ProjectView) -> dict[str, Any]:
    """What changed since the last run, as sections."""
    changes = view.changes
    sections = _sections(
        view,
        {
            "newly_late": (_conform_tracking(changes.newly_late), None, ["days_late"], [False]),
            "resolved": (_conform_tracking(changes.resolved), None, None, None),
            "newly_done": (_conform_tracking(changes.newly_done), None, None, None),
            "big_progress": (_conform_tracking(changes.big_progress), None, None, None),
        },
    )
    return {"first_run": view.first_run or changes.first_run, "empty": changes.empty, **sections}


def _counts(tracking: pd.DataFrame, view: ProjectView) -> dict[str, int]:
    """The headline numbers of a weekly summary."""
    activities = (tracking["kind"] == "activity").to_numpy()
    deliverables = (tracking["kind"] == "deliverable").to_numpy()
    done = done_mask(tracking).to_numpy()
    statuses = _conform(view.indicators, ["status"])["status"]
    return {
        "activities": int(activities.sum()),
        "done": int((activities & done).sum()),
        "late": int(flag_mask(tracking, Flag.LATE).sum()),
        "late_activities": int((activities & flag_mask(tracking, Flag.LATE).to_numpy()).sum()),
        "late_deliverables": int((deliverables & flag_mask(tracking, Flag.LATE).to_numpy()).sum()),
        "at_risk": int(flag_mask(tracking, Flag.AT_RISK).sum()),
        "late_start": int(flag_mask(tracking, Flag.LATE_START).sum()),
        "due_soon": int(flag_mask(tracking, Flag.DUE_SOON).sum()),
        "stale": int(flag_mask(tracking, Flag.STALE).sum()),
        "deliverables_open": int((deliverables & ~done).sum()),
        "indicators": len(view.indicators),
        "indicators_behind": int((statuses == "behind").sum()),
        "problems": len(view.tables.problems),
    }


def _owners_without_email(tracking: pd.DataFrame) -> list[dict[str, Any]]:
    """Owners with items needing action but no usable address: they get no digest."""
    needs_action = _any_flag(tracking, DIGEST_FLAGS).to_numpy()
    missing = _addresses(tracking["owner_email"]).isna().to_numpy()
    rows = tracking[needs_action & missing]
    owners = rows["owner"].where(rows["owner"].notna(), "").astype("str").str.strip()
    counts = owners.groupby(owners.to_numpy()).size().sort_index()
    return [{"owner": owner, "count": int(count)} for owner, count in counts.items()]


def _problems(view: ProjectView, language: str) -> dict[str, Any]:
    """Open data problems of a project (capped), blocking ones first, said in `language`."""
    problems = sorted(
        mailed_problems(view.tables.problems), key=lambda problem: not problem.blocking
    )
    return {
        "rows": [problem.as_dict(language) for problem in problems[:MAX_PROBLEMS]],
        "total": len(problems),
        "more": max(0, len(problems) - MAX_PROBLEMS),
        "blocking": sum(problem.blocking for problem in problems),
    }


def _section(
    rows: pd.DataFrame,
    *,
    by: list[str] | None,
    ascending: list[bool] | None = None,
    limit: int = MAX_ROWS,
) -> dict[str, Any]:
    """Rows as records for a table: the first `limit` in order, and how many were left out."""
    shown, total = _first_rows(rows, None, by, ascending, limit)
    return _counted(_records(shown), total, limit)


def _sections(
    view: ProjectView, sections: dict[str, SectionRows], limit: int = MAX_ROWS
) -> dict[str, dict[str, Any]]:
    """Item sections of one view: only the rows shown get item columns, in one pass for all."""
    shown = {name: _first_rows(*section, limit) for name, section in sections.items()}
    rows = _items_records(view, [first for first, _ in shown.values()])
    return {
        name: _counted(section_rows, total, limit)
        for (name, (_, total)), section_rows in zip(shown.items(), rows, strict=True)
    }


def _first_rows(
    frame: pd.DataFrame,
    keep: np.ndarray | None,
    by: list[str] | None,
    ascending: list[bool] | None,
    limit: int,
) -> tuple[pd.DataFrame, int]:
    """The first `limit` kept rows in the order `by` (stable, missing last), and how many are kept.

    Only the rows shown are copied: the kept ones are positions until then.
    """
    positions = np.arange(len(frame)) if keep is None else np.flatnonzero(keep)
    if by:
        # Sorting the key columns alone orders the rows as sorting the whole frame would.
        keys = frame[by].iloc[positions].reset_index(drop=True)
        order = keys.sort_values(by, ascending=ascending or True, na_position="last", kind="stable")
        positions = positions[order.index.to_numpy()]
    return frame.iloc[positions[:limit]], len(positions)


def _items_records(view: ProjectView, pieces: list[pd.DataFrame]) -> list[list[dict[str, Any]]]:
    """Each piece's rows with item columns as records; pieces of one frame converted together."""
    filled = [piece for piece in pieces if len(piece)]
    dtypes = [piece.dtypes for piece in filled]
    same_columns = all(
        kinds.index.equals(dtypes[0].index) and kinds.equals(dtypes[0]) for kinds in dtypes
    )
    if len(filled) < 2 or not same_columns:
        return [_records(_with_item_columns(view, piece)) for piece in pieces]
    # Slices of one frame keep their dtypes when stacked: one conversion instead of one each.
    stacked = pd.concat(filled, ignore_index=True)
    if not stacked.dtypes.equals(dtypes[0]):
        return [_records(_with_item_columns(view, piece)) for piece in pieces]
    every = _records(_with_item_columns(view, stacked))
    ends = np.cumsum([len(piece) for piece in pieces])
    return [every[end - len(piece) : end] for piece, end in zip(pieces, ends, strict=True)]


def _counted(rows: list[dict[str, Any]], total: int, limit: int) -> dict[str, Any]:
    """A table's rows with its total and how many it leaves out."""
    return {"rows": rows, "total": total, "more": max(0, total - limit)}


def _with_item_columns(view: ProjectView, rows: pd.DataFrame) -> pd.DataFrame:
    """Tracking rows with their flag list and the sheet tab where they live."""
    rows = _conform_tracking(rows)
    titles = view.tables.tab_titles
    activities_tab = titles.get(Tab.ACTIVITIES, TAB_HEADERS[Tab.ACTIVITIES][0])
    deliverables_tab = titles.get(Tab.DELIVERABLES, TAB_HEADERS[Tab.DELIVERABLES][0])
    tab = np.where(rows["kind"] == "deliverable", deliverables_tab, activities_tab)
    return _conform(
        rows.assign(flags=flag_lists(rows), tab=pd.Series(tab, index=rows.index, dtype="str")),
        ITEM_COLUMNS,
    )[ITEM_COLUMNS]


def _by_severity(items: pd.DataFrame) -> pd.DataFrame:
    """Items ordered by their state's severity, then the longest delay, then the deadline."""
    rank = {flag.value: position for position, flag in enumerate(FLAG_ORDER)}
    severity = items["state"].map(rank).fillna(len(rank))
    return (
        items.assign(_severity=severity)
        .sort_values(
            ["_severity", "days_late", "deadline"],
            ascending=[True, False, True],
            na_position="last",
            kind="stable",
        )
        .drop(columns="_severity")
    )


def _any_flag(tracking: pd.DataFrame, flags: Iterable[Flag]) -> pd.Series:
    """Rows raising at least one of `flags`."""
    raised = pd.Series(False, index=tracking.index)
    for flag in flags:
        raised = raised | flag_mask(tracking, flag)
    return raised


def _conform_tracking(tracking: pd.DataFrame) -> pd.DataFrame:
    """A tracking frame with every column this module reads (absent ones added empty)."""
    frame = _conform(
        tracking,
        ["project", "kind", "id", "name", "owner", "owner_email", "funder", "status", "state",
         "progress", "planned_start", "deadline", "days_late", "projected_finish",
         "last_update", "row"],
    )  # fmt: skip
    flags = {flag.value: False for flag in FLAG_ORDER if flag.value not in frame.columns}
    return frame.assign(**flags) if flags else frame


def _conform(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame with `columns` present (missing ones added as all-missing); never mutated."""
    absent = {
        column: pd.Series(pd.NA, index=frame.index, dtype=object)
        for column in columns
        if column not in frame.columns
    }
    return frame.assign(**absent) if absent else frame


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: dates as `datetime.date`, missing values as None."""
    return records(rows, as_dates=True)


def _addresses(values: pd.Series) -> pd.Series:
    """Usable e-mail addresses (lower case), NA where missing or malformed."""
    # A column names a few owners many times: each distinct value is checked once.
    codes, distinct = pd.factorize(values)  # missing values get code -1
    texts = pd.Series(distinct).astype("str").str.strip().str.lower()
    texts = pd.concat([texts, pd.Series([""], dtype=texts.dtype)], ignore_index=True)
    usable = texts.where(texts.str.fullmatch(EMAIL_PATTERN), None).astype(object).to_numpy()
    return pd.Series(usable[codes], index=values.index, dtype=object)


def _recipient(name: object, address: object) -> Recipient | None:
    """(display name, address) when the address is usable, else None."""
    text = str(address or "").strip().lower()
    if not re.fullmatch(EMAIL_PATTERN, text):
        return None
    return (_clean_text(name), text)


def _split_address(value: str) -> tuple[str, str]:
    """`Équipe <equipe@x.org>` or `equipe@x.org` → (name, address)."""
    name, address = parseaddr(value)
    return name, address or value


def _distinct(recipients: Iterable[Recipient | None]) -> list[Recipient]:
    """Usable recipients, each address once (the first name given wins)."""
    seen: dict[str, Recipient] = {}
    for person in recipients:
        if person is not None and person[1] not in seen:
            seen[person[1]] = person
    return list(seen.values())


def _unique(messages: list[Message]) -> list[Message]:
    """One message per key (the first planned wins)."""
    by_key: dict[str, Message] = {}
    for message in messages:
        by_key.setdefault(message.key, message)
    return list(by_key.values())


def _participants(value: object) -> list[str]:
    """Participants' addresses from a list, or from a `,`/`;`-separated string."""
    if isinstance(value, list | tuple | np.ndarray):
        candidates = [str(item) for item in value]
    elif isinstance(value, str):
        candidates = re.split(r"[,;\s]+", value)
    else:
        candidates = []
    return [person[1] for person in _distinct(_recipient("", item) for item in candidates)]


def _person(person: Person) -> dict[str, str]:
    """A configured person as a plain dict."""
    return {"name": _clean_text(person.name), "email": person.email}


def _named(person: Recipient) -> dict[str, str]:
    """A recipient as a plain dict."""
    return {"name": person[0], "email": person[1]}


def _stripped_texts(values: pd.Series) -> np.ndarray:
    """Each value as stripped text, "" where missing (what `_first_non_empty` picks from)."""
    present = values.notna().to_numpy()
    texts = np.full(len(values), "", dtype=object)
    texts[present] = values[present].astype("str").str.strip().to_numpy(dtype=object)
    return texts


def _first_non_empty(texts: Iterable[str]) -> str:
    """The first non-empty text, cleaned (as `_first_text` picks it)."""
    return _clean_text(next((text for text in texts if text != ""), ""))


def _first_text(values: pd.Series) -> str:
    """The first non-empty text of a column."""
    texts = values.dropna().astype("str").str.strip()
    texts = texts[texts != ""]
    return _clean_text(texts.iloc[0]) if not texts.empty else ""


def _clean_text(value: object) -> str:
    """Text without control characters or line breaks (safe in headers and keys)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return CONTROL_CHARACTERS.sub(" ", str(value)).strip()


def _slug(value: object) -> str:
    """A short, key-safe form of a sheet value (IDs, names, flow names)."""
    text = re.sub(r"[\s|:/\\]+", "-", _clean_text(value))
    return text[:60] or "-"


def _digest(parts: pd.Series) -> str:
    """A short fingerprint of a set of strings (order does not matter)."""
    joined = "\n".join(sorted(parts.astype("str")))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:8]


def _week_of(day: dt.date) -> str:
    """ISO week label, e.g. 2026-W50."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
