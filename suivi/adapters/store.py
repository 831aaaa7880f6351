"""History store: runs, project snapshots, problems and the e-mail outbox (SQLAlchemy 2, Alembic).

SQLite by default (a file under `data/`, owner-only), PostgreSQL at scale. The schema is
created and upgraded only by the Alembic migrations in `suivi/migrations`, run at open.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import logging
import math
import os
import re
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import numpy as np
import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine

from suivi.adapters.closing import ClosedOnExit
from suivi.adapters.outgoing import OutgoingMail
from suivi.errors import StoreError
from suivi.model import Problem
from suivi.schema import FLAG_ORDER

DEFAULT_SQLITE_PATH: Final = Path("data/suivi.db")
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent.parent / "migrations"
# Not Alembic's default `alembic_version`: the store may share a database with Prefect's own.
VERSION_TABLE: Final = "suivi_schema_version"
SQLITE_BUSY_SECONDS: Final = 30
POSTGRES_CONNECT_SECONDS: Final = 10
MAX_KEY_LENGTH: Final = 500
# Any fixed number: serialises concurrent migrations across processes on PostgreSQL.
MIGRATION_LOCK_ID: Final = 715_100_001

OUTBOX_STATES: Final = ("pending", "sending", "sent", "failed")
TRACKING_COLUMNS: Final = [
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
# What "what changed" compares (compute/changes.py): last_snapshot(columns=CHANGE_COLUMNS)
# reads these and leaves names, owners and dates unread.
CHANGE_COLUMNS: Final = ("project", "kind", "id", "status", "progress", "state", "flags")
# A tracking column stored under another name in activity_snapshots.
STORED_AS: Final = {"id": "item_id"}
INDICATOR_COLUMNS: Final = ["code", "current", "achievement", "status"]
HISTORY_COLUMNS: Final = ["project", "id", "as_of", "progress"]
FLAG_ITEM: Final = re.compile(r"[^,]+")
INSERT_ROWS: Final = 20_000  # rows per executemany of a snapshot (same transaction)

# Constraint names the migrations use too, so later batch migrations on SQLite can name them.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("flow", sa.Text, nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("summary", sa.JSON),
)

# One row per project a run saved: a project whose read failed has none, so its last
# good snapshot stays the latest (and an empty project still counts as saved).
snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("project", sa.Text, primary_key=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index(None, "project", "run_id"),
)


def _run_rows(name: str, *columns: sa.Column[Any], dated: bool = True) -> sa.Table:
    """A table of rows a run saved per project; `dated` ones carry the run's as_of too.

    Reads name a run, by the (run_id, project) index; no index on the day (revision 0003):
    nothing reads by it, and every saved row paid for it.
    """
    run = sa.ForeignKey("runs.id", ondelete="CASCADE")
    dates = [sa.Column("as_of", sa.Date, nullable=False)]
    return sa.Table(
        name,
        metadata,
        # A surrogate key: activity IDs and deliverable names may repeat in bad input.
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, run, nullable=False),
        sa.Column("project", sa.Text, nullable=False),
        *columns,
        *(dates if dated else []),
        sa.Index(None, "run_id", "project"),
    )


activity_snapshots = _run_rows(
    "activity_snapshots",
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("item_id", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("owner", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("progress", sa.Float),
    sa.Column("deadline", sa.Date),
    sa.Column("days_late", sa.Integer),
    sa.Column("projected_finish", sa.Date),
    sa.Column("state", sa.Text),
    sa.Column("flags", sa.Text, nullable=False, server_default=""),  # comma-joined Flag codes
)

indicator_values = _run_rows(
    "indicator_values",
    sa.Column("code", sa.Text),
    sa.Column("current", sa.Float),
    sa.Column("achievement", sa.Float),
    sa.Column("status", sa.Text),
)

data_problems = _run_rows(
    "problems",
    sa.Column("tab", sa.Text, nullable=False),
    sa.Column("cell", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),  # English msgid, translated when shown
    sa.Column("blocking", sa.Boolean, nullable=False),
    sa.Column("params", sa.Text, nullable=False, server_default="{}"),  # the message's, as JSON
    sa.Column("header", sa.Text, nullable=False, server_default=""),  # the column as written
    sa.Column("row_id", sa.Text, nullable=False, server_default=""),
    dated=False,
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("key", sa.String(MAX_KEY_LENGTH), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("project", sa.Text, nullable=False),
    sa.Column("recipients", sa.JSON, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("message_id", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # the whole RFC 5322 message
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("lease_owner", sa.Text),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Index(None, "state"),
)


# A run that ended before its e-mails were planned; its snapshot never hides a change.
FAILED_STATE = "failed"
# Runs whose e-mails were planned (sent, or pending in the outbox).
PLANNED_STATES = ("completed", "partial")


@dataclass(frozen=True)
class OutboxItem(OutgoingMail):
    """One e-mail to send exactly once, identified by its key, and where its sending stands."""

    state: str = "pending"
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True, eq=False)
class Snapshot:
    """What a run saved for one project: tracking rows, indicator values, problems."""

    run_id: int
    as_of: dt.date
    tracking: pd.DataFrame
    indicators: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


def mask_url(url: str | URL) -> str:
    """The URL as text with its password (before `@` or in the query string) replaced by ***."""
    if isinstance(url, URL):
        return _mask_query(url.render_as_string(hide_password=True))
    # Unparsed text: whatever follows the user name up to the last "@" may be a password.
    url = _mask_query(url)
    credentials, at, host = url.rpartition("@")
    scheme, slashes, user = credentials.partition("://")
    if not slashes:
        scheme, user = "", credentials
    if not at or ":" not in user:
        return url
    return f"{scheme}{slashes}{user.split(':', 1)[0]}:***@{host}"


# `?password=…`, `&sslpassword=…`: drivers take a password from the query string too.
_QUERY_SECRET = re.compile(r"([?&][^=&#]*pass[^=&#]*=)[^&#]*", re.IGNORECASE)


def _mask_query(text: str) -> str:
    """The text with every password-like query parameter's value replaced by ***."""
    return _QUERY_SECRET.sub(r"\1***", text)


