"""The history store on real databases: SQLite always, PostgreSQL where a server answers.

Fixtures `store`, `sqlite_url` and `postgres_url` come from tests/store_fixtures.py (via conftest).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import sqlite3
import stat
import threading
import traceback
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from suivi.adapters.store import (
    VERSION_TABLE,
    OutboxItem,
    Store,
    StoreError,
    alembic_config,
    database_url,
    make_engine,
    metadata,
    migrate,
    open_store,
)
from suivi.model import Problem
from suivi.schema import FLAG_ORDER, Flag

AS_OF = dt.date(2026, 3, 2)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL on each backend in turn."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def tracking_rows(project: str = "TPM", progress: tuple[float, float] = (0.4, 1.0)) -> pd.DataFrame:
    """A tracking frame as flags.py makes it: two activities and one deliverable."""
    tracking = pd.DataFrame(
        {
            "project": [project, project, project],
            "kind": ["activity", "activity", "deliverable"],
            "id": ["A1", "A2", "Rapport narratif intermédiaire"],
            "name": ["Atelier régional", "Étude de base", "Rapport narratif intermédiaire"],
            "owner": ["Amina", "Youssef", None],
            "owner_email": ["amina@example.org", None, None],
            "output": ["R1", "R1", None],
            "funder": [None, None, "UE"],
            "status": ["in_progress", "done", "todo"],
            "progress": [progress[0], progress[1], float("nan")],
            "planned_start": pd.to_datetime(["2026-01-05", "2026-01-05", None]),
            "deadline": pd.to_datetime(["2026-02-27", "2026-03-31", "2026-03-10"]),
            "actual_end": pd.to_datetime([None, "2026-02-20", None]),
            "last_update": pd.to_datetime(["2026-02-01", "2026-02-20", None]),
            "days_late": pd.array([3, None, None], dtype="Int64"),
            "projected_finish": pd.to_datetime(["2026-04-15", None, None]),
            "state": ["en_retard", "done", "echeance_proche"],
            "row": [2, 3, 2],
        }
    )
    raised = {Flag.LATE: [True, False, False], Flag.AT_RISK: [True, False, False]}
    raised[Flag.DUE_SOON] = [False, False, True]
    flag_columns = {
        flag.value: raised.get(flag, [False, False, False])
        for flag in FLAG_ORDER
        if flag is not Flag.MISSING_MEASURE
    }
    return tracking.assign(**flag_columns)


def indicator_rows() -> pd.DataFrame:
    """An indicator table as indicators.py makes it, trimmed to what the store keeps and more."""
    return pd.DataFrame(
        {
            "project": ["TPM", "TPM"],
            "code": ["IO1", "R1.2"],
            "name": ["Communes accompagnées", "Femmes formées"],
            "baseline": [0.0, 10.0],
            "target": [12.0, 50.0],
            "current": [6.0, float("nan")],
            "achievement": [0.5, float("nan")],
            "status": ["behind", "no_data"],
            "row": [2, 3],
        }
    )


PROBLEMS = [
    Problem("TPM", "Activités", "J4", "45 pourcent", "avancement illisible", blocking=False),
    Problem("TPM", "Mesures", "B7", "31/02/2026", "date impossible", blocking=True),
]


def outbox_items(count: int, prefix: str = "weekly_summary|TPM|2026-W10") -> list[OutboxItem]:
    """E-mails with distinct keys and a payload big enough to be realistic."""
    return [
        OutboxItem(
            key=f"{prefix}|person{number}@example.org",
            kind="weekly_summary",
            project="TPM",
            recipients=(f"person{number}@example.org", "officer@example.org"),
            subject="Suivi hebdomadaire — TPM",
            message_id=f"<2026-W10.{number}@suivi.example.org>",
            payload="Subject: Suivi\r\n\r\n" + "é" * 50_000,
        )
        for number in range(count)
    ]


# ---- snapshots ------------------------------------------------------------------------------


def test_snapshot_round_trip(store: Store) -> None:
    tracking, indicators = tracking_rows(), indicator_rows()
    tracking_before, indicators_before = tracking.copy(), indicators.copy()
    run_id = store.begin_run("weekly-summary", AS_OF)

    store.save_snapshot(run_id, "TPM", AS_OF, tracking, indicators, PROBLEMS)
    snapshot = store.last_snapshot("TPM")

    assert snapshot is not None
    assert (snapshot.run_id, snapshot.as_of) == (run_id, AS_OF)
    expected_tracking = pd.DataFrame(
        {
            "project": ["TPM", "TPM", "TPM"],
            "kind": ["activity", "activity", "deliverable"],
            "id": ["A1", "A2", "Rapport narratif intermédiaire"],
            "name": ["Atelier régional", "Étude de base", "Rapport narratif intermédiaire"],
            "owner": ["Amina", "Youssef", None],
            "status": ["in_progress", "done", "todo"],
            "progress": [0.4, 1.0, float("nan")],
            "deadline": pd.to_datetime(["2026-02-27", "2026-03-31", "2026-03-10"]).astype(
                "datetime64[ns]"
            ),
            "days_late": pd.array([3, None, None], dtype="Int64"),
            "projected_finish": pd.to_datetime(["2026-04-15", None, None]).astype("datetime64[ns]"),
            "state": ["en_retard", "done", "echeance_proche"],
            "flags": pd.Series([["en_retard", "a_risque"], [], ["echeance_proche"]], dtype=object),
        }
    )
    pd.testing.assert_frame_equal(snapshot.tracking, expected_tracking)
    pd.testing.assert_frame_equal(
        snapshot.indicators,
        pd.DataFrame(
            {
                "code": ["IO1", "R1.2"],
                "current": [6.0, float("nan")],
                "achievement": [0.5, float("nan")],
                "status": ["behind", "no_data"],
            }
        ),
    )
    assert snapshot.problems == PROBLEMS
    pd.testing.assert_frame_equal(tracking, tracking_before)  # inputs are never mutated
    pd.testing.assert_frame_equal(indicators, indicators_before)


def test_empty_project_round_trips_with_typed_columns(store: Store) -> None:
    run_id = store.begin_run("daily-watch", AS_OF)
    empty_tracking = tracking_rows().iloc[0:0]

    store.save_snapshot(run_id, "VIDE", AS_OF, empty_tracking, indicator_rows().iloc[0:0], [])
    snapshot = store.last_snapshot("VIDE")

    assert snapshot is not None and snapshot.run_id == run_id
    assert snapshot.tracking.empty and snapshot.indicators.empty and snapshot.problems == []
    assert list(snapshot.tracking.columns) == [
        "project",
        "kind",
        "id",
        "name",
        "owner",
        "status",
        "progress",
        "deadline",
        "days_late",
        "projected_finish",
        "state",
        "flags",
    ]
    assert snapshot.tracking["deadline"].dtype == "datetime64[ns]"
    assert snapshot.tracking["days_late"].dtype == "Int64"


def test_last_snapshot_skips_a_run_where_the_project_failed(store: Store) -> None:
    first = store.begin_run("weekly-summary", dt.date(2026, 2, 23))
    store.save_snapshot(first, "TPM", dt.date(2026, 2, 23), tracking_rows(), indicator_rows(), [])
    store.save_snapshot(
        first, "EAU", dt.date(2026, 2, 23), tracking_rows("EAU"), indicator_rows(), []
    )
    second = store.begin_run("weekly-summary", AS_OF)
    # EAU's sheet could not be read in the second run: nothing saved for it.
    store.save_snapshot(
        second, "TPM", AS_OF, tracking_rows(progress=(0.6, 1.0)), indicator_rows(), []
    )

    latest_eau = store.last_snapshot("EAU")
    latest_tpm = store.last_snapshot("TPM")
    previous_tpm = store.last_snapshot("TPM", before_run=second)

    assert latest_eau is not None and latest_eau.run_id == first
    assert latest_eau.tracking["project"].unique().tolist() == ["EAU"]
    assert latest_tpm is not None and latest_tpm.run_id == second
    assert latest_tpm.tracking["progress"].iloc[0] == 0.6
    assert previous_tpm is not None and previous_tpm.run_id == first
    assert previous_tpm.tracking["progress"].iloc[0] == 0.4
    assert store.last_snapshot("TPM", before_run=first) is None
    assert store.last_snapshot("INCONNU") is None


def test_the_previous_snapshot_of_a_run_is_the_last_one_of_the_same_flow(store: Store) -> None:
    weekly = store.begin_run("weekly-summary", dt.date(2026, 2, 23))
    store.save_snapshot(weekly, "TPM", dt.date(2026, 2, 23), tracking_rows(), indicator_rows(), [])
    daily = store.begin_run("daily-watch", AS_OF)
    store.save_snapshot(
        daily, "TPM", AS_OF, tracking_rows(progress=(0.5, 1.0)), indicator_rows(), []
    )
    next_weekly = store.begin_run("weekly-summary", AS_OF)
    next_daily = store.begin_run("daily-watch", AS_OF)

    since_weekly = store.last_snapshot("TPM", before_run=next_weekly)
    since_daily = store.last_snapshot("TPM", before_run=next_daily)

    assert since_weekly is not None and since_weekly.run_id == weekly
    assert since_daily is not None and since_daily.run_id == daily
    assert store.last_snapshot("TPM") is not None


def test_saving_a_project_again_in_the_same_run_replaces_it(store: Store) -> None:
    run_id = store.begin_run("weekly-summary", AS_OF)
    store.save_snapshot(run_id, "TPM", AS_OF, tracking_rows(), indicator_rows(), PROBLEMS)

    store.save_snapshot(run_id, "TPM", AS_OF, tracking_rows().iloc[:1], indicator_rows(), [])
    snapshot = store.last_snapshot("TPM")

    assert snapshot is not None
    assert snapshot.tracking["id"].tolist() == ["A1"]
    assert snapshot.problems == []


def test_progress_history_keeps_activities_and_the_latest_run_of_each_day(store: Store) -> None:
    days_and_progress = [
        (dt.date(2026, 1, 26), (0.1, 0.8)),
        (dt.date(2026, 2, 23), (0.3, 1.0)),
        (dt.date(2026, 2, 23), (0.35, 1.0)),  # a re-run the same day: it wins
        (AS_OF, (0.4, 1.0)),
    ]
    for as_of, progress in days_and_progress:
        run_id = store.begin_run("weekly-summary", as_of)
        tracking = tracking_rows(progress=progress)
        store.save_snapshot(run_id, "TPM", as_of, tracking, indicator_rows(), [])
    other = store.begin_run("weekly-summary", AS_OF)
    store.save_snapshot(other, "EAU", AS_OF, tracking_rows("EAU"), indicator_rows(), [])

    history = store.progress_history("TPM", since=dt.date(2026, 2, 1))

    expected = pd.DataFrame(
        {
            "project": ["TPM"] * 4,
            "id": ["A1", "A1", "A2", "A2"],
            "as_of": pd.to_datetime(["2026-02-23", "2026-03-02"] * 2).astype("datetime64[ns]"),
            "progress": [0.35, 0.4, 1.0, 1.0],
        }
    )
    pd.testing.assert_frame_equal(history, expected)


def test_progress_history_of_an_unknown_project_is_empty_and_typed(store: Store) -> None:
    history = store.progress_history("INCONNU", since=AS_OF)

    assert history.empty
    assert list(history.columns) == ["project", "id", "as_of", "progress"]
    assert history["as_of"].dtype == "datetime64[ns]"


def test_finish_run_keeps_a_summary_with_nan_and_dates(store: Store) -> None:
    run_id = store.begin_run("weekly-summary", AS_OF)

    store.finish_run(run_id, "completed", {"sent": 3, "ratio": float("nan"), "as_of": AS_OF})

    with store.engine.connect() as connection:
        state, summary, finished_at = connection.execute(
            sa.text("SELECT state, summary, finished_at FROM runs WHERE id = :id"), {"id": run_id}
        ).one()
    if isinstance(summary, str):  # SQLite returns JSON text through a raw query
        summary = json.loads(summary)
    assert state == "completed" and finished_at is not None
    assert summary == {"sent": 3, "ratio": None, "as_of": "2026-03-02"}


# ---- outbox ---------------------------------------------------------------------------------


def test_enqueue_twice_keeps_one_row_per_key(store: Store) -> None:
    items = outbox_items(3)

    first = store.enqueue(items)
    second = store.enqueue([*items, *outbox_items(1, prefix="owner_digest|TPM|2026-W10")])

    assert (first, second) == (3, 1)
    stored = store.outbox_items()
    assert sorted(item.key for item in stored) == sorted(
        [item.key for item in items] + [outbox_items(1, prefix="owner_digest|TPM|2026-W10")[0].key]
    )
    assert stored[0] == items[0]  # payload, recipients and defaults round-trip


def test_enqueue_rejects_a_key_too_long_to_store(store: Store) -> None:
    with pytest.raises(ValueError, match="longer than 500"):
        store.enqueue(outbox_items(1, prefix="x" * 500))
    assert store.outbox_items() == []


def test_two_owners_claim_disjoint_items(store: Store) -> None:
    store.enqueue(outbox_items(4))

    first = store.claim("worker-1")
    second = store.claim("worker-2")
    store.enqueue(outbox_items(2, prefix="owner_digest|TPM|2026-W10"))
    third = store.claim("worker-2")

    assert len(first) == 4 and {item.state for item in first} == {"sending"}
    assert second == []
    assert {item.key for item in third} == {
        item.key for item in outbox_items(2, "owner_digest|TPM|2026-W10")
    }
    assert {item.state for item in store.outbox_items()} == {"sending"}


def test_claim_only_the_keys_asked_for(store: Store) -> None:
    items = outbox_items(3)
    store.enqueue(items)

    claimed = store.claim("worker-1", keys=[items[1].key, "unknown|key"])

    assert [item.key for item in claimed] == [items[1].key]
    assert len(store.outbox_items("pending")) == 2
    assert store.claim("worker-1", keys=[]) == []


def test_an_expired_lease_is_claimed_again_a_live_one_is_not(store: Store) -> None:
    expired, live = outbox_items(2)
    store.enqueue([expired, live])
    # worker-1 takes both, then dies mid-send; one lease has already run out.
    store.claim("worker-1", lease_seconds=900, keys=[live.key])
    store.claim("worker-1", lease_seconds=0, keys=[expired.key])

    reclaimed = store.claim("worker-2")

    assert [item.key for item in reclaimed] == [expired.key]
    assert store.mark_sent(expired.key, "worker-2") is True
    assert store.mark_sent(live.key, "worker-1") is True


def test_mark_failed_transient_goes_back_to_pending_permanent_stays_failed(store: Store) -> None:
    transient, permanent = outbox_items(2)
    store.enqueue([transient, permanent])
    store.claim("worker-1")

    assert store.mark_failed(transient.key, "worker-1", "421 try again later", permanent=False)
    assert store.mark_failed(permanent.key, "worker-1", "550 no such user", permanent=True)

    by_key = {item.key: item for item in store.outbox_items()}
    assert (by_key[transient.key].state, by_key[transient.key].attempts) == ("pending", 1)
    assert by_key[transient.key].last_error == "421 try again later"
    assert (by_key[permanent.key].state, by_key[permanent.key].attempts) == ("failed", 1)
    assert [item.key for item in store.claim("worker-2")] == [transient.key]
    assert store.outbox_items("failed") == [by_key[permanent.key]]


def test_mark_failed_by_a_claimer_that_lost_its_lease_changes_nothing(store: Store) -> None:
    (item,) = outbox_items(1)
    store.enqueue([item])
    store.claim("worker-1", lease_seconds=0)
    store.claim("worker-2")

    assert store.mark_failed(item.key, "worker-1", "timeout", permanent=False) is False
    assert store.outbox_items("sending")[0].attempts == 0
    with pytest.raises(KeyError):
        store.mark_failed("unknown|key", "worker-1", "timeout", permanent=False)


def test_mark_sent_records_the_send_even_after_a_lost_lease(store: Store) -> None:
    (item,) = outbox_items(1)
    store.enqueue([item])
    store.claim("worker-1", lease_seconds=0)
    store.claim("worker-2")

    assert store.mark_sent(item.key, "worker-1") is False  # worker-1 had lost it, but it did send
    assert [sent.key for sent in store.outbox_items("sent")] == [item.key]
    assert store.claim("worker-3") == []
    with pytest.raises(KeyError):
        store.mark_sent("unknown|key", "worker-1")


def test_requeue_sends_again_even_what_was_sent(store: Store) -> None:
    sent, failed, untouched = outbox_items(3)
    store.enqueue([sent, failed, untouched])
    store.claim("worker-1", keys=[sent.key, failed.key])
    store.mark_sent(sent.key, "worker-1")
    store.mark_failed(failed.key, "worker-1", "550", permanent=True)

    count = store.requeue([sent.key, failed.key, "unknown|key"])

    assert count == 2
    assert {item.key for item in store.claim("worker-2")} == {sent.key, failed.key, untouched.key}
    assert store.requeue([]) == 0


def test_outbox_items_refuses_an_unknown_state(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown outbox state"):
        store.outbox_items("done")


def claim_in_batches(url: str, owner: str, keys: list[str], start: Any, results: Any) -> None:
    """Child process: open the store, wait for the other, claim keys in small batches."""
    try:
        claimed: list[str] = []
        with open_store(url) as store:
            start.wait(timeout=60)
            for first in range(0, len(keys), 5):
                claimed += [item.key for item in store.claim(owner, keys=keys[first : first + 5])]
            claimed += [item.key for item in store.claim(owner)]
        results.put((owner, claimed))
    except Exception as error:  # reported to the parent, which would otherwise wait in vain
        results.put((owner, f"{type(error).__name__}: {error}"))


def test_two_processes_claiming_at_once_claim_each_item_once(backend_url: str) -> None:
    keys = [item.key for item in outbox_items(120)]
    with open_store(backend_url) as store:
        store.enqueue(outbox_items(120))
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    # Opposite orders, so the two meet in the middle on the same rows.
    workers = [
        context.Process(target=claim_in_batches, args=(backend_url, owner, order, start, results))
        for owner, order in (("worker-1", keys), ("worker-2", keys[::-1]))
    ]
    for worker in workers:
        worker.start()
    claimed = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)

    assert [worker.exitcode for worker in workers] == [0, 0]
    assert all(isinstance(keys_claimed, list) for keys_claimed in claimed.values()), claimed
    assert set(claimed["worker-1"]).isdisjoint(claimed["worker-2"])
    assert sorted(claimed["worker-1"] + claimed["worker-2"]) == sorted(keys)
    with open_store(backend_url) as store:
        leases = {item.key for item in store.outbox_items("sending")}
    assert leases == set(keys)


# ---- opening, migrations, SQLite locking ----------------------------------------------------


def test_postgresql_urls_use_psycopg_3() -> None:
    assert (
        database_url("postgresql://suivi@db.example.org/suivi").drivername == "postgresql+psycopg"
    )
    assert database_url("postgres://suivi@db.example.org/suivi").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///history.db").drivername == "sqlite"


def test_unreachable_database_raises_store_error_without_the_password() -> None:
    url = "postgresql://suivi:s3cret-Pa55@127.0.0.1:9/suivi"  # port 9: nothing listens

    with pytest.raises(StoreError) as raised:
        open_store(url)

    message = str(raised.value)
    shown = message + repr(raised.value) + "".join(traceback.format_exception(raised.value))
    assert "postgresql+psycopg://suivi:***@127.0.0.1:9/suivi" in message
    assert "s3cret-Pa55" not in shown


@pytest.mark.parametrize(
    "url",
    ["not a url at all: suivi:s3cret-Pa55@somewhere", "mysql://suivi:s3cret-Pa55@db/suivi"],
)
def test_unusable_urls_raise_store_error_without_the_password(url: str) -> None:
    with pytest.raises(StoreError) as raised:
        open_store(url)

    assert "s3cret-Pa55" not in str(raised.value)
    assert "***" in str(raised.value)


def test_sqlite_file_that_cannot_be_created_raises_store_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")

    with pytest.raises(StoreError, match="not-a-folder"):
        open_store(f"sqlite:///{tmp_path / 'not-a-folder' / 'suivi.db'}")


def test_a_file_that_is_not_a_database_raises_store_error(tmp_path: Path) -> None:
    (tmp_path / "suivi.db").write_text("Budget prévu;Budget consommé\n" * 200)

    with pytest.raises(StoreError, match="not a database"):
        open_store(f"sqlite:///{tmp_path / 'suivi.db'}")


def test_a_schema_from_a_newer_suivi_is_refused_untouched(backend_url: str) -> None:
    with open_store(backend_url) as store, store.engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))

    with pytest.raises(StoreError, match="upgrade suivi"):
        open_store(backend_url)


def test_default_store_is_a_private_sqlite_file_in_wal_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with open_store(None) as store:
        store.begin_run("weekly-summary", AS_OF)
        with store.engine.connect() as connection:
            journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()

    assert journal == "wal"
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / "suivi.db").stat().st_mode) == 0o600


def test_sqlite_write_waits_for_another_writer_instead_of_failing(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        path = sa.make_url(sqlite_url).database
        assert path is not None
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO runs (flow, as_of, started_at, state)"
            " VALUES ('other-process', '2026-03-02', '2026-03-02 08:00:00.000000', 'running')"
        )
        outcome: dict[str, Any] = {}

        def write() -> None:
            try:
                outcome["run_id"] = store.begin_run("weekly-summary", AS_OF)
            except Exception as error:
                outcome["error"] = error

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=1)
        # It cannot have succeeded while the lock is held; finished would mean it gave up.
        still_waiting = writer.is_alive()
        other.execute("COMMIT")
        other.close()
        writer.join()

        assert still_waiting, outcome
        assert "error" not in outcome
        with store.engine.connect() as connection:
            flows = connection.execute(sa.text("SELECT flow FROM runs ORDER BY id")).scalars().all()
    assert flows == ["other-process", "weekly-summary"]


def test_migrations_create_exactly_the_store_tables(backend_url: str) -> None:
    with open_store(backend_url) as store, store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, parent: name != VERSION_TABLE,
            },
        )
        differences = compare_metadata(context, metadata)

    assert differences == []


def revisions_oldest_first() -> list[str]:
    """Every migration revision, from the first to head."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


