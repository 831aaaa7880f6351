"""History-store faults, injected for real: an unreachable database, a SQLite file locked by
another process, and two workers running the same day against one PostgreSQL store.

Already covered in tests/test_store.py and not repeated here: the StoreError text of an
unreachable server or an unusable URL (password masked), a lock held by another connection
of the same process, a schema from a newer suivi, and an upgrade that keeps every row
written at the first revision (`test_upgrade_to_head_keeps_rows_written_at_the_first_revision`).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fakes.smtp import FakeSmtpServer

from suivi.adapters.store import StoreError, open_store
from suivi.jobs.delivery import deliver_emails
from suivi.jobs.pipeline import (
    PACE_WINDOW_DAYS,
    assess_project,
    calendar_of,
    project_view,
    read_project,
)
from suivi.notify.messages import plan_daily, plan_weekly
from suivi.notify.render import render_email, template_environment
from suivi.settings import Env, load_config

AS_OF = dt.date(2026, 12, 7)  # the demo's day: a committee at J-7, deliverables at J-14 and J-30
UNREACHABLE = "postgresql://suivi:Store-Pa55-4321@127.0.0.1:9/suivi"  # port 9: nobody listens


def run_without_prefect(
    occasion: str, config_path: str, env: Env, as_of: dt.date, barrier: Any = None
) -> dict[str, Any]:
    """One run composed from the core and the adapters, as a flow composes it (no write-back).

    `barrier`, when given, is waited on just before delivery, so two workers claim together.
    """
    config = load_config(config_path)
    with open_store(env.database_url) as store:
        run_id = store.begin_run(f"{occasion}-test", as_of)
        views = []
        for project in config.projects:
            previous = store.last_snapshot(project.code, before_run=run_id)
            history = store.progress_history(
                project.code, since=as_of - dt.timedelta(days=PACE_WINDOW_DAYS)
            )
            tabs = read_project(project, config, env)
            assessment = assess_project(project, config, tabs, as_of, history)
            store.save_snapshot(
                run_id,
                project.code,
                as_of,
                assessment.tracking,
                assessment.indicators,
                assessment.problems,
            )
            views.append(project_view(assessment, previous, config))
        plan = plan_daily if occasion == "daily" else plan_weekly
        messages = plan(views, config, as_of, calendar_of(config))
        templates = template_environment(config.template_folder())
        emails = [render_email(message, templates) for message in messages]
        if barrier is not None:
            barrier.wait(timeout=120)
        delivery = deliver_emails(emails, store, env, config.officer.email)
        store.finish_run(run_id, "completed", {"sent": len(delivery.sent)})
    return {
        "planned": sorted(email.key for email in emails),
        "sent": delivery.sent,
        "failures": [f"{failure.key}: {failure.error}" for failure in delivery.failures],
    }


def outbox_files(folder: Path) -> list[Path]:
    """The .eml files written to the outbox folder, if it exists."""
    return sorted(folder.glob("*.eml")) if folder.exists() else []


# --------------------------------------------------------------------------- unreachable


def test_an_unreachable_database_stops_the_run_before_any_email(
    suivi_env: Path, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUIVI_DATABASE_URL", UNREACHABLE)

    with pytest.raises(StoreError) as raised:
        run_without_prefect("daily", str(demo_config), Env(), AS_OF)

    message = str(raised.value)
    assert "cannot open the history store postgresql+psycopg://suivi:***@127.0.0.1:9/suivi" in (
        message
    )
    assert "Store-Pa55-4321" not in message
    assert outbox_files(suivi_env / "outbox") == []  # nothing sent from a stale or empty state
    assert not (demo_config.parent / "written").exists()  # nor written back


@pytest.mark.usefixtures("prefect_harness")
def test_an_unreachable_database_fails_the_flow_with_only_the_failure_alert(
    suivi_env: Path, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.daily import daily_watch

    monkeypatch.setenv("SUIVI_DATABASE_URL", UNREACHABLE)

    with pytest.raises(StoreError, match=r"cannot open the history store"):
        daily_watch(config_path=str(demo_config), as_of=AS_OF)

    sent = outbox_files(suivi_env / "outbox")
    # The reminders due that day were not sent from a state nobody could read; the officer
    # hears that the run failed, and why.
    assert [path.name.split("-")[2:4] for path in sent] == [["run", "failure"]]
    alert = sent[0].read_text(encoding="utf-8")
    assert "Store-Pa55-4321" not in alert


@pytest.mark.usefixtures("prefect_harness")
def test_the_command_says_the_database_cannot_be_opened_without_a_traceback(
    suivi_env: Path, demo_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from suivi.cli import main

    monkeypatch.setenv("SUIVI_DATABASE_URL", UNREACHABLE)

    status = main(["run", "daily", "--config", str(demo_config), "--as-of", AS_OF.isoformat()])

    error = capsys.readouterr().err
    assert status == 2
    assert "cannot open the history store" in error and "Traceback" not in error
    assert "Store-Pa55-4321" not in error


# --------------------------------------------------------------------------- SQLite lock


def hold_write_lock(path: str, locked: Any, release: Any) -> None:
    """Child process: take SQLite's write lock, write a run, wait to be told, then commit."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "INSERT INTO runs (flow, as_of, started_at, state)"
        " VALUES ('other-process', '2026-12-07', '2026-12-07 07:30:00.000000', 'running')"
    )
    locked.set()
    release.wait(timeout=60)
    connection.execute("COMMIT")
    connection.close()


