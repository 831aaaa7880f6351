"""Every row of issue 15's table, measured in one invocation: `.venv/bin/python -m bench`.

Commands are timed as new processes (wall and CPU time, median of `--repeats`); the scale
rows come from bench_e2e (fresh world and store per size: 20 × 10 000, the same with 150 ms
a request, 1 × 200 000; suivi's own CPU seconds and peak memory) and bench_core.
`--skip-scale` leaves out the scale rows (minutes each). Each row says its goal and its
verdict: met, met in CPU only (wall time is the machine's load: on a shared machine every
wall figure moves with it, so the load is printed first and last), or not met.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.bench_prefect import AS_OF, QUIET, ROOT, demo_config, free_port

Row = tuple[str, str, str, str, str]  # what, before (issue), goal, measured now, verdict
MET, NOT_MET = "met", "**not met**"
# A retry waits 10 s at least (tasks/retries.py): a run that waited for none takes less than
# a normal run and one such wait.
NO_RETRY_WAIT_SECONDS = 10.0


class Timing(tuple[float, float]):
    """Wall seconds and CPU seconds (user + system, the process and its children)."""

    def __str__(self) -> str:
        return f"{self[0]:.2f} s (CPU {self[1]:.2f} s)"


def children_cpu() -> float:
    """CPU seconds of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_seconds(
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    tty: bool = False,
    exits: tuple[int, ...] = (0,),
) -> Timing:
    """Wall time of one command as a new process (under a pseudo-terminal when `tty`).

    A command ending with another exit status than `exits` stops the bench: a quick failure
    is not a fast run.
    """
    command = [sys.executable, "-m", "suivi.cli", *argv]
    if tty:  # `script` gives the command a terminal, as a person typing it has
        command = ["script", "-qec", " ".join(command), "/dev/null"]
    started, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    seconds = Timing((time.perf_counter() - started, children_cpu() - cpu))
    if done.returncode not in exits:
        raise SystemExit(
            f"suivi {' '.join(argv)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
    return seconds


def verdict(timing: Timing, goal: float | Timing) -> str:
    """Met when the wall time is within the goal; met in CPU when only the CPU time is.

    `goal`: seconds, or wall and CPU seconds apart (a goal relative to another command's).
    """
    wall_goal, cpu_goal = (goal, goal) if isinstance(goal, float) else goal
    if timing[0] <= wall_goal:
        return MET
    if timing[1] <= cpu_goal:
        return f"met in CPU; wall time not (load {os.getloadavg()[0]:.1f})"
    return NOT_MET


def worst(*verdicts: str) -> str:
    """The least good of several verdicts (a row met only when each of its parts is)."""
    for candidate in verdicts:
        if candidate == NOT_MET:
            return NOT_MET
    return next((v for v in verdicts if v != MET), MET)


def median_of(repeats: int, measure: Callable[[], Timing]) -> Timing:
    """Median wall and median CPU of `repeats` measurements."""
    timings = [measure() for _ in range(repeats)]
    return Timing(
        (statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings))
    )


