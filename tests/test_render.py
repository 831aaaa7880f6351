"""render_email / render_page / achievement_chart: what the e-mails look like, in fr, ar and en."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import struct
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import pytest

from suivi.compute.calendar import calendar_for
from suivi.compute.changes import diff_snapshots
from suivi.i18n import STRINGS
from suivi.model import Email, Problem, ProjectTables
from suivi.notify.charts import achievement_chart
from suivi.notify.forced import StartedBy, plan_forced_run
from suivi.notify.messages import (
    Message,
    MessageKind,
    ProjectView,
    plan_daily,
    plan_run_failure,
    plan_weekly,
    recipient_notices,
)
from suivi.notify.recipients import apply_allowed_domains
from suivi.notify.render import render_email, render_page, template_environment
from suivi.settings import Config, Escalation, MailSettings, Person, Project

TEMPLATES = Path(__file__).resolve().parents[1] / "suivi" / "notify" / "templates"
FLAGS = [
    "en_retard",
    "a_risque",
    "demarrage_tardif",
    "echeance_proche",
    "sans_mise_a_jour",
    "termine_en_retard",
]
AS_OF = dt.date(2026, 12, 7)  # a Monday
SCRIPT = "<script>alert(1)</script> R&D"
# Sent about the whole portfolio, not one project: their subject names suivi.
PORTFOLIO_KINDS = (MessageKind.RUN_FAILURE, MessageKind.FORCED_RUN)
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    """The project's own templates."""
    return template_environment(TEMPLATES)