def _secrets_of(url: URL) -> list[str]:
    """The URL's passwords as a driver may echo them: before `@` and in the query, raw and quoted."""
    values = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if "pass" in key.lower():
            values += [value] if isinstance(value, str) else list(value)
    return [text for value in values if value for text in {value, quote(value, safe="")}]


def database_url(url: str | None) -> URL:
    """The SQLAlchemy URL to use: the default SQLite file, and psycopg 3 for PostgreSQL."""
    if url is None:
        return sa.URL.create("sqlite", database=str(DEFAULT_SQLITE_PATH.absolute()))
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise StoreError(f"not a database URL: {mask_url(url)!r}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | None) -> Engine:
    """An engine for the store: owner-only SQLite file in WAL mode, or PostgreSQL."""
    parsed = database_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = POSTGRES_CONNECT_SECONDS  # fail, don't hang
        return sa.create_engine(
            parsed, pool_pre_ping=True, connect_args=connect_args, json_serializer=_json_dumps
        )
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError, OSError) as error:
        raise StoreError(
            f"cannot use the history store {mask_url(parsed)}: {_reason(error, parsed)}"
        ) from None


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic settings built in code (no alembic.ini), optionally sharing a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`, one process at a time."""
    with _writing(engine) as connection:
        if connection.dialect.name == "postgresql":
            # Two workers starting at once on an empty database must not both create tables.
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
            )
        before = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()
        command.upgrade(alembic_config(connection), revision)
        after = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()
    if after != before:  # upgrades are automatic: say so in the log (a new store quietly)
        logging.getLogger(__name__).log(
            logging.WARNING if before else logging.INFO,
            "history store %s: schema migrated from %s to %s",
            mask_url(engine.url),
            before or "(empty)",
            after,
        )


def open_store(url: str | None) -> Store:
    """Open (and create or upgrade) the history store; None means the SQLite file `data/suivi.db`."""
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
        migrate(engine)
    except sa.exc.SQLAlchemyError as error:
        engine.dispose()
        raise StoreError(
            f"cannot open the history store {mask_url(engine.url)}: {_reason(error, engine.url)}"
        ) from None
    except CommandError as error:
        # Typically a schema written by a newer suivi: this one must not touch it.
        engine.dispose()
        raise StoreError(
            f"the history store {mask_url(engine.url)} has a schema this version of suivi does"
            f" not know ({_reason(error, engine.url)}); upgrade suivi"
        ) from None
    return Store(engine)


class Store(ClosedOnExit):
    """Runs, snapshots and the outbox over one SQLAlchemy engine; use `open_store` to get one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> str:
        """The database URL without its password, for logs."""
        return mask_url(self.engine.url)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    # ---- runs ---------------------------------------------------------------------------

    def begin_run(self, flow: str, as_of: dt.date) -> int:
        """Record the start of a flow run; returns its id."""
        with _writing(self.engine) as connection:
            run_id = connection.execute(
                sa.insert(runs)
                .values(flow=flow, as_of=as_of, started_at=_now(), state="running")
                .returning(runs.c.id)
            ).scalar_one()
        return int(run_id)

    def finish_run(self, run_id: int, state: str, summary: dict[str, Any]) -> None:
        """Record how a run ended and what it did."""
        with _writing(self.engine) as connection:
            connection.execute(
                sa.update(runs)
                .where(runs.c.id == run_id)
                .values(finished_at=_now(), state=state, summary=summary)
            )

    def last_run_day(self, flow: str, before: dt.date) -> dt.date | None:
        """The day of the latest run of `flow` before `before` that planned its e-mails (finished)."""
        latest = sa.select(sa.func.max(runs.c.as_of)).where(
            runs.c.flow == flow, runs.c.as_of < before, runs.c.state.in_(PLANNED_STATES)
        )
        with self.engine.connect() as connection:
            day = connection.execute(latest).scalar_one_or_none()
        return day

    # ---- snapshots ----------------------------------------------------------------------

    def save_snapshot(
        self,
        run_id: int,
        project: str,
        as_of: dt.date,
        tracking: pd.DataFrame,
        indicators: pd.DataFrame,
        problems: list[Problem],
    ) -> None:
        """Save one project's tracking rows, indicator values and problems, in one transaction.

        Saving again for the same run and project replaces the earlier save (a retried task).
        """
        header = {"run_id": run_id, "project": project, "as_of": as_of, "saved_at": _now()}
        problem_rows = [
            {
                "run_id": run_id,
                "project": project,
                "tab": str(problem.tab),
                "cell": str(problem.cell),
                "value": str(problem.value),
                "message": str(problem.message),
                "blocking": bool(problem.blocking),
                "params": json.dumps(dict(problem.params), ensure_ascii=False, default=str),
                "header": str(problem.column),
                "row_id": str(problem.row_id),
            }
            for problem in problems
        ]
        with _writing(self.engine) as connection:
            for table in (activity_snapshots, indicator_values, data_problems, snapshots):
                connection.execute(
                    sa.delete(table).where(table.c.run_id == run_id, table.c.project == project)
                )
            connection.execute(sa.insert(snapshots), [header])
            dialect = connection.dialect.name
            same = {"run_id": run_id, "project": project, "as_of": _day(as_of, dialect)}
            _insert_columns(
                connection, activity_snapshots, _tracking_columns(tracking, dialect), same
            )
            _insert_columns(connection, indicator_values, _indicator_columns(indicators), same)
            if problem_rows:  # an empty executemany would insert one row of defaults
                connection.execute(sa.insert(data_problems), problem_rows)

    def last_snapshot(
        self,
        project: str,
        before_run: int | None = None,
        flow: str | None = None,
        columns: Collection[str] | None = None,
    ) -> Snapshot | None:
        """The latest snapshot of a project, or None.

        With `before_run`, the latest saved by an earlier run of the same flow: the weekly
        summary tells what changed since the last weekly, the daily alerts on what slipped
        since the last daily, whichever ran in between. With `columns`, only those tracking
        columns are read (in TRACKING_COLUMNS order; e.g. CHANGE_COLUMNS for "what changed").
        """
        wanted = _tracking_columns_wanted(columns)
        latest = sa.select(snapshots.c.run_id, snapshots.c.as_of).where(
            snapshots.c.project == project
        )
        if before_run is not None:
            same_flow = sa.select(runs.c.flow).where(runs.c.id == before_run).scalar_subquery()
            earlier_runs = sa.select(runs.c.id).where(runs.c.flow == same_flow)
            latest = latest.where(
                snapshots.c.run_id < before_run, snapshots.c.run_id.in_(earlier_runs)
            )
        if flow is not None:  # what the next run of `flow` will compare with (preview)
            latest = latest.where(
                snapshots.c.run_id.in_(sa.select(runs.c.id).where(runs.c.flow == flow))
            )
        # A failed run planned no e-mail: what it saw is still news to the next run.
        failed_runs = sa.select(runs.c.id).where(runs.c.state == FAILED_STATE)
        latest = latest.where(snapshots.c.run_id.not_in(failed_runs))
        latest = latest.order_by(snapshots.c.run_id.desc()).limit(1)
        with self.engine.connect() as connection:
            found = connection.execute(latest).first()
            if found is None:
                return None
            run_id, as_of = int(found.run_id), found.as_of
            tracking = _tracking_frame(
                _read_frame(
                    connection,
                    activity_snapshots,
                    (activity_snapshots.c.run_id == run_id)
                    & (activity_snapshots.c.project == project),
                    {STORED_AS.get(name, name) for name in wanted},
                ),
                project,
                wanted,
            )
            indicators = _indicator_frame(
                _read_frame(
                    connection,
                    indicator_values,
                    (indicator_values.c.run_id == run_id) & (indicator_values.c.project == project),
                )
            )
            problem_rows = connection.execute(
                sa.select(data_problems)
                .where(data_problems.c.run_id == run_id, data_problems.c.project == project)
                .order_by(data_problems.c.pk)
            ).mappings()
            saved_problems = [
                Problem(
                    project=row["project"],
                    tab=row["tab"],
                    cell=row["cell"],
                    value=row["value"],
                    message=row["message"],
                    blocking=bool(row["blocking"]),
                    params=json.loads(row["params"] or "{}"),
                    column=row["header"],
                    row_id=row["row_id"],
                )
                for row in problem_rows
            ]
        return Snapshot(run_id, as_of, tracking, indicators, saved_problems)

    def progress_history(self, project: str, since: dt.date) -> pd.DataFrame:
        """Stored progress of a project's activities since a date: project, id, as_of, progress.

        One row per activity and date; when several runs saved the same date, the latest wins.
        """
        saved = (
            sa.select(snapshots.c.run_id, sa.type_coerce(snapshots.c.as_of, sa.String))
            .where(snapshots.c.project == project, snapshots.c.as_of >= since)
            .order_by(snapshots.c.run_id)
        )
        rows = (
            sa.select(activity_snapshots.c.item_id, activity_snapshots.c.progress)
            .where(
                activity_snapshots.c.run_id == sa.bindparam("run"),
                activity_snapshots.c.project == project,
                activity_snapshots.c.kind == "activity",
            )
            .order_by(activity_snapshots.c.pk)
        )
        runs: list[tuple[pd.DataFrame, str]] = []
        with self.engine.connect() as connection:
            # Run by run: each run's date is its header's, never a text repeated on every row.
            for run_id, as_of in connection.execute(saved).all():
                fetched = _fetch_frame(connection, rows.params(run=run_id), ["id", "progress"])
                runs.append((fetched, as_of))
        return _history_frame(project, runs)

    # ---- outbox -------------------------------------------------------------------------

    def enqueue(self, items: Sequence[OutboxItem]) -> int:
        """Record e-mails to send as pending; keys already known are left alone. Returns how many were new."""
        unique = {item.key: item for item in reversed(items)}  # first occurrence wins
        too_long = [key for key in unique if len(key) > MAX_KEY_LENGTH]
        if too_long:
            raise ValueError(f"outbox keys longer than {MAX_KEY_LENGTH} characters: {too_long[:3]}")
        if not unique:
            return 0
        now = _now()
        rows = [
            {
                "key": item.key,
                "kind": item.kind,
                "project": item.project,
                "recipients": list(item.recipients),
                "subject": item.subject,
                "message_id": item.message_id,
                "payload": item.payload,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
            }
            for item in unique.values()
        ]
        with _writing(self.engine) as connection:
            insert = _insert_for(connection)(outbox)
            new_keys = connection.execute(
                insert.on_conflict_do_nothing(index_elements=[outbox.c.key]).returning(
                    outbox.c.key
                ),
                rows,
            ).scalars()
            return len(list(new_keys))

    def claim(
        self, owner: str, lease_seconds: int = 900, keys: Sequence[str] | None = None
    ) -> list[OutboxItem]:
        """Take every pending item (or only `keys`), and any whose sender's lease ran out.

        Each item goes to exactly one claimer, even across processes; claimed items are
        `sending`, leased to `owner` until now + lease_seconds.
        """
        if keys is not None and not keys:
            return []
        now = _now()
        claimable = sa.or_(
            outbox.c.state == "pending",
            sa.and_(
                outbox.c.state == "sending",
                sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until <= now),
            ),
        )
        # SKIP LOCKED: a second claimer passes over rows the first is taking (PostgreSQL);
        # SQLite ignores it, its UPDATE holds the only write lock.
        chosen = sa.select(outbox.c.key).where(claimable)
        if keys is not None:
            chosen = chosen.where(outbox.c.key.in_(list(keys)))
        chosen = chosen.with_for_update(skip_locked=True)
        statement = (
            sa.update(outbox)
            .where(outbox.c.key.in_(chosen), claimable)  # re-checked once a row lock is held
            .values(
                state="sending",
                lease_owner=owner,
                lease_until=now + dt.timedelta(seconds=lease_seconds),
            )
            .returning(*_ITEM_COLUMNS, outbox.c.created_at)
        )
        with _writing(self.engine) as connection:
            rows = connection.execute(statement).mappings().all()
        ordered = sorted(rows, key=lambda row: (_naive(row["created_at"]), row["key"]))
        return [_outbox_item(row) for row in ordered]

    def mark_sent(self, key: str, owner: str) -> bool:
        """Record that an item was sent. False when `owner` had lost the lease (still recorded sent)."""
        done = {
            "state": "sent",
            "sent_at": _now(),
            "lease_owner": None,
            "lease_until": None,
            "last_error": None,
        }
        with _writing(self.engine) as connection:
            held = connection.execute(
                sa.update(outbox)
                .where(
                    outbox.c.key == key, outbox.c.lease_owner == owner, outbox.c.state == "sending"
                )
                .values(**done)
            ).rowcount
            if held:
                return True
            # The message left anyway: recording it prevents one more copy.
            known = connection.execute(
                sa.update(outbox)
                .where(outbox.c.key == key, outbox.c.state != "sent")
                .values(**done)
            ).rowcount
            if not known and not _exists(connection, key):
                raise KeyError(f"no outbox item {key!r}")
            return False

    def mark_failed(self, key: str, owner: str, error: str, permanent: bool) -> bool:
        """Record a failed send: transient → pending again, permanent → failed. False if the lease was lost."""
        with _writing(self.engine) as connection:
            state = "failed" if permanent else "pending"
            changed = _end_attempt(connection, key, owner, state, error)
            if not changed and not _exists(connection, key):
                raise KeyError(f"no outbox item {key!r}")
            return bool(changed)

    def mark_unknown(self, key: str, owner: str, error: str) -> bool:
        """Record a message that left with no reply: `unknown`, never claimed again (`--force` resends)."""
        with _writing(self.engine) as connection:
            return bool(_end_attempt(connection, key, owner, "unknown", error))

    def requeue(self, keys: Sequence[str]) -> int:
        """Put items back to pending, even sent or failed ones (`--force`); returns how many."""
        if not keys:
            return 0
        with _writing(self.engine) as connection:
            return int(
                connection.execute(
                    sa.update(outbox)
                    .where(outbox.c.key.in_(list(keys)))
                    .values(state="pending", lease_owner=None, lease_until=None, sent_at=None)
                ).rowcount
            )

    def outbox_items(self, state: str | None = None) -> list[OutboxItem]:
        """Every outbox item (or those in one state), oldest first."""
        if state is not None and state not in OUTBOX_STATES:
            raise ValueError(f"unknown outbox state {state!r}; expected one of {OUTBOX_STATES}")
        query = sa.select(*_ITEM_COLUMNS).order_by(outbox.c.created_at, outbox.c.key)
        if state is not None:
            query = query.where(outbox.c.state == state)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_outbox_item(row) for row in rows]


_ITEM_COLUMNS = (
    outbox.c.key,
    outbox.c.kind,
    outbox.c.project,
    outbox.c.recipients,
    outbox.c.subject,
    outbox.c.message_id,
    outbox.c.payload,
    outbox.c.state,
    outbox.c.attempts,
    outbox.c.last_error,
)


# ---- engines ------------------------------------------------------------------------------


def _sqlite_engine(url: URL) -> Engine:
    """SQLite with WAL, a 30 s busy wait, foreign keys, and BEGIN IMMEDIATE for writes."""
    database = url.database or ""
    in_memory = database in ("", ":memory:")
    if not in_memory and not database.startswith("file:"):
        _create_private_file(Path(database))
    options: dict[str, Any] = {"json_serializer": _json_dumps}
    if in_memory:
        # One shared connection, or every checkout would see a new empty database.
        options["poolclass"] = sa.StaticPool
    engine = sa.create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
        **options,
    )

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # sqlite3's own implicit BEGIN is turned off: the "begin" hook below emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Writers take the lock up front, so waiting happens in the busy handler instead of
        # failing at once when a read snapshot must be upgraded to a write.
        mode = "IMMEDIATE" if connection.get_execution_options().get("suivi_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _create_private_file(path: Path) -> None:
    """Create the database file (and its folder) readable by the owner only, if missing."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction (BEGIN IMMEDIATE on SQLite), committed on success."""
    with engine.execution_options(suivi_write=True).begin() as connection:
        yield connection


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile (restored after, if it was on).

    The driver's row tuples hold no cycles, yet every 700 of them start a collection, and
    these now and then walk the whole heap: measured, a full collection landed in a snapshot
    read and doubled it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _insert_for(connection: Connection) -> Any:
    """The dialect's `insert`, which has ON CONFLICT DO NOTHING."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert
    if connection.dialect.name == "sqlite":
        return sqlite.insert
    raise StoreError(f"the outbox needs SQLite or PostgreSQL, not {connection.dialect.name}")


def _end_attempt(connection: Connection, key: str, owner: str, state: str, error: str) -> int:
    """Release an item this owner holds into `state`, counting the attempt; rows changed."""
    return int(
        connection.execute(
            sa.update(outbox)
            .where(outbox.c.key == key, outbox.c.lease_owner == owner, outbox.c.state == "sending")
            .values(
                state=state,
                attempts=outbox.c.attempts + 1,
                last_error=error,
                lease_owner=None,
                lease_until=None,
            )
        ).rowcount
    )


def _exists(connection: Connection, key: str) -> bool:
    """Whether the outbox holds this key."""
    return (
        connection.execute(sa.select(outbox.c.key).where(outbox.c.key == key)).first() is not None
    )


def _reason(error: BaseException, url: URL) -> str:
    """The driver's own explanation, first line only, with any password scrubbed."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines() or [type(original).__name__]
    reason = lines[0]
    for secret in _secrets_of(url):
        reason = reason.replace(secret, "***")
    return _mask_query(reason)


# ---- values -------------------------------------------------------------------------------


def _now() -> dt.datetime:
    """The current time, UTC (adapters may read the clock; the core never does)."""
    return dt.datetime.now(dt.UTC)


def _naive(moment: dt.datetime) -> dt.datetime:
    """A UTC datetime without tzinfo, so PostgreSQL and SQLite values compare."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _plain(value: Any) -> Any:
    """JSON-safe value: NaN → null, numpy scalars → Python, dates → ISO text."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    return value


def _json_dumps(value: Any) -> str:
    """JSON text PostgreSQL accepts (no NaN), for the JSON columns."""
    return json.dumps(_plain(value), ensure_ascii=False, default=str)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when the frame lacks it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype=object)


# A stored row's values, column by column, as the driver takes them (missing → None).
DbColumns = dict[str, np.ndarray]


def _tracking_columns(tracking: pd.DataFrame, dialect: str) -> DbColumns:
    """The tracking frame as activity_snapshots values; raised flag columns become a comma list."""
    days_late = pd.to_numeric(_column(tracking, "days_late"), errors="coerce").round()
    return {
        "kind": _db_text(_column(tracking, "kind"), missing="activity"),
        "item_id": _db_text(_column(tracking, "id")),
        "name": _db_text(_column(tracking, "name")),
        "owner": _db_text(_column(tracking, "owner")),
        "status": _db_text(_column(tracking, "status")),
        "progress": _db_numbers(_column(tracking, "progress")),
        "deadline": _db_days(_column(tracking, "deadline"), dialect),
        "days_late": _db_values(days_late.astype("Int64")),
        "projected_finish": _db_days(_column(tracking, "projected_finish"), dialect),
        "state": _db_text(_column(tracking, "state")),
        "flags": _db_flags(tracking),
    }


def _indicator_columns(indicators: pd.DataFrame) -> DbColumns:
    """The indicator table as indicator_values values."""
    return {
        "code": _db_text(_column(indicators, "code")),
        "current": _db_numbers(_column(indicators, "current")),
        "achievement": _db_numbers(_column(indicators, "achievement")),
        "status": _db_text(_column(indicators, "status")),
    }


def _db_text(values: pd.Series, missing: str | None = None) -> np.ndarray:
    """Values as text (`missing` where absent); text already is kept as it is, not converted."""
    array = values.to_numpy(dtype=object)
    absent = pd.isna(array)
    if pd.api.types.infer_dtype(array, skipna=True) not in ("string", "empty"):
        array = values.astype(str).to_numpy(dtype=object)  # numbers, dates… as their text
    if absent.any():
        array = array.copy()
        array[absent] = missing
    return array


def _db_numbers(values: pd.Series) -> np.ndarray:
    """Values as floats, unreadable or missing → None."""
    return _db_values(pd.to_numeric(values, errors="coerce").astype("float64"))


def _db_days(values: pd.Series, dialect: str) -> np.ndarray:
    """datetime-like values as days, as the dialect stores them; missing → None."""
    days = pd.to_datetime(values, errors="coerce")
    missing = days.isna().to_numpy()
    as_days = days.to_numpy(dtype="datetime64[D]")
    if dialect == "sqlite":
        # SQLite stores dates as ISO text (as SQLAlchemy's Date does). A column holds a few
        # hundred distinct days at most: each is formatted once, not once per row.
        distinct, where = np.unique(as_days, return_inverse=True)
        column = distinct.astype(str).astype(object)[where.reshape(-1)]
    else:  # PostgreSQL takes dates
        column = as_days.astype(object)
    if missing.any():
        column[missing] = None
    return column


def _db_values(values: pd.Series) -> np.ndarray:
    """Values as plain Python objects for the driver, missing → None."""
    column = values.to_numpy(dtype=object, copy=True)
    missing = values.isna().to_numpy()
    if missing.any():
        column[missing] = None
    return column


def _db_flags(tracking: pd.DataFrame) -> np.ndarray:
    """Each row's raised flag columns as one comma-joined text, in FLAG_ORDER ("" for none).

    Each row's flags are bits of one integer: the few distinct combinations are joined once.
    """
    names = [flag.value for flag in FLAG_ORDER if flag.value in tracking.columns]
    raised = np.zeros(len(tracking), dtype="int64")
    for bit, name in enumerate(names):
        is_raised = tracking[name].eq(True).fillna(False).to_numpy(dtype=bool)
        raised |= is_raised.astype("int64") << bit
    combinations, where = np.unique(raised, return_inverse=True)
    texts = np.empty(len(combinations), dtype=object)
    texts[:] = [
        ",".join(name for bit, name in enumerate(names) if code >> bit & 1)
        for code in combinations.tolist()
    ]
    return texts[where.reshape(-1)]


def _insert_columns(
    connection: Connection, table: sa.Table, columns: DbColumns, same: dict[str, Any]
) -> None:
    """Insert rows given column by column, plus values `same` on every row, by executemany.

    No frame, no dict per row and no per-value SQLAlchemy processing: at 200 000 rows that
    work, not the database, was most of a run's store time.
    """
    size = len(next(iter(columns.values())))
    if not size:  # an empty executemany would insert one row of defaults
        return
    quote = connection.dialect.identifier_preparer.quote
    mark = "?" if connection.dialect.paramstyle in ("qmark", "numeric") else "%s"
    names = [*columns, *same]
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)})"
        f" VALUES ({', '.join([mark] * len(names))})"
    )
    # In slices: the driver's tuples for 200 000 rows at once were tens of MB held at the peak.
    with _collector_paused():
        _insert_slices(connection, statement, columns, same, size)


def _insert_slices(
    connection: Connection, statement: str, columns: DbColumns, same: dict[str, Any], size: int
) -> None:
    """One executemany per INSERT_ROWS rows, their tuples built column by column."""
    for start in range(0, size, INSERT_ROWS):
        values = [column[start : start + INSERT_ROWS].tolist() for column in columns.values()]
        count = len(values[0])
        repeated = [itertools.repeat(value, count) for value in same.values()]
        rows = zip(*values, *repeated, strict=True)
        connection.exec_driver_sql(statement, list(rows))


def _day(as_of: dt.date, dialect: str) -> Any:
    """A run's day as the dialect stores a Date: ISO text on SQLite, a date on PostgreSQL."""
    day = pd.Timestamp(as_of).to_datetime64().astype("datetime64[D]")
    return str(day) if dialect == "sqlite" else day.astype(object)


def _datetimes(values: pd.Series) -> pd.Series:
    """Dates as datetime64[ns] at midnight, missing → NaT; each distinct value parsed once."""
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    parsed = pd.to_datetime(pd.Series(distinct, dtype=object), errors="coerce")
    return pd.Series(parsed.array.take(codes, allow_fill=True), index=values.index).astype(
        "datetime64[ns]"
    )


# Columns a stored run's rows are read back without: the query names the run, project and day.
KNOWN_COLUMNS: Final = frozenset({"pk", "run_id", "project", "as_of"})


def _read_frame(
    connection: Connection,
    table: sa.Table,
    where: sa.ColumnElement[bool],
    only: Collection[str] | None = None,
) -> pd.DataFrame:
    """A table's matching rows in insertion order, fetched at once into a frame.

    Only the columns the query does not already know are fetched (of those, only `only` if
    given). Date columns come back as the driver gives them (text on SQLite) and are parsed by
    the caller in one vectorised step.
    """
    wanted = [
        column
        for column in table.columns
        if column.name not in KNOWN_COLUMNS and (only is None or column.name in only)
    ]
    columns = [
        sa.type_coerce(column, sa.String) if isinstance(column.type, sa.Date) else column
        for column in wanted
    ]
    query = sa.select(*columns).where(where).order_by(table.c.pk)
    return _fetch_frame(connection, query, [column.name for column in wanted])


def _fetch_frame(connection: Connection, query: sa.Select[Any], names: list[str]) -> pd.DataFrame:
    """One fetchall of the driver's plain tuples into a frame (no Row object per row)."""
    with _collector_paused():
        result = connection.execute(query)
        try:
            rows = result.cursor.fetchall() if result.cursor is not None else []
        finally:
            result.close()
        return pd.DataFrame.from_records(rows, columns=names)


def _history_frame(project: str, runs: list[tuple[pd.DataFrame, str]]) -> pd.DataFrame:
    """Runs' (id, progress) rows, in run order, as the history: the latest run wins on a date.

    Rows are sorted by activity then date, on integer codes: at 200 000 activities and five
    weeks, sorting and de-duplicating a million text keys was most of the read.
    """
    ids = pd.Series(
        np.concatenate([frame["id"].to_numpy(dtype=object) for frame, _ in runs])
        if runs
        else np.array([], dtype=object),
        dtype=object,
    ).astype("str")
    days = _datetimes(pd.Series([day for _, day in runs], dtype=object))
    day_of_row = np.repeat(np.arange(len(runs)), [len(frame) for frame, _ in runs])
    progress = np.concatenate(
        [frame["progress"].to_numpy(dtype="float64", na_value=np.nan) for frame, _ in runs]
        if runs
        else [np.array([], dtype="float64")]
    )
    id_codes, distinct_ids = pd.factorize(ids, sort=True)
    id_codes[id_codes < 0] = len(distinct_ids)  # a missing ID sorts last, as sort_values puts it
    day_codes, distinct_days = pd.factorize(days.to_numpy()[day_of_row], sort=True)
    key = id_codes.astype("int64") * max(len(distinct_days), 1) + day_codes
    latest = ~pd.Series(key).duplicated(keep="last").to_numpy()
    chosen = np.flatnonzero(latest)[np.argsort(key[latest], kind="stable")]
    return pd.DataFrame(
        {
            "project": pd.Series(project, index=range(len(chosen)), dtype=object).astype("str"),
            # Each ID's text once, whatever the number of runs that saved it.
            "id": pd.Series(
                np.append(distinct_ids.to_numpy(dtype=object), np.nan)[id_codes[chosen]],
                dtype=ids.dtype,
            ),
            "as_of": pd.Series(
                pd.DatetimeIndex(distinct_days).take(day_codes[chosen]), dtype="datetime64[ns]"
            ),
            "progress": pd.Series(progress[chosen], dtype="float64"),
        },
        columns=HISTORY_COLUMNS,
    )


def _tracking_frame(stored: pd.DataFrame, project: str, columns: Sequence[str]) -> pd.DataFrame:
    """activity_snapshots rows of a project back as tracking `columns` (flags as lists)."""
    read = {
        "project": lambda: pd.Series(project, index=stored.index, dtype=object).astype("str"),
        "kind": lambda: stored["kind"].astype("str"),
        "id": lambda: stored["item_id"].astype("str"),
        "name": lambda: stored["name"].astype("str"),
        "owner": lambda: stored["owner"].astype("str"),
        "status": lambda: stored["status"].astype("str"),
        "progress": lambda: stored["progress"].astype("float64"),
        "deadline": lambda: _datetimes(stored["deadline"]),
        "days_late": lambda: stored["days_late"].astype("Int64"),
        "projected_finish": lambda: _datetimes(stored["projected_finish"]),
        "state": lambda: stored["state"].astype("str"),
        "flags": lambda: _flag_lists(stored["flags"]),
    }
    tracking = pd.DataFrame({name: read[name]() for name in columns}, index=stored.index)
    return tracking.reindex(columns=list(columns))


def _tracking_columns_wanted(columns: Collection[str] | None) -> list[str]:
    """The tracking columns to read, in TRACKING_COLUMNS order; all of them by default."""
    if columns is None:
        return list(TRACKING_COLUMNS)
    unknown = set(columns) - set(TRACKING_COLUMNS)
    if unknown:
        raise ValueError(f"not stored tracking columns: {sorted(unknown)}")
    return [name for name in TRACKING_COLUMNS if name in columns]


def _flag_lists(stored: pd.Series) -> pd.Series:
    """Comma-joined flags as lists: "a,b" → ["a", "b"], "" → [] (no empty item).

    A project has a few dozen distinct combinations: each is parsed once, and every row
    gets a list of its own.
    """
    codes, distinct = pd.factorize(stored.fillna("").astype("str"))
    parsed = [FLAG_ITEM.findall(text) for text in distinct]
    return pd.Series([parsed[code][:] for code in codes.tolist()], index=stored.index, dtype=object)


def _indicator_frame(stored: pd.DataFrame) -> pd.DataFrame:
    """indicator_values rows back as code, current, achievement, status."""
    return pd.DataFrame(
        {
            "code": stored["code"].astype("str"),
            "current": stored["current"].astype("float64"),
            "achievement": stored["achievement"].astype("float64"),
            "status": stored["status"].astype("str"),
        }
    ).reindex(columns=INDICATOR_COLUMNS)


def _outbox_item(row: Any) -> OutboxItem:
    """An outbox row as an OutboxItem."""
    return OutboxItem(
        key=row["key"],
        kind=row["kind"],
        project=row["project"],
        recipients=tuple(row["recipients"] or ()),
        subject=row["subject"],
        message_id=row["message_id"],
        payload=row["payload"],
        state=row["state"],
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
    )


__all__ = [
    "CHANGE_COLUMNS",
    "OutboxItem",
    "Snapshot",
    "Store",
    "StoreError",
    "alembic_config",
    "database_url",
    "make_engine",
    "mask_url",
    "migrate",
    "open_store",
]
