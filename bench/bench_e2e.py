"""End-to-end weekly run on synthetic portfolios, through the fake Google Sheets API and a real
SMTP sink: wall time per stage, Sheets requests, SMTP connections, peak memory.

Run from the repository root:

    .venv/bin/python -m bench.bench_e2e                      # 2x50, 10x1000, 20x10000
    .venv/bin/python -m bench.bench_e2e 20x10000 --latency 0.15   # Google-like round trips
    .venv/bin/python -m bench.bench_e2e 20x10000 --prefect   # also once through the flow
    .venv/bin/python -m bench.bench_e2e 1x50000 --profile /tmp/prof   # cProfile → 1x50000.prof

Two totals, as the issue's rows read them: **wall** seconds, as the user waits for the run (the
fake's answers and any `--latency` included), and **suivi's CPU** seconds: the measured process's
CPU, all its threads (reads ahead and writes behind included). The fake Sheets API runs in
another process, so none of its work is counted there, and a shared machine's load inflates
wall time, not CPU.
Per stage: wall seconds as the main thread lived them (`read` is the wait for a sheet read
ahead, `write-back` the wait for the writes running behind the next projects' work) and CPU
seconds: the main thread's, and for `read` and `write-back` also the background threads' that
do them, so that no work vanishes from the table by moving to a thread.
The fake's own time is shown apart, never subtracted (its requests overlap suivi's work and
each other): busy seconds (each request's wall time, summed) and CPU seconds. Memory: the peak
after each stage that raised it; load: the 1-minute load average before and after the run.

Each size gets a fresh world (bench/world.py: the fake Sheets API and the SMTP sink, in a
process of their own), a fresh SQLite store holding four weeks of history (three weeks of
stored progress, and the previous week's real run), then one measured weekly run in a
fresh process, so that its peak memory is the run's own (`VmHWM`: Linux's `ru_maxrss` would
carry the parent's size, history preparation included). The run is composed
as `flows/common.py` runs it, from the steps of `suivi.jobs.pipeline.assess_project`, stage
by stage: read (two requests per sheet, read ahead), clean, history (store reads), flags
(with deliverables' obligations and activities' pace), indicators (with their forecast),
write-back (one RAW batchUpdate per sheet, in the background while the next project is
computed: `--writes-ahead 0` waits for each in turn), snapshot (store write, batched, once
the project's write succeeded), plan, render, send (compose, outbox records, one SMTP
connection).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import resource
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from time import perf_counter, process_time, thread_time
from typing import Any

import pandas as pd

from bench.portfolio import AS_OF, SYNTHETIC_RULES, synthetic_activities
from bench.world import Served, serve
from suivi.jobs.writes import WRITES_AHEAD

SIZES = ("2x50", "10x1000", "20x10000")
SYNTHETIC_WEEKS = 3  # stored progress only, before the previous week's real run
STAGES = (
    "read",
    "clean",
    "history",
    "flags",
    "indicators",
    "snapshot",
    "write-back",
    "plan",
    "render",
    "send",
)
TARGET_CPU_SECONDS = 20.0  # issue 15: suivi's own time for 20 x 10 000
TARGET_LATENCY_WALL_SECONDS = 30.0  # issue 15: wall with Google-like latency
TARGET_MEGABYTES = 1024.0


def parse_size(text: str) -> tuple[int, int]:
    """`20x10000` → (20 projects, 10 000 activities each)."""
    projects, _, activities = text.lower().partition("x")
    return int(projects), int(activities)


def write_settings(folder: Path, served: Served) -> tuple[Path, dict[str, Any]]:
    """The settings file naming every synthetic project, and the environment of a run."""
    rules = {name: rule.model_dump(exclude_defaults=True) for name, rule in SYNTHETIC_RULES.items()}
    config = {
        "officer": {"name": "Chargée de projet", "email": "officer@example.org"},
        "indicators": rules,
        "projects": [
            {
                "code": code,
                "name": f"Projet {code}",
                "source": key,
                "team": [f"equipe-{code.lower()}@example.org"],
            }
            for code, key in served.keys.items()
        ],
    }
    path = folder / "suivi.yaml"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    credentials = folder / "service-account.json"
    credentials.write_text(json.dumps(served.service_account), encoding="utf-8")
    env = {
        "database_url": f"sqlite:///{folder / 'suivi.db'}",
        "google_credentials": credentials,
        "sheets_endpoint": served.sheets_url,
        "smtp_host": served.smtp_host,
        "smtp_port": served.smtp_port,
        "smtp_security": "none",
        "outbox_dir": folder / "outbox",
    }
    return path, env


def prepare_history(config_path: Path, env_values: dict[str, Any], activities: int) -> None:
    """Three weeks of stored progress, then the previous week's real run (snapshot, write-back)."""
    from suivi.adapters.store import open_store
    from suivi.settings import Env, load_config

    config = load_config(config_path)
    env = Env(**env_values)
    with open_store(env.database_url) as store:
        for weeks_back in range(SYNTHETIC_WEEKS + 1, 1, -1):
            day = AS_OF - dt.timedelta(weeks=weeks_back)
            run_id = store.begin_run("weekly-summary", day)
            for number, project in enumerate(config.projects):
                progress = synthetic_activities(activities, seed=number)
                earlier = (progress["progress"] - 0.03 * weeks_back).clip(lower=0)
                tracking = pd.DataFrame(
                    {"kind": "activity", "id": progress["id"], "progress": earlier}
                )
                store.save_snapshot(run_id, project.code, day, tracking, pd.DataFrame(), [])
            store.finish_run(run_id, "completed", {})
    # The previous week, for real: what this week's "what changed" compares with.
    weekly_run(config_path, env_values, AS_OF - dt.timedelta(weeks=1), send=False)


