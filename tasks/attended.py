"""Whether a person is waiting for this run at a terminal.

Then an outage is said at once and the e-mails stay pending; waiting minutes between
retries belongs to unattended runs (a schedule, cron), where nobody is there to try again.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_ATTENDED = contextvars.ContextVar("suivi_attended", default=False)


@contextmanager
def attended(person_waiting: bool = True) -> Iterator[None]:
    """Runs called in the block are attended (or not, as given)."""
    token = _ATTENDED.set(person_waiting)
    try:
        yield
    finally:
        _ATTENDED.reset(token)


def is_attended() -> bool:
    """A person waits for this run: no long waits between retries."""
    return _ATTENDED.get()
