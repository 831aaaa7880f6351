"""The Prefect side of the flows: retries with intent, isolation, the failure alert, late runs,
the run page (logs and artifacts) and secrets from Secret blocks, run for real under Prefect."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from fakes.service_account import ServiceAccount
from fakes.sheets_api import FakeSheetsApi
from fakes.smtp import FakeSmtpServer
from prefect import flow

from flows.artifacts import dashboard_markdown, flag_rows, markdown_table
from flows.catchup import RunTiming, day_of, is_late, stand_aside_message
from flows.secret_blocks import GOOGLE_CREDENTIALS_BLOCK, SMTP_PASSWORD_BLOCK, google_info
from suivi.adapters.mail import message_of
from suivi.adapters.sheets import SourceError, Workbook
from suivi.adapters.store import open_store
from suivi.jobs.delivery import Delivery, Failure
from suivi.jobs.pipeline import view_project
from suivi.model import Email
from suivi.settings import load_config
from tasks.notify import is_outage
from tasks.retries import backoff, base_delay

AS_OF = dt.date(2026, 12, 7)  # the demo's Monday
ROOT = Path(__file__).resolve().parents[1]
CASABLANCA = "Africa/Casablanca"
GOOGLE_KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"


# ---------------------------------------------------------------- pure pieces (no server)


def test_retry_delays_come_from_the_environment_and_double() -> None:
    assert base_delay({}) == 10.0
    assert base_delay({"SUIVI_RETRY_DELAY_SECONDS": "0.5"}) == 0.5
    assert base_delay({"SUIVI_RETRY_DELAY_SECONDS": "soon"}) == 10.0
    assert base_delay({"SUIVI_RETRY_DELAY_SECONDS": "-3"}) == 10.0
    assert backoff(3, 10.0) == [10.0, 20.0, 40.0]


def test_an_outage_is_a_transport_down_for_a_passing_reason_not_a_settings_mistake() -> None:
    passing = Failure("k1", "cannot connect: 421", permanent=False)
    assert is_outage(Delivery(planned=1, failures=[passing], unreachable="cannot connect: 421"))
    settings = "SMTP configuration error (smtp.example.org:587, starttls): bad password"
    assert not is_outage(Delivery(planned=1, failures=[passing], unreachable=settings))
    refused = Failure("k2", "550 mailbox unavailable", permanent=True)
    assert not is_outage(Delivery(planned=1, failures=[refused]))
    assert not is_outage(Delivery(planned=0))


class Ended:
    """A task's final state as retry conditions see it: `result()` raises what the task raised."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error

    def result(self) -> None:
        if self.error is not None:
            raise self.error


def test_each_step_retries_only_what_waiting_can_fix() -> None:
    from tasks.history import only_database_outage
    from tasks.notify import MailOutage, only_outage
    from tasks.sheets import only_transient

    def retried(condition: Any, error: BaseException | None) -> bool:
        return bool(condition(None, None, Ended(error)))

    assert retried(only_transient, SourceError("quota", transient=True))
    assert retried(only_transient, TimeoutError())
    assert not retried(only_transient, SourceError("not shared with the service account"))
    assert not retried(only_transient, KeyError("a missing column"))
    assert not retried(only_transient, None)
    outage = Delivery(planned=1, unreachable="cannot connect: 421")
    assert retried(only_outage, MailOutage(outage))
    assert not retried(only_outage, ConnectionError())  # not a delivery that found an outage
    locked = sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
    assert retried(only_database_outage, locked)
    duplicate = sa.exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    assert not retried(only_database_outage, duplicate)


def test_a_run_is_for_its_scheduled_day_in_the_settings_zone() -> None:
    # 23:30 UTC on Sunday is 00:30 on Monday in Casablanca (UTC+1 outside Ramadan).
    assert day_of(dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), CASABLANCA) == AS_OF
    # During Ramadan 2026 Morocco is on UTC+0: the same instant stays on Sunday.
    assert day_of(dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), CASABLANCA) == dt.date(2026, 3, 1)


def test_only_a_scheduled_run_of_a_deployment_can_be_late() -> None:
    scheduled = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)
    now = scheduled + dt.timedelta(hours=7)
    deployed = RunTiming(UUID(int=1), UUID(int=2), scheduled)
    assert is_late(deployed, now, late_after_hours=6)
    assert not is_late(deployed, now, late_after_hours=8)
    assert not is_late(RunTiming(UUID(int=1), None, scheduled), now, late_after_hours=6)
    message = stand_aside_message(scheduled, now, scheduled + dt.timedelta(days=1), CASABLANCA)
    assert message.startswith("skipped: scheduled for 2026-12-07 08:00 (Africa/Casablanca)")
    assert "7.0 h late" in message and "2026-12-08 08:00" in message