def tracking(*rows: dict[str, Any]) -> pd.DataFrame:
    """A tracking frame with the dtypes of docs/architecture.md."""
    base: dict[str, Any] = {
        "project": "TPM",
        "kind": "activity",
        "name": "Atelier de concertation",
        "owner": "Amina",
        "owner_email": "amina@example.org",
        "funder": "UE",
        "status": "in_progress",
        "progress": 0.5,
        "planned_start": "2026-09-01",
        "deadline": "2026-12-31",
        "last_update": "2026-11-30",
        "days_late": None,
        "projected_finish": None,
        "state": "in_progress",
        "row": 2,
    }
    frame = pd.DataFrame([{**base, **dict.fromkeys(FLAGS, False), **row} for row in rows])
    for column in (
        "project",
        "kind",
        "id",
        "name",
        "owner",
        "owner_email",
        "funder",
        "status",
        "state",
    ):
        frame[column] = frame[column].astype("str")
    for column in ("planned_start", "deadline", "last_update", "projected_finish"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame.astype(
        {"progress": "float64", "days_late": "Int64", "row": "Int64", **dict.fromkeys(FLAGS, bool)}
    )


def settings(
    language: str = "fr", name: str = "Territorialisation des politiques migratoires"
) -> Config:
    """One project, TPM, in the given language."""
    project = Project(code="TPM", name=name, source="tpm.xlsx", team=["equipe@example.org"])
    return Config(
        language=language,
        officer=Person(name="Chargée de suivi", email="officer@example.org"),
        projects=[project],
        escalation=Escalation(
            officer_after_days=1,
            director_after_days=30,
            director=Person(name="Direction", email="direction@example.org"),
        ),
    )


def project_view(
    config: Config,
    rows: pd.DataFrame,
    *,
    place: str = "Agadir",
    body: str = "COPIL",
    first_run: bool = False,
) -> ProjectView:
    """A project with an indicator table, one meeting on 14 December and a data problem."""
    meetings = pd.DataFrame(
        {
            "project": ["TPM"],
            "date": pd.to_datetime(["2026-12-14"]).astype("datetime64[ns]"),
            "time": ["10:00"],
            "body": [body],
            "place": [place],
            "participants": [["membre@example.org"]],
            "agenda": ["1. Bilan\n2. Plan d'action"],
        }
    )
    indicators = pd.DataFrame(
        {
            "project": ["TPM", "TPM"],
            "code": ["IO1", "R1.1"],
            "name": ["Communes dotées d'un plan", SCRIPT],
            "baseline": [0.0, 0.0],
            "target": [10.0, 100.0],
            "current": [4.0, 90.0],
            "achievement": [0.4, 0.9],
            "expected": [0.6, 0.5],
            "status": ["behind", "on_track"],
        }
    )
    empty = pd.DataFrame()
    tables = ProjectTables(
        project="TPM",
        activities=empty,
        indicators=empty,
        measures=empty,
        committees=meetings,
        deliverables=empty,
        problems=[Problem("TPM", "Activités", "H4", "45 jours", "avancement illisible", True)],
        tab_titles={"activities": "Activités", "deliverables": "Échéances"},
    )
    previous = None if first_run else rows.assign(flags=[[]] * len(rows))
    return ProjectView(
        project=config.projects[0],
        tables=tables,
        tracking=rows,
        indicators=indicators,
        changes=diff_snapshots(previous, rows),
        problems_changed=True,
        first_run=first_run,
    )


def sample_rows(name: str = "Atelier de concertation") -> pd.DataFrame:
    """A late activity, an at-risk one, and a deliverable due in a week."""
    return tracking(
        {"id": "A1", "name": name, "en_retard": True, "state": "en_retard", "days_late": 12},
        {"id": "A2", "a_risque": True, "state": "a_risque", "projected_finish": "2027-02-01"},
        {
            "id": "Rapport intermédiaire",
            "name": "Rapport intermédiaire",
            "kind": "deliverable",
            "status": "todo",
            "state": "echeance_proche",
            "echeance_proche": True,
            "deadline": "2026-12-14",
            "progress": float("nan"),
        },
    )


DIRECT_CALL = StartedBy("terminal", user="amina", host="pc-12")


def all_messages(config: Config, rows: pd.DataFrame, **view_options: Any) -> list[Message]:
    """Every kind of message for one project on AS_OF (one per kind, the officer's if any)."""
    view = project_view(config, rows, **view_options)
    calendar = calendar_for(False)
    planned = plan_weekly([view], config, AS_OF, calendar) + plan_daily(
        [view], config, AS_OF, calendar
    )
    # The deliverable is due on the 14th: its J-7 reminder is today; its overdue alert is on the 15th.
    planned += plan_daily([view], config, dt.date(2026, 12, 15), calendar)
    planned.append(plan_run_failure(config, "daily-watch", "ValueError: bad value", None, AS_OF))
    planned += recipient_messages(config, view)
    planned.append(plan_forced_run(config, "weekly-summary", AS_OF, "run-1", DIRECT_CALL, 3))
    first: dict[str, Message] = {}
    for message in planned:
        first.setdefault(str(message.kind), message)
    return list(first.values())


def recipient_messages(config: Config, view: ProjectView) -> list[Message]:
    """The officer's notices of where data goes: a team address at a partner's domain, first
    without `mail.allowed_domains` (the domains it goes to), then with it (the address left out)."""
    project = view.project.model_copy(
        update={"team": [*view.project.team, "partenaire@partner.example.net"]}
    )
    open_config = config.model_copy(update={"projects": [project]})
    messages = recipient_notices(
        [dataclasses.replace(view, project=project)], open_config, AS_OF, first_run=True
    )
    allowed = ["example.org"]
    closed_config = open_config.model_copy(update={"mail": MailSettings(allowed_domains=allowed)})
    kept, tables = apply_allowed_domains(project, view.tables, {}, allowed)
    closed = dataclasses.replace(view, project=kept, tables=tables)
    return messages + recipient_notices([closed], closed_config, AS_OF)


def one(
    config: Config, kind: MessageKind, rows: pd.DataFrame | None = None, **options: Any
) -> Message:
    """The first planned message of a kind."""
    messages = all_messages(config, sample_rows() if rows is None else rows, **options)
    return next(message for message in messages if message.kind == kind)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


# ---------------------------------------------------------------- every kind, every language


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_every_kind_renders_in_every_language(env: jinja2.Environment, language: str) -> None:
    messages = all_messages(settings(language), sample_rows(SCRIPT))

    assert {str(m.kind) for m in messages} == {str(kind) for kind in MessageKind}
    for message in messages:
        email = render_email(message, env)
        assert isinstance(email, Email)
        assert email.key == message.key and email.kind == str(message.kind)
        assert email.language == language
        assert "\n" not in email.html and "\r" not in email.html  # one line for yagmail
        assert "<style" not in email.html and "style=" in email.html  # CSS inlined
        assert f'lang="{language}"' in email.html
        assert "TPM" in email.subject or message.kind in PORTFOLIO_KINDS
        assert not HTML_TAG.search(email.text.replace(SCRIPT, "")), email.text
        assert "<script>" not in email.html
        page = render_page(message, env)
        assert page.startswith("<!DOCTYPE html>") and "</html>" in page


# ---------------------------------------------------------------- languages


def test_french_weekly_body(env: jinja2.Environment) -> None:
    email = render_email(one(settings("fr"), MessageKind.WEEKLY_SUMMARY), env)

    assert 'dir="ltr"' in email.html
    assert "lundi 7 décembre 2026" in email.html
    assert "En retard" in email.html and "À risque" in email.html  # status in words
    assert "Territorialisation des politiques migratoires" in email.html  # the heading names it
    # The week comes first: "Cette semaine" before any detail.
    assert email.html.index("Cette semaine") < email.html.index("Ce qui a changé")
    assert email.subject == "[TPM] Point hebdomadaire – semaine 50 (7 déc. 2026)"
    assert "lundi 7 décembre 2026" in email.text


def test_arabic_weekly_body(env: jinja2.Environment) -> None:
    email = render_email(one(settings("ar"), MessageKind.WEEKLY_SUMMARY), env)

    assert 'dir="rtl"' in email.html and 'lang="ar"' in email.html
    assert "direction:rtl" in email.html.replace(" ", "")
    assert "الاثنين، 7 دجنبر 2026" in email.html  # babel's ar_MA: Moroccan month names
    assert "متأخر" in email.html
    # Every data table says its direction; IDs and numbers stay left-to-right.
    tables = re.findall(r"<table[^>]*>", email.html)
    assert all('dir="rtl"' in table for table in tables)
    assert '<bdi dir="ltr">A1</bdi>' in email.html
    assert 'align="right"' in email.html
    assert "الاثنين، 7 دجنبر 2026" in email.text


def test_english_subject_and_dates(env: jinja2.Environment) -> None:
    email = render_email(one(settings("en"), MessageKind.COMMITTEE_REMINDER), env)

    assert email.subject == "[TPM] Reminder: COPIL on 14 Dec 2026 (in 7 days)"
    assert "Monday, 14 December 2026" in email.html


# ---------------------------------------------------------------- safety


def test_sheet_text_is_escaped(env: jinja2.Environment) -> None:
    message = one(settings("fr"), MessageKind.WEEKLY_SUMMARY, sample_rows(SCRIPT))
    email = render_email(message, env)

    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; R&amp;D" in email.html
    assert SCRIPT in email.text  # plain text shows it as typed; it is not HTML
    assert "<script>" not in render_page(message, env)


def test_subject_and_names_carry_no_line_breaks(env: jinja2.Environment) -> None:
    config = settings("fr", name="Projet\r\nBcc: evil@example.org")
    rows = tracking(
        {
            "id": "Rapport\r\nBcc: evil@example.org",
            "name": "Rapport\r\nBcc: evil@example.org",
            "kind": "deliverable",
            "status": "todo",
            "state": "todo",
            "deadline": "2026-12-14",
            "owner": "Youssef\nX-Injected: 1",
        }
    )
    messages = all_messages(config, rows, body="COPIL\nBcc: evil@example.org")

    for message in messages:
        email = render_email(message, env)
        header_values = [email.subject, *(part for person in email.to for part in person)]
        assert not any(re.search(r"[\x00-\x1f\x7f\u2028\u2029]", value) for value in header_values)
    reminders = [m for m in messages if m.kind == MessageKind.DELIVERABLE_REMINDER]
    reminder = render_email(reminders[0], env)
    assert "Rapport Bcc: evil@example.org" in reminder.subject
    assert reminder.to == (("Youssef X-Injected: 1", "amina@example.org"),)


def test_links_from_cells_only_when_https(env: jinja2.Environment) -> None:
    safe = render_email(
        one(
            settings("fr"), MessageKind.COMMITTEE_REMINDER, place="https://visio.example.org/copil"
        ),
        env,
    )
    unsafe = render_email(
        one(settings("fr"), MessageKind.COMMITTEE_REMINDER, place="javascript:alert(1)"), env
    )
    plain = render_email(
        one(settings("fr"), MessageKind.COMMITTEE_REMINDER, place='http://x.org/" onclick="x'), env
    )

    assert '<a href="https://visio.example.org/copil"' in safe.html
    assert "javascript:alert(1)" in unsafe.html and "href" not in unsafe.html
    # The quote stays text: no link, no attribute (a serializer may print it as a bare ").
    assert "href" not in plain.html and not re.search(r"<[^>]*onclick", plain.html)


def test_run_failure_links_only_https_and_escapes_the_error(env: jinja2.Environment) -> None:
    config = settings("fr")
    linked = plan_run_failure(
        config, "weekly-summary", "boom <b>", "https://prefect.example.org/r/1", AS_OF
    )
    unlinked = plan_run_failure(config, "weekly-summary", "boom", "javascript:alert(1)", AS_OF)

    linked_email = render_email(linked, env)
    assert '<a href="https://prefect.example.org/r/1"' in linked_email.html
    assert "boom &lt;b&gt;" in linked_email.html
    assert (
        linked_email.subject
        == "[suivi] Échec du traitement «\u00a0weekly-summary\u00a0» (7 déc. 2026)"
    )
    assert "href" not in render_email(unlinked, env).html


FAILED_RUN: dict[str, Any] = {
    "projects": ["TPM"],
    "failed_projects": {"INSER": "SourceError: spreadsheet not found: check the key/URL in config"},
    "emails_planned": 9,
    "emails_sent": 7,
    "emails_already_sent": 1,
    "emails_failed": [],
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["INSER", "Le tableau de suivi n'a pas pu être lu.", "Suivis normalement", "TPM",
                "7 e-mails ont été envoyés.", "1 était déjà parti.", "1 e-mail attend"]),
        ("ar", ["INSER", "تعذرت قراءة جدول التتبع.", "أرسلت 7 رسائل.", "رسالة واحدة في الانتظار"]),
        ("en", ["INSER", "The spreadsheet could not be read.", "Followed as usual",
                "7 e-mails were sent.", "1 had already gone out.", "1 e-mail waits"]),
    ],
)  # fmt: skip
def test_failure_alert_says_which_projects_failed_what_was_sent_and_what_waits(
    env: jinja2.Environment, language: str, expected: list[str]
) -> None:
    message = plan_run_failure(
        settings(language),
        "weekly-summary",
        "ProjectsFailed: 1 project(s)",
        None,
        AS_OF,
        FAILED_RUN,
    )
    email = render_email(message, env)

    for text in (email.text, email.html.replace("&nbsp;", "\u00a0").replace("&#39;", "'")):
        flat = text.replace("\u00a0", " ").replace("\u2066", "").replace("\u2069", "")
        for part in expected:
            assert part in flat, (language, part)
        assert "spreadsheet not found" in flat  # the technical detail, kept
        assert "encountered an exception" not in flat and "ProjectsFailed" not in flat
        assert "peut-être" not in flat and "may not have" not in flat


