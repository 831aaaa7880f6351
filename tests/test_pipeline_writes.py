"""Each project's write-back runs behind the next project's work: in order, bounded, a write's
failure kept to its project, nothing recorded for a project before its write succeeded."""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fakes.sheets_api import FakeSheetsApi, tabs_from_workbook

from suivi.adapters.store import open_store
from suivi.jobs.writes import write_behind

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 12, 7)
RUN = contextvars.ContextVar("run", default="none")
WAIT_AT_MOST = 60.0  # only so that a broken overlap fails instead of hanging: never reached


class Events:
    """What happened, in the order it happened, from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[str] = []

    def note(self, event: str) -> None:
        with self.lock:
            self.seen.append(event)


def computed(numbers: range, events: Events) -> Iterator[tuple[int, str | Exception]]:
    """Each item's work, done as it is asked for (as the flows assess each project)."""
    for number in numbers:
        events.note(f"computing {number}")
        if number == 2:  # its read failed: it comes with its exception, never written
            yield number, PermissionError("403: not shared with the service account")
            continue
        yield number, f"assessment {number}"


def test_outcomes_come_in_order_each_failure_in_its_place_the_others_written() -> None:
    events, written = Events(), []

    def write(number: int, work: str) -> None:
        if number == 3:
            raise RuntimeError("403: the service account is not an Editor")
        written.append(work)

    outcomes = list(write_behind(computed(range(5), events), write))

    assert [number for number, _ in outcomes] == [0, 1, 2, 3, 4]
    assert [outcome for _, outcome in outcomes if isinstance(outcome, str)] == [
        "assessment 0",
        "assessment 1",
        "assessment 4",
    ]
    assert isinstance(outcomes[2][1], PermissionError)  # failed before its write: not written
    assert isinstance(outcomes[3][1], RuntimeError)  # its write failed: its own outcome
    assert written == ["assessment 0", "assessment 1", "assessment 4"]


def test_the_next_item_is_computed_while_the_previous_one_is_written() -> None:
    events, writing = Events(), Events()
    next_computed = threading.Event()

    def observed(numbers: range) -> Iterator[tuple[int, str | Exception]]:
        for number, work in computed(numbers, events):
            with writing.lock:  # writes started and not finished while this one is computed
                events.note(f"unfinished writes {len(writing.seen)}")
            if number == 1:
                next_computed.set()
            yield number, work

    def write(number: int, _work: str) -> None:
        writing.note(str(number))
        if number == 0:  # answered only once the next item is being computed
            next_computed.wait(WAIT_AT_MOST)
        events.note(f"written {number}")
        with writing.lock:
            writing.seen.remove(str(number))

    taken = []
    for number, _ in write_behind(observed(range(4)), write):
        events.note(f"taken back {number}")
        taken.append(number)

    assert taken == [0, 1, 2, 3]
    assert events.seen.index("computing 1") < events.seen.index("written 0")
    assert events.seen.index("written 0") < events.seen.index("taken back 0")
    # Bounded: at most one write is unfinished while an item is computed.
    assert max(int(e.split()[-1]) for e in events.seen if e.startswith("unfinished")) <= 1


def test_with_no_write_ahead_each_write_is_waited_for_in_turn() -> None:
    events = Events()
    written = list(
        write_behind(
            computed(range(3), events),
            lambda number, _work: events.note(f"written {number}"),
            ahead=0,
        )
    )
    assert [number for number, _ in written] == [0, 1, 2]
    assert events.seen.index("written 0") < events.seen.index("computing 1")


def test_each_write_sees_the_callers_context() -> None:
    """Prefect's run context lives in context variables: it must follow the write."""
    RUN.set("weekly-summary")
    seen: list[str] = []
    items = ((number, "work") for number in range(3))
    list(write_behind(items, lambda _number, _work: seen.append(RUN.get())))
    assert seen == ["weekly-summary"] * 3


# -- Through the weekly flow, against the fake Google Sheets API --------------------------

KEYS = {
    "TPM": "1TpmSuiviWritesBehindKey000000000000000",
    "INSER": "1InserSuiviWritesBehindKey0000000000000",
    "TPMB": "1TpmBisSuiviWritesBehindKey00000000000",
}
WORKBOOKS = {"TPM": "tpm", "INSER": "inser", "TPMB": "tpm"}
LATENCY_SECONDS = 0.5  # each request's round trip: a write lasts at least this long


@pytest.fixture
def portfolio(
    suivi_env: Path,
    sheets_api: FakeSheetsApi,
    service_account_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Three projects as Google Sheets on the fake server."""
    lines = ["officer: {name: Chargée de projet, email: officer@example.org}", "projects:"]
    for code, key in KEYS.items():
        workbook = ROOT / "config" / "demo" / f"{WORKBOOKS[code]}.xlsx"
        sheets_api.add_spreadsheet(key, f"Suivi {code}", tabs_from_workbook(workbook))
        team = f"{code.lower()}@example.org"
        lines.append(f"  - {{code: {code}, name: Projet {code}, source: {key}, team: [{team}]}}")
    monkeypatch.setenv("SUIVI_GOOGLE_CREDENTIALS", str(service_account_file))
    monkeypatch.setenv("SUIVI_SHEETS_ENDPOINT", sheets_api.url)
    config = suivi_env / "suivi.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config  # the `sheets_api` fixture fails the test on a bug of the fake


def task_runs(flow_run_id: UUID) -> dict[str, Any]:
    """The flow run's task runs by name (`write-back-TPM`, `load-history-INSER`…)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])), limit=200
        )
    return {run.name: run for run in runs}


@pytest.mark.usefixtures("prefect_harness")
def test_a_refused_write_fails_its_project_alone_while_the_others_are_written_behind(
    portfolio: Path, sheets_api: FakeSheetsApi, suivi_env: Path
) -> None:
    from flows.common import ProjectsFailed
    from flows.weekly import weekly_summary

    sheets_api.set_access(KEYS["INSER"], "reader")  # reads work, the write-back is refused
    sheets_api.latency = LATENCY_SECONDS

    state = weekly_summary(config_path=str(portfolio), as_of=AS_OF, return_state=True)

    with pytest.raises(ProjectsFailed) as failed:
        state.result()
    report = failed.value.report
    assert report["projects"] == ["TPM", "TPMB"]
    assert list(report["failed_projects"]) == ["INSER"]  # type: ignore[call-overload]
    assert "Editor" in str(report["failed_projects"])
    written = {
        code: [c.status for c in sheets_api.log if c.key == key and c.kind == "values.batchUpdate"]
        for code, key in KEYS.items()
    }
    assert written["TPM"] == written["TPMB"] == [200]  # one write each, the failure aside
    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        assert store.last_snapshot("INSER") is None  # its write failed: nothing recorded
        assert store.last_snapshot("TPM") is not None
        assert store.last_snapshot("TPMB") is not None
    # TPM's write was still on its way while the next project's work had begun.
    runs = task_runs(state.state_details.flow_run_id)
    assert runs["load-history-INSER"].start_time < runs["write-back-TPM"].end_time
    assert runs["write-back-TPM"].end_time <= runs["save-snapshot-TPM"].start_time
