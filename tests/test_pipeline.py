"""The steps composed on the demo: pace and forecast reach the e-mails that people act on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from suivi.jobs.pipeline import calendar_of, view_project
from suivi.notify.messages import MessageKind, plan_weekly
from suivi.notify.render import render_email, template_environment
from suivi.settings import Env, load_config

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 12, 7)


@pytest.fixture
def weekly_emails(demo_config: Path, suivi_env: Path) -> dict[tuple[str, str, str], str]:
    """The demo's weekly e-mails as text, by (kind, project, recipient)."""
    config = load_config(demo_config)
    views = [view_project(project, config, Env(), AS_OF) for project in config.projects]
    templates = template_environment()
    return {
        (str(message.kind), message.project, message.recipient): render_email(
            message, templates
        ).text
        for message in plan_weekly(views, config, AS_OF, calendar_of(config))
    }


def test_open_activities_carry_the_pace_they_need(demo_config: Path, suivi_env: Path) -> None:
    config = load_config(demo_config)
    view = view_project(config.projects[0], config, Env(), AS_OF)
    pace = view.tracking.set_index("id")["points_per_week_needed"]
    # A1.4: 45 points left, 8 days to its deadline.
    assert pace["A1.4"] == pytest.approx(45 / (8 / 7))
    assert pace.isna()["A1.1"]  # done: nothing needed


def test_the_summary_says_when_at_risk_activities_finish_and_the_pace_they_need(
    weekly_emails: dict[tuple[str, str, str], str],
) -> None:
    summary = weekly_emails[(MessageKind.WEEKLY_SUMMARY, "TPM", "officer@example.org")]
    at_risk = summary.split("À risque de retard")[1].split("Démarrages tardifs")[0]
    assert "A1.4 — " in at_risk
    # Non-breaking spaces before the colon, as French typography wants.
    assert "Fin projetée\u00a0: 31 août 2027" in at_risk
    assert "Rythme nécessaire\u00a0: 39," in at_risk  # 45 points in 8 days


def test_an_indicator_without_a_recent_measure_goes_to_its_owner(
    weekly_emails: dict[tuple[str, str, str], str],
) -> None:
    digest = weekly_emails[(MessageKind.OWNER_DIGEST, "*", "youssef.amrani@example.org")]
    assert "Indicateurs à mesurer" in digest and "R4.1 — " in digest
    assert (
        "Mesure manquante"
        in weekly_emails[(MessageKind.WEEKLY_SUMMARY, "TPM", "officer@example.org")]
    )