def test_failure_alert_without_a_report_never_claims_nothing_was_sent(
    env: jinja2.Environment,
) -> None:
    message = plan_run_failure(
        settings("fr"), "daily-watch", "StoreError: the history store cannot be opened", None, AS_OF
    )
    text = render_email(message, env).text.replace("\u00a0", " ")

    assert "L'historique n'a pas pu être utilisé." in text
    assert "aucun ne partira deux fois" in text and "peut-être" not in text
    assert "the history store cannot be opened" in text


# ---------------------------------------------------------------- chart and attachments


def test_weekly_chart_is_inline_with_alt_text_and_a_data_table(env: jinja2.Environment) -> None:
    email = render_email(one(settings("fr"), MessageKind.WEEKLY_SUMMARY), env)

    assert len(email.images) == 1
    cid, png = email.images[0]
    assert cid == "chart-TPM-2026-W50@suivi"
    assert png_size(png)[0] <= 600
    image = re.search(r"<img [^>]*>", email.html)
    assert image is not None
    assert f'src="cid:{cid}"' in image.group(0)
    assert 'alt="Graphique en barres' in image.group(0)
    caption = email.html.index("Données du graphique")
    table = email.html[caption : email.html.index("</table>", caption)]
    assert "IO1" in table and "40" in table and "60" in table and "En retard" in table


