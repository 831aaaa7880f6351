"""A project's read is handed over by its only reference, so it is freed once assessed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

from flows.common import handed_over


class Read:
    """Stands for a project's raw cells (a dict cannot be weakly referenced)."""


def reads_of(*projects: str) -> Iterator[tuple[str, Read | Exception]]:
    """A read per project, made as it is asked for, as `read_ahead` hands them over."""
    for project in projects:
        yield project, Read()


def test_a_popped_read_is_freed_while_the_next_is_pending() -> None:
    stream = handed_over(reads_of("P1", "P2"))  # type: ignore[arg-type]
    project, holder = next(stream)
    assert project == "P1" and isinstance(holder, list)
    watched = weakref.ref(holder[0])
    holder.pop()  # what follow_project does; then it assesses and drops its own name
    gc.collect()
    assert watched() is None  # nothing else (the generator's frame) kept it
    assert next(stream)[0] == "P2"


def test_a_failed_read_comes_through_as_its_exception() -> None:
    def failing() -> Iterator[tuple[str, Read | Exception]]:
        yield "P1", ValueError("no sheet")

    project, outcome = next(handed_over(failing()))  # type: ignore[arg-type]
    assert project == "P1" and isinstance(outcome, ValueError)