def weekly_run(
    config_path: Path,
    env_values: dict[str, Any],
    as_of: dt.date,
    send: bool = True,
    writes_ahead: int = WRITES_AHEAD,
) -> dict[str, Any]:
    """One weekly run, composed stage by stage as the flows run it; seconds per stage and what
    it did.

    As `flows/common.py`: sheets read ahead; each project's write-back in the background
    while the next is computed (`writes_ahead`; 0: each write waited for in turn), its
    snapshot saved once the write succeeded, in the projects' order.
    """
    from suivi.adapters.store import CHANGE_COLUMNS, open_store
    from suivi.jobs.delivery import deliver_emails
    from suivi.jobs.pipeline import (
        PACE_WINDOW_DAYS,
        Assessment,
        calendar_of,
        clean_sheet,
        flag_project,
        measure_project,
        project_view,
        write_back,
    )
    from suivi.jobs.reads import google_pace, read_ahead
    from suivi.jobs.writes import google_write_pace, write_behind
    from suivi.notify.messages import plan_weekly
    from suivi.notify.render import render_email, template_environment
    from suivi.settings import Env, load_config

    seconds: dict[str, float] = defaultdict(float)
    # CPU per stage: the main thread's, plus for `read` and `write-back` the background
    # threads' that do them (what the load cannot inflate).
    cpu: dict[str, float] = defaultdict(float)
    peaks: dict[str, float] = {}  # the process's peak MB when the stage first ended past it
    lock = threading.Lock()  # the background threads add to `cpu` and `peaks` too

    def note_peak(name: str, before: float) -> None:
        after = peak_megabytes()
        if after > before:  # this stage (or work in another thread meanwhile) raised the peak
            with lock:
                peaks[name] = max(peaks.get(name, 0.0), after)

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        before = peak_megabytes()
        started, cpu_started = perf_counter(), thread_time()
        yield
        seconds[name] += perf_counter() - started
        with lock:
            cpu[name] += thread_time() - cpu_started
        note_peak(name, before)

    @contextmanager
    def in_background(name: str) -> Iterator[None]:
        """A stage's work in a thread of its own: its CPU counted, its wall not (overlapped)."""
        before, cpu_started = peak_megabytes(), thread_time()
        yield
        with lock:
            cpu[name] += thread_time() - cpu_started
        note_peak(name, before)

    started, cpu_started = perf_counter(), process_time()
    config = load_config(config_path)
    env = Env(**env_values)
    views = []
    rows = problems = 0
    with open_store(env.database_url) as store:
        run_id = store.begin_run("weekly-summary", as_of)

        def read(project: Any) -> tuple[Any, Any]:
            with in_background("read"):
                source = open_sheet(project, config, env)
                return source, source.read_tabs()

        def assessed() -> Iterator[tuple[Any, Any]]:
            """Each project read (the wait for its read ahead), cleaned, flagged, measured."""
            google = google_pace()  # as flows/common.py reads: a few ahead, within the quota
            reads = iter(read_ahead(config.projects, read, pace=lambda _project: google))
            for project in config.projects:
                with stage("read"):  # the wait for this project's read, the next ones running
                    _, opened = next(reads)
                    if isinstance(opened, Exception):
                        raise opened
                    source, tabs = opened
                with stage("clean"):
                    allowed, tables = clean_sheet(project, config, tabs)
                    del opened, tabs  # as flows/common.py: the raw cells go once cleaned
                with stage("history"):
                    previous = store.last_snapshot(
                        project.code, before_run=run_id, columns=CHANGE_COLUMNS
                    )
                    since = as_of - dt.timedelta(days=PACE_WINDOW_DAYS)
                    history = store.progress_history(project.code, since=since)
                with stage("flags"):
                    tracking = flag_project(allowed, config, tables, as_of, history)
                with stage("indicators"):
                    indicators = measure_project(allowed, config, tables, as_of)
                language = config.language_of(allowed)
                assessment = Assessment(
                    allowed, tables, tracking, indicators, tables.problems, language
                )
                del tables, tracking, indicators
                yield project, (source, assessment, previous)
                del assessment

        def write(_project: Any, work: tuple[Any, Any, Any]) -> None:
            with in_background("write-back"):
                write_back(work[0], work[1], as_of)

        writing = google_write_pace()
        written = write_behind(assessed(), write, ahead=writes_ahead, pace=lambda _project: writing)
        loop_started, staged = perf_counter(), sum(seconds.values())
        for _project, outcome in written:
            if isinstance(outcome, Exception):
                raise outcome
            _source, assessment, previous = outcome
            del outcome
            with stage("snapshot"):  # once written, as flows/common.py records a project
                store.save_snapshot(
                    run_id,
                    assessment.project.code,
                    as_of,
                    assessment.tracking,
                    assessment.indicators,
                    assessment.problems,
                )
            with stage("plan"):
                views.append(project_view(assessment, previous, config))
            rows += len(assessment.tables.activities)
            problems += len(assessment.problems)
        # The main thread's wait for the writes: the loop's time spent in none of its stages.
        seconds["write-back"] += perf_counter() - loop_started - (sum(seconds.values()) - staged)
        delivery = None
        if send:
            with stage("plan"):
                messages = plan_weekly(views, config, as_of, calendar_of(config))
            with stage("render"):
                templates = template_environment(config.template_folder())
                emails = [render_email(message, templates) for message in messages]
            with stage("send"):
                delivery = deliver_emails(emails, store, env, config.officer.email)
        store.finish_run(run_id, "completed", {})
    return {
        "seconds": dict(seconds),
        "cpu": dict(cpu),
        "peaks": peaks,
        "total": perf_counter() - started,
        "run_cpu_seconds": process_time() - cpu_started,  # every thread's, imports excluded
        "activities": rows,
        "problems": problems,
        "emails_sent": len(delivery.sent) if delivery else 0,
        "emails_failed": len(delivery.failures) if delivery else 0,
    }