def test_weekly_without_indicators_has_no_chart(env: jinja2.Environment) -> None:
    config = settings("fr")
    view = project_view(config, sample_rows())
    bare = ProjectView(
        project=view.project,
        tables=view.tables,
        tracking=view.tracking,
        indicators=pd.DataFrame(),
        changes=view.changes,
    )
    message = plan_weekly([bare], config, AS_OF, calendar_for(False))[0]

    email = render_email(message, env)

    assert email.images == () and "<img" not in email.html


def test_page_embeds_the_chart(env: jinja2.Environment) -> None:
    page = render_page(one(settings("fr"), MessageKind.WEEKLY_SUMMARY), env)

    assert 'src="data:image/png;base64,' in page and "cid:" not in page


def test_committee_reminder_leaves_its_pack_to_the_committee_job(env: jinja2.Environment) -> None:
    email = render_email(one(settings("fr"), MessageKind.COMMITTEE_REMINDER), env)

    # The pack is rendered once, by suivi.jobs.committee (tests/test_reports.py), as PDF or Word.
    assert email.attachments == ()
    assert "lundi 14 décembre 2026" in email.html


def test_arabic_committee_keeps_latin_lines_in_order(env: jinja2.Environment) -> None:
    email = render_email(one(settings("ar"), MessageKind.COMMITTEE_REMINDER), env)

    assert "<bdi>1. Bilan</bdi><br><bdi>2. Plan d'action</bdi>" in email.html
    assert "<bdi>COPIL</bdi>" in email.html


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_chart_png_is_at_most_600_pixels_wide(language: str) -> None:
    indicators = pd.DataFrame(
        {
            "code": [f"IO{number}" for number in range(30)],
            "achievement": [number / 20 - 0.2 for number in range(30)],
            "expected": [0.5] * 30,
            "status": ["behind", "on_track", "achieved", "no_data", None] * 6,
        }
    )

    png = achievement_chart(indicators, language)

    width, height = png_size(png)
    assert width <= 600 and height > 100
    assert len(png) < 50_000


