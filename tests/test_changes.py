"""diff_snapshots: what became late, what was resolved, done, or moved a lot since the last run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suivi.compute.changes import Changes, diff_snapshots

FLAGS = [
    "en_retard",
    "a_risque",
    "demarrage_tardif",
    "echeance_proche",
    "sans_mise_a_jour",
    "termine_en_retard",
]


def tracking(*rows: dict[str, Any]) -> pd.DataFrame:
    """A current tracking frame with the dtypes of docs/architecture.md (bool flag columns)."""
    base: dict[str, Any] = {
        "project": "TPM",
        "kind": "activity",
        "name": "Atelier",
        "owner": "Amina",
        "owner_email": "amina@example.org",
        "status": "in_progress",
        "progress": 0.5,
        "deadline": "2026-12-31",
        "days_late": None,
        "projected_finish": None,
        "state": "in_progress",
        "row": 2,
    }
    frame = pd.DataFrame([{**base, **dict.fromkeys(FLAGS, False), **row} for row in rows])
    for column in ("project", "kind", "id", "name", "owner", "owner_email", "status", "state"):
        frame[column] = frame[column].astype("str")
    for column in ("deadline", "projected_finish"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame.astype(
        {"progress": "float64", "days_late": "Int64", "row": "Int64", **dict.fromkeys(FLAGS, bool)}
    )


def snapshot(*rows: dict[str, Any]) -> pd.DataFrame:
    """A stored snapshot: flags as a list of codes per row."""
    base: dict[str, Any] = {
        "project": "TPM",
        "kind": "activity",
        "name": "Atelier",
        "owner": "Amina",
        "status": "in_progress",
        "progress": 0.5,
        "deadline": pd.Timestamp("2026-12-31"),
        "days_late": None,
        "projected_finish": None,
        "state": "in_progress",
        "flags": [],
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def ids(frame: pd.DataFrame) -> list[str]:
    """The ids of a slice, in order."""
    return frame["id"].tolist()


def test_first_run_reports_everything_late_and_nothing_else() -> None:
    current = tracking(
        {"id": "A1", "en_retard": True, "state": "en_retard", "days_late": 3},
        {"id": "A2"},
        {"id": "L1", "kind": "deliverable", "en_retard": True, "state": "en_retard"},
    )

    changes = diff_snapshots(None, current)

    assert changes.first_run
    assert ids(changes.newly_late) == ["A1", "L1"]
    assert changes.resolved.empty and changes.newly_done.empty and changes.big_progress.empty
    assert {"previous_progress", "previous_state"} <= set(changes.resolved.columns)


def test_newly_late_excludes_what_was_already_late() -> None:
    previous = snapshot(
        {"id": "A1", "flags": ["en_retard"], "state": "en_retard"},
        {"id": "A2", "flags": ["echeance_proche"]},
    )
    current = tracking(
        {"id": "A1", "en_retard": True, "state": "en_retard"},
        {"id": "A2", "en_retard": True, "state": "en_retard"},
        {"id": "A3", "en_retard": True, "state": "en_retard"},  # a row added since
    )

    changes = diff_snapshots(previous, current)

    assert not changes.first_run
    assert ids(changes.newly_late) == ["A2", "A3"]


def test_resolved_newly_done_and_big_progress() -> None:
    previous = snapshot(
        {"id": "A1", "flags": ["en_retard", "sans_mise_a_jour"], "progress": 0.3},
        {"id": "A2", "progress": 0.3},
        {"id": "A3", "progress": 0.3},
        {"id": "L1", "kind": "deliverable", "status": "todo", "progress": np.nan},
    )
    current = tracking(
        {"id": "A1", "status": "done", "progress": 1.0, "state": "done"},
        {"id": "A2", "progress": 0.5},  # exactly 0.2 points: counts despite float rounding
        {"id": "A3", "progress": 0.45},
        {"id": "L1", "kind": "deliverable", "status": "submitted", "progress": np.nan},
    )

    changes = diff_snapshots(previous, current, big_progress_points=0.2)

    assert ids(changes.resolved) == ["A1"]
    assert ids(changes.newly_done) == ["A1", "L1"]
    assert ids(changes.big_progress) == ["A1", "A2"]
    assert changes.big_progress["previous_progress"].tolist() == [0.3, 0.3]
    assert changes.resolved["previous_state"].tolist() == ["in_progress"]


def test_slices_keep_current_columns_and_index() -> None:
    current = tracking({"id": "A1"}, {"id": "A2", "en_retard": True}).set_axis([10, 20])
    previous = snapshot({"id": "A1"}, {"id": "A2"})

    changes = diff_snapshots(previous, current)

    assert changes.newly_late.index.tolist() == [20]
    assert list(changes.newly_late.columns) == [
        *current.columns,
        "previous_progress",
        "previous_state",
    ]
    assert changes.newly_late["deadline"].dtype == "datetime64[ns]"


def test_keys_match_across_types_and_projects() -> None:
    previous = snapshot(
        {"id": 12, "flags": ["en_retard"]},
        {"id": "A1", "project": "AUTRE", "flags": ["en_retard"]},
    )
    current = tracking(
        {"id": "12", "en_retard": True},
        {"id": "A1", "en_retard": True},  # same id, other project: new here
    )

    changes = diff_snapshots(previous, current)

    assert ids(changes.newly_late) == ["A1"]


def test_flags_stored_as_text_or_missing_are_read() -> None:
    previous = snapshot(
        {"id": "A1", "flags": "en_retard, a_risque"},
        {"id": "A2", "flags": None},
        {"id": "A3", "flags": np.nan},
    )
    current = tracking(
        {"id": "A1", "en_retard": True},
        {"id": "A2", "en_retard": True},
        {"id": "A3"},
    )

    changes = diff_snapshots(previous, current)

    assert ids(changes.newly_late) == ["A2"]


def test_duplicated_keys_in_the_snapshot_keep_the_last_row() -> None:
    previous = snapshot({"id": "A1", "flags": []}, {"id": "A1", "flags": ["en_retard"]})
    current = tracking({"id": "A1", "en_retard": True})

    changes = diff_snapshots(previous, current)

    assert changes.newly_late.empty
    assert len(changes.resolved) == 0


def test_inputs_are_not_mutated() -> None:
    previous = snapshot({"id": "A1", "flags": ["en_retard"]})
    current = tracking({"id": "A1"})
    before = (previous.copy(deep=True), current.copy(deep=True))

    diff_snapshots(previous, current)

    pd.testing.assert_frame_equal(previous, before[0])
    pd.testing.assert_frame_equal(current, before[1])


def test_empty_frames_and_missing_columns_do_not_crash() -> None:
    empty = tracking({"id": "A1"}).iloc[0:0]
    changes = diff_snapshots(pd.DataFrame(columns=["project", "kind", "id"]), empty)
    assert isinstance(changes, Changes) and changes.empty

    bare = pd.DataFrame({"project": ["TPM"], "kind": ["activity"], "id": ["A1"]})
    assert diff_snapshots(bare, bare).empty
    # A snapshot without a flags column: the stored state tells lateness.
    by_state = diff_snapshots(
        bare.assign(state="en_retard"), tracking({"id": "A1", "en_retard": True})
    )
    assert by_state.newly_late.empty


@pytest.mark.parametrize("gain, expected", [(0.19, False), (0.2, True), (0.5, True)])
def test_big_progress_threshold(gain: float, expected: bool) -> None:
    previous = snapshot({"id": "A1", "progress": 0.1})
    current = tracking({"id": "A1", "progress": 0.1 + gain})

    changes = diff_snapshots(previous, current, big_progress_points=0.2)

    assert (not changes.big_progress.empty) is expected


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.booleans(), st.floats(0, 1), st.floats(0, 1)),
        min_size=0,
        max_size=8,
    )
)
def test_late_rows_split_into_new_and_already_late(
    rows: list[tuple[bool, bool, float, float]],
) -> None:
    previous = snapshot(
        *[
            {"id": f"A{n}", "flags": ["en_retard"] if was else [], "progress": before}
            for n, (was, _, before, _) in enumerate(rows)
        ]
    )
    current = (
        tracking(
            *[
                {"id": f"A{n}", "en_retard": now, "progress": after}
                for n, (_, now, _, after) in enumerate(rows)
            ]
        )
        if rows
        else tracking({"id": "A0"}).iloc[0:0]
    )

    changes = diff_snapshots(previous if rows else None, current)

    late_now = {f"A{n}" for n, (_, now, _, _) in enumerate(rows) if now}
    late_before = {f"A{n}" for n, (was, _, _, _) in enumerate(rows) if was}
    assert set(ids(changes.newly_late)) == (late_now - late_before if rows else late_now)
    assert set(ids(changes.resolved)) == (late_before - late_now if rows else set())
    assert set(ids(changes.big_progress)) == {
        f"A{n}"
        for n, (_, _, before, after) in enumerate(rows)
        if rows and after - before >= 0.2 - 1e-9
    }
