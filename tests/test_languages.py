"""Problems and the written-back tabs speak the project's language (fr, ar, en)."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from suivi.adapters.mail import message_of
from suivi.adapters.store import open_store
from suivi.model import Problem
from suivi.sheet.clean import clean_project
from suivi.sheet.writeback import checks_rows, tracking_rows

AS_OF = dt.date(2026, 12, 7)  # the README's demo day: a Monday
ACTIVITIES = [
    ["ID", "Activité", "Responsable", "Début prévu", "Fin prévue", "Avancement (%)", "Statut"],
    ["A1", "Atelier", "Salma", "01/01/2026", "31/03/2026", "45 jours", "En cours"],
]


def test_a_bad_cell_names_its_column_as_written_and_its_row_id() -> None:
    [problem] = [p for p in clean_project("P", {"Activités": ACTIVITIES}).problems if p.cell]

    assert (problem.cell, problem.column, problem.row_id) == ("F2", "Avancement (%)", "A1")
    assert problem.message.startswith("unreadable progress")  # the English msgid, kept as such
    assert problem.text("fr").startswith("avancement illisible ou hors de 0–100 %")
    assert problem.text("ar").startswith("نسبة تقدم غير مقروءة")
    assert problem.text("en").startswith("unreadable progress or outside 0–100 %")


def test_a_missing_tab_is_said_with_its_names_in_each_language() -> None:
    problems = clean_project("P", {"Activités": ACTIVITIES}).problems
    [missing] = [p for p in problems if p.tab == "Indicateurs"]

    assert missing.params == {"tab": "Indicateurs", "english": "Indicators"}
    assert missing.text("fr") == "onglet «\u00a0Indicateurs\u00a0» [Indicators] introuvable"
    assert missing.text("ar") == "الورقة «Indicateurs» [Indicators] غير موجودة"
    assert missing.text("en") == "tab “Indicateurs” [Indicators] not found"


TRACKING = pd.DataFrame(
    {
        "id": ["A1", "L1"],
        "state": ["en_retard", "in_progress"],
        "days_late": [12.0, None],
        "projected_finish": pd.to_datetime(["2027-01-12", None]),
        "kind": ["activity", "deliverable"],
        "name": ["Atelier", "Rapport"],
        "owner": ["Salma", "Karim"],
        "en_retard": [True, False],
    }
)
PROBLEMS = [
    Problem(
        "P",
        "Activités",
        "F2",
        "45 jours",
        "required value missing",
        blocking=True,
        column="Avancement (%)",
        row_id="A1",
    )
]


@pytest.mark.parametrize(
    ("language", "header", "states", "checks", "problem", "blocking"),
    [
        (
            "fr",
            ["ID", "Statut calculé", "Retard (jours)", "Fin projetée", "Alertes"],
            ["En retard", "En cours"],
            ["Onglet", "Cellule", "Valeur trouvée", "Problème", "Bloquant"],
            "valeur obligatoire manquante",
            "oui",
        ),
        (
            "ar",
            ["الرمز", "الحالة المحتسبة", "التأخير (أيام)", "الانتهاء المتوقع", "التنبيهات"],
            ["متأخر", "قيد الإنجاز"],
            ["الورقة", "الخلية", "القيمة الموجودة", "المشكلة", "يمنع المعالجة"],
            "قيمة إلزامية ناقصة",
            "نعم",
        ),
        (
            "en",
            ["ID", "Computed state", "Days late", "Projected finish", "Alerts"],
            ["Late", "In progress"],
            ["Tab", "Cell", "Value found", "Problem", "Blocking"],
            "required value missing",
            "yes",
        ),
    ],
)
def test_the_written_back_tabs_follow_the_projects_language(
    language: str,
    header: list[str],
    states: list[str],
    checks: list[str],
    problem: str,
    blocking: str,
) -> None:
    tracking = tracking_rows(TRACKING, AS_OF, language)
    rows = checks_rows(PROBLEMS, AS_OF, lambda tab, cell: None, language)

    assert tracking[0][:5] == header
    assert [row[1] for row in tracking[1:]] == states
    assert rows[0][:5] == checks
    assert rows[1][:5] == ["Activités", "F2", "45 jours", problem, blocking]
    assert rows[1][-2:] == ["Avancement (%)", "A1"]  # the column as written and the row's ID


def test_the_store_keeps_a_problems_parameters_column_and_row_id(tmp_path: Path) -> None:
    problem = Problem(
        "P",
        "Indicateurs",
        "",
        "",
        "tab “{tab}” [{english}] not found",
        params={"tab": "Indicateurs", "english": "Indicators"},
        column="Code",
        row_id="IO1",
    )
    with open_store(f"sqlite:///{tmp_path / 'suivi.db'}") as store:
        run_id = store.begin_run("weekly-summary", AS_OF)
        store.save_snapshot(run_id, "P", AS_OF, TRACKING.iloc[0:0], pd.DataFrame(), [problem])
        snapshot = store.last_snapshot("P")

    assert snapshot is not None and snapshot.problems == [problem]
    assert snapshot.problems[0].text("ar") == "الورقة «Indicateurs» [Indicators] غير موجودة"


@pytest.mark.usefixtures("prefect_harness")
def test_an_arabic_run_reports_its_problems_in_arabic_in_the_mail_and_the_sheet(
    suivi_env: Path, demo_config: Path
) -> None:
    from flows.daily import daily_watch

    demo_config.write_text(
        demo_config.read_text(encoding="utf-8").replace("language: fr", "language: ar"),
        encoding="utf-8",
    )

    daily_watch(config_path=str(demo_config), as_of=AS_OF)

    messages = [
        message
        for message in (
            message_of(path.read_text(encoding="utf-8"))
            for path in sorted((suivi_env / "outbox").glob("*.eml"))
        )
        # An Arabic subject isolates the project code: "[\u2068TPM\u2069]" (test_render.py).
        if "معطيات يجب تصحيحها" in str(message["Subject"])
        and "[TPM]" in str(message["Subject"]).replace("\u2068", "").replace("\u2069", "")
    ]
    assert messages, "no problem report for TPM"
    report = messages[0]
    assert isinstance(report, EmailMessage)
    body = report.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "h.idrissi@" in text and "عنوان بريد إلكتروني غير صالح" in text
    assert "Email responsable" in text and "A5.7" in text  # the column as written, the row ID
    assert "adresse e-mail invalide" not in text and "invalid e-mail" not in text
    written = openpyxl.load_workbook(demo_config.parent / "written" / "tpm-suivi.xlsx")
    checks = [row for row in written["Contrôles"].iter_rows(values_only=True)]
    assert checks[0][:4] == ("الورقة", "الخلية", "القيمة الموجودة", "المشكلة")
    bad_email = next(row for row in checks if row[1] == "E36")
    assert bad_email[3] == "عنوان بريد إلكتروني غير صالح"
    assert bad_email[-2:] == ("Email responsable", "A5.7")
