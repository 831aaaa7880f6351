"""An item's facts, written out in the `item` macros for speed, say what the `detail` macros say."""

from __future__ import annotations

import datetime as dt

import pytest

from suivi.notify.render import template_environment

DETAILS = [
    "state", "owner", "funder", "deadline", "days_late", "progress", "change", "projected_finish",
    "planned_start", "last_update", "points_per_week_needed", "project", "unknown",
]  # fmt: skip
ITEM = {
    "id": "A1.2", "name": "Atelier <régional>", "kind": "activity", "state": "en_retard",
    "owner": "Awa Diallo", "funder": "AFD", "deadline": dt.date(2026, 11, 30), "days_late": 7,
    "progress": 0.4, "previous_progress": 0.25, "projected_finish": dt.date(2027, 1, 15),
    "planned_start": dt.date(2026, 9, 1), "last_update": dt.date(2026, 11, 2),
    "points_per_week_needed": 12.5, "project": "TPM", "tab": "Activités", "row": 12,
}  # fmt: skip
QUIET = {**ITEM, "days_late": 0, "projected_finish": None, "points_per_week_needed": None}
# The facts line as it was drawn before: one `detail` call per fact.
HTML_BY_DETAIL = (
    '{% import "_blocks.html" as b with context %}'
    '<span class="state state-{{ item.state }}">{{ item.state|label }}</span>'
    "{% for name in details %}{% set shown = b.detail(item, name) %}"
    "{% if shown|trim %} · {{ shown }}{% endif %}{% endfor %}"
)
TEXT_BY_DETAIL = (
    '{% import "_macros.txt" as m with context %}{% set facts = [item.state|label] %}'
    "{% for name in details %}{% set shown = m.detail(item, name)|trim %}"
    "{% if shown %}{% set _ = facts.append(shown) %}{% endif %}{% endfor %}"
    '{{ facts|join(" · ") }}'
)


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
@pytest.mark.parametrize("item", [ITEM, QUIET], ids=["every fact", "facts left out"])
def test_html_item_facts_match_the_detail_macro(language: str, item: dict[str, object]) -> None:
    env = template_environment()
    values = {"item": item, "details": DETAILS, "language": language, "dir": "ltr"}
    by_item = env.from_string(
        '{% import "_blocks.html" as b with context %}{{ b.item(item, details) }}'
    )
    expected = env.from_string(HTML_BY_DETAIL).render(values)  # strings escape, as .html files
    drawn = by_item.render(values)

    facts = drawn.split('<p class="item-facts">', 1)[1].split("</p>", 1)[0]
    assert facts == expected


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
@pytest.mark.parametrize("item", [ITEM, QUIET], ids=["every fact", "facts left out"])
def test_text_item_facts_match_the_detail_macro(language: str, item: dict[str, object]) -> None:
    env = template_environment()
    env.autoescape = False  # as for the .txt files
    values = {"item": item, "details": DETAILS, "language": language, "dir": "ltr"}
    drawn = env.from_string(
        '{% import "_macros.txt" as m with context %}{{ m.item(item, details) }}'
    ).render(values)
    expected = env.from_string(TEXT_BY_DETAIL).render(values)

    assert drawn.splitlines()[1].strip() == expected.strip()
