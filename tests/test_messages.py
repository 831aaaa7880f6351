"""plan_weekly / plan_daily / plan_run_failure: what is due to whom on a given day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from suivi.compute.calendar import calendar_for
from suivi.compute.changes import diff_snapshots
from suivi.model import Problem, ProjectTables
from suivi.notify.messages import (
    Message,
    MessageKind,
    ProjectView,
    plan_daily,
    plan_run_failure,
    plan_weekly,
)
from suivi.settings import Config, Person, Project, Reminders

FLAGS = [
    "en_retard",
    "a_risque",
    "demarrage_tardif",
    "echeance_proche",
    "sans_mise_a_jour",
    "termine_en_retard",
]
OFFICER = "officer@example.org"
CALENDAR_DAYS = calendar_for(False)
WORKING_DAYS = calendar_for(True)


def tracking(*rows: dict[str, Any]) -> pd.DataFrame:
    """A tracking frame with the dtypes of docs/architecture.md."""
    base: dict[str, Any] = {
        "project": "TPM",
        "kind": "activity",
        "name": "Atelier de concertation",
        "owner": "Amina",
        "owner_email": "amina@example.org",
        "output": "R1",
        "funder": "UE",
        "status": "in_progress",
        "progress": 0.5,
        "planned_start": "2026-09-01",
        "deadline": "2026-12-31",
        "actual_end": None,
        "last_update": "2026-11-30",
        "days_late": None,
        "projected_finish": None,
        "state": "in_progress",
        "row": 2,
    }
    frame = pd.DataFrame([{**base, **dict.fromkeys(FLAGS, False), **row} for row in rows])
    for column in ("project", "kind", "id", "name", "owner", "owner_email", "output", "funder"):
        frame[column] = frame[column].astype("str")
    for column in ("status", "state"):
        frame[column] = frame[column].astype("str")
    for column in ("planned_start", "deadline", "actual_end", "last_update", "projected_finish"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame.astype(
        {"progress": "float64", "days_late": "Int64", "row": "Int64", **dict.fromkeys(FLAGS, bool)}
    )


def late(**row: Any) -> dict[str, Any]:
    """A late activity row."""
    return {"en_retard": True, "state": "en_retard", "days_late": 5, **row}


def deliverable(**row: Any) -> dict[str, Any]:
    """A deliverable row, not submitted."""
    return {
        "kind": "deliverable",
        "name": row.get("id", "Rapport"),
        "status": "todo",
        "state": "todo",
        "progress": float("nan"),
        "owner": "Youssef",
        "owner_email": "youssef@example.org",
        **row,
    }


def committees(*rows: dict[str, Any]) -> pd.DataFrame:
    """Committees as cleaned: participants as lists of addresses."""
    base = {
        "project": "TPM",
        "time": "10:00",
        "body": "COPIL",
        "place": "Agadir",
        "participants": ["membre@example.org", OFFICER],
        "agenda": "1. Bilan\n2. Plan",
        "row": 2,
    }
    frame = pd.DataFrame([{**base, **row} for row in rows])
    return frame.assign(date=pd.to_datetime(frame["date"]).astype("datetime64[ns]"))


def indicators() -> pd.DataFrame:
    """A small indicator table."""
    return pd.DataFrame(
        {
            "project": ["TPM", "TPM"],
            "code": ["IO1", "R1.1"],
            "name": ["Communes dotées d'un plan", "Agents formés"],
            "baseline": [0.0, 0.0],
            "target": [10.0, 100.0],
            "current": [4.0, 90.0],
            "achievement": [0.4, 0.9],
            "expected": [0.6, 0.5],
            "status": ["behind", "on_track"],
        }
    )


def config(**changes: Any) -> Config:
    """Settings with one project, TPM."""
    project = Project(
        code="TPM",
        name="Territorialisation des politiques migratoires",
        source="demo/tpm.xlsx",
        team=["Équipe TPM <equipe@example.org>"],
    )
    values: dict[str, Any] = {
        "officer": Person(name="Chargée de suivi", email=OFFICER),
        "projects": [project],
        **changes,
    }
    return Config(**values)


def view(
    rows: pd.DataFrame,
    *,
    meetings: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    first_run: bool = False,
    problems: list[Problem] | None = None,
    problems_changed: bool = False,
    settings: Config | None = None,
) -> ProjectView:
    """A project view as the flow builds it."""
    settings = settings or config()
    empty = pd.DataFrame()
    tables = ProjectTables(
        project="TPM",
        activities=empty,
        indicators=empty,
        measures=empty,
        committees=meetings if meetings is not None else pd.DataFrame(),
        deliverables=empty,
        problems=problems or [],
        tab_titles={"activities": "Activités", "deliverables": "Échéances"},
    )
    if previous is None and not first_run:
        previous = rows.assign(flags=[[]] * len(rows))  # nothing was late last time
    return ProjectView(
        project=settings.projects[0],
        tables=tables,
        tracking=rows,
        indicators=indicators(),
        changes=diff_snapshots(None if first_run else previous, rows),
        problems_changed=problems_changed,
        first_run=first_run,
    )


def quiet(rows: pd.DataFrame) -> pd.DataFrame:
    """A snapshot where each row was already in its current state (nothing new)."""
    flags = [[flag for flag in FLAGS if row[flag]] for row in rows.to_dict("records")]
    return rows.assign(flags=flags)


def sent(messages: list[Message], kind: MessageKind) -> list[Message]:
    """The messages of one kind."""
    return [message for message in messages if message.kind == kind]


def recipients(messages: list[Message]) -> list[str]:
    """Sorted recipient addresses."""
    return sorted(message.recipient for message in messages)


# ---------------------------------------------------------------- committee reminders

MEETING = committees({"date": "2026-12-14"})  # a Monday


@pytest.mark.parametrize(
    "as_of, expected",
    [
        ("2026-12-06", None),  # J-8
        ("2026-12-07", "2026-12-14:J-7"),
        ("2026-12-08", None),  # J-6
        ("2026-12-13", "2026-12-14:J-1"),  # a Sunday, calendar days
        ("2026-12-14", None),  # the day itself
    ],
)
def test_committee_reminder_on_its_exact_days(as_of: str, expected: str | None) -> None:
    rows = tracking({"id": "A1"})
    day = dt.date.fromisoformat(as_of)

    messages = sent(
        plan_daily(
            [view(rows, meetings=MEETING, previous=quiet(rows))], config(), day, CALENDAR_DAYS
        ),
        MessageKind.COMMITTEE_REMINDER,
    )

    if expected is None:
        assert messages == []
    else:
        assert {message.occasion for message in messages} == {expected}
        assert recipients(messages) == ["membre@example.org", OFFICER]  # officer once


def test_committee_reminder_carries_the_meeting_and_its_pack() -> None:
    rows = tracking(
        late(id="A1", days_late=9),
        deliverable(id="Rapport intermédiaire", deadline="2026-12-20"),
        deliverable(id="Rapport final", deadline="2027-06-30"),
    )
    meetings = committees(
        {"date": "2026-12-14"}, {"date": "2027-01-20", "body": "Comité technique"}
    )

    messages = plan_daily(
        [view(rows, meetings=meetings, previous=quiet(rows))],
        config(),
        dt.date(2026, 12, 7),
        CALENDAR_DAYS,
    )
    reminder = sent(messages, MessageKind.COMMITTEE_REMINDER)[0]
    context = reminder.context

    assert context["committee"]["date"] == dt.date(2026, 12, 14)
    assert context["committee"]["agenda"] == "1. Bilan\n2. Plan"
    assert context["days_before"] == 7
    assert [item["id"] for item in context["late"]["rows"]] == ["A1"]
    assert context["late"]["rows"][0]["owner"] == "Amina"
    # Due before the next meeting (20 January), the final report is not.
    assert [item["id"] for item in context["deliverables"]["rows"]] == ["Rapport intermédiaire"]
    assert context["horizon"] == dt.date(2027, 1, 20)
    assert [indicator["code"] for indicator in context["indicators"]] == ["IO1", "R1.1"]
    assert reminder.key == f"committee_reminder|TPM|2026-12-14:J-7|{reminder.recipient}"


def test_committee_reminder_on_a_sunday_moves_to_friday_in_working_days() -> None:
    rows = tracking({"id": "A1"})
    settings = config(working_days=True)

    def reminders_on(day: dt.date) -> list[Message]:
        planned = plan_daily(
            [view(rows, meetings=MEETING, previous=quiet(rows), settings=settings)],
            settings,
            day,
            WORKING_DAYS,
        )
        return sent(planned, MessageKind.COMMITTEE_REMINDER)

    assert {m.occasion for m in reminders_on(dt.date(2026, 12, 11))} == {"2026-12-14:J-1"}
    assert reminders_on(dt.date(2026, 12, 12)) == []  # Saturday
    assert reminders_on(dt.date(2026, 12, 13)) == []  # Sunday


def test_reminder_falling_on_a_saturday_goes_out_on_friday() -> None:
    rows = tracking(deliverable(id="Rapport", deadline="2026-12-19"))  # J-7 = Saturday 12
    settings = config(working_days=True, reminders=Reminders(deliverable_days=[7]))

    def reminders_on(day: dt.date) -> set[str]:
        planned = plan_daily(
            [view(rows, previous=quiet(rows), settings=settings)], settings, day, WORKING_DAYS
        )
        return {m.occasion for m in sent(planned, MessageKind.DELIVERABLE_REMINDER)}

    assert reminders_on(dt.date(2026, 12, 10)) == set()
    assert reminders_on(dt.date(2026, 12, 11)) == {"2026-12-19:J-7:Rapport"}
    assert reminders_on(dt.date(2026, 12, 12)) == set()


def test_committee_reminder_on_a_moroccan_holiday_moves_to_the_day_before() -> None:
    rows = tracking({"id": "A1"})
    settings = config(working_days=True)
    meetings = committees({"date": "2026-11-25"})  # J-7 = 18 November, Independence Day

    def reminders_on(day: dt.date, calendar: Any) -> set[str]:
        planned = plan_daily(
            [view(rows, meetings=meetings, previous=quiet(rows), settings=settings)],
            settings,
            day,
            calendar,
        )
        return {m.occasion for m in sent(planned, MessageKind.COMMITTEE_REMINDER)}

    assert reminders_on(dt.date(2026, 11, 17), WORKING_DAYS) == {"2026-11-25:J-7"}
    assert reminders_on(dt.date(2026, 11, 18), WORKING_DAYS) == set()
    # Without working days, the holiday is an ordinary day.
    plain = config()
    planned = plan_daily(
        [view(rows, meetings=meetings, previous=quiet(rows), settings=plain)],
        plain,
        dt.date(2026, 11, 18),
        CALENDAR_DAYS,
    )
    assert {m.occasion for m in sent(planned, MessageKind.COMMITTEE_REMINDER)} == {"2026-11-25:J-7"}


def test_two_offsets_shifted_to_the_same_day_send_one_reminder() -> None:
    rows = tracking({"id": "A1"})
    settings = config(working_days=True, reminders=Reminders(committee_days=[2, 1]))

    planned = plan_daily(
        [view(rows, meetings=MEETING, previous=quiet(rows), settings=settings)],
        settings,
        dt.date(2026, 12, 11),  # Friday: J-2 (Saturday) and J-1 (Sunday) both land here
        WORKING_DAYS,
    )

    reminders = sent(planned, MessageKind.COMMITTEE_REMINDER)
    assert {m.occasion for m in reminders} == {"2026-12-14:J-1"}
    assert len(reminders) == 2  # one participant + the officer


def test_two_meetings_on_the_same_day_have_distinct_keys() -> None:
    rows = tracking({"id": "A1"})
    meetings = committees(
        {"date": "2026-12-14"}, {"date": "2026-12-14", "body": "Comité technique"}
    )

    planned = plan_daily(
        [view(rows, meetings=meetings, previous=quiet(rows))],
        config(),
        dt.date(2026, 12, 7),
        CALENDAR_DAYS,
    )

    reminders = sent(planned, MessageKind.COMMITTEE_REMINDER)
    assert len({m.key for m in reminders}) == len(reminders) == 4


# ---------------------------------------------------------------- deliverables


@pytest.mark.parametrize(
    "as_of, occasion",
    [
        ("2026-11-30", None),  # J-31
        ("2026-12-01", "2026-12-31:J-30:Rapport"),
        ("2026-12-02", None),
        ("2026-12-17", "2026-12-31:J-14:Rapport"),
        ("2026-12-30", "2026-12-31:J-1:Rapport"),
    ],
)
def test_deliverable_reminders(as_of: str, occasion: str | None) -> None:
    rows = tracking(deliverable(id="Rapport", deadline="2026-12-31"))

    planned = plan_daily(
        [view(rows, previous=quiet(rows))], config(), dt.date.fromisoformat(as_of), CALENDAR_DAYS
    )

    reminders = sent(planned, MessageKind.DELIVERABLE_REMINDER)
    if occasion is None:
        assert reminders == []
    else:
        assert {m.occasion for m in reminders} == {occasion}
        assert recipients(reminders) == [OFFICER, "youssef@example.org"]


def test_no_reminder_for_a_submitted_deliverable() -> None:
    rows = tracking(deliverable(id="Rapport", deadline="2026-12-31", status="submitted"))

    planned = plan_daily(
        [view(rows, previous=quiet(rows))], config(), dt.date(2026, 12, 30), CALENDAR_DAYS
    )

    assert sent(planned, MessageKind.DELIVERABLE_REMINDER) == []


def test_deliverable_without_owner_address_reminds_the_officer_only() -> None:
    rows = tracking(deliverable(id="Rapport", deadline="2026-12-31", owner_email=None))

    planned = plan_daily(
        [view(rows, previous=quiet(rows))], config(), dt.date(2026, 12, 30), CALENDAR_DAYS
    )

    assert recipients(sent(planned, MessageKind.DELIVERABLE_REMINDER)) == [OFFICER]


@pytest.mark.parametrize(
    "as_of, expected", [("2026-12-10", False), ("2026-12-11", True), ("2026-12-12", False)]
)
def test_deliverable_overdue_the_day_after_due(as_of: str, expected: bool) -> None:
    rows = tracking(deliverable(id="Rapport", deadline="2026-12-10"))

    planned = plan_daily(
        [view(rows, previous=quiet(rows))], config(), dt.date.fromisoformat(as_of), CALENDAR_DAYS
    )

    overdue = sent(planned, MessageKind.DELIVERABLE_OVERDUE)
    assert bool(overdue) is expected
    if expected:
        assert {m.occasion for m in overdue} == {"2026-12-10:Rapport"}
        assert recipients(overdue) == [OFFICER, "youssef@example.org"]


def test_deliverable_due_friday_is_overdue_on_monday_in_working_days() -> None:
    rows = tracking(deliverable(id="Rapport", deadline="2026-12-11"))
    settings = config(working_days=True)

    def overdue_on(day: dt.date) -> list[Message]:
        planned = plan_daily(
            [view(rows, previous=quiet(rows), settings=settings)], settings, day, WORKING_DAYS
        )
        return sent(planned, MessageKind.DELIVERABLE_OVERDUE)

    assert overdue_on(dt.date(2026, 12, 12)) == []
    assert {m.occasion for m in overdue_on(dt.date(2026, 12, 14))} == {"2026-12-11:Rapport"}


def test_a_deliverable_going_late_gets_the_overdue_alert_not_a_late_alert_too() -> None:
    before = tracking(deliverable(id="Rapport", deadline="2026-12-10"))
    now = tracking(deliverable(id="Rapport", deadline="2026-12-10", **late(days_late=1)))

    planned = plan_daily(
        [view(now, previous=quiet(before))], config(), dt.date(2026, 12, 11), CALENDAR_DAYS
    )

    assert len(sent(planned, MessageKind.DELIVERABLE_OVERDUE)) == 2
    assert sent(planned, MessageKind.LATE_ALERT) == []


# ---------------------------------------------------------------- late alerts and problems


def test_first_run_sends_one_list_of_everything_late_to_the_officer() -> None:
    rows = tracking(
        late(id="A1"),
        late(id="A2", owner="Karim", owner_email="karim@example.org"),
        {"id": "A3"},
    )

    planned = plan_daily(
        [view(rows, first_run=True)], config(), dt.date(2026, 12, 7), CALENDAR_DAYS
    )

    alerts = sent(planned, MessageKind.LATE_ALERT)
    assert recipients(alerts) == [OFFICER]
    assert alerts[0].context["first_run"] is True
    assert [item["id"] for item in alerts[0].context["items"]["rows"]] == ["A1", "A2"]


def test_later_run_alerts_each_owner_and_the_officer_on_what_is_new() -> None:
    before = tracking(late(id="A1"), {"id": "A2"}, {"id": "A3"}, {"id": "A4"})
    now = tracking(
        late(id="A1"),  # already late: not new
        late(id="A2", owner="Karim", owner_email="Karim@Example.org "),
        late(id="A3"),
        late(id="A4", owner="Sans adresse", owner_email=None),
    )

    planned = plan_daily(
        [view(now, previous=quiet(before))], config(), dt.date(2026, 12, 7), CALENDAR_DAYS
    )

    alerts = {m.recipient: m for m in sent(planned, MessageKind.LATE_ALERT)}
    assert sorted(alerts) == ["amina@example.org", "karim@example.org", OFFICER]

    def ids(message: Message) -> list[str]:
        return sorted(item["id"] for item in message.context["items"]["rows"])

    assert ids(alerts[OFFICER]) == ["A2", "A3", "A4"]
    assert ids(alerts["karim@example.org"]) == ["A2"]
    assert ids(alerts["amina@example.org"]) == ["A3"]
    assert alerts["karim@example.org"].to == (("Karim", "karim@example.org"),)


def test_nothing_new_sends_no_late_alert() -> None:
    rows = tracking(late(id="A1"))

    planned = plan_daily(
        [view(rows, previous=quiet(rows))], config(), dt.date(2026, 12, 7), CALENDAR_DAYS
    )

    assert sent(planned, MessageKind.LATE_ALERT) == []


def test_late_alert_key_changes_only_with_the_items() -> None:
    before = tracking({"id": "A1"}, {"id": "A2"})
    now = tracking(late(id="A1"), {"id": "A2"})
    later = tracking(late(id="A1"), late(id="A2"))
    day = dt.date(2026, 12, 7)

    def officer_key(current: pd.DataFrame) -> str:
        planned = plan_daily([view(current, previous=quiet(before))], config(), day, CALENDAR_DAYS)
        return next(m.key for m in sent(planned, MessageKind.LATE_ALERT) if m.recipient == OFFICER)

    assert officer_key(now) == officer_key(now)  # a rerun plans the very same e-mail
    assert officer_key(now) != officer_key(later)  # new items the same day: a new e-mail
    assert officer_key(now).startswith("late_alert|TPM|2026-12-07:")


def test_problem_report_only_when_problems_changed() -> None:
    rows = tracking({"id": "A1"})
    problems = [Problem("TPM", "Activités", "H4", "45 jours", "avancement illisible")]
    day = dt.date(2026, 12, 7)

    unchanged = plan_daily(
        [view(rows, previous=quiet(rows), problems=problems)], config(), day, CALENDAR_DAYS
    )
    changed = plan_daily(
        [view(rows, previous=quiet(rows), problems=problems, problems_changed=True)],
        config(),
        day,
        CALENDAR_DAYS,
    )

    assert sent(unchanged, MessageKind.PROBLEM_REPORT) == []
    reports = sent(changed, MessageKind.PROBLEM_REPORT)
    assert recipients(reports) == [OFFICER]
    assert reports[0].context["problems"]["rows"][0]["cell"] == "H4"


# ---------------------------------------------------------------- weekly


def test_weekly_summary_goes_to_the_officer_and_the_team() -> None:
    rows = tracking(
        late(id="A1", days_late=12),
        {"id": "A2", "a_risque": True, "state": "a_risque", "projected_finish": "2027-02-01"},
        {"id": "A3", "echeance_proche": True, "state": "echeance_proche", "deadline": "2026-12-15"},
        {
            "id": "A4",
            "sans_mise_a_jour": True,
            "state": "sans_mise_a_jour",
            "owner_email": None,
            "owner": "Hassan",
        },
        {"id": "A5", "status": "done", "state": "done"},
        deliverable(
            id="Rapport", deadline="2026-12-20", echeance_proche=True, state="echeance_proche"
        ),
    )
    meetings = committees({"date": "2026-12-14"}, {"date": "2026-11-01"})

    planned = plan_weekly(
        [view(rows, meetings=meetings)], config(), dt.date(2026, 12, 7), CALENDAR_DAYS
    )

    summaries = sent(planned, MessageKind.WEEKLY_SUMMARY)
    assert recipients(summaries) == ["equipe@example.org", OFFICER]
    assert {m.occasion for m in summaries} == {"2026-W50"}
    context = summaries[0].context
    assert context["counts"]["late"] == 1 and context["counts"]["done"] == 1
    assert context["counts"]["activities"] == 5 and context["counts"]["deliverables_open"] == 1
    assert [item["id"] for item in context["late"]["rows"]] == ["A1"]
    assert context["late"]["rows"][0]["days_late"] == 12
    assert context["at_risk"]["rows"][0]["projected_finish"] == dt.date(2027, 2, 1)
    assert [item["id"] for item in context["due_soon"]["rows"]] == ["A3", "Rapport"]
    assert [item["id"] for item in context["stale"]["rows"]] == ["A4"]
    assert [c["date"] for c in context["committees"]] == [dt.date(2026, 12, 14)]
    assert [item["id"] for item in context["deliverables"]["rows"]] == ["Rapport"]
    assert context["owners_without_email"] == [{"owner": "Hassan", "count": 1}]
    assert [indicator["status"] for indicator in context["indicators"]] == ["behind", "on_track"]


def test_one_digest_per_owner_address_with_all_their_items() -> None:
    rows = tracking(
        late(id="A1"),
        {"id": "A2", "sans_mise_a_jour": True, "state": "sans_mise_a_jour"},
        {"id": "A3"},  # nothing to do: not in the digest
        late(id="A4", owner="Karim", owner_email="karim@example.org"),
        late(id="A5", owner="Hassan", owner_email=None),  # no address: no digest
        {"id": "A6", "termine_en_retard": True, "state": "termine_en_retard"},  # never alerted
    )

    planned = plan_weekly([view(rows)], config(), dt.date(2026, 12, 7), CALENDAR_DAYS)

    digests = {m.recipient: m for m in sent(planned, MessageKind.OWNER_DIGEST)}
    assert sorted(digests) == ["amina@example.org", "karim@example.org"]
    amina = digests["amina@example.org"]
    assert amina.occasion == "2026-W50"
    assert amina.key == "owner_digest|*|2026-W50|amina@example.org"
    items = amina.context["projects"][0]["rows"]
    assert [item["id"] for item in items] == ["A1", "A2"]  # late first, then stale
    assert items[0]["tab"] == "Activités" and items[0]["row"] == 2


def test_digest_spans_projects() -> None:
    other = Project(code="EAU", name="Eau potable", source="eau.xlsx", language="fr")
    settings = config(projects=[config().projects[0], other])
    tpm = view(tracking(late(id="A1")), settings=settings)
    eau_rows = tracking(late(id="E1", project="EAU"))
    eau = ProjectView(
        project=other,
        tables=tpm.tables,
        tracking=eau_rows,
        indicators=indicators(),
        changes=diff_snapshots(None, eau_rows),
    )

    planned = plan_weekly([tpm, eau], settings, dt.date(2026, 12, 7), CALENDAR_DAYS)

    digests = sent(planned, MessageKind.OWNER_DIGEST)
    assert len(digests) == 1
    assert [group["code"] for group in digests[0].context["projects"]] == ["TPM", "EAU"]
    assert recipients(sent(planned, MessageKind.WEEKLY_SUMMARY)) == [
        "equipe@example.org",
        OFFICER,
        OFFICER,
    ]  # TPM: officer and team; EAU: officer


def test_weekly_and_daily_never_plan_the_same_kind() -> None:
    rows = tracking(late(id="A1"), deliverable(id="Rapport", deadline="2026-12-08"))
    day = dt.date(2026, 12, 7)
    views = [view(rows, meetings=committees({"date": "2026-12-14"}), first_run=True)]

    weekly = {m.kind for m in plan_weekly(views, config(), day, CALENDAR_DAYS)}
    daily = {m.kind for m in plan_daily(views, config(), day, CALENDAR_DAYS)}

    assert weekly == {MessageKind.WEEKLY_SUMMARY, MessageKind.OWNER_DIGEST}
    assert weekly.isdisjoint(daily)


def test_every_message_has_one_recipient_and_a_unique_key() -> None:
    rows = tracking(
        late(id="A1", owner_email=OFFICER), deliverable(id="Rapport", deadline="2026-12-08")
    )
    day = dt.date(2026, 12, 7)
    views = [view(rows, meetings=committees({"date": "2026-12-14"}), first_run=True)]

    planned = plan_weekly(views, config(), day, CALENDAR_DAYS) + plan_daily(
        views, config(), day, CALENDAR_DAYS
    )

    assert all(len(message.to) == 1 for message in planned)
    assert len({message.key for message in planned}) == len(planned)


def test_planning_does_not_mutate_inputs_and_survives_empty_frames() -> None:
    rows = tracking(late(id="A1"))
    original = rows.copy(deep=True)
    day = dt.date(2026, 12, 7)

    plan_weekly([view(rows)], config(), day, CALENDAR_DAYS)
    plan_daily([view(rows)], config(), day, CALENDAR_DAYS)
    pd.testing.assert_frame_equal(rows, original)

    bare = ProjectView(
        project=config().projects[0],
        tables=view(rows).tables,
        tracking=pd.DataFrame(),
        indicators=pd.DataFrame(),
        changes=diff_snapshots(None, pd.DataFrame()),
    )
    weekly = plan_weekly([bare], config(), day, CALENDAR_DAYS)
    assert recipients(weekly) == ["equipe@example.org", OFFICER]
    assert plan_daily([bare], config(), day, CALENDAR_DAYS) == []


def test_run_failure_goes_to_the_officer_once_a_day_per_flow() -> None:
    message = plan_run_failure(
        config(),
        "daily-watch",
        "Traceback…\nValueError",
        "https://prefect.example.org/runs/1",
        dt.date(2026, 12, 7),
    )

    assert message.kind == MessageKind.RUN_FAILURE
    assert message.key == f"run_failure|*|2026-12-07:daily-watch|{OFFICER}"
    assert message.context["error"].endswith("ValueError")
