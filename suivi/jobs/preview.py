"""`suivi preview`: the e-mails of an occasion as HTML pages, computed but neither sent nor recorded."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import pandas as pd

from suivi.adapters.store import open_store
from suivi.jobs.pipeline import calendar_of, view_project
from suivi.notify.messages import Message, MessageKind, ProjectView, plan_daily, plan_weekly
from suivi.notify.render import render_page, template_environment
from suivi.settings import Config, Env

PreviewOccasion = Literal["weekly", "daily", "committee"]
# The flows' names (flows/weekly.py, flows/daily.py): each run compares with the last run of
# its own flow, so the preview does too. A test keeps these equal to the flows' own.
FLOW_OF: dict[str, str] = {"weekly": "weekly-summary", "daily": "daily-watch"}
# Characters no file name may hold on Windows or macOS, and control characters.
UNSAFE_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+|[^\w.@+-]+')


def write_previews(
    occasion: PreviewOccasion, config: Config, env: Env, as_of: dt.date, out: Path
) -> list[Path]:
    """Write one standalone HTML page per e-mail the run of that day would send; returns their paths."""
    flow = FLOW_OF.get(occasion, FLOW_OF["daily"])
    with open_store(env.database_url) as store:
        views = [
            view_project(project, config, env, as_of, store, flow=flow)
            for project in config.projects
        ]
    messages = plan_previews(occasion, views, config, as_of)
    templates = template_environment(config.template_folder())
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, message in enumerate(messages, start=1):
        path = out / preview_file_name(number, message)
        path.write_text(render_page(message, templates), encoding="utf-8")
        paths.append(path)
    return paths


def plan_previews(
    occasion: PreviewOccasion, views: list[ProjectView], config: Config, as_of: dt.date
) -> list[Message]:
    """The weekly or daily e-mails of as_of; for `committee`, the reminders of each next meeting."""
    calendar = calendar_of(config)
    if occasion == "weekly":
        return plan_weekly(views, config, as_of, calendar)
    if occasion == "daily":
        return plan_daily(views, config, as_of, calendar)
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


def preview_file_name(number: int, message: Message) -> str:
    """`001-owner_digest-all-amina-example.org.html`: safe on Windows, macOS and Linux."""
    project = "all" if message.project == "*" else message.project
    parts = [f"{number:03d}", str(message.kind), project, message.recipient]
    return "-".join(_safe(part) for part in parts)[:150] + ".html"


def _safe(text: str) -> str:
    """A piece of a file name: letters, digits, `.`, `@`, `+`, `-` and `_` only."""
    return UNSAFE_IN_FILE_NAMES.sub("-", text).strip("-. ").lower() or "x"
