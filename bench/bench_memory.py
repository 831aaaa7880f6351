"""Where a weekly run's memory goes, stage by stage: resident and peak MB, and what holds it.

Run from the repository root:

    .venv/bin/python -m bench.bench_memory 1x200000            # RSS now and peak per stage
    .venv/bin/python -m bench.bench_memory 1x200000 --trace    # + tracemalloc (slow, ≈ 3×)


The world (fake Sheets API, SMTP sink) and the history are bench/bench_e2e.py's; the stages
are the flows' steps in flows/common.py's order (the pipeline's own functions): read, clean
(the cells dropped), history, flags, indicators, write-back, snapshot, view (per project), then
plan, render, send. After each stage the measured process reports its resident MB (`/proc`), its
peak so far (`VmHWM`), and with `--trace` the peak Python allocations *during* the stage
(tracemalloc, reset at its start: numpy and pandas buffers are counted) and the source lines
holding the most memory when the stage ends.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import resource
import tempfile
import tracemalloc
from pathlib import Path
from time import thread_time
from typing import Any

from bench.bench_e2e import (
    open_sheet,
    parse_size,
    peak_megabytes,
    prepare_history,
    write_settings,
)
from bench.portfolio import AS_OF
from bench.world import Served, serve

MEGABYTE = 1024 * 1024
TOP_LINES = 6


def resident_megabytes() -> float:
    """This process's resident memory now, in MB (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / MEGABYTE


class Recorder:
    """One line per stage: CPU s, resident MB at its end, peak MB so far, traced peak/top lines."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.lines: list[dict[str, Any]] = []
        if trace:
            tracemalloc.start(8)

    def stage(self, name: str) -> _Stage:
        """A context manager measuring one stage."""
        return _Stage(self, name)


class _Stage:
    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder, self.name = recorder, name

    def __enter__(self) -> None:
        if self.recorder.trace:
            tracemalloc.reset_peak()
            self.traced_before = tracemalloc.get_traced_memory()[0]
        self.cpu = thread_time()

    def __exit__(self, *_: object) -> None:
        line: dict[str, Any] = {
            "stage": self.name,
            "cpu": thread_time() - self.cpu,
            "rss": resident_megabytes(),
            "peak": peak_megabytes(),
        }
        if self.recorder.trace:
            current, peak = tracemalloc.get_traced_memory()
            line |= {
                "traced_before": self.traced_before / MEGABYTE,
                "traced_after": current / MEGABYTE,
                "traced_peak": peak / MEGABYTE,
                "top": top_lines(),
            }
        self.recorder.lines.append(line)
        print(format_line(line), flush=True)


def top_lines() -> list[str]:
    """The source lines (innermost suivi/bench frame) holding the most traced memory now."""
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    stats = snapshot.statistics("lineno")[:TOP_LINES]
    return [f"{stat.size / MEGABYTE:7.1f} MB {stat.traceback[0]}" for stat in stats]


def format_line(line: dict[str, Any]) -> str:
    """A stage's figures on one line (then its top lines, when traced)."""
    text = (
        f"{line['stage']:<11} cpu {line['cpu']:6.2f} s  rss {line['rss']:7.1f} MB"
        f"  peak {line['peak']:7.1f} MB"
    )
    if "traced_peak" in line:
        text += (
            f"  traced {line['traced_before']:6.1f} → peak {line['traced_peak']:6.1f}"
            f" → {line['traced_after']:6.1f} MB"
        )
        text += "".join(f"\n      {top}" for top in line["top"])
    return text


def staged_run(config_path: Path, env_values: dict[str, Any], trace: bool) -> None:
    """bench_e2e's weekly run, stage by stage, each stage measured (child process)."""
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
    from suivi.notify.messages import plan_weekly
    from suivi.notify.render import render_email, template_environment
    from suivi.settings import Env, load_config

    as_of = AS_OF
    config = load_config(config_path)
    env = Env(**env_values)
    calendar = calendar_of(config)
    recorder = Recorder(trace)
    print(f"imports     rss {resident_megabytes():7.1f} MB  peak {peak_megabytes():7.1f} MB")
    views = []
    with open_store(env.database_url) as store:
        run_id = store.begin_run("weekly-summary", as_of)
        for project in config.projects:
            with recorder.stage("read"):
                source = open_sheet(project, config, env)
                tabs = [source.read_tabs()]
            with recorder.stage("clean"):
                project, tables = clean_sheet(project, config, tabs.pop())
            with recorder.stage("history"):
                previous = store.last_snapshot(
                    project.code, before_run=run_id, columns=CHANGE_COLUMNS
                )
                since = as_of - dt.timedelta(days=PACE_WINDOW_DAYS)
                history = store.progress_history(project.code, since=since)
            with recorder.stage("flags"):
                tracking = flag_project(project, config, tables, as_of, history)
                del history
            with recorder.stage("indicators"):
                indicators = measure_project(project, config, tables, as_of)
            language = config.language_of(project)
            assessment = Assessment(
                project, tables, tracking, indicators, tables.problems, language
            )
            with recorder.stage("write-back"):
                write_back(source, assessment, as_of)
            with recorder.stage("snapshot"):
                store.save_snapshot(
                    run_id, project.code, as_of, tracking, indicators, tables.problems
                )
            with recorder.stage("view"):
                views.append(project_view(assessment, previous, config))
            del assessment, tracking, indicators, tables, previous
        with recorder.stage("plan"):
            messages = plan_weekly(views, config, as_of, calendar)
        with recorder.stage("render"):
            templates = template_environment(config.template_folder())
            emails = [render_email(message, templates) for message in messages]
        with recorder.stage("send"):
            deliver_emails(emails, store, env, config.officer.email)
        store.finish_run(run_id, "completed", {})
    inherited = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"run peak {peak_megabytes():.0f} MB (ru_maxrss, the parent's included: {inherited:.0f})")


def main(argv: list[str] | None = None) -> None:
    """Build the world and the history for one size, then the measured run in a fresh process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("size", nargs="?", default="1x200000", help="PxN, e.g. 1x200000")
    parser.add_argument("--trace", action="store_true", help="tracemalloc per stage (slow)")
    options = parser.parse_args(argv)
    projects, activities = parse_size(options.size)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    world = context.Process(target=serve, args=(projects, activities, theirs, 0.0), daemon=True)
    world.start()
    try:
        served: Served = ours.recv()
        with tempfile.TemporaryDirectory(prefix="suivi-memory-") as folder:
            config_path, env_values = write_settings(Path(folder), served)
            prepare_history(config_path, env_values, activities)
            run = context.Process(target=staged_run, args=(config_path, env_values, options.trace))
            run.start()
            run.join()
    finally:
        ours.send("stop")
        world.join(timeout=30)


if __name__ == "__main__":
    main()
