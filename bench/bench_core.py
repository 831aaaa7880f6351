"""Time the pure core on synthetic portfolios: cleaning, flags, indicators, for growing N.

Run from the repository root: `.venv/bin/python -m bench.bench_core [N ...]`; `--cpu` times
the process's CPU instead of the wall clock (steadier on a machine others share).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from time import perf_counter, process_time
from typing import Any

import pandas as pd

from bench.portfolio import (
    AS_OF,
    SYNTHETIC_RULES,
    project_codes,
    synthetic_activities,
    synthetic_deliverables,
    synthetic_history,
    synthetic_indicators,
    synthetic_measures,
    synthetic_raw_tabs,
)
from suivi.compute.calendar import CALENDAR_DAYS, calendar_for
from suivi.compute.flags import track
from suivi.compute.indicators import compute_indicators

SIZES = (1_000, 10_000, 100_000)
REPEATS = 3  # best of: the machine's other work only ever adds time
HISTORY_WEEKS = 8
INDICATORS_PER_PROJECT = 40
DELIVERABLES_PER_ACTIVITY = 0.1
TARGET_SECONDS_AT_100K = 1.0  # issue 15: either calendar


def best_time(
    run: Callable[[], Any], clock: Callable[[], float] = perf_counter
) -> tuple[float, Any]:
    """Fastest of REPEATS runs, in seconds of `clock`, with the last result."""
    fastest, result = float("inf"), None
    for _ in range(REPEATS):
        started = clock()
        result = run()
        fastest = min(fastest, clock() - started)
    return fastest, result


def find_cleaner() -> Callable[..., Any] | None:
    """suivi.sheet.clean.clean_project, when that module exists."""
    try:
        module = importlib.import_module("suivi.sheet.clean")
    except ImportError:
        return None
    return getattr(module, "clean_project", None)


def bench(
    n: int, working_days: bool, clock: Callable[[], float] = perf_counter
) -> dict[str, float]:
    """Seconds per stage for one project of n activities (and its deliverables, indicators)."""
    project = project_codes(1)[0]
    activities = synthetic_activities(n)
    deliverables = synthetic_deliverables(max(1, int(n * DELIVERABLES_PER_ACTIVITY)))
    indicators = synthetic_indicators(INDICATORS_PER_PROJECT)
    measures = synthetic_measures(indicators)
    history = synthetic_history(activities, HISTORY_WEEKS)
    calendar = calendar_for(True) if working_days else CALENDAR_DAYS
    timings: dict[str, float] = {}

    cleaner = find_cleaner()
    if cleaner is not None:
        raw_tabs = synthetic_raw_tabs(activities, deliverables, indicators, measures)
        timings["clean"], tables = best_time(
            lambda: cleaner(project, raw_tabs, rules=list(SYNTHETIC_RULES)), clock
        )
        # Flag what cleaning produced, as the pipeline does: proves the frames fit together.
        activities, deliverables = tables.activities, tables.deliverables
        indicators, measures = tables.indicators, tables.measures

    timings["flags"], _ = best_time(
        lambda: track(activities, deliverables, AS_OF, calendar=calendar, history=history), clock
    )
    timings["indicators"], _ = best_time(
        lambda: compute_indicators(
            indicators, measures, activities, as_of=AS_OF, rules=SYNTHETIC_RULES
        ),
        clock,
    )
    return timings


def main(argv: list[str] | None = None) -> None:
    """Print one line per size: seconds per stage, total and microseconds per activity."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--working-days", action="store_true", help="Moroccan working days")
    parser.add_argument("--cpu", action="store_true", help="process CPU time, not wall time")
    options = parser.parse_args(argv)
    clock = process_time if options.cpu else perf_counter
    bench(200, options.working_days)  # warm up imports and the holiday table
    rows = []
    for n in options.sizes:
        timings = bench(n, options.working_days, clock)
        total = sum(timings.values())
        rows.append({"N": n, **timings, "total": total, "µs/row": total / n * 1e6})
    table = pd.DataFrame(rows).set_index("N")
    mode = "working days" if options.working_days else "calendar days"
    seconds = "CPU seconds" if options.cpu else "seconds"
    print(f"suivi core, {mode}, as of {AS_OF.isoformat()}, best of {REPEATS} ({seconds})")
    print(table.to_string(float_format=lambda value: f"{value:.3f}"))
    if 100_000 in table.index:
        total = float(table.loc[100_000, "total"])
        verdict = "within" if total <= TARGET_SECONDS_AT_100K else "OVER"
        print(f"100k rows: {total:.2f} s, {verdict} the {TARGET_SECONDS_AT_100K:.0f} s target")


if __name__ == "__main__":
    main()