def base_env(folder: Path) -> dict[str, str]:
    """A clean environment: no SUIVI_*/PREFECT_* of the caller, store and outbox in `folder`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SUIVI_"))}
    return (
        env
        | QUIET
        | {
            "PREFECT_HOME": str(folder / "prefect-home"),
            "SUIVI_DATABASE_URL": f"sqlite:///{folder / 'suivi.db'}",
            "SUIVI_OUTBOX_DIR": str(folder / "outbox"),
        }
    )


def command_rows(repeats: int, folder: Path) -> list[Row]:
    """--help, settings error, status, check: new processes on the demo."""
    config = demo_config(folder)
    env = base_env(folder)
    helps = [[], ["run"], ["check"], ["status"], ["serve"], ["preview"], ["report", "iptt"]]
    help_seconds = {
        " ".join(["suivi", *argv]): median_of(
            repeats, lambda argv=argv: run_seconds([*argv, "--help"], env, folder)
        )
        for argv in helps
    }
    slowest = max(help_seconds, key=lambda name: help_seconds[name][0])
    missing = ["run", "weekly", "--config", str(folder / "missing.yaml")]
    status = ["status", "--config", str(config), "--as-of", AS_OF.isoformat()]
    check = ["check", "--config", str(config)]
    error = median_of(repeats, lambda: run_seconds(missing, env, folder, exits=(2,)))
    shown = median_of(repeats, lambda: run_seconds(status, env, folder, exits=(0, 1)))
    checked = median_of(repeats, lambda: run_seconds(check, env, folder, exits=(0, 1)))
    return [
        (
            "`suivi --help`, any `suivi X --help`",
            "2.2 s",
            "≤ 0.3 s",
            f"{help_seconds['suivi']}; slowest: {slowest} --help {help_seconds[slowest]}",
            verdict(help_seconds[slowest], 0.3),
        ),
        ("a settings error reported", "7.7 s", "≤ 1 s", str(error), verdict(error, 1.0)),
        (
            "`suivi status` / `suivi check` on the demo",
            "2.8 s / 1.6 s",
            "≤ 1 s",
            f"{shown} / {checked}",
            worst(verdict(shown, 1.0), verdict(checked, 1.0)),
        ),
    ]


def weekly_seconds(
    folder: Path, name: str, extra: dict[str, str], tty: bool = False, exits: tuple[int, ...] = (0,)
) -> Timing:
    """`suivi run weekly` on the demo, new process, fresh store and outbox, in `folder/name`."""
    run = folder / name
    run.mkdir(parents=True)
    config = demo_config(run)
    env = base_env(run) | {"PREFECT_HOME": str(folder / "prefect-home")} | extra
    argv = ["run", "weekly", "--config", str(config), "--as-of", AS_OF.isoformat()]
    return run_seconds(argv, env, folder, tty=tty, exits=exits)


def direct_seconds(folder: Path, name: str) -> Timing:
    """The same weekly work with no Prefect at all, as a new process (imports included)."""
    run = folder / name
    run.mkdir(parents=True)
    config = demo_config(run)
    env = base_env(run)
    code = f"from bench.bench_prefect import direct_weekly; direct_weekly({str(config)!r})"
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=900)
    return Timing((time.perf_counter() - started, children_cpu() - cpu))


def prefect_rows(repeats: int, folder: Path) -> list[Row]:
    """`suivi run weekly` with a running `suivi serve`'s server, without one, and SMTP refusing."""
    from flows.running_server import SERVE_HOME, announced
    from flows.serve import local_server

    direct = median_of(repeats, lambda: direct_seconds(folder, f"direct-{time.monotonic_ns()}"))
    weekly_seconds(folder, "first-temporary", {})  # migrates the temporary server's database
    temporary = median_of(
        repeats, lambda: weekly_seconds(folder, f"temporary-{time.monotonic_ns()}", {})
    )
    server = local_server(folder / "serve-home", free_port())
    with server as api_url, announced(api_url, folder / SERVE_HOME):  # as `suivi serve` does
        weekly_seconds(folder, "served-warm-up", {})
        served = median_of(
            repeats, lambda: weekly_seconds(folder, f"served-{time.monotonic_ns()}", {})
        )
        refused = {
            "SUIVI_SMTP_HOST": "127.0.0.1",
            "SUIVI_SMTP_PORT": str(free_port()),  # nobody listens: connection refused
            "SUIVI_SMTP_SECURITY": "none",
            "SUIVI_MAIL_FROM": "suivi@example.org",
        }
        smtp: Timing | str = (
            # e-mails left pending end the run with exit 1 (problems), not 0
            weekly_seconds(folder, "smtp-refused", refused, tty=True, exits=(1,))
            if shutil.which("script")
            else "not measured (no `script` for a terminal)"
        )
    refused_verdict = "not measured"
    if not isinstance(smtp, str):  # no retry waited: about as long as a normal run
        at_once = smtp[0] <= served[0] + NO_RETRY_WAIT_SECONDS
        refused_verdict = MET if at_once else NOT_MET
    return [
        (
            "`suivi run weekly` on the demo, `suivi serve` running",
            "8.2 s (against a server)",
            "≤ 2 × the same work called directly",
            f"{served}; the same work without Prefect, as a process: {direct}"
            f" (wall {served[0] / direct[0]:.1f} ×, CPU {served[1] / direct[1]:.1f} ×)",
            verdict(served, Timing((2 * direct[0], 2 * direct[1]))),
        ),
        (
            "`suivi run weekly` on the demo, no server running",
            "17 s (25 s first time)",
            "≤ 8 s",
            str(temporary),
            verdict(temporary, 8.0),
        ),
        (
            "interactive `suivi run weekly`, SMTP refusing connections",
            "114 s",
            "at once, e-mails kept pending",
            f"{smtp}; a normal run: {served}",
            refused_verdict,
        ),
    ]


