"""The failure alert: a flow run that fails or crashes e-mails the officer, once per run.

The alert goes through the same mailer as every e-mail (SMTP, or the outbox folder when no
SMTP server is configured) and through the store's outbox, keyed by the flow run's id, so
a hook that runs twice for one run still sends one alert. The hook never raises: a broken
alert must not hide the run's own failure, it is only logged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from prefect.client.schemas.objects import FlowRun, State

from flows.catchup import day_of
from flows.secret_blocks import resolve_secrets
from suivi.adapters.mail import compose, open_mailer, sender_of
from suivi.adapters.store import open_store
from suivi.jobs.delivery import deliver_emails
from suivi.model import Email
from suivi.notify.messages import plan_run_failure
from suivi.notify.render import render_email, template_environment
from suivi.settings import Config, Env, load_config

DEFAULT_CONFIG_PATH = "config/suivi.yaml"


def run_url(flow_run_id: object) -> str | None:
    """The run's page in the Prefect UI, when the UI's address is known."""
    from prefect.settings import get_current_settings

    ui_url = get_current_settings().ui_url
    return f"{ui_url.rstrip('/')}/runs/flow-run/{flow_run_id}" if ui_url else None


def error_of(state: State[Any]) -> str:
    """What went wrong: the exception as `Type: message`, else the state's own words."""
    raised = raised_by(state)
    if raised is not None:
        return f"{type(raised).__name__}: {raised}"
    return state.message or f"the flow run ended {state.name}"


def raised_by(state: State[Any]) -> BaseException | None:
    """The exception the run ended with, when the state still holds it."""
    try:
        result = state.result(raise_on_failure=False)
    except Exception:  # a result that cannot be read: fall back on the state's message
        return None
    return result if isinstance(result, BaseException) else None


def report_of(state: State[Any]) -> dict[str, Any] | None:
    """What the run did before failing (its run report), when it got that far."""
    report = getattr(raised_by(state), "report", None)
    return report if isinstance(report, dict) and report else None


def alert_day(flow_run: FlowRun, config: Config) -> dt.date:
    """The day the failed run was for: its `as_of`, else its scheduled day, else today."""
    as_of = (flow_run.parameters or {}).get("as_of")
    if isinstance(as_of, dt.date):
        return as_of
    if isinstance(as_of, str):
        try:
            return dt.date.fromisoformat(as_of[:10])
        except ValueError:
            pass
    if flow_run.expected_start_time is not None:
        return day_of(flow_run.expected_start_time, config.timezone)
    return config.today()


def failure_email(flow_name: str, flow_run: FlowRun, state: State[Any], config: Config) -> Email:
    """The alert, rendered in the portfolio's language, keyed by the flow run's id."""
    message = plan_run_failure(
        config,
        flow_name,
        error_of(state),
        run_url(flow_run.id),
        alert_day(flow_run, config),
        report_of(state),
    )
    # One alert per failed run: a second failing run the same day is news, and says so.
    message = dataclasses.replace(message, occasion=f"{message.occasion}:{flow_run.id}")
    return render_email(message, template_environment(config.template_folder()))


def send_failure_alert(flow_name: str, flow_run: FlowRun, state: State[Any], logger: Any) -> str:
    """Plan, render and deliver the alert; returns what happened, for the log."""
    parameters = flow_run.parameters or {}
    config = load_config(str(parameters.get("config_path") or DEFAULT_CONFIG_PATH))
    env = resolve_secrets(Env(), config, logger).env
    email = failure_email(flow_name, flow_run, state, config)
    officer = config.officer.email
    if parameters.get("dry_run"):
        delivery = deliver_emails([email], None, env, officer, dry_run=True)
        return (
            f"failure alert written to {env.outbox_dir}"
            if delivery.sent
            else "failure alert not written"
        )
    try:
        store = open_store(env.database_url)
    except Exception as error:  # the store may be why the run failed: send without it
        logger.warning("failure alert sent without the store (%s)", error)
        return send_without_store(email, env, officer)
    with store:
        delivery = deliver_emails([email], store, env, officer, language=config.language)
    if delivery.sent:
        return f"failure alert sent to {officer}"
    if delivery.already_sent:
        return "failure alert already sent for this run"
    return f"failure alert not sent: {'; '.join(failure.error for failure in delivery.failures)}"


def send_without_store(email: Email, env: Env, officer: str) -> str:
    """Send one e-mail straight through the mailer, with no record (the store is unusable)."""
    sender = sender_of(env, officer)
    with open_mailer(env) as mailer:
        results = mailer.send_all([compose(email, sender)], sender)
    return (
        "failure alert sent"
        if all(result.ok for result in results)
        else f"failure alert not sent: {results[0].error}"
    )


def alert_failure(flow: Any, flow_run: FlowRun, state: State[Any]) -> None:
    """Flow `on_failure` / `on_crashed` hook: e-mail the officer; log, never raise."""
    from prefect.logging.loggers import flow_run_logger

    logger = flow_run_logger(flow_run, flow)
    try:
        logger.info(send_failure_alert(flow.name, flow_run, state, logger))
    except Exception as error:  # never let the alert hide the run's own failure
        logger.error("the failure alert could not be sent: %s: %s", type(error).__name__, error)
