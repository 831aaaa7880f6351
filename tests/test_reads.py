"""Projects' sheets read ahead: bounded, in order, one failure kept to its project, paced."""

from __future__ import annotations

import contextvars
import threading
import time

from suivi.jobs.reads import StartPace, read_ahead

RUN = contextvars.ContextVar("run", default="none")


def test_reads_come_back_in_order_with_each_failure_in_its_place() -> None:
    def read(number: int) -> int:
        time.sleep(0.05 * (5 - number))  # the last finish first
        if number == 2:
            raise PermissionError("403: not shared with the service account")
        return number * 10

    outcomes = list(read_ahead(range(5), read, workers=3))
    assert [item for item, _ in outcomes] == [0, 1, 2, 3, 4]
    assert [outcome for _, outcome in outcomes if not isinstance(outcome, Exception)] == [
        0,
        10,
        30,
        40,
    ]
    assert isinstance(outcomes[2][1], PermissionError)


def test_no_more_than_the_workers_read_at_once_and_they_do_overlap() -> None:
    lock, running, most = threading.Lock(), [0], [0]

    def read(number: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return number

    assert [outcome for _, outcome in read_ahead(range(12), read, workers=3)] == list(range(12))
    assert most[0] == 3


def test_each_read_sees_the_callers_context() -> None:
    """Prefect's run context lives in context variables: it must follow the read."""
    RUN.set("weekly-summary")
    seen = [outcome for _, outcome in read_ahead(range(3), lambda _n: RUN.get(), workers=2)]
    assert seen == ["weekly-summary"] * 3


def test_the_pace_holds_starts_beyond_the_quota_until_the_minute_has_passed() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pace = StartPace(per_minute=2, clock=lambda: now[0])
    for step in range(3):
        now[0] = step * 10.0 if not waits else now[0]
        pace.wait_turn(sleep)
    assert waits == [40.0]  # starts at 0 and 10: the third waits until 60
    assert now[0] == 60.0
