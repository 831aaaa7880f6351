"""Writing each project's sheet in the background while the next project is computed.

Against Google a write-back is mostly waiting: the upload, Google applying it, the answer.
The run hands each project's write to one background worker and goes on with the next
project; it takes each write's outcome back in the projects' order, and only then records
that project (nothing is stored as written before its write succeeded). One worker: the
writes go one at a time, in the projects' order, so two projects naming the same workbook
never write it at once; `ahead` bounds the projects held while their writes are unfinished
(memory); Google's write quota paces the starts.
"""

from __future__ import annotations

import contextvars
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from suivi.jobs.reads import StartPace

Item = TypeVar("Item")
Work = TypeVar("Work")

WRITES_AHEAD = 1  # unfinished writes while the next project is computed: one hides the wait
GOOGLE_WRITES_PER_MINUTE = 60  # per user: https://developers.google.com/sheets/api/limits
REQUESTS_PER_WRITE = 2  # values:batchUpdate, and a batchUpdate when the tab's layout changed


def write_behind(
    items: Iterable[tuple[Item, Work | Exception]],
    write: Callable[[Item, Work], None],
    ahead: int = WRITES_AHEAD,
    pace: Callable[[Item], StartPace | None] = lambda _item: None,
) -> Iterator[tuple[Item, Work | Exception]]:
    """Each item with its work once `write(item, work)` returned, or the exception it raised.

    Outcomes come in the items' order. An item that comes with an exception (it failed
    before its write) is not written and comes back in its place. While an item is written,
    the next one is taken from `items` (its work is done in the caller's thread meanwhile);
    the next is taken only when at most `ahead` writes are unfinished. Each write runs in a
    copy of the caller's context (an orchestrator's run context and logger follow it).
    `pace(item)` names the limit an item's write counts against, if any.
    """

    def paced(item: Item, work: Work) -> None:
        limit = pace(item)
        if limit is not None:
            limit.wait_turn()
        write(item, work)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write") as pool:
        pending: deque[tuple[Item, Work | Exception, Future[None] | None]] = deque()
        for item, work in items:
            future = None
            if not isinstance(work, Exception):
                future = pool.submit(contextvars.copy_context().run, paced, item, work)
            pending.append((item, work, future))
            del work  # held by `pending` alone: handed over with the outcome, then freed
            while pending and (len(pending) > max(0, ahead) or _finished(pending[0][2])):
                yield _outcome(pending)
        while pending:
            yield _outcome(pending)


def _finished(future: Future[None] | None) -> bool:
    return future is None or future.done()


def _outcome(
    pending: deque[tuple[Item, Work | Exception, Future[None] | None]],
) -> tuple[Item, Work | Exception]:
    """The oldest item with its work, or the exception its write raised (waiting for it)."""
    item, work, future = pending.popleft()
    if future is not None:
        try:
            future.result()
        except Exception as error:  # the project's own failure, reported by the caller
            return item, error
    return item, work


def google_write_pace() -> StartPace:
    """Project writes a Google user may start per minute, within the write quota."""
    return StartPace(GOOGLE_WRITES_PER_MINUTE // REQUESTS_PER_WRITE)