def scale_rows() -> list[Row]:
    """bench_e2e's sizes (20 × 10 000, with and without latency; 1 × 200 000), bench_core's."""
    from bench import bench_core, bench_e2e

    many = bench_e2e.bench("20x10000")
    latency = bench_e2e.bench("20x10000", latency=0.15)
    one = bench_e2e.bench("1x200000")
    core = {
        mode: Timing(
            (
                sum(bench_core.bench(100_000, working_days=mode).values()),
                sum(bench_core.bench(100_000, working_days=mode, clock=time.process_time).values()),
            )
        )
        for mode in (False, True)
    }
    many_cpu = bench_e2e.suivi_seconds(many)
    waits = latency["seconds"]
    one_time = Timing((one["total"], bench_e2e.suivi_seconds(one)))
    return [
        (
            "20 × 10 000 end to end, suivi's own time",
            "58.5 s",
            "≤ 20 s, ≤ 500 MB",
            f"{many_cpu:.1f} s CPU (process CPU {many['cpu_seconds']:.1f} s,"
            f" {many['total']:.1f} s wall), {many['peak_mb']:.0f} MB",
            worst(
                MET if many_cpu <= 20 else NOT_MET,
                MET if many["peak_mb"] <= 500 else NOT_MET,
            ),
        ),
        (
            "20 × 10 000 with Google-like latency (150 ms a request)",
            "not measured",
            "≤ 30 s wall",
            f"{latency['total']:.1f} s wall, {bench_e2e.suivi_seconds(latency):.1f} s CPU;"
            f" waiting for reads {waits.get('read', 0.0):.1f} s, for writes"
            f" {waits.get('write-back', 0.0):.1f} s; {latency['reads']} reads,"
            f" {latency['writes']} writes",
            MET if latency["total"] <= 30 else NOT_MET,
        ),
        (
            "1 × 200 000 weekly run",
            "138 s, 1.33 GB",
            "≤ 40 s, ≤ 800 MB",
            f"{one['total']:.1f} s wall, {one_time[1]:.1f} s CPU"
            f" (process CPU {one['cpu_seconds']:.1f} s), {one['peak_mb']:.0f} MB",
            worst(verdict(one_time, 40.0), MET if one["peak_mb"] <= 800 else NOT_MET),
        ),
        (
            "core, 100 000 activities",
            "1.4 s (2.3 s working days)",
            "≤ 1 s either calendar",
            f"{core[False]} ({core[True]} working days)",
            worst(verdict(core[False], 1.0), verdict(core[True], 1.0)),
        ),
    ]


def show(rows: list[Row]) -> None:
    """Print rows of the table as soon as they are measured."""
    for row in rows:
        print("| " + " | ".join(row) + " |", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per command (median)")
    parser.add_argument("--skip-scale", action="store_true", help="leave out the scale rows")
    options = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.1f} ({os.cpu_count()} CPUs)", flush=True)
    print("| what | before (issue) | goal | now | verdict |")
    print("|---|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="suivi-bench-") as folder:
        show(command_rows(options.repeats, Path(folder)))
        show(prefect_rows(max(1, options.repeats // 2), Path(folder)))
    if not options.skip_scale:
        show(scale_rows())
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
