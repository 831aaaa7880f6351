"""Escalation (§6.5): an item late too long goes up to the officer, then to the director.

Late for `officer_after_days`: one alert to the officer naming the item, its owner and what
it holds up. Late for `director_after_days`: one alert to the director, the officer in copy
(only the highest level reached is sent, so a first run never sends both). Each alert goes out
once per item, level and episode: the episode is the deadline the item missed, so an item that
recovers (done, or given a later deadline) and slips again is escalated again.

The rules live here; suivi.notify.messages turns the items into messages.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from suivi.schema import Flag
from suivi.settings import Escalation, Person

OFFICER = "officer"
DIRECTOR = "director"
MAX_BLOCKED = 10  # indicators named as held up by one late activity


def escalation_levels(tracking: pd.DataFrame, rules: Escalation) -> pd.Series:
    """`director`, `officer` or missing per tracking row: the highest level its delay reached."""
    days = pd.to_numeric(tracking["days_late"], errors="coerce")
    late = tracking[Flag.LATE.value].fillna(False).astype(bool) & days.notna()
    level = pd.Series(pd.NA, index=tracking.index, dtype="object")
    level = level.mask(late & (days >= rules.officer_after_days), OFFICER)
    return level.mask(late & (days >= rules.director_after_days), DIRECTOR)


def escalation_occasion(item: dict[str, Any], slug: str) -> str:
    """The alert's occasion: level, missed deadline (the episode), kind and item."""
    deadline = item.get("deadline")
    episode = deadline.isoformat() if deadline is not None else "undated"
    return f"{item['level']}:{episode}:{item['kind']}:{slug}"


def escalation_people(
    level: str, rules: Escalation, officer: Person
) -> tuple[Person, tuple[Person, ...]]:
    """Who gets the alert and who is in copy: the officer alone, or the director and the officer."""
    if level == DIRECTOR and rules.director is not None:
        return rules.director, (officer,)
    return officer, ()


def threshold_of(level: str, rules: Escalation) -> int:
    """The number of days late after which `level` hears of an item."""
    return rules.director_after_days if level == DIRECTOR else rules.officer_after_days


def blocked_by(
    item: dict[str, Any], activities: pd.DataFrame, indicators: pd.DataFrame
) -> dict[str, Any]:
    """What a late item holds up: the indicators of its result and the funder it is owed to."""
    output = _output_of(item, activities)
    held: list[dict[str, Any]] = []
    if output and not indicators.empty and "output" in indicators.columns:
        same = indicators[indicators["output"].astype("str").eq(output).to_numpy()]
        held = same[["code", "name"]].head(MAX_BLOCKED).astype("object").to_dict("records")
    return {"output": output, "indicators": held, "funder": item.get("funder") or ""}


def _output_of(item: dict[str, Any], activities: pd.DataFrame) -> str:
    """The result an activity belongs to, from the `Activités` tab."""
    if item.get("kind") != "activity" or activities.empty or "output" not in activities.columns:
        return ""
    match = activities.loc[activities["id"].astype("str").eq(str(item["id"])), "output"]
    return str(match.iloc[0]) if not match.empty and pd.notna(match.iloc[0]) else ""
