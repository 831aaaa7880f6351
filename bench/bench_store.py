"""The history store on its own: save one project's snapshot, read it back, read its history.

Run from the repository root: `.venv/bin/python -m bench.bench_store [N ...]` (SQLite in a
temporary folder; `--url postgresql+psycopg://…` for PostgreSQL). Median of 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
from pathlib import Path
from time import process_time as perf_counter  # CPU: a shared machine's load inflates wall time

from bench.portfolio import AS_OF, synthetic_activities, synthetic_deliverables, synthetic_history
from suivi.adapters.store import CHANGE_COLUMNS, open_store
from suivi.compute.calendar import CALENDAR_DAYS
from suivi.compute.flags import track

SIZES = (10_000,)
REPEATS = 3
HISTORY_WEEKS = 4


def bench(n: int, url: str) -> dict[str, float]:
    """Median CPU seconds of save_snapshot, last_snapshot (whole, and the columns what changed
    reads) and progress_history for n activities."""
    activities = synthetic_activities(n)
    deliverables = synthetic_deliverables(max(1, n // 10))
    tracking = track(activities, deliverables, AS_OF, calendar=CALENDAR_DAYS)
    history = synthetic_history(activities, HISTORY_WEEKS)
    seconds: dict[str, list[float]] = {
        "save": [],
        "last snapshot": [],
        "last snapshot (changes)": [],
        "history": [],
    }
    with open_store(url) as store:
        for week in range(HISTORY_WEEKS):  # earlier runs, so the reads have something to skip
            day = AS_OF - dt.timedelta(weeks=HISTORY_WEEKS - week)
            run_id = store.begin_run("weekly-summary", day)
            rows = history[history["as_of"] == history["as_of"].unique()[week]]
            store.save_snapshot(run_id, "P", day, rows.assign(kind="activity"), rows.iloc[:0], [])
        for _ in range(REPEATS):
            run_id = store.begin_run("weekly-summary", AS_OF)
            started = perf_counter()
            store.save_snapshot(run_id, "P", AS_OF, tracking, tracking.iloc[:0], [])
            seconds["save"].append(perf_counter() - started)
            started = perf_counter()
            store.last_snapshot("P")
            seconds["last snapshot"].append(perf_counter() - started)
            started = perf_counter()
            store.last_snapshot("P", columns=CHANGE_COLUMNS)
            seconds["last snapshot (changes)"].append(perf_counter() - started)
            started = perf_counter()
            store.progress_history("P", since=AS_OF - dt.timedelta(days=35))
            seconds["history"].append(perf_counter() - started)
    return {name: statistics.median(values) for name, values in seconds.items()}


def main(argv: list[str] | None = None) -> None:
    """One line per size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--url", help="database URL (default: SQLite in a temporary folder)")
    options = parser.parse_args(argv)
    for n in options.sizes:
        with tempfile.TemporaryDirectory(prefix="suivi-bench-store-") as folder:
            url = options.url or f"sqlite:///{Path(folder) / 'suivi.db'}"
            timings = bench(n, url)
        print(f"{n} activities: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))


if __name__ == "__main__":
    main()