def test_chart_of_nothing_is_still_an_image() -> None:
    width, _ = png_size(achievement_chart(pd.DataFrame(), "fr"))

    assert width <= 600


def test_every_fixed_string_exists_in_three_languages_with_the_same_blanks() -> None:
    for key, texts in STRINGS.items():
        blanks = {language: set(re.findall(r"{(\w+)}", text)) for language, text in texts.items()}
        assert all(text.strip() for text in texts.values()), key
        assert blanks["fr"] == blanks["ar"] == blanks["en"], key


# ---------------------------------------------------------------- the template folder


def test_environment_escapes_html_and_refuses_undefined(tmp_path: Path) -> None:
    (tmp_path / "x.html").write_text("<p>{{ value }}</p>", encoding="utf-8")
    (tmp_path / "x.txt").write_text("{{ value }}", encoding="utf-8")
    (tmp_path / "y.html").write_text("{{ missing }}", encoding="utf-8")
    env = template_environment(tmp_path)

    assert env.get_template("x.html").render(value="<b>") == "<p>&lt;b&gt;</p>"
    assert env.get_template("x.txt").render(value="<b>") == "<b>"
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("y.html").render()


def test_loader_cannot_leave_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    secret = tmp_path / "secret.html"
    secret.write_text("secret", encoding="utf-8")
    (folder / "link.html").symlink_to(secret)
    env = template_environment(folder)

    for name in ("../secret.html", "/secret.html", "..\\secret.html", "link.html"):
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template(name)


def test_the_chart_survives_an_achievement_in_the_wrong_unit() -> None:
    from suivi.notify.charts import achievement_chart

    indicators = pd.DataFrame(
        {"code": ["I1", "I2"], "achievement": [7e5, -3e4], "expected": [0.4, 9e3], "status": ["achieved", "behind"]}
    )
    assert achievement_chart(indicators, "fr").startswith(b"\x89PNG")


# ---------------------------------------------------------------- what a phone shows first


def week_lines_of(html: str) -> list[str]:
    """The paragraphs of the weekly summary's "This week" box."""
    box = re.search(r'<div class="week"[^>]*>(.*?)</div>', html, re.DOTALL)
    assert box is not None
    return re.findall(r"<p[^>]*>(.*?)</p>", box.group(1), re.DOTALL)


def test_weekly_opens_with_the_week_in_five_lines_or_fewer(env: jinja2.Environment) -> None:
    page = render_page(one(settings("fr"), MessageKind.WEEKLY_SUMMARY), env)
    lines = week_lines_of(page)

    assert 1 <= len(lines) <= 5
    assert page.index("Cette semaine") < page.index("Ce qui a changé")
    meetings, deliverables, late, decisions, counts = lines
    assert "COPIL" in meetings and "lundi 14 décembre 2026" in meetings  # the meeting ahead
    assert "Rapport intermédiaire" in deliverables and "14 déc. 2026" in deliverables
    assert "A1" in late  # what became late since the last run
    assert "A2" in decisions  # at risk: a decision to take
    # Activities and deliverables counted apart.
    plain = counts.replace("&nbsp;", " ").replace("\u00a0", " ")
    assert "2 activités, 1 en retard" in plain and "1 livrable non soumis, 0 en retard" in plain


