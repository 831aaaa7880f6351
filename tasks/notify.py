"""E-mail tasks: plan and render (pure), then deliver exactly once."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from prefect import task
from prefect.cache_policies import NO_CACHE

from suivi.adapters.store import Store
from suivi.delivery import Delivery, deliver_emails
from suivi.messages import ProjectView, plan_daily, plan_weekly
from suivi.model import Email
from suivi.pipeline import calendar_of
from suivi.render import render_email, template_environment
from suivi.settings import Config, Env

Occasion = Literal["weekly", "daily"]


@task(name="plan-emails", task_run_name="plan-{occasion}-emails", cache_policy=NO_CACHE)
def plan_emails(occasion: Occasion, views: list[ProjectView], config: Config, as_of: dt.date) -> list[Email]:
    """What is due to whom today, rendered in each project's language."""
    plan = plan_weekly if occasion == "weekly" else plan_daily
    messages = plan(views, config, as_of, calendar_of(config))
    templates = template_environment(config.resolve(config.templates))
    return [render_email(message, templates) for message in messages]


@task(name="deliver-emails", cache_policy=NO_CACHE)
def deliver(
    emails: list[Email],
    store: Store | None,
    env: Env,
    config: Config,
    dry_run: bool = False,
    force: bool = False,
) -> Delivery:
    """Record, claim and send every e-mail once (SMTP, or the outbox folder without SMTP)."""
    return deliver_emails(emails, store, env, config.officer.email, dry_run=dry_run, force=force)
