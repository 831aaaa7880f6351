"""Escalation (§6.5): an item late too long goes up to the officer, then to the director.

Late for `officer_after_days`: one alert to the officer naming the item, its owner and what
it holds up. Late for `director_after_days`: one alert to the director, the officer in copy
(only the highest level reached is sent, so a first run never sends both). Each alert goes out
once per item, level and episode: the episode is the deadline the item missed, so an item that
recovers (done, or given a later deadline) and slips again is escalated again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from suivi.notify.messages import (
    MessageKind,
    Message,
    ProjectView,
    _common,
    _message,
    _recipient,
    _records,
    _slug,
    _with_item_columns,
)
from suivi.schema import Flag
from suivi.settings import Config, Escalation

OFFICER = "officer"
DIRECTOR = "director"
MAX_BLOCKED = 10  # indicators named as held up by one late activity


def escalations(view: ProjectView, config: Config, as_of: dt.date) -> list[Message]:
    """The escalation alerts due today for one project (none without `escalation:` settings)."""
    rules = config.escalation
    if rules is None or view.tracking.empty:
        return []
    levels = escalation_levels(view.tracking, rules)
    items = _with_item_columns(view, view.tracking).assign(level=levels)
    items = items[items["level"].notna().to_numpy()]
    messages: list[Message] = []
    for item in _records(items):
        messages += _alerts(view, config, as_of, rules, item)
    return messages


def escalation_levels(tracking: pd.DataFrame, rules: Escalation) -> pd.Series:
    """`director`, `officer` or missing per tracking row: the highest level its delay reached."""
    days = pd.to_numeric(tracking["days_late"], errors="coerce")
    late = tracking[Flag.LATE.value].fillna(False).astype(bool) & days.notna()
    level = pd.Series(pd.NA, index=tracking.index, dtype="object")
    level = level.mask(late & (days >= rules.officer_after_days), OFFICER)
    return level.mask(late & (days >= rules.director_after_days), DIRECTOR)


def _alerts(
    view: ProjectView, config: Config, as_of: dt.date, rules: Escalation, item: dict[str, Any]
) -> list[Message]:
    """The one alert of an item at its level: to the officer, or to the director, officer in copy."""
    officer = config.officer_of(view.project)
    officer_person = _recipient(officer.name, officer.email)
    if item["level"] == DIRECTOR and rules.director is not None:
        person = _recipient(rules.director.name, rules.director.email)
        copy = (officer_person,) if officer_person is not None else ()
    else:
        person, copy = officer_person, ()
    if person is None:
        return []
    episode = item["deadline"].isoformat() if item.get("deadline") else "undated"
    occasion = f"{item['level']}:{episode}:{item['kind']}:{_slug(item['id'])}"
    context = {
        **_common(view, config, as_of),
        "item": item,
        "level": item["level"],
        "after_days": rules.director_after_days
        if item["level"] == DIRECTOR
        else rules.officer_after_days,
        "blocked": blocked_by(view, item),
    }
    message = _message(
        MessageKind.ESCALATION, view.project.code, occasion, person, config, view.project, context
    )
    return [Message(**{**message.__dict__, "cc": copy})]


def blocked_by(view: ProjectView, item: dict[str, Any]) -> dict[str, Any]:
    """What a late item holds up: its result's indicators and the funder it is owed to."""
    indicators = view.indicators
    output = item.get("output") or _output_of(view, item)
    held: list[dict[str, Any]] = []
    if output and not indicators.empty and "output" in indicators.columns:
        same = indicators[indicators["output"].astype("str").eq(str(output)).to_numpy()]
        held = same[["code", "name"]].head(MAX_BLOCKED).astype("object").to_dict("records")
    return {"output": output or "", "indicators": held, "funder": item.get("funder") or ""}


def _output_of(view: ProjectView, item: dict[str, Any]) -> str:
    """The result an activity belongs to, from the `Activités` tab."""
    activities = view.tables.activities
    if item.get("kind") != "activity" or activities.empty or "output" not in activities.columns:
        return ""
    match = activities.loc[activities["id"].astype("str").eq(str(item["id"])), "output"]
    return str(match.iloc[0]) if not match.empty and pd.notna(match.iloc[0]) else ""
