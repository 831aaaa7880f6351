"""What changed since the last run: previous snapshot vs current tracking frame."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from suivi.compute.columns import number_array as _numbers
from suivi.compute.columns import texts as _texts
from suivi.schema import DeliverableStatus, Flag, Status

KEYS = ["project", "kind", "id"]
# Statuses that mean "nothing left to do" for an activity or a deliverable.
DONE_STATUSES = frozenset({Status.DONE, DeliverableStatus.SUBMITTED, DeliverableStatus.VALIDATED})
# Columns added to every slice so templates can say "from 30 % to 60 %".
PREVIOUS_COLUMNS = ["previous_progress", "previous_state"]
# What separates flag codes stored as one string ("en_retard, a_risque").
FLAG_SEPARATORS = re.compile(r"[\s,;]+")
# Float slack so that 0.3 → 0.5 counts as a gain of 0.2 points.
PROGRESS_SLACK = 1e-9


@dataclass(frozen=True)
class Changes:
    """Rows of the current tracking frame that changed since the previous snapshot."""

    first_run: bool
    newly_late: pd.DataFrame  # late now, not late before (first run: everything late)
    resolved: pd.DataFrame  # late before, not late now
    newly_done: pd.DataFrame  # done or submitted now, not before
    big_progress: pd.DataFrame  # progress gained at least `big_progress_points`

    @property
    def empty(self) -> bool:
        """True when nothing changed worth telling."""
        return all(
            frame.empty
            for frame in (self.newly_late, self.resolved, self.newly_done, self.big_progress)
        )


def diff_snapshots(
    previous: pd.DataFrame | None,
    current: pd.DataFrame,
    *,
    big_progress_points: float = 0.2,
) -> Changes:
    """Compare a stored snapshot (or None on a first run) with the new tracking frame."""
    late_now = flag_mask(current, Flag.LATE)
    if previous is None:
        with_previous = current.assign(
            previous_progress=np.nan, previous_state=pd.Series(pd.NA, index=current.index)
        )
        nothing = with_previous.iloc[0:0]
        return Changes(
            first_run=True,
            newly_late=with_previous[late_now.to_numpy()],
            resolved=nothing,
            newly_done=nothing,
            big_progress=nothing,
        )

    before = _previous_facts(previous)
    # A left merge on unique keys keeps current's order and length: align by position.
    joined = _key_frame(current).merge(before, on=KEYS, how="left")
    known = joined["known"].fillna(False).to_numpy(dtype=bool)
    was_late = joined["was_late"].fillna(False).to_numpy(dtype=bool)
    was_done = joined["was_done"].fillna(False).to_numpy(dtype=bool)
    previous_progress = joined["previous_progress"].to_numpy(dtype="float64", na_value=np.nan)
    with_previous = current.assign(
        previous_progress=previous_progress,
        previous_state=pd.Series(joined["previous_state"].to_numpy(), index=current.index),
    )
    done_now = done_mask(current).to_numpy()
    progress_now = _numbers(current, "progress")
    gain = progress_now - previous_progress  # NaN where either side is unknown
    late = late_now.to_numpy()
    return Changes(
        first_run=False,
        newly_late=with_previous[late & ~was_late],
        resolved=with_previous[known & was_late & ~late],
        newly_done=with_previous[known & done_now & ~was_done],
        big_progress=with_previous[
            known & (np.nan_to_num(gain, nan=-np.inf) >= big_progress_points - PROGRESS_SLACK)
        ],
    )


def flag_mask(tracking: pd.DataFrame, flag: Flag) -> pd.Series:
    """The boolean flag column, all False when absent; missing values count as not raised."""
    if flag.value not in tracking.columns:
        return pd.Series(False, index=tracking.index)
    return tracking[flag.value].astype("boolean").fillna(False).astype(bool)


def done_mask(tracking: pd.DataFrame) -> pd.Series:
    """Rows whose status means done (activity) or handed in (deliverable)."""
    if "status" not in tracking.columns:
        return pd.Series(False, index=tracking.index)
    return tracking["status"].isin([str(status) for status in DONE_STATUSES])


def _previous_facts(previous: pd.DataFrame) -> pd.DataFrame:
    """One row per key of the stored snapshot: was it late, done, how far along."""
    keys = _key_frame(previous)
    state = _texts(previous, "state")
    late_keys = _late_positions(previous)
    facts = keys.assign(
        known=True,
        was_late=late_keys,
        was_done=done_mask(previous).to_numpy(),
        previous_progress=_numbers(previous, "progress"),
        previous_state=state.to_numpy(),
    )
    # A snapshot should not repeat a key; if one does, its last row is what was stored last.
    return facts.drop_duplicates(KEYS, keep="last")


def _late_positions(previous: pd.DataFrame) -> np.ndarray:
    """Whether each stored row carried the late flag (a list of codes, a string, or a state)."""
    if "flags" not in previous.columns:
        return (_texts(previous, "state") == Flag.LATE.value).to_numpy()
    # Lists explode to one code per line; a stored "en_retard, a_risque" string splits too.
    codes = previous["flags"].reset_index(drop=True).explode()
    # A snapshot holds a handful of distinct codes: each one is split once, not once a row.
    numbers, distinct = pd.factorize(codes.to_numpy(dtype=object))  # missing: -1
    late = np.array(
        [Flag.LATE.value in FLAG_SEPARATORS.split(str(code)) for code in distinct] + [False],
        dtype=bool,
    )
    raised = np.zeros(len(previous), dtype=bool)
    raised[codes.index.to_numpy()[late[numbers]]] = True
    return raised


def _key_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The merge keys as strings on both sides, so 12 and "12" meet."""
    return pd.DataFrame({key: _texts(frame, key).to_numpy() for key in KEYS})
