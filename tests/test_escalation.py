"""Escalation (§6.5): late items go up to the officer, then the director, once per item and level."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from test_messages import CALENDAR_DAYS, OFFICER, config, quiet, tracking, view

from suivi.notify.escalation import escalation_levels
from suivi.notify.messages import Message, MessageKind, plan_daily
from suivi.notify.render import render_email, template_environment
from suivi.settings import Escalation, Person

DIRECTOR = "directeur@example.org"
RULES = Escalation(
    officer_after_days=7,
    director_after_days=30,
    director=Person(name="Directeur", email=DIRECTOR),
)


def late(days: int, deadline: str = "2026-11-01", **row: Any) -> dict[str, Any]:
    """A tracking row late for `days`."""
    return {"id": "A1", "en_retard": True, "state": "en_retard", "days_late": days,
            "deadline": deadline, **row}  # fmt: skip


def escalated(rows: pd.DataFrame, day: str = "2026-12-07", **settings: Any) -> list[Message]:
    """The escalation alerts the daily plan holds."""
    settings = {"escalation": RULES, **settings}
    messages = plan_daily(
        [view(rows, previous=quiet(rows), settings=config(**settings))],
        config(**settings),
        dt.date.fromisoformat(day),
        CALENDAR_DAYS,
    )
    return [message for message in messages if message.kind == MessageKind.ESCALATION]


def test_levels_follow_the_thresholds() -> None:
    rows = tracking(late(6, id="A1"), late(7, id="A2"), late(29, id="A3"), late(30, id="A4"),
                    {"id": "A5", "days_late": 40})  # fmt: skip
    # A5 is not flagged late (done late, say): it never goes up.
    assert escalation_levels(rows, RULES).tolist() == [
        pd.NA, "officer", "officer", "director", pd.NA,
    ]  # fmt: skip


def test_late_seven_days_one_alert_to_the_officer_naming_item_and_owner() -> None:
    alerts = escalated(tracking(late(7)))
    assert [(m.recipient, m.cc) for m in alerts] == [(OFFICER, ())]
    item = alerts[0].context["item"]
    assert (item["id"], item["owner"], alerts[0].context["level"]) == ("A1", "Amina", "officer")


def test_late_thirty_days_one_alert_to_the_director_with_the_officer_in_copy() -> None:
    alerts = escalated(tracking(late(30)))
    assert len(alerts) == 1
    assert alerts[0].recipient == DIRECTOR
    assert alerts[0].cc == (("Chargée de suivi", OFFICER),)
    email = render_email(alerts[0], template_environment(None))
    assert email.cc == (("Chargée de suivi", OFFICER),)
    assert "Atelier de concertation" in email.text and "Amina" in email.text
    assert "30" in email.subject


def test_no_escalation_settings_no_alert() -> None:
    assert escalated(tracking(late(40)), escalation=None) == []


def test_once_per_item_and_level_and_again_after_a_new_slip() -> None:
    first = escalated(tracking(late(8)), "2026-11-09")
    next_day = escalated(tracking(late(9)), "2026-11-10")
    # Same item, level and missed deadline: the same exactly-once key, so it is sent once.
    assert [m.key for m in first] == [m.key for m in next_day]
    director = escalated(tracking(late(31)), "2026-12-02")
    assert director[0].key != first[0].key
    # Given a later deadline, it recovered; it slipped again: a new episode, a new alert.
    again = escalated(tracking(late(7, deadline="2027-01-15")), "2027-01-22")
    assert again[0].key not in {first[0].key, director[0].key}
    assert again[0].occasion == "officer:2027-01-15:activity:A1"
