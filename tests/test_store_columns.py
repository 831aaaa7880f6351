"""last_snapshot(columns=…): only the asked tracking columns are read, the same as in the full frame.

Fixture `store` comes from tests/store_fixtures.py (via conftest), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from test_store import AS_OF, PROBLEMS, indicator_rows, tracking_rows

from suivi.adapters.store import CHANGE_COLUMNS, Store
from suivi.compute.changes import diff_snapshots
from suivi.schema import Flag


def saved_twice(store: Store) -> int:
    """A weekly run of TPM saved, and the next one begun: its id."""
    first = store.begin_run("weekly-summary", AS_OF)
    store.save_snapshot(first, "TPM", AS_OF, tracking_rows(), indicator_rows(), PROBLEMS)
    store.finish_run(first, "completed", {})
    return store.begin_run("weekly-summary", AS_OF)


def test_change_columns_read_the_same_values_as_the_whole_snapshot(store: Store) -> None:
    run_id = saved_twice(store)

    whole = store.last_snapshot("TPM", before_run=run_id)
    changes_only = store.last_snapshot("TPM", before_run=run_id, columns=CHANGE_COLUMNS)

    assert whole is not None and changes_only is not None
    assert list(changes_only.tracking.columns) == list(CHANGE_COLUMNS)
    pd.testing.assert_frame_equal(changes_only.tracking, whole.tracking[list(CHANGE_COLUMNS)])
    pd.testing.assert_frame_equal(changes_only.indicators, whole.indicators)
    assert (changes_only.run_id, changes_only.as_of, changes_only.problems) == (
        whole.run_id,
        whole.as_of,
        whole.problems,
    )


def test_what_changed_is_the_same_from_the_change_columns(store: Store) -> None:
    run_id = saved_twice(store)
    now = tracking_rows(progress=(0.9, 1.0)).assign(status=["done", "done", "todo"])
    now[Flag.LATE.value] = [False, True, False]
    whole = store.last_snapshot("TPM", before_run=run_id)
    changes_only = store.last_snapshot("TPM", before_run=run_id, columns=CHANGE_COLUMNS)
    assert whole is not None and changes_only is not None

    expected = diff_snapshots(whole.tracking, now)
    found = diff_snapshots(changes_only.tracking, now)

    assert not expected.empty  # the comparison has something to compare
    for name in ("newly_late", "resolved", "newly_done", "big_progress"):
        pd.testing.assert_frame_equal(getattr(found, name), getattr(expected, name))
    assert dataclasses.replace(
        found, newly_late=None, resolved=None, newly_done=None, big_progress=None
    ) == dataclasses.replace(
        expected, newly_late=None, resolved=None, newly_done=None, big_progress=None
    )


def test_an_unknown_column_is_refused(store: Store) -> None:
    run_id = saved_twice(store)

    with pytest.raises(ValueError, match="owner_email"):
        store.last_snapshot("TPM", before_run=run_id, columns=["id", "owner_email"])
