"""Stored snapshots found by key: the one-project shortcut finds what the general lookup finds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_flags import AS_OF, activities_of, history_of

from suivi.compute.flags import _found_among, flag_activities


def general_lookup(uniques: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The lookup without any shortcut: a hash index of the distinct keys."""
    return np.asarray(pd.Index(uniques, dtype=object).get_indexer(values))


def test_one_distinct_code_is_found_as_the_general_lookup_finds_it() -> None:
    stored = np.array(["TPM", "INSER", np.nan, "TPM", "tpm", " TPM", ""], dtype=object)
    for only in ("TPM", "", "tpm"):
        uniques = np.array([only], dtype=object)
        assert _found_among(uniques, stored).tolist() == general_lookup(uniques, stored).tolist()


def test_a_missing_code_finds_only_missing_codes() -> None:
    stored = np.array(["TPM", np.nan, "nan"], dtype=object)
    uniques = np.array([np.nan], dtype=object)
    assert _found_among(uniques, stored).tolist() == [-1, 0, -1]


def test_several_codes_are_found_by_the_general_lookup() -> None:
    stored = np.array(["A2", "A9", np.nan, "A1"], dtype=object)
    uniques = np.array(["A1", "A2", np.nan], dtype=object)
    assert _found_among(uniques, stored).tolist() == [1, -1, 2, 0]


def test_snapshots_of_another_or_no_project_lend_no_pace() -> None:
    activities = activities_of({"progress": 0.5, "planned_end": "2026-12-31"})
    points = [(21, 0.1), (14, 0.3), (7, 0.49)]
    alone = flag_activities(activities, AS_OF)["projected_finish"].tolist()
    for project in ("INSER", None, "tpm"):
        stored = history_of(points).assign(project=project)
        paced = flag_activities(activities, AS_OF, history=stored)["projected_finish"].tolist()
        assert paced == alone
    same = flag_activities(activities, AS_OF, history=history_of(points))
    assert same["projected_finish"].tolist() != alone
