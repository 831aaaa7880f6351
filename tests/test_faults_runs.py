"""Runs as a real team's weeks go: missed days, failures half-way, mail that does not go (§6.1, §6.4)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from fakes.smtp import free_port

from suivi.adapters.mail import message_of
from suivi.adapters.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo"

pytestmark = pytest.mark.usefixtures("prefect_harness")


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def team_copy(tmp_path: Path, demo_config: Path) -> tuple[Path, Path]:
    """The demo settings with TPM read from a copy the test may edit (written back elsewhere)."""
    workbook = tmp_path / "tpm.xlsx"
    shutil.copy(DEMO / "tpm.xlsx", workbook)
    text = demo_config.read_text(encoding="utf-8").replace(f"{DEMO}/tpm.xlsx", str(workbook))
    demo_config.write_text(text, encoding="utf-8")
    return workbook, demo_config


def add_deliverables(workbook: Path, *rows: tuple[str, dt.datetime]) -> None:
    book = openpyxl.load_workbook(workbook)
    for name, deadline in rows:
        book["Échéances"].append(
            ["AFD", name, deadline, "À faire", "Karim Tazi", "karim.tazi@example.org"]
        )
    book.save(workbook)


def reminders_in(outbox: Path) -> Counter[str]:
    """Subjects of the reminder e-mails to the officer written so far, counted."""
    subjects: Counter[str] = Counter()
    for path in outbox.glob("*.eml"):
        message = message_of(path.read_text(encoding="utf-8"))
        if "officer@example.org" in str(message["To"]) and "J-" in str(message["Subject"]):
            subjects[str(message["Subject"])] += 1
    return subjects


def test_missed_days_and_weekend_reminders_arrive_once_at_the_next_or_last_run(
    suivi_env: Path, demo_config: Path, tmp_path: Path
) -> None:
    from flows.daily import daily_watch

    workbook, settings = team_copy(tmp_path, demo_config)
    add_deliverables(
        workbook,
        ("Note Mardi", dt.datetime(2026, 12, 15)),  # J-7 on Tuesday 8
        ("Note Mercredi", dt.datetime(2026, 12, 23)),  # J-14 on Wednesday 9
    )
    outbox = suivi_env / "outbox"

    daily_watch(config_path=str(settings), as_of=day("2026-12-07"))  # Monday
    monday = reminders_in(outbox)
    # The machine is off on Tuesday and Wednesday.
    thursday_report = daily_watch(config_path=str(settings), as_of=day("2026-12-10"))
    thursday = reminders_in(outbox) - monday
    daily_watch(config_path=str(settings), as_of=day("2026-12-10"))  # a rerun
    daily_watch(config_path=str(settings), as_of=day("2026-12-11"))  # Friday
    friday = reminders_in(outbox) - monday - thursday
    daily_watch(config_path=str(settings), as_of=day("2026-12-14"))  # Monday, the COPIL
    everything = reminders_in(outbox)

    assert any("Note Mardi" in subject for subject in thursday)
    assert any("Note Mercredi" in subject for subject in thursday)
    assert thursday_report["emails_sent"] > 0
    assert not any("Note" in subject for subject in monday)
    # The COPIL of Monday 14: J-7 on Monday 7, J-1 (Sunday 13) on Friday 11.
    assert any("COPIL" in subject and "J-7" in subject for subject in monday)
    assert any("COPIL" in subject and "J-1" in subject for subject in friday)
    assert set(everything.values()) == {1}  # each reminder once, whatever the runs


def test_a_run_that_fails_after_its_snapshot_hides_no_change_from_the_next(
    suivi_env: Path, demo_config: Path, tmp_path: Path
) -> None:
    from flows.daily import daily_watch

    workbook, settings = team_copy(tmp_path, demo_config)
    daily_watch(config_path=str(settings), as_of=day("2026-12-07"))
    book = openpyxl.load_workbook(workbook)
    sheet = book["Activités"]
    header = [cell.value for cell in sheet[3]]
    for row in sheet.iter_rows(min_row=4):
        if row[0].value == "A1.6":
            row[header.index("Fin prévue")].value = dt.datetime(2026, 12, 1)  # late now
    book.save(workbook)
    broken = tmp_path / "my-templates"
    broken.mkdir()
    (broken / "late_alert.txt").write_text("{{ 1 / 0 }}", encoding="utf-8")
    settings.write_text(
        settings.read_text(encoding="utf-8") + f"\ntemplates: {broken}\n", encoding="utf-8"
    )

    failed = daily_watch(config_path=str(settings), as_of=day("2026-12-08"), return_state=True)
    assert failed.is_failed()
    (broken / "late_alert.txt").unlink()
    shutil.rmtree(suivi_env / "outbox")
    daily_watch(config_path=str(settings), as_of=day("2026-12-08"))

    alerts = [
        message_of(path.read_text(encoding="utf-8"))
        for path in (suivi_env / "outbox").glob("*.eml")
    ]
    late = [m for m in alerts if "A1.6" in str(m.get_body(("plain",)).get_content())]
    assert late, "the activity that became late is alerted by the next run"
    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        states = [item["state"] for item in store_runs(store)]
    assert states == ["completed", "failed", "completed"]  # never left "running"


def store_runs(store: object) -> list[dict[str, object]]:
    import sqlalchemy as sa

    from suivi.adapters.store import runs

    with store.engine.connect() as connection:  # type: ignore[attr-defined]
        return [
            dict(row) for row in connection.execute(sa.select(runs).order_by(runs.c.id)).mappings()
        ]


def test_mail_that_cannot_go_fails_the_run_exit_1_and_is_noted_in_the_sheets(
    suivi_env: Path, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.weekly import weekly_summary
    from suivi.cli import main
    from tasks.notify import deliver

    monkeypatch.setattr(deliver, "retry_delay_seconds", [0.0, 0.0])  # the retries, without the wait
    monkeypatch.setenv("SUIVI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SUIVI_SMTP_PORT", str(free_port()))  # nothing listens: refused
    monkeypatch.setenv("SUIVI_SMTP_SECURITY", "none")

    status = main(["run", "weekly", "--config", str(demo_config), "--as-of", "2026-12-07"])
    state = weekly_summary(config_path=str(demo_config), as_of=day("2026-12-07"), return_state=True)

    assert status == 1
    assert state.is_failed() and "still pending" in (state.message or "")
    checks = openpyxl.load_workbook(demo_config.parent / "written" / "tpm-suivi.xlsx")["Contrôles"]
    rows = [
        " ".join(str(cell) for cell in row if cell) for row in checks.iter_rows(values_only=True)
    ]
    assert any("mail" in row.lower() and "127.0.0.1" in row for row in rows)
    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        assert {item.state for item in store.outbox_items()} == {"pending"}


def test_a_weekly_summary_sent_late_says_so(demo_config: Path, suivi_env: Path) -> None:
    from suivi.jobs.pipeline import view_project
    from suivi.settings import Env, load_config
    from tasks.notify import plan_emails

    config = load_config(str(demo_config))
    views = [view_project(project, config, Env(), day("2026-12-07")) for project in config.projects]

    on_time = plan_emails.fn("weekly", views, config, day("2026-12-07"))
    late = plan_emails.fn("weekly", views, config, day("2026-12-07"), sent_late=True)

    summaries = [email for email in late if email.kind == "weekly_summary"]
    assert summaries and all("en retard, une seule fois" in email.text for email in summaries)
    assert not any("une seule fois" in email.text for email in on_time)
    assert [email.key for email in late] == [email.key for email in on_time]  # still once a week


def test_a_stalled_reply_after_data_fails_the_run_and_is_never_resent(
    suivi_env: Path, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakes.smtp import FakeSmtpServer

    from flows.common import RunIncomplete
    from flows.weekly import weekly_summary

    server = FakeSmtpServer().start()
    try:
        server.slow_replies(1, seconds=5.0)  # keeps the first message, answers too late
        for name, value in {
            "HOST": server.host,
            "PORT": str(server.port),
            "SECURITY": "none",
            "TIMEOUT": "0.5",
            "DATA_TIMEOUT": "0.5",  # 600 s in production: a short wait for the test
        }.items():
            monkeypatch.setenv(f"SUIVI_SMTP_{name}", value)

        with pytest.raises(RunIncomplete) as failed:
            weekly_summary(config_path=str(demo_config), as_of=day("2026-12-07"))
        again = weekly_summary(config_path=str(demo_config), as_of=day("2026-12-07"))
        copies = Counter(str(received.message["Message-ID"]) for received in server.messages)
    finally:
        server.stop()

    assert "unknown fate" in str(failed.value)
    assert len(failed.value.report["emails_unknown"]) == 1  # type: ignore[arg-type]
    assert again["emails_sent"] == 0 and again["emails_unknown"] == []
    assert set(copies.values()) == {1}  # the stalled e-mail arrived once, never resent