# Rows in the columns of the first revision; a later revision must carry them all to head.
FIRST_REVISION_ROWS: dict[str, list[dict[str, Any]]] = {
    "runs": [
        {
            "id": 1,
            "flow": "weekly-summary",
            "as_of": dt.date(2026, 2, 23),
            "started_at": dt.datetime(2026, 2, 23, 8, 0, tzinfo=dt.UTC),
            "finished_at": dt.datetime(2026, 2, 23, 8, 1, tzinfo=dt.UTC),
            "state": "completed",
            "summary": {"sent": 2},
        }
    ],
    "snapshots": [
        {
            "run_id": 1,
            "project": "TPM",
            "as_of": dt.date(2026, 2, 23),
            "saved_at": dt.datetime(2026, 2, 23, 8, 0, 30, tzinfo=dt.UTC),
        }
    ],
    "activity_snapshots": [
        {
            "run_id": 1,
            "project": "TPM",
            "kind": "activity",
            "item_id": "A1",
            "name": "Atelier régional",
            "owner": "Amina",
            "status": "in_progress",
            "progress": 0.3,
            "deadline": dt.date(2026, 2, 27),
            "days_late": None,
            "projected_finish": dt.date(2026, 4, 15),
            "state": "a_risque",
            "flags": "a_risque,echeance_proche",
            "as_of": dt.date(2026, 2, 23),
        }
    ],
    "indicator_values": [
        {
            "run_id": 1,
            "project": "TPM",
            "code": "IO1",
            "current": 4.0,
            "achievement": 1 / 3,
            "status": "behind",
            "as_of": dt.date(2026, 2, 23),
        }
    ],
    "problems": [
        {
            "run_id": 1,
            "project": "TPM",
            "tab": "Activités",
            "cell": "J4",
            "value": "45 pourcent",
            "message": "avancement illisible",
            "blocking": False,
        }
    ],
    "outbox": [
        {
            "key": "weekly_summary|TPM|2026-W09|officer@example.org",
            "kind": "weekly_summary",
            "project": "TPM",
            "recipients": ["officer@example.org"],
            "subject": "Suivi hebdomadaire — TPM",
            "message_id": "<2026-W09@suivi.example.org>",
            "payload": "Subject: Suivi\r\n\r\nBonjour",
            "state": "sent",
            "attempts": 0,
            "created_at": dt.datetime(2026, 2, 23, 8, 0, 40, tzinfo=dt.UTC),
            "sent_at": dt.datetime(2026, 2, 23, 8, 0, 41, tzinfo=dt.UTC),
        }
    ],
}