FAKE_TIMEOUT_SECONDS = 600.0  # a loaded shared machine may be slow to answer: no timeouts


def open_sheet(project: Any, config: Any, env: Any) -> Any:
    """The project's fake Google Sheet, with a timeout the slow fake on a busy machine meets."""
    from suivi.adapters.google_sheets import GoogleSheets
    from suivi.adapters.sheets import google_key

    key = google_key(project.source)
    assert key is not None and env.google_credentials is not None
    return GoogleSheets(
        key,
        credentials=env.google_credentials,
        endpoint=env.sheets_endpoint,
        timeout=FAKE_TIMEOUT_SECONDS,
    )


def peak_megabytes() -> float:
    """This process's peak resident memory so far, in MB: its own, not its parent's.

    Linux's `ru_maxrss` carries the parent's resident size at fork across the child's exec:
    a run spawned by a parent that has just prepared 200 000 activities of history would
    report the parent's size. `VmHWM` is the high-water mark of this process's own memory.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:  # not Linux: ru_maxrss, an upper bound
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(
    config_path: Path,
    env_values: dict[str, Any],
    prefect: bool,
    results: Any,
    profile: Path | None = None,
    writes_ahead: int = WRITES_AHEAD,
) -> None:
    """Child process: the measured run, then this process's peak memory.

    `profile`: write the run's cProfile statistics there (for `pstats`; slows the run down).
    """
    try:
        if prefect:
            outcome = flow_run(config_path, env_values)
        elif profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            outcome = profiler.runcall(
                weekly_run, config_path, env_values, AS_OF, writes_ahead=writes_ahead
            )
            profiler.dump_stats(profile)
        else:
            load_before = os.getloadavg()[0]
            outcome = weekly_run(config_path, env_values, AS_OF, writes_ahead=writes_ahead)
            outcome["load"] = (load_before, os.getloadavg()[0])
        usage = resource.getrusage(resource.RUSAGE_SELF)
        outcome["peak_mb"] = peak_megabytes()
        outcome["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # imports included
        results.put(outcome)
    except Exception as error:  # reported, or the parent would wait in vain
        results.put({"error": f"{type(error).__name__}: {error}"})


def flow_run(config_path: Path, env_values: dict[str, Any]) -> dict[str, Any]:
    """The same week through the `weekly-summary` flow, under a temporary Prefect API."""
    import os

    for name, value in env_values.items():
        os.environ[f"SUIVI_{name.upper()}"] = str(value)
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        from flows.weekly import weekly_summary

        started = perf_counter()
        report = weekly_summary(config_path=str(config_path), as_of=AS_OF)
        total = perf_counter() - started
    return {
        "seconds": {},
        "cpu": {},
        "peaks": {},
        "total": total,
        "run_cpu_seconds": None,
        "activities": None,
        "problems": None,
        "emails_sent": report["emails_sent"],
        "emails_failed": len(report["emails_failed"]),  # type: ignore[arg-type]
    }


def ask(channel: Connection, command: str) -> Any:
    """A question to the world process, and its answer."""
    channel.send(command)
    return channel.recv()


def bench(
    size: str,
    prefect: bool = False,
    latency: float = 0.0,
    profile: Path | None = None,
    writes_ahead: int = WRITES_AHEAD,
) -> dict[str, Any]:
    """Build the world for one size, prepare its history, measure one weekly run.

    `latency`: seconds each Sheets request waits, as Google's would (0: loopback only);
    `profile`: where the measured run's cProfile statistics go, if anywhere;
    `writes_ahead`: writes left running while the next project is computed (0: none).
    """
    projects, activities = parse_size(size)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    world = context.Process(target=serve, args=(projects, activities, theirs, latency), daemon=True)
    world.start()
    try:
        served: Served = ours.recv()
        with tempfile.TemporaryDirectory(prefix="suivi-bench-") as folder:
            config_path, env_values = write_settings(Path(folder), served)
            prepare_history(config_path, env_values, activities)
            ask(ours, "reset")
            results = context.Queue()
            run = context.Process(
                target=measured,
                args=(config_path, env_values, prefect, results, profile, writes_ahead),
            )
            run.start()
            outcome: dict[str, Any] = results.get(timeout=1800)
            run.join(timeout=60)
            counts = ask(ours, "counts")
    finally:
        ours.send("stop")
        world.join(timeout=30)
    if "error" in outcome:
        raise RuntimeError(f"{size}: {outcome['error']}")
    return {
        "size": size,
        "projects": projects,
        "per_project": activities,
        "mode": ("prefect flow" if prefect else "composed")
        + (f", {latency * 1000:.0f} ms a request" if latency else "")
        + (", writes waited in turn" if writes_ahead == 0 and not prefect else ""),
        "latency": latency,
        **outcome,
        **counts,
    }


def suivi_cpu(result: dict[str, Any]) -> float | None:
    """suivi's own time: the measured process's CPU over the run, every thread (the fake
    Sheets API and the SMTP sink run in another process)."""
    cpu = result.get("run_cpu_seconds")
    return float(cpu) if cpu is not None else None


def suivi_seconds(result: dict[str, Any]) -> float:
    """suivi's own time (bench/__main__.py's name for it): its CPU, else the run's wall time."""
    cpu = suivi_cpu(result)
    return cpu if cpu is not None else float(result["total"])