def test_a_google_key_in_a_secret_block_may_be_an_object_or_its_text() -> None:
    assert google_info({"type": "service_account"}) == {"type": "service_account"}
    assert google_info('{"type": "service_account"}') == {"type": "service_account"}
    assert google_info("not json") is None
    assert google_info(["a", "list"]) is None


def test_the_dashboard_counts_projects_lists_late_items_and_indicators() -> None:
    config = load_config(ROOT / "config" / "suivi.yaml")
    view = view_project(config.projects[0], config, env_without_services(), AS_OF)
    text = dashboard_markdown("weekly-summary", AS_OF, [view], {"INSER": "SourceError: not found"})
    assert text.startswith("# weekly-summary — 2026-12-07")
    projects = text.split("## Projects")[1].split("## Late")[0]
    assert "| TPM |" in projects and "| INSER |" in projects and "failed: SourceError" in projects
    late = text.split("## Late")[1].split("## Indicators")[0]
    assert "A2.5" in late and "Hicham Idrissi" in late  # late, with its owner
    assert "| IO1 |" in text.split("## Indicators")[1]
    rows = flag_rows([view])
    assert rows and {"project", "id", "owner", "flags", "days_late"} <= set(rows[0])
    assert any(row["id"] == "A2.5" and "en_retard" in row["flags"] for row in rows)


def test_markdown_cells_stay_on_one_line_and_cannot_break_the_table() -> None:
    import pandas as pd

    table = markdown_table(pd.DataFrame({"name": ["a | b\nc"], "value": [float("nan")]}))
    assert table.splitlines() == ["| name | value |", "|---|---|", "| a \\| b c |  |"]


def env_without_services() -> Any:
    """An Env with no SMTP and no Google key, whatever the machine's environment says."""
    from suivi.settings import Env

    return Env(smtp_host=None, google_credentials=None, database_url=None)


# ---------------------------------------------------------------- under the Prefect harness

harness = pytest.mark.usefixtures("prefect_harness")


def outbox_messages(folder: Path, kind: str | None = None) -> list[Any]:
    """The e-mails written to the outbox folder (of one kind: its slug leads the file name)."""
    files = sorted(folder.glob("*.eml"))
    if kind is not None:
        files = [path for path in files if f"-{kind.replace('_', '-')}-" in path.name]
    return [message_of(path.read_text(encoding="utf-8")) for path in files]


def run_logs(flow_run_id: UUID | None) -> list[str]:
    """Every log line of a flow run (its tasks' included), once the log worker has sent them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=5)
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])), limit=200
        )
    return [log.message for log in logs]


def broken_config(demo_config: Path, tmp_path: Path) -> Path:
    """The demo settings where INSER's workbook has gone missing."""
    text = demo_config.read_text(encoding="utf-8")
    text = text.replace(str(ROOT / "config" / "demo" / "inser.xlsx"), str(tmp_path / "gone.xlsx"))
    demo_config.write_text(text, encoding="utf-8")
    return demo_config


@harness
def test_a_broken_project_fails_alone_the_run_says_so_and_the_officer_gets_one_alert(
    suivi_env: Path, demo_config: Path, tmp_path: Path
) -> None:
    from prefect.artifacts import Artifact

    from flows.common import ProjectsFailed
    from flows.weekly import weekly_summary

    config = broken_config(demo_config, tmp_path)
    state = weekly_summary(config_path=str(config), as_of=AS_OF, return_state=True)

    assert state.is_failed() and "INSER" in (state.message or "")
    with pytest.raises(ProjectsFailed) as failed:
        state.result()
    report = failed.value.report
    assert report["projects"] == ["TPM"] and list(report["failed_projects"]) == ["INSER"]
    assert report["emails_sent"] > 0  # TPM's summary and digests still went out
    alerts = outbox_messages(suivi_env / "outbox", "run_failure")
    assert len(alerts) == 1
    alert = alerts[0]
    assert "officer@example.org" in str(alert["To"])
    text = alert.get_body(("plain",)).get_content()
    run_id = state.state_details.flow_run_id
    assert "INSER" in text and "gone.xlsx" in text
    # In the officer's language: what failed and why, what was sent, never Prefect's words.
    assert "Projets non suivis" in text and "ont été envoyés" in text
    assert "encountered an exception" not in text and "ProjectsFailed" not in text
    assert f"/runs/flow-run/{run_id}" in text
    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        sent = store.outbox_items("sent")
        assert [item.key for item in sent if item.kind == "run_failure"] == [
            f"run_failure|*|2026-12-07:weekly-summary:{run_id}|officer@example.org"
        ]

    # The run page: a dashboard naming the failed project, a table of flags, stage logs.
    dashboard = Artifact.get("suivi-dashboard")
    assert dashboard is not None and "failed: SourceError" in str(dashboard.data)
    flags = Artifact.get("suivi-flags")
    assert flags is not None and "A2.5" in str(flags.data)
    lines = run_logs(run_id)
    for stage in ("TPM: read", "TPM: cleaned", "TPM: flagged and measured", "TPM: snapshot stored",
                  "TPM: written back", "e-mails planned", "e-mails delivered"):  # fmt: skip
        assert any(line.startswith(stage) and line.endswith(" s)") for line in lines), stage
    assert any("project INSER skipped" in line for line in lines)
    assert any(line.startswith("failure alert sent to officer@example.org") for line in lines)


