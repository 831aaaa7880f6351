"""Prefect's overhead per run of suivi, on the demo portfolio.

1. In one process: the `weekly-summary` flow (a Prefect server already running) against the
   same work called directly through `suivi.jobs.pipeline`, `suivi.notify.messages`, `suivi.notify.render` and
   `suivi.jobs.delivery`, without Prefect.
2. Whole commands, with no server running: `suivi run weekly` on Prefect's temporary
   server per run (SUIVI_PREFECT_IDLE_SECONDS=0, as before: a brand-new PREFECT_HOME, then
   one already migrated), then as it is now: the first run in a new folder starts the server
   it leaves running, the next runs reuse it; and against a running `prefect server`
   (PREFECT_API_URL set). CPU counts the command, its children and the server it used.

Each run gets a fresh SQLite store and outbox folder, so every run does the same work
(10 e-mails written to the folder). Run from the repository root:
`.venv/bin/python -m bench.bench_prefect [--repeats N]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
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
    from suivi.adapters.store import CHANGE_COLUMNS, open_store
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
            previous = store.last_snapshot(project.code, before_run=run_id, columns=CHANGE_COLUMNS)
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


def server_cpu(folder: Path) -> float:
    """CPU seconds so far of the server `suivi run` left running in `folder` (0 when none)."""
    from flows.lingering_server import RUN_HOME, read_registry

    facts = read_registry(folder / RUN_HOME)
    if facts is None:
        return 0.0
    try:
        fields = Path(f"/proc/{facts['pid']}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def command_seconds(base: Path, label: str, extra_env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time of `suivi run weekly` as a new process, run from `base`.

    CPU counts the command, its children, and the server an earlier `suivi run` left
    running in `base/data/prefect/run-server` while the command used it.
    """
    with fresh_run(base, label) as (config, env):
        child_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SUIVI_"))
        }
        child_env |= QUIET | env | extra_env
        cpu_before = children_cpu() + server_cpu(base)
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
            cwd=base,
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        cpu = children_cpu() + server_cpu(base) - cpu_before
    if done.returncode != 0:
        raise SystemExit(f"{label}: suivi run weekly failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, cpu


def children_cpu() -> float:
    """CPU seconds of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stop_lingering(base: Path) -> None:
    """Stop the server `suivi run` left running in `base` and wait until it is gone."""
    from flows.lingering_server import RUN_HOME, alive, stop

    pid = stop(base / RUN_HOME) if (base / RUN_HOME).exists() else None
    while pid is not None and alive(pid):
        time.sleep(0.1)


def no_server_figures(base: Path, repeats: int) -> dict[str, list[tuple[float, float]]]:
    """`suivi run weekly` with no server running: Prefect's temporary server per run (as before,
    SUIVI_PREFECT_IDLE_SECONDS=0), and the server the first run leaves running for the next."""
    before = base / "before"
    before.mkdir()
    home = {"PREFECT_HOME": str(before / "prefect-home"), "SUIVI_PREFECT_IDLE_SECONDS": "0"}
    figures = {"before, new PREFECT_HOME": [command_seconds(before, "cold", home)]}
    figures["before, migrated PREFECT_HOME"] = [
        command_seconds(before, f"warm-{i}", home) for i in range(repeats)
    ]
    after = base / "after"
    after.mkdir()
    home = {"PREFECT_HOME": str(after / "prefect-home")}
    try:
        figures["first run in a new folder (starts the server)"] = [
            command_seconds(after, "first", home)
        ]
        figures["next runs (the server left running)"] = [
            command_seconds(after, f"next-{i}", home) for i in range(repeats)
        ]
    finally:
        stop_lingering(after)
    return figures


def describe_timings(timings: list[tuple[float, float]]) -> str:
    """Median wall and CPU, with the wall range."""
    walls = [wall for wall, _ in timings]
    cpu = statistics.median(cpu for _, cpu in timings)
    return f"{statistics.median(walls):6.2f} s  CPU {cpu:5.2f} s  (wall {min(walls):.2f}–{max(walls):.2f}, n={len(walls)})"


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
            served = [
                command_seconds(base, f"served-{i}", {"PREFECT_API_URL": api_url})
                for i in range(args.repeats)
            ]
        no_server = no_server_figures(base, args.repeats)

    print()
    print("weekly-summary on the demo (2 projects, 10 e-mails), in one process:")
    print(f"  direct (suivi.jobs.pipeline, no Prefect)      {describe(direct)}")
    print(f"  Prefect flow (server already running)    {describe(flowed)}")
    print(
        f"  overhead per run                         {statistics.median(flowed) - statistics.median(direct):6.2f} s"
    )
    print()
    print("`suivi run weekly` as a new process (wall, and CPU of the command and its servers):")
    for label, timings in no_server.items():
        print(f"  no server running, {label:<48} {describe_timings(timings)}")
    print(
        f"  against a running prefect server (PREFECT_API_URL){'':<28} {describe_timings(served)}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