def table(results: list[dict[str, Any]]) -> str:
    """Wall seconds per stage and in all, suivi's CPU, the fake's time apart, the counts.

    Stages are the main thread's wall seconds, nothing subtracted: `read` is the wait for a
    sheet read ahead, `write-back` the wait for the writes behind (the fake's answers and the
    latency, if any, that the next projects' work did not cover).
    """
    header = ["size", "mode", *STAGES, "wall s", "suivi CPU s"]
    header += ["fake busy read/write s", "fake CPU read/write s"]
    header += ["reads", "writes", "SMTP conn.", "e-mails", "peak MB", "load before/after"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        own = dict(result["seconds"])
        stages = [f"{own.get(name, 0.0):.2f}" if own else "–" for name in STAGES]
        cpu = suivi_cpu(result)
        load = result.get("load")
        cells = [
            result["size"],
            result["mode"],
            *stages,
            f"{result['total']:.1f}",
            f"{cpu:.1f}" if cpu is not None else "–",
            f"{result['fake_read_seconds']:.1f} / {result['fake_write_seconds']:.1f}",
            f"{result['fake_read_cpu']:.1f} / {result['fake_write_cpu']:.1f}",
            str(result["reads"]),
            str(result["writes"]),
            str(result["smtp_connections"]),
            str(result["emails_received"]),
            f"{result['peak_mb']:.0f}",
            f"{load[0]:.1f} / {load[1]:.1f}" if load else "–",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_table(results: list[dict[str, Any]]) -> str:
    """CPU seconds per stage, one row per run: the main thread's, and for `read` and
    `write-back` also the background threads' that do them (reads ahead, writes behind).

    On a shared machine the load inflates wall time, never CPU time.
    """
    header = ["size", "mode", *STAGES, "stages (all threads)", "run (all threads)", "process"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        cpu = result.get("cpu") or {}
        if not cpu:
            continue
        cells = [
            result["size"],
            result["mode"],
            *(f"{cpu.get(name, 0.0):.2f}" for name in STAGES),
            f"{sum(cpu.values()):.1f}",
            f"{result['run_cpu_seconds']:.1f}",
            f"{result['cpu_seconds']:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Measure each size; print the Markdown table and the verdict against the targets."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", default=list(SIZES), help="PxN, e.g. 20x10000")
    parser.add_argument("--prefect", action="store_true", help="also run the largest via the flow")
    parser.add_argument("--json", type=Path, help="write the raw figures to this file")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds each Sheets request waits (Google-like)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="write each measured run's cProfile statistics to this folder (SIZE.prof)",
    )
    parser.add_argument(
        "--writes-ahead",
        type=int,
        default=WRITES_AHEAD,
        help="writes left running while the next project is computed (0: each waited for)",
    )
    options = parser.parse_args(argv)
    if options.profile:
        options.profile.mkdir(parents=True, exist_ok=True)
    results = [
        bench(
            size,
            latency=options.latency,
            profile=options.profile / f"{size}.prof" if options.profile else None,
            writes_ahead=options.writes_ahead,
        )
        for size in options.sizes
    ]
    if options.prefect:
        results.append(bench(options.sizes[-1], prefect=True))
    print(table(results))
    print()
    print(cpu_table(results))
    for result in results:
        if result.get("peaks"):
            raised = ", ".join(f"{name} {mb:.0f}" for name, mb in result["peaks"].items())
            print(f"{result['size']}: peak MB after the stages that raised it: {raised}")
    for result in results:
        projects = result["projects"]
        cpu = suivi_cpu(result)
        verdicts = [
            f"reads {result['reads']} ≤ {2 * projects}: {result['reads'] <= 2 * projects}",
            f"writes {result['writes']} ≤ {projects}: {result['writes'] <= projects}",
            f"one SMTP connection: {result['smtp_connections'] == 1}",
            f"suivi CPU {cpu:.1f} s ≤ {TARGET_CPU_SECONDS:.0f} s: {cpu <= TARGET_CPU_SECONDS}"
            if cpu is not None
            else "suivi CPU: not measured (flow run)",
            f"wall {result['total']:.1f} s"
            + (
                f" ≤ {TARGET_LATENCY_WALL_SECONDS:.0f} s: "
                f"{result['total'] <= TARGET_LATENCY_WALL_SECONDS}"
                if result["latency"]
                else ""
            ),
            f"under {TARGET_MEGABYTES:.0f} MB: {result['peak_mb'] < TARGET_MEGABYTES}",
        ]
        print(f"{result['size']} ({result['mode']}): " + "; ".join(verdicts))
    if options.json:
        options.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