@harness
def test_a_failure_before_any_project_still_alerts_and_the_hook_never_raises(
    suivi_env: Path, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.daily import daily_watch

    # The store cannot be opened: the run fails at once, the alert goes out without it.
    (suivi_env / "a-file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("SUIVI_DATABASE_URL", f"sqlite:///{suivi_env / 'a-file' / 'suivi.db'}")
    state = daily_watch(config_path=str(demo_config), as_of=AS_OF, return_state=True)
    assert state.is_failed()
    alerts = outbox_messages(suivi_env / "outbox", "run_failure")
    assert len(alerts) == 1 and "history store" in alerts[0].get_body(("plain",)).get_content()

    # No settings file at all: nobody to alert; the run fails for its own reason only.
    missing = daily_watch(config_path=str(suivi_env / "nowhere.yaml"), return_state=True)
    assert missing.is_failed() and "nowhere.yaml" in (missing.message or "")


# ---------------------------------------------------------------- retries with intent


@harness
def test_reading_a_sheet_retries_a_quota_error_but_never_a_missing_sheet(
    sheets_api: FakeSheetsApi, service_account: ServiceAccount
) -> None:
    from suivi.adapters.google_sheets import GoogleSheets
    from suivi.settings import Project
    from tasks.sheets import read_sheet

    sheets_api.add_spreadsheet(GOOGLE_KEY, "Suivi", {"Activités": [["ID"], ["A1"]]})
    # The adapter's own quick retries are off: what is retried here is the task.
    source = GoogleSheets(
        GOOGLE_KEY, credentials=service_account.info, endpoint=sheets_api.url, retries=0
    )
    project = Project(code="TPM", name="TPM", source=GOOGLE_KEY)
    quick = read_sheet.with_options(retry_delay_seconds=0)

    @flow
    def read_once() -> tuple[bool, Any]:
        state = quick(source, project, return_state=True)
        return state.is_completed(), state.result(raise_on_failure=False)

    sheets_api.fail_next(429, times=2)
    completed, tabs = read_once()
    assert completed and tabs["Activités"] == [["ID"], ["A1"]]
    assert sheets_api.count("metadata") == 3  # each attempt starts with the list of tabs

    sheets_api.reset_log()
    sheets_api.delete_spreadsheet(GOOGLE_KEY)
    completed, error = read_once()
    assert not completed and sheets_api.count("metadata") == 1
    assert isinstance(error, SourceError) and not error.transient


def some_emails(count: int) -> list[Email]:
    """Plain rendered e-mails to the officer, each with its own key."""
    return [
        Email(
            key=f"weekly_summary|TPM|2026-W50|person{number}@example.org",
            kind="weekly_summary",
            project="TPM",
            to=(("Person", f"person{number}@example.org"),),
            subject=f"Summary {number}",
            html="<p>Bonjour</p>",
            text="Bonjour",
        )
        for number in range(count)
    ]


@harness
def test_sending_retries_an_smtp_outage_and_counts_right_but_never_retries_a_refused_address(
    tmp_path: Path, demo_config: Path
) -> None:
    from tasks.notify import deliver

    config = load_config(demo_config)
    server = FakeSmtpServer().start()
    try:
        env = server.env()
        quick = deliver.with_options(retry_delay_seconds=0)

        @flow
        def send(emails: list[Email], url: str) -> Delivery:
            with open_store(url) as store:
                return quick(emails, store, env, config)

        server.refuse_connections(1)  # 421 at the greeting: the server is busy, for now
        delivery = send(some_emails(2), f"sqlite:///{tmp_path / 'a.db'}")
        assert server.connections == 2  # one refused, one for the retry
        assert len(server.messages) == 2
        assert len(delivery.sent) == 2 and delivery.already_sent == 0 and not delivery.failures

        server.reject_recipient("person0@example.org")  # 550: retrying cannot help
        delivery = send(some_emails(1), f"sqlite:///{tmp_path / 'b.db'}")
        assert server.connections == 3  # one more, no retry
        assert [failure.permanent for failure in delivery.failures] == [True]
    finally:
        server.stop()


# ---------------------------------------------------------------- late runs after downtime


@harness
def test_after_downtime_only_the_newest_late_run_sends_and_for_its_own_day(
    suivi_env: Path, demo_config: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Scheduled

    from flows.weekly import weekly_summary

    deployment_id = weekly_summary.to_deployment(name="catch-up-test").apply()
    now = dt.datetime.now(dt.UTC)
    parameters = {"config_path": str(demo_config)}
    with get_client(sync_client=True) as client:
        older, newer = (
            client.create_flow_run_from_deployment(
                deployment_id, parameters=parameters, state=Scheduled(scheduled_time=moment)
            )
            for moment in (now - dt.timedelta(days=8), now - dt.timedelta(days=1))
        )

    stood = run_flow(weekly_summary, flow_run=older, parameters=parameters, return_type="state")
    assert stood.is_completed() and (stood.message or "").startswith("skipped: scheduled for")
    assert not (suivi_env / "outbox").exists()

    report = run_flow(weekly_summary, flow_run=newer, parameters=parameters)
    assert report["as_of"] == day_of(now - dt.timedelta(days=1), CASABLANCA).isoformat()
    assert report["emails_sent"] > 0 and "skipped" not in report


# ---------------------------------------------------------------- secrets from Secret blocks


@pytest.fixture
def secret_blocks() -> Iterator[dict[str, Any]]:
    """Secret blocks saved by the test, deleted afterwards (the harness lives all session)."""
    from prefect.blocks.system import Secret

    saved: dict[str, Any] = {}
    yield saved
    for name in saved:
        Secret.delete(name)


@harness
@pytest.mark.postgres
def test_the_smtp_password_comes_from_a_secret_block_and_no_secret_reaches_the_logs(
    suivi_env: Path,
    demo_config: Path,
    postgres_url: str,
    secret_blocks: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.blocks.system import Secret

    from flows.daily import daily_watch

    password, database_password = "s3cret-Smtp-pw", "hunter2-db-pw"
    Secret(value=password).save(SMTP_PASSWORD_BLOCK, overwrite=True)
    secret_blocks[SMTP_PASSWORD_BLOCK] = password
    server = FakeSmtpServer(user="suivi@example.org", password=password).start()
    try:
        # trust authentication accepts any password: the URL carries one, the logs must not
        url = sa.make_url(postgres_url).set(password=database_password)
        monkeypatch.setenv("SUIVI_DATABASE_URL", url.render_as_string(hide_password=False))
        monkeypatch.setenv("SUIVI_SMTP_HOST", server.host)
        monkeypatch.setenv("SUIVI_SMTP_PORT", str(server.port))
        monkeypatch.setenv("SUIVI_SMTP_SECURITY", "none")
        monkeypatch.setenv("SUIVI_SMTP_USER", "suivi@example.org")
        state = daily_watch(config_path=str(demo_config), as_of=AS_OF, return_state=True)
        assert state.is_completed()
        assert server.messages and {m.login for m in server.messages} == {"suivi@example.org"}
    finally:
        server.stop()
    text = "\n".join(run_logs(state.state_details.flow_run_id))
    assert "Secret block suivi-smtp-password" in text
    assert "postgres:***@127.0.0.1" in text  # the store, named with its password masked
    assert password not in text and database_password not in text


@harness
def test_the_google_key_comes_from_a_secret_block_in_memory(
    suivi_env: Path,
    tmp_path: Path,
    sheets_api: FakeSheetsApi,
    service_account: ServiceAccount,
    secret_blocks: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.blocks.system import Secret

    from flows.daily import daily_watch

    tabs = Workbook(ROOT / "config" / "demo" / "tpm.xlsx").read_tabs()
    sheets_api.add_spreadsheet(GOOGLE_KEY, "TPM", tabs)
    Secret(value=service_account.info).save(GOOGLE_CREDENTIALS_BLOCK, overwrite=True)
    secret_blocks[GOOGLE_CREDENTIALS_BLOCK] = service_account.info
    monkeypatch.setenv("SUIVI_SHEETS_ENDPOINT", sheets_api.url)
    config = tmp_path / "google.yaml"
    shutil.copytree(ROOT / "suivi" / "notify" / "templates", tmp_path / "templates")
    config.write_text(
        "officer: {name: Chargée, email: officer@example.org}\n"
        f"projects:\n  - {{code: TPM, name: TPM, source: {GOOGLE_KEY}, write_back: false}}\n",
        encoding="utf-8",
    )
    report = daily_watch(config_path=str(config), as_of=AS_OF, dry_run=True)
    assert report["projects"] == ["TPM"] and report["failed_projects"] == {}
    assert sheets_api.reads >= 1
    assert not list(tmp_path.rglob("*.json"))  # the key never touched the disk