def test_a_run_waits_for_another_process_holding_the_sqlite_lock(
    suivi_env: Path, demo_config: Path
) -> None:
    env = Env()
    url = env.database_url or ""
    with open_store(url):  # the schema exists before the other process locks the file
        pass
    context = multiprocessing.get_context("spawn")
    locked, release = context.Event(), context.Event()
    holder = context.Process(
        target=hold_write_lock, args=(sa.make_url(url).database, locked, release)
    )
    holder.start()
    try:
        assert locked.wait(timeout=60), "the other process never took the lock"
        # The holder lets go a moment after our run has started waiting on the lock.
        threading.Timer(1.5, release.set).start()
        report = run_without_prefect("weekly", str(demo_config), env, AS_OF)
    finally:
        release.set()
        holder.join(timeout=30)

    assert holder.exitcode == 0
    assert report["failures"] == [] and sorted(report["sent"]) == report["planned"]
    with open_store(url) as store, store.engine.connect() as connection:
        flows = connection.execute(sa.text("SELECT flow FROM runs ORDER BY id")).scalars().all()
        saved = connection.execute(sa.text("SELECT count(*) FROM snapshots")).scalar_one()
    # Our run's row comes after the other process's: it waited for the lock, it did not fail.
    assert flows == ["other-process", "weekly-test"]
    assert saved == 2


# --------------------------------------------------------------------------- two workers


def daily_in_child(config_path: str, values: dict[str, Any], barrier: Any, results: Any) -> None:
    """Child process: one daily run, reporting what it planned and sent."""
    try:
        results.put(run_without_prefect("daily", config_path, Env(**values), AS_OF, barrier))
    except Exception as error:  # reported to the parent, which would otherwise wait in vain
        results.put({"error": f"{type(error).__name__}: {error}"})


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_on_the_same_day_send_every_reminder_exactly_once(
    postgres_url: str, demo_config: Path, tmp_path: Path
) -> None:
    server = FakeSmtpServer().start()
    values = {
        "database_url": postgres_url,
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": "none",
        "smtp_timeout": 30.0,
        "outbox_dir": tmp_path / "outbox",
    }
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=daily_in_child, args=(str(demo_config), values, barrier, results))
        for _ in range(2)
    ]
    try:
        for worker in workers:
            worker.start()
        reports = [results.get(timeout=180) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
    finally:
        server.stop()

    assert all("error" not in report for report in reports), reports
    # The two plans may differ: a worker that reads the history after the other saved its
    # snapshot sees nothing new to alert on. Whatever either planned goes out exactly once.
    planned = sorted(set(reports[0]["planned"]) | set(reports[1]["planned"]))
    assert len(planned) > 3
    sent = reports[0]["sent"] + reports[1]["sent"]
    assert sorted(sent) == planned  # each e-mail sent by exactly one of the two workers
    copies = Counter(str(message.message["Message-ID"]) for message in server.messages)
    assert len(copies) == len(planned) and set(copies.values()) == {1}
    with open_store(postgres_url) as store:
        assert Counter(item.state for item in store.outbox_items()) == {"sent": len(planned)}
