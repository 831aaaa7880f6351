"""Prefect's overhead per run of suivi, on the demo portfolio.

1. In one process: the `weekly-summary` flow (a Prefect server already running) against the
   same work called directly through `suivi.jobs.pipeline`, `suivi.notify.messages`, `suivi.notify.render` and
   `suivi.jobs.delivery`, without Prefect.
2. Whole commands: `suivi run weekly` on Prefect's temporary server (with a brand-new
   PREFECT_HOME, then with one already migrated) against the same command pointed at a
   running `prefect server` (PREFECT_API_URL set).

Each run gets a fresh SQLite store and outbox folder, so every run does the same work
(10 e-mails written to the folder). Run from the repository root:
`.venv/bin/python -m bench.bench_prefect [--repeats N]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 12, 7)
QUIET = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_config(folder: Path) -> Path:
    """The demo settings with absolute sources and the write-back copies in `folder`."""
    text = (ROOT / "config" / "suivi.yaml").read_text(encoding="utf-8")
    text = text.replace("source: demo/", f"source: {ROOT / 'config' / 'demo'}/")
    text = text.replace("../data/demo/", f"{folder / 'written'}/")
    text += f"\ntemplates: {ROOT / 'config' / 'templates'}\n"
    path = folder / "suivi.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def fresh_run(base: Path, name: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder with the demo settings, and SUIVI_* pointing at a new store and outbox in it."""
    folder = base / name
    folder.mkdir(parents=True)
    env = {
        "SUIVI_DATABASE_URL": f"sqlite:///{folder / 'suivi.db'}",
        "SUIVI_OUTBOX_DIR": str(folder / "outbox"),
    }
    yield demo_config(folder), env


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` set for the block (the flows read SUIVI_* at run time)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def direct_weekly(config_path: Path) -> int:
    """The weekly run's work without Prefect; returns how many e-mails went out."""
    from suivi.adapters.sheets import open_source
    from suivi.adapters.store import open_store
    from suivi.jobs.delivery import deliver_emails
    from suivi.jobs.pipeline import (
        PACE_WINDOW_DAYS,
        assess_project,
        calendar_of,
        project_view,
        read_project,
        write_back,
    )
    from suivi.notify.messages import plan_weekly
    from suivi.notify.render import render_email, template_environment
    from suivi.settings import Env, load_config

    config, env = load_config(config_path), Env()
    with open_store(env.database_url) as store:
        run_id = store.begin_run("weekly-summary", AS_OF)
        views = []
        for project in config.projects:
            previous = store.last_snapshot(project.code, before_run=run_id)
            history = store.progress_history(
                project.code, since=AS_OF - dt.timedelta(days=PACE_WINDOW_DAYS)
            )
            assessment = assess_project(
                project, config, read_project(project, config, env), AS_OF, history
            )
            store.save_snapshot(
                run_id,
                project.code,
                AS_OF,
                assessment.tracking,
                assessment.indicators,
                assessment.problems,
            )
            write_back(open_source(project, config, env), assessment, AS_OF)
            views.append(project_view(assessment, previous, config))
        templates = template_environment(config.template_folder())
        emails = [
            render_email(m, templates)
            for m in plan_weekly(views, config, AS_OF, calendar_of(config))
        ]
        delivery = deliver_emails(emails, store, env, config.officer.email)
        store.finish_run(run_id, "completed", {})
    return len(delivery.sent)


def flow_weekly(config_path: Path) -> int:
    """The same work as the `weekly-summary` flow; returns how many e-mails went out."""
    from flows.weekly import weekly_summary

    report = weekly_summary(config_path=str(config_path), as_of=AS_OF)
    return int(str(report["emails_sent"]))


def timed_runs(base: Path, label: str, work: Callable[[Path], int], repeats: int) -> list[float]:
    """Seconds of each of `repeats` runs of `work` on fresh folders (one unmeasured warm-up)."""
    seconds = []
    for attempt in range(repeats + 1):
        with fresh_run(base, f"{label}-{attempt}") as (config, env), environment(env):
            started = time.perf_counter()
            sent = work(config)
            elapsed = time.perf_counter() - started
        assert sent > 0, f"{label}: no e-mail sent"
        if attempt:  # the first run pays imports and first-use caches
            seconds.append(elapsed)
    return seconds


def command_seconds(base: Path, label: str, extra_env: dict[str, str]) -> float:
    """Wall time of `suivi run weekly` as a new process."""
    with fresh_run(base, label) as (config, env):
        child_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SUIVI_"))
        }
        child_env |= QUIET | env | extra_env
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "suivi.cli",
                "run",
                "weekly",
                "--config",
                str(config),
                "--as-of",
                AS_OF.isoformat(),
            ],
            cwd=ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{label}: suivi run weekly failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def describe(seconds: list[float]) -> str:
    """Median and range."""
    return f"{statistics.median(seconds):6.2f} s  (min {min(seconds):.2f}, max {max(seconds):.2f}, n={len(seconds)})"


def main(argv: list[str] | None = None) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.update(QUIET)
    from flows.serve import local_server, using_api

    with tempfile.TemporaryDirectory(prefix="suivi-bench-prefect-") as folder:
        base = Path(folder)
        home = base / "prefect-server"
        started = time.perf_counter()
        with local_server(home, free_port()) as api_url:
            print(
                f"prefect server start (new database) ready in {time.perf_counter() - started:.1f} s"
            )
            direct = timed_runs(base, "direct", direct_weekly, args.repeats)
            with using_api(api_url, home):
                flowed = timed_runs(base, "flow", flow_weekly, args.repeats)
            warm = [
                command_seconds(base, f"warm-{i}", {"PREFECT_API_URL": api_url})
                for i in range(args.repeats)
            ]
        ephemeral_home = base / "ephemeral-home"
        cold = command_seconds(base, "cold", {"PREFECT_HOME": str(ephemeral_home)})
        migrated = [
            command_seconds(base, f"ephemeral-{i}", {"PREFECT_HOME": str(ephemeral_home)})
            for i in range(args.repeats)
        ]

    print()
    print("weekly-summary on the demo (2 projects, 10 e-mails), in one process:")
    print(f"  direct (suivi.jobs.pipeline, no Prefect)      {describe(direct)}")
    print(f"  Prefect flow (server already running)    {describe(flowed)}")
    print(
        f"  overhead per run                         {statistics.median(flowed) - statistics.median(direct):6.2f} s"
    )
    print()
    print("`suivi run weekly` as a new process (wall time):")
    print(f"  temporary server, new PREFECT_HOME       {cold:6.2f} s")
    print(f"  temporary server, migrated PREFECT_HOME  {describe(migrated)}")
    print(f"  against a running prefect server         {describe(warm)}")


if __name__ == "__main__":
    main()
