"""Render a synthetic week's e-mails to a folder: compare two checkouts' output byte for byte.

Run from the repository root: `.venv/bin/python -m bench.golden_emails 2x2000 /tmp/out`, once
before a change and once after, then `diff -r` the two folders. Planning and rendering only (no
Sheets, no SMTP): each project is cleaned, flagged and compared with last week's state.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from time import process_time

from bench.portfolio import (
    AS_OF,
    SYNTHETIC_RULES,
    project_codes,
    synthetic_activities,
    synthetic_deliverables,
    synthetic_indicators,
    synthetic_measures,
    synthetic_raw_tabs,
)
from suivi.adapters.store import Snapshot
from suivi.compute.calendar import CALENDAR_DAYS
from suivi.compute.flags import track
from suivi.compute.indicators import compute_indicators
from suivi.jobs.pipeline import Assessment, project_view
from suivi.notify.messages import ProjectView, plan_weekly
from suivi.notify.render import render_email, template_environment
from suivi.settings import Config
from suivi.sheet.clean import clean_project


def views_of(activities: int, config: Config) -> list[ProjectView]:
    """Each project's view at AS_OF, last week's state as the previous snapshot."""
    views = []
    for number, project in enumerate(config.projects):
        frame = synthetic_activities(activities, seed=number)
        deliverables = synthetic_deliverables(max(1, activities // 10))
        indicators = synthetic_indicators(12)
        measures = synthetic_measures(indicators)
        tables = clean_project(
            project.code,
            synthetic_raw_tabs(frame, deliverables, indicators, measures),
            rules=list(SYNTHETIC_RULES),
        )
        states = {}
        for day in (AS_OF - dt.timedelta(weeks=1), AS_OF):
            states[day] = track(tables.activities, tables.deliverables, day, calendar=CALENDAR_DAYS)
        values = compute_indicators(
            tables.indicators,
            tables.measures,
            tables.activities,
            as_of=AS_OF,
            rules=SYNTHETIC_RULES,
        )
        assessment = Assessment(project, tables, states[AS_OF], values, tables.problems)
        last_week = AS_OF - dt.timedelta(weeks=1)
        previous = Snapshot(1, last_week, states[last_week], values, [])
        views.append(project_view(assessment, previous, config))
    return views


def synthetic_config(projects: int, language: str) -> Config:
    """The synthetic portfolio's settings: one team address a project."""
    return Config.model_validate(
        {
            "officer": {"name": "Chargée de projet", "email": "officer@example.org"},
            "language": language,
            "indicators": {
                name: rule.model_dump(exclude_defaults=True)
                for name, rule in SYNTHETIC_RULES.items()
            },
            "projects": [
                {"code": code, "name": f"Projet {code}", "source": f"k{code}",
                 "team": [f"equipe-{code.lower()}@example.org"]}
                for code in project_codes(projects)
            ],
        }
    )  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Write each e-mail's subject, text and HTML to the folder; print plan and render CPU."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("size", help="PxN, e.g. 2x2000")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--language", default="fr")
    arguments = parser.parse_args(argv)
    projects, activities = (int(part) for part in arguments.size.split("x"))
    config = synthetic_config(projects, arguments.language)
    views = views_of(activities, config)
    started = process_time()
    messages = plan_weekly(views, config, AS_OF, CALENDAR_DAYS)
    planned = process_time()
    templates = template_environment(config.template_folder())
    emails = [render_email(message, templates) for message in messages]
    rendered = process_time()
    arguments.folder.mkdir(parents=True, exist_ok=True)
    for number, email in enumerate(emails):
        name = f"{number:04d}-{email.kind}"
        (arguments.folder / f"{name}.txt").write_text(
            f"{email.subject}\n{email.to}\n\n{email.text}", encoding="utf-8"
        )
        (arguments.folder / f"{name}.html").write_text(email.html, encoding="utf-8")
    print(
        f"{arguments.size}: {len(emails)} e-mails, plan CPU {planned - started:.2f} s, "
        f"render CPU {rendered - planned:.2f} s"
    )


if __name__ == "__main__":
    main()
