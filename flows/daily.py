"""The daily watch: every project gathered and computed, then the reminders and alerts due today."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from flows.common import finish, follow_projects, load_settings, run_report
from suivi.adapters.store import open_store
from tasks.notify import deliver, plan_emails

FLOW_NAME = "daily-watch"


@flow(name=FLOW_NAME)
def daily_watch(
    config_path: str = "config/suivi.yaml",
    as_of: dt.date | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> dict[str, object]:
    """Read, flag, measure, store and write back every project; send the reminders and alerts due today."""
    config, env = load_settings(config_path)
    day = as_of or config.today()
    with open_store(env.database_url) as store:
        run_id = None if dry_run else store.begin_run(FLOW_NAME, day)
        gathered = follow_projects(config, env, store, run_id, day)
        emails = plan_emails("daily", gathered.views, config, day)
        delivery = deliver(emails, store, env, config, dry_run, force)
        return finish(store, run_id, run_report(FLOW_NAME, day, gathered, delivery), gathered)
