"""Reading every project's spreadsheet a few at a time, ahead of the work that uses them.

Against Google, most of a run's time is waiting on the network; reading the next projects
while one is being computed hides that wait. The pool is bounded (memory: only a few
projects' cells are held at once; quota: Google allows 60 reads a minute per user, and a
project costs two), each project's failure stays its own, and results come in the
projects' order, so the report reads the same whatever finished first.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Read = TypeVar("Read")

READ_WORKERS = 2  # reads ahead: enough to hide Google's latency behind one project's work
GOOGLE_READS_PER_MINUTE = 60  # per user: https://developers.google.com/sheets/api/limits
REQUESTS_PER_READ = 2  # metadata, then one batchGet of every tab


class StartPace:
    """At most `per_minute` starts in any 60 seconds; a start beyond that waits its turn."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def wait_turn(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Return when one more start keeps within the limit, recording it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._starts and now - self._starts[0] >= 60.0:
                    self._starts.popleft()
                if len(self._starts) < self.per_minute:
                    self._starts.append(now)
                    return
                wait = 60.0 - (now - self._starts[0])
            sleep(wait)


def read_ahead(
    items: Iterable[Item],
    read: Callable[[Item], Read],
    workers: int = READ_WORKERS,
    pace: Callable[[Item], StartPace | None] = lambda _item: None,
) -> Iterator[tuple[Item, Read | Exception]]:
    """Each item with its read (or the exception it raised), in the items' order.

    Up to `workers` reads run ahead of the consumer; each runs in a copy of the caller's
    context (so an orchestrator's run context and logger follow it into the thread).
    `pace(item)` names the limit an item's read counts against, if any.
    """

    def paced(item: Item) -> Read:
        limit = pace(item)
        if limit is not None:
            limit.wait_turn()
        return read(item)

    remaining = iter(items)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="read") as pool:
        pending: deque[tuple[Item, Future[Read]]] = deque()

        def submit_next() -> None:
            for item in remaining:  # the next item, if any
                context = contextvars.copy_context()
                pending.append((item, pool.submit(context.run, paced, item)))
                return

        for _ in range(max(1, workers)):
            submit_next()
        while pending:
            item, future = pending.popleft()
            submit_next()
            try:
                outcome: Read | Exception = future.result()
            except Exception as error:  # the project's own failure, reported by the caller
                outcome = error
            # Handed over, not kept: while the caller works on this read, nothing here may
            # hold it (a 200 000-row sheet's cells are a few hundred MB), so that the caller
            # can let it go once cleaned.
            handed = [(item, outcome)]
            del future, outcome
            yield handed.pop()


def google_pace() -> StartPace:
    """Project reads a Google user may start per minute, within the read quota."""
    return StartPace(GOOGLE_READS_PER_MINUTE // REQUESTS_PER_READ)
