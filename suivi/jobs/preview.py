"""`suivi preview`: the e-mails of an occasion as HTML pages, computed but neither sent nor recorded."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import pandas as pd

from suivi.adapters.store import Store, open_store
from suivi.jobs.flow_names import FLOW_OF
from suivi.jobs.pipeline import calendar_of, view_project
from suivi.notify.due import WEEKDAYS, RunDays
from suivi.notify.messages import Message, MessageKind, ProjectView, plan_daily, plan_weekly
from suivi.notify.render import render_page, template_environment
from suivi.settings import Config, Env

PreviewOccasion = Literal["weekly", "daily", "committee"]
# Characters no file name may hold on Windows or macOS, and control characters.
UNSAFE_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+|[^\w.@+-]+')


def write_previews(
    occasion: PreviewOccasion,
    config: Config,
    env: Env,
    as_of: dt.date,
    out: Path,
    run_weekdays: frozenset[int] | None = None,
) -> list[Path]:
    """Write one standalone HTML page per e-mail the run of that day would send; returns their paths.

    `run_weekdays`: the daily schedule's days (flows.schedule.daily_run_days), as the run has them.
    """
    # Each run compares with the last run of its own flow, so the preview does too.
    flow = FLOW_OF.get(occasion, FLOW_OF["daily"])
    with open_store(env.database_url) as store:
        views = [
            view_project(project, config, env, as_of, store, flow=flow)
            for project in config.projects
        ]
        messages = plan_previews(occasion, views, config, as_of, store, run_weekdays)
    templates = template_environment(config.template_folder())
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, message in enumerate(messages, start=1):
        path = out / preview_file_name(number, message)
        path.write_text(render_page(message, templates), encoding="utf-8")
        paths.append(path)
    return paths


def plan_previews(
    occasion: PreviewOccasion,
    views: list[ProjectView],
    config: Config,
    as_of: dt.date,
    store: Store | None = None,
    run_weekdays: frozenset[int] | None = None,
) -> list[Message]:
    """The weekly or daily e-mails of as_of; for `committee`, the reminders of each next meeting.

    Planned as the run plans them (tasks/notify.py `plan_emails`): the daily with its run days
    and the day of the last daily run (§6.1) from `store`; and, as the run's outbox does, less
    the e-mails `store` already sent or will not resend (an escalation goes once per episode).
    """
    calendar = calendar_of(config)
    if occasion == "weekly":
        return _unsent(plan_weekly(views, config, as_of, calendar), store)
    if occasion == "daily":
        run_days = RunDays(
            weekdays=run_weekdays if run_weekdays is not None else WEEKDAYS,
            calendar=calendar if config.working_days else None,
        )
        last_run = store.last_run_day(FLOW_OF["daily"], before=as_of) if store else None
        return _unsent(plan_daily(views, config, as_of, calendar, run_days, last_run), store)
    messages: list[Message] = []
    for view in views:
        committees = view.tables.committees
        upcoming = committees.loc[committees["date"] >= pd.Timestamp(as_of), "date"]
        if upcoming.empty:
            continue
        offset = max(config.reminders_of(view.project).committee_days, default=0)
        reminder_day = upcoming.min().date() - dt.timedelta(days=offset)
        planned = plan_daily([view], config, reminder_day, calendar)
        messages += [m for m in planned if m.kind == MessageKind.COMMITTEE_REMINDER]
    return messages


def _unsent(messages: list[Message], store: Store | None) -> list[Message]:
    """The messages a run would send: not in the outbox, or still pending there."""
    if store is None:
        return messages
    done = {item.key for item in store.outbox_items() if item.state != "pending"}
    return [message for message in messages if message.key not in done]


def preview_file_name(number: int, message: Message) -> str:
    """`001-owner_digest-all-amina-example.org.html`: safe on Windows, macOS and Linux."""
    project = "all" if message.project == "*" else message.project
    parts = [f"{number:03d}", str(message.kind), project, message.recipient]
    return "-".join(_safe(part) for part in parts)[:150] + ".html"


def _safe(text: str) -> str:
    """A piece of a file name: letters, digits, `.`, `@`, `+`, `-` and `_` only."""
    return UNSAFE_IN_FILE_NAMES.sub("-", text).strip("-. ").lower() or "x"
