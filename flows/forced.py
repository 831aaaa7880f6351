"""A run started with `force` sends again what was already sent: record it and tell the officer.

`force: true` can come from `suivi run --force`, or from anyone who can reach the Prefect API
(a deployment run with that parameter). The run's report keeps `forced: true` in the history
store, the run's log says it, and the officer gets one notice per forced run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from suivi.adapters.store import Store
from suivi.jobs.delivery import deliver_emails
from suivi.notify.forced import plan_forced_run
from suivi.notify.render import render_email, template_environment
from suivi.settings import Config, Env


def who_started() -> tuple[str, str]:
    """(the flow run's id, what started it: a deployment's run or a direct call)."""
    from prefect.runtime import deployment, flow_run

    run_id = str(flow_run.id or "local")
    name = deployment.name
    if name:
        return run_id, f"deployment {name} (through the Prefect API)"
    return run_id, "a direct call (suivi run --force)"


def report_forced_run(
    flow_name: str,
    day: dt.date,
    report: dict[str, object],
    store: Store,
    env: Env,
    config: Config,
    logger: Any,
) -> None:
    """Mark the report as forced, log it, and send the officer one notice for this run."""
    run_id, started_by = who_started()
    resent = int(report.get("emails_sent", 0) or 0)  # type: ignore[call-overload]
    report["forced"] = True
    report["forced_by"] = started_by
    logger.warning("run started with force by %s: %d e-mail(s) sent again", started_by, resent)
    message = plan_forced_run(config, flow_name, day, run_id, started_by, resent)
    email = render_email(message, template_environment(config.template_folder()))
    delivery = deliver_emails([email], store, env, config.officer.email, language=config.language)
    if delivery.failures:
        logger.warning("the forced-run notice was not sent: %s", delivery.failures[0].error)