def test_upgrade_to_head_keeps_rows_written_at_the_first_revision(backend_url: str) -> None:
    engine = make_engine(backend_url)
    migrate(engine, revisions_oldest_first()[0])
    with engine.begin() as connection:
        # Reflected, so the insert speaks that revision's columns, not today's.
        tables = sa.MetaData()
        tables.reflect(connection, only=list(FIRST_REVISION_ROWS))
        for name, rows in FIRST_REVISION_ROWS.items():
            connection.execute(tables.tables[name].insert(), rows)
    engine.dispose()

    with open_store(backend_url) as store:
        snapshot = store.last_snapshot("TPM")
        history = store.progress_history("TPM", since=dt.date(2026, 1, 1))
        sent = store.outbox_items("sent")
        with store.engine.connect() as connection:
            counts = {
                name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()
                if name in FIRST_REVISION_ROWS
            }
            version = connection.execute(
                sa.text(f"SELECT version_num FROM {VERSION_TABLE}")
            ).scalar()

    assert version == revisions_oldest_first()[-1]
    assert counts == {name: len(rows) for name, rows in FIRST_REVISION_ROWS.items()}
    assert snapshot is not None and snapshot.run_id == 1
    assert snapshot.tracking["flags"].tolist() == [["a_risque", "echeance_proche"]]
    assert snapshot.indicators["code"].tolist() == ["IO1"]
    assert snapshot.problems == [
        Problem("TPM", "Activités", "J4", "45 pourcent", "avancement illisible", blocking=False)
    ]
    assert history["progress"].tolist() == [0.3]
    assert [item.key for item in sent] == ["weekly_summary|TPM|2026-W09|officer@example.org"]


def test_downgrade_to_base_then_upgrade_again(backend_url: str) -> None:
    engine = make_engine(backend_url)
    migrate(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    with engine.connect() as connection:
        left = set(sa.inspect(connection).get_table_names()) - {VERSION_TABLE}
    migrate(engine)
    with engine.connect() as connection:
        again = set(sa.inspect(connection).get_table_names())
    engine.dispose()

    assert left == set()
    assert again == set(metadata.tables) | {VERSION_TABLE}
