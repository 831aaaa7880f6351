"""E-mail tasks: plan and render (pure, never retried), then deliver exactly once.

Delivery leaves an e-mail that failed for a passing reason pending in the store's outbox,
so the next run sends it. For the weekly summary the next run is a week away, so when an
outage stopped the whole batch (the SMTP server was unreachable, greeted with a 4xx, or
timed out before the first message) the task retries a few minutes later; the last attempt
returns what happened instead of failing the run. A refused address or message is never
retried (the officer gets one notice of those), nor a settings mistake.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from suivi.adapters.mail import CONFIG_ERROR
from suivi.adapters.store import Store
from suivi.jobs.committee import with_committee_packs
from suivi.jobs.delivery import Delivery, deliver_emails
from suivi.jobs.pipeline import calendar_of
from suivi.model import Email
from suivi.notify.due import WEEKDAYS, RunDays
from suivi.notify.messages import ProjectView, plan_daily, plan_weekly
from suivi.notify.render import render_email, template_environment
from suivi.settings import Config, Env
from tasks.attended import is_attended
from tasks.retries import BASE_SECONDS, backoff

Occasion = Literal["weekly", "daily"]

SEND_RETRIES = 2
SEND_RETRY_DELAYS = backoff(SEND_RETRIES, 3 * BASE_SECONDS)  # 30 s, then 60 s by default


class MailOutage(RuntimeError):
    """No e-mail could be sent, for a passing reason; they wait in the outbox."""

    def __init__(self, delivery: Delivery) -> None:
        super().__init__(f"{len(delivery.failures)} e-mail(s) not sent: {delivery.unreachable}")
        self.delivery = delivery


def only_outage(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry a delivery only when an outage stopped it; never a refused address or a bad message."""
    try:
        state.result()
    except MailOutage:
        return True
    except Exception:
        return False
    return False


def is_outage(delivery: Delivery) -> bool:
    """The transport could not be used for a passing reason (down, 421, timeout): all stays pending.

    A settings mistake (bad password, no STARTTLS) leaves the e-mails pending too, but waiting
    a minute will not fix it: only an outage is worth a retry.
    """
    reason = delivery.unreachable
    return reason is not None and not reason.startswith(CONFIG_ERROR)


@task(name="plan-emails", task_run_name="plan-{occasion}-emails", cache_policy=NO_CACHE)
def plan_emails(
    occasion: Occasion,
    views: list[ProjectView],
    config: Config,
    as_of: dt.date,
    store: Store | None = None,
    sent_late: bool = False,
    run_weekdays: frozenset[int] | None = None,
    last_run: dt.date | None = None,
) -> list[Email]:
    """What is due to whom today, rendered in each project's language.

    The daily plan sends the reminders of the days up to its next scheduled run (on
    `run_weekdays`) and of the days since `last_run` that no run saw. Committee reminders
    carry the full meeting pack (since the last committee, from the store). A weekly run
    that starts late (`sent_late`) says so in its summary.
    """
    calendar = calendar_of(config)
    if occasion == "weekly":
        messages = [
            dataclasses.replace(message, context={**message.context, "sent_late": sent_late})
            for message in plan_weekly(views, config, as_of, calendar)
        ]
    else:
        run_days = RunDays(
            weekdays=run_weekdays if run_weekdays is not None else WEEKDAYS,
            calendar=calendar if config.working_days else None,
        )
        messages = plan_daily(views, config, as_of, calendar, run_days, last_run)
    templates = template_environment(config.template_folder())
    emails = [render_email(message, templates) for message in messages]
    return with_committee_packs(messages, emails, views, config, as_of, store)


@task(
    name="deliver-emails",
    retries=SEND_RETRIES,
    retry_delay_seconds=SEND_RETRY_DELAYS,
    retry_jitter_factor=0.5,
    retry_condition_fn=only_outage,
    cache_policy=NO_CACHE,
)
def deliver(
    emails: list[Email],
    store: Store | None,
    env: Env,
    config: Config,
    dry_run: bool = False,
    force: bool = False,
) -> Delivery:
    """Record, claim and send every e-mail once (SMTP, or the outbox folder without SMTP)."""
    delivery = deliver_emails(
        emails,
        store,
        env,
        config.officer.email,
        dry_run=dry_run,
        force=force,
        language=config.language,
    )
    attempt, attempts = _attempts()
    if worth_retrying(delivery, attempt, attempts):
        raise MailOutage(delivery)
    return delivery


def worth_retrying(delivery: Delivery, attempt: int, attempts: int) -> bool:
    """An outage, attempts left, and nobody at a terminal waiting for the answer."""
    return is_outage(delivery) and attempt < attempts and not is_attended()


def _attempts() -> tuple[int, int]:
    """This attempt's number (from 1) and how many the task may make."""
    context = TaskRunContext.get()
    if context is None:  # called as a plain function (.fn)
        return 1, 1
    return max(context.task_run.run_count, 1), (context.task.retries or 0) + 1