def test_weekly_text_part_opens_with_the_week_too(env: jinja2.Environment) -> None:
    email = render_email(one(settings("en"), MessageKind.WEEKLY_SUMMARY), env)
    opening = email.text.split("This week", 1)[1].split("What changed", 1)[0]

    lines = [line for line in opening.splitlines() if line.strip() and set(line) != {"="}]
    assert len(lines) <= 5
    assert lines[0].startswith("Meetings: COPIL on Monday, 14 December 2026")
    assert lines[-1] == "Counts: 2 activities, 1 late · 1 deliverable not submitted, 0 late."


def test_a_deliverable_shows_its_name_once(env: jinja2.Environment) -> None:
    email = render_email(one(settings("fr"), MessageKind.DELIVERABLE_REMINDER), env)

    assert email.html.count("Rapport intermédiaire") == 2  # the sentence and its block
    assert "Rapport intermédiaire — Rapport intermédiaire" not in email.html
    assert email.text.count("Rapport intermédiaire") == 2


def test_an_item_block_says_state_due_date_what_to_do_and_where(env: jinja2.Environment) -> None:
    email = render_email(one(settings("fr"), MessageKind.LATE_ALERT), env)
    block = re.search(
        r'<div class="item[^"]*"[^>]*>.*?</div>',
        render_page(one(settings("fr"), MessageKind.LATE_ALERT), env),
        re.DOTALL,
    )

    assert block is not None
    shown = block.group(0).replace("&nbsp;", "\u00a0")
    for part in ("A1 — Atelier de concertation", "En retard", "Échéance\u00a0:", "12 jours de retard",
                 "À faire\u00a0: Mettez à jour l'avancement", "Onglet «\u00a0Activités\u00a0», ligne 2"):  # fmt: skip
        assert part in shown, part
    assert "<table" not in email.html.split("</h1>", 1)[1].replace('role="presentation"', "")


def test_arabic_keeps_brackets_and_quoted_french_whole(env: jinja2.Environment) -> None:
    config = settings("ar", name="Territorialisation (TPM) des politiques")
    email = render_email(one(config, MessageKind.OWNER_DIGEST), env)
    summary = render_email(one(config, MessageKind.WEEKLY_SUMMARY), env)
    reminder = render_email(one(config, MessageKind.DELIVERABLE_REMINDER), env)

    # Sheet text with brackets sits in an isolate (<bdi>): its brackets keep their order.
    assert "<bdi>Territorialisation (TPM) des politiques (TPM)</bdi>" in email.html
    # French words quoted inside an Arabic sentence are isolated in the HTML and the text.
    assert "«\u2068Soumis\u2069»" in reminder.html and "«\u2068Soumis\u2069»" in reminder.text
    assert "«\u2068Date de soumission\u2069»" in reminder.html
    assert "\u2068Territorialisation (TPM) des politiques (TPM)\u2069" in email.text
    # The subject starts right-to-left: "[TPM]" is isolated, not the first strong letter.
    assert summary.subject.startswith("[\u2068TPM\u2069] ")
    failure = render_email(
        plan_run_failure(config, "daily-watch", "ValueError: x", None, AS_OF), env
    )
    assert failure.subject.startswith("[\u2068suivi\u2069] ")


@pytest.mark.parametrize("kind", [str(kind) for kind in MessageKind])
def test_every_kind_is_built_from_the_shared_blocks_without_wide_tables(kind: str) -> None:
    """A new kind follows the same blocks, so it reads on a phone too (tests/test_screenshots.py)."""
    html = (TEMPLATES / f"{kind}.html").read_text(encoding="utf-8")
    text = (TEMPLATES / f"{kind}.txt").read_text(encoding="utf-8")

    assert '{% extends "base.html" %}' in html and '"_blocks.html" as b' in html
    assert "<table" not in html  # layout tables live in base.html only
    assert '"_macros.txt" as m' in text
    assert not re.search(r"(?<![\w.])t\(", html + text)  # words through gettext, not old keys
