"""The committee pack of a known project: each section, the charts, the store's history, the CLI."""

from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime as dt
import html
import io
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from suivi.adapters.store import Store
from suivi.cli.reports import (
    add_import_commands,
    add_report_commands,
    command_import,
    command_report,
)
from suivi.jobs.committee import (
    build_committee_pack,
    prepare_committee_pack,
    snapshot_on_or_before,
    with_committee_packs,
)
from suivi.jobs.pipeline import assess_project, calendar_of, project_view
from suivi.notify.messages import MessageKind, ProjectView, plan_daily
from suivi.notify.render import render_email, template_environment
from suivi.report.committee import (
    CommitteePack,
    NoMeetingError,
    indicator_chart,
    meeting_dates,
    pack_file_name,
    plan_committee_pack,
    render_committee_pack,
    timeline_chart,
)
from suivi.settings import Config, IndicatorRule, Person, Project

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "suivi" / "notify" / "templates"
AS_OF = dt.date(2026, 12, 7)  # a week before the COPIL of 14 December
LAST_COMMITTEE = dt.date(2026, 6, 16)
RULES = {"activites_terminees": IndicatorRule(kind="count", where={"status": "done"})}

# fmt: off
ACTIVITIES = [
    ["ID", "Activité", "Responsable", "Email responsable", "Début prévu", "Fin prévue",
     "Avancement", "Statut", "Date de réalisation", "Dernière mise à jour"],
    ["A1", "Diagnostic territorial", "Amina", "amina@example.org", "01/02/2026", "30/09/2026", "100 %", "Terminée", "01/09/2026", "01/09/2026"],
    ["A2", "Atelier de lancement", "Karim", "karim@example.org", "01/01/2026", "31/03/2026", "100 %", "Terminée", "01/03/2026", "01/03/2026"],
    ["A3", "Formation des élus", "Karim", "karim@example.org", "01/03/2026", "31/10/2026", "60 %", "En cours", "", "01/12/2026"],
    ["A4", "Guide méthodologique", "Amina", "amina@example.org", "01/01/2026", "31/05/2026", "80 %", "En cours", "", "01/12/2026"],
    ["A5", "Campagne d'information", "Salma", "salma@example.org", "01/10/2026", "31/12/2026", "10 %", "En cours", "", "01/12/2026"],
    ["A6", "Forum régional", "Salma", "salma@example.org", "15/01/2027", "30/06/2027", "0 %", "Non démarrée", "", "01/12/2026"],
    ["A7", "Voyage d'étude", "Karim", "karim@example.org", "01/04/2026", "30/06/2026", "0 %", "Annulée", "", "01/12/2026"],
]
SHEET: dict[str, list[list[Any]]] = {
    "Activités": ACTIVITIES,
    "Indicateurs": [
        ["Code", "Niveau", "Libellé", "Unité", "Valeur de référence", "Cible", "Échéance cible",
         "Calcul", "Agrégation", "Fréquence", "Responsable"],
        ["P1", "Produit", "Personnes formées", "nombre", 0, 200, "31/12/2027", "saisie", "somme", "trimestrielle", "Karim"],
        ["E1", "Effet", "Satisfaction des usagers", "%", 40, 80, "31/12/2027", "saisie", "dernière", "trimestrielle", "Amina"],
        ["P2", "Produit", "Activités terminées", "nombre", 0, 6, "30/06/2027", "activites_terminees", "dernière", "", "Amina"],
    ],
    "Mesures": [
        ["Code indicateur", "Date", "Valeur"],
        ["P1", "31/03/2026", 10],
        ["P1", "30/09/2026", 15],
        ["E1", "31/03/2026", 40],
    ],
    "Comités": [
        ["Date", "Heure", "Instance", "Lieu", "Participants", "Ordre du jour"],
        ["16/06/2026", "10:00", "COPIL", "Agadir", "copil@example.org", "Bilan semestriel"],
        ["14/12/2026", "10:00", "COPIL", "Wilaya, Agadir", "copil@example.org; bailleur@example.org", "Bilan annuel"],
        ["10/03/2027", "09:30", "Comité technique", "Tiznit", "ct@example.org", "Suivi"],
    ],
    "Échéances": [
        ["Bailleur", "Livrable", "Date limite", "Statut", "Responsable", "Email responsable"],
        ["AFD", "Rapport narratif", "15/01/2027", "À faire", "Amina", "amina@example.org"],
        ["AFD", "Rapport final", "30/06/2027", "À faire", "Amina", "amina@example.org"],
        ["UE", "Rapport financier", "30/11/2026", "À faire", "Karim", "karim@example.org"],
    ],
}
# fmt: on


def config_of(language: str = "fr") -> Config:
    """Settings for the one known project, in a language."""
    return Config(
        language=language,  # type: ignore[arg-type]
        officer=Person(name="Chargée de suivi", email="officer@example.org"),
        indicators=RULES,
        templates=str(TEMPLATES),
        projects=[
            Project(
                code="TPM",
                name="Territorialisation",
                source="tpm.xlsx",
                start=dt.date(2026, 1, 1),
            )
        ],
    )


def view_of(
    config: Config, sheet: dict[str, list[list[Any]]] = SHEET, as_of: dt.date = AS_OF
) -> ProjectView:
    """The project's view at as_of, through the real cleaning, flags and indicators."""
    assessment = assess_project(config.projects[0], config, sheet, as_of)
    return project_view(assessment, None, config)


def sections(page: str) -> dict[str, str]:
    """Each <section id=…> of the pack, its text with the tags removed."""
    found = re.findall(r'<section id="([^"]+)"[^>]*>(.*?)</section>', page, flags=re.DOTALL)
    return {
        name: html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", body)))
        for name, body in found
    }


def without_charts(pack: CommitteePack) -> CommitteePack:
    """The pack without its indicators, so that rendering draws only the timeline (faster)."""
    return dataclasses.replace(pack, indicators=pack.indicators.iloc[0:0])


@pytest.fixture(scope="module")
def french_pack() -> str:
    """The pack of the known project, without a store, rendered once."""
    config = config_of()
    return build_committee_pack(view_of(config), config, AS_OF)


# --- what the pack holds ---------------------------------------------------------------


def test_pack_content_since_the_last_committee() -> None:
    config = config_of()
    pack = plan_committee_pack(view_of(config), config, AS_OF)
    assert pack.meeting["date"] == dt.date(2026, 12, 14) and pack.meeting["body"] == "COPIL"
    assert pack.last_meeting == LAST_COMMITTEE
    assert pack.horizon == dt.date(2027, 3, 10)  # the meeting after this one
    assert pack.compared_on is None
    assert list(pack.done_since["id"]) == ["A1"]  # A2 was done before the last committee
    assert list(pack.newly_late["id"]) == ["A3", "Rapport financier"]  # A4 was late already
    assert set(pack.late["id"]) == {"A3", "A4", "Rapport financier"}
    assert list(pack.at_risk["id"]) == ["A5"]
    assert pack.at_risk.iloc[0]["points_per_week_needed"] == pytest.approx(90 / (24 / 7))
    assert list(pack.deliverables["id"]) == ["Rapport financier", "Rapport narratif"]
    # P1 moved from 10 to 25; E1 did not; P2 is computed: no history to compare it with.
    moved = pack.moved.set_index("code")
    assert list(moved.index) == ["P1"]
    assert (moved.loc["P1", "previous"], moved.loc["P1", "current"]) == (10, 25)
    assert set(pack.indicators.columns) >= {"projected", "monthly_rate_needed", "forecast_status"}


def test_each_section_is_rendered(french_pack: str) -> None:
    parts = sections(french_pack)
    assert list(parts) == [
        "meeting",
        "since",
        "timeline",
        "decisions",
        "deliverables",
        "indicators",
    ]
    assert "Wilaya, Agadir" in parts["meeting"] and "bailleur@example.org" in parts["meeting"]
    since = parts["since"]
    assert "Depuis le dernier comité (mardi 16 juin 2026)" in since
    assert (
        "Terminés\u00a0: 1 · nouveaux retards\u00a0: 2 · indicateurs qui ont bougé\u00a0: 1"
        in since
    )
    assert "Diagnostic territorial" in since and "Atelier de lancement" not in since
    assert "Formation des élus" in since and "Guide méthodologique" not in since
    assert "Personnes formées" in since and "+15" in since
    decisions = parts["decisions"]
    for owner_and_item in (
        "Guide méthodologique Amina",
        "Formation des élus Karim",
        "Rapport financier Karim",
    ):
        assert owner_and_item in decisions
    assert "Campagne d'information Salma" in decisions and "26,25" in decisions
    deliverables = parts["deliverables"]
    assert "Livrables attendus d'ici le 10 mars 2027" in deliverables
    assert "Rapport narratif" in deliverables and "Rapport final" not in deliverables
    indicators = parts["indicators"]
    assert "Projection à l'échéance" in indicators and "Rythme mensuel nécessaire" in indicators
    assert indicators.count("<img") == 0 and "Évolution des indicateurs et cibles" in indicators


def test_pack_is_standalone_printable_and_embeds_its_charts(french_pack: str) -> None:
    assert french_pack.startswith("{#") is False and "<!DOCTYPE html>" in french_pack
    assert "@page { size: A4" in french_pack
    assert "page-break-before: always" in french_pack
    assert 'lang="fr" dir="ltr"' in french_pack
    assert (
        "http"
        not in re.sub(r"https?://[^\s\"]*example\.org", "", french_pack).replace(
            'content="width=device-width', ""
        )
        or 'src="http' not in french_pack
    )  # no remote resource to fetch
    images = re.findall(
        r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', french_pack
    )
    assert len(images) == 1 + 3  # the timeline and one chart per indicator
    with Image.open(__import__("io").BytesIO(base64.b64decode(images[0][0]))) as timeline:
        assert timeline.format == "PNG" and timeline.width == 840  # 7 in × 120 dpi
    assert all(alt.strip() for _, alt in images)
    assert "hachurées en croix" in images[0][1]


@pytest.mark.parametrize(
    ("language", "direction", "title", "decisions"),
    [
        ("ar", "rtl", "ملف الاجتماع", "قرارات يجب اتخاذها"),
        ("en", "ltr", "Meeting pack", "Decisions to take"),
    ],
)
def test_pack_speaks_the_project_language(
    language: str, direction: str, title: str, decisions: str
) -> None:
    config = config_of(language)
    pack = plan_committee_pack(view_of(config), config, AS_OF)
    page = render_committee_pack(without_charts(pack), template_environment(TEMPLATES))
    assert f'lang="{language}" dir="{direction}"' in page
    assert title in page and decisions in page
    assert "Terminés" not in page  # no French left in the pack's own words


def test_a_date_with_no_meeting_lists_the_meetings_instead_of_an_empty_pack() -> None:
    config = config_of()
    view = view_of(config)
    with pytest.raises(NoMeetingError, match="2027-01-20") as raised:
        plan_committee_pack(view, config, AS_OF, meeting_date=dt.date(2027, 1, 20))
    assert raised.value.meetings == meeting_dates(view.tables.committees)
    assert raised.value.meetings == [LAST_COMMITTEE, dt.date(2026, 12, 14), dt.date(2027, 3, 10)]
    pack = plan_committee_pack(view, config, AS_OF, meeting_date=dt.date(2027, 3, 10))
    assert pack.last_meeting == dt.date(2026, 12, 14)
    assert pack_file_name(pack, "pdf") == "dossier-seance-TPM-Comité-technique-2027-03-10.pdf"


def test_no_meeting_ahead_is_said() -> None:
    config = config_of()
    later = dt.date(2027, 4, 1)
    with pytest.raises(NoMeetingError, match="--date"):
        plan_committee_pack(view_of(config, as_of=later), config, later)


# --- the figures -------------------------------------------------------------------------


def test_timeline_marks_late_bars_with_hatching_words_and_today() -> None:
    config = config_of()
    pack = plan_committee_pack(view_of(config), config, AS_OF)
    figure = timeline_chart(pack.tracking, AS_OF, "fr")
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    labels = [tick.get_text() for tick in axes.get_yticklabels()]
    assert labels == ["A2", "A4", "A1", "A3", "A5", "A6"]  # by planned start; A7 cancelled
    hatched = [patch for patch in axes.patches if patch.get_hatch() == "xxx"]
    assert len(hatched) == 2  # A3 and A4, the late ones
    words = [text.get_text() for text in axes.texts]
    assert "▲ En retard +37 j" in words and "▲ En retard +190 j" in words
    assert "△ À risque" in words and words.count("✓") == 2
    today = mdates.date2num(pd.Timestamp(AS_OF))
    assert any(list(line.get_xdata()) == [today, today] for line in axes.lines)


def test_indicator_chart_shows_target_and_projection() -> None:
    config = config_of()
    pack = plan_committee_pack(view_of(config), config, AS_OF)
    row = pack.indicators.set_index("code").loc["P1"].to_dict() | {"code": "P1"}
    figure = indicator_chart(row, pack.history, AS_OF, "fr")
    axes = figure.axes[0]
    by_label = {line.get_label(): line for line in axes.lines}
    assert list(by_label["Cible"].get_ydata()) == [200, 200]
    projection = by_label["Projection"]
    assert projection.get_linestyle() == "--"
    assert list(projection.get_ydata()) == pytest.approx([25, row["projected"]])
    assert list(by_label["Mesures"].get_ydata()) == [10, 25]  # running total of a "somme"


# --- with the history store ----------------------------------------------------------------


def moved_deadline_sheet() -> dict[str, list[list[Any]]]:
    """The sheet as it stood in June: A3 was due 31 May (late then), P2 counted one done."""
    activities = [list(row) for row in ACTIVITIES]
    activities[3][5] = "31/05/2026"
    activities[1][7], activities[1][6], activities[1][8] = "En cours", "50 %", ""
    return {**SHEET, "Activités": activities}


def test_store_snapshot_at_the_last_committee_is_what_the_pack_compares_with(store: Store) -> None:
    config = config_of()
    project = config.projects[0]
    for as_of, sheet in (
        (dt.date(2026, 6, 10), moved_deadline_sheet()),
        (dt.date(2026, 7, 1), SHEET),
    ):
        assessment = assess_project(project, config, sheet, as_of)
        run = store.begin_run("weekly", as_of)
        store.save_snapshot(run, "TPM", as_of, assessment.tracking, assessment.indicators, [])
    chosen = snapshot_on_or_before(store, "TPM", LAST_COMMITTEE)
    assert chosen is not None and chosen.as_of == dt.date(2026, 6, 10)
    assert snapshot_on_or_before(store, "TPM", dt.date(2026, 6, 9)) is None
    assert snapshot_on_or_before(store, "INSER", LAST_COMMITTEE) is None

    pack = prepare_committee_pack(view_of(config), config, AS_OF, store)
    assert pack.compared_on == dt.date(2026, 6, 10)
    # A3 was stored late in June (its deadline moved since): not newly late. A1 was open then.
    assert list(pack.newly_late["id"]) == ["Rapport financier"]
    assert list(pack.done_since["id"]) == ["A1"]
    moved = pack.moved.set_index("code")
    assert moved.loc["P2", "previous"] == 1 and moved.loc["P2", "current"] == 2  # stored value
    page = html.unescape(
        render_committee_pack(without_charts(pack), template_environment(TEMPLATES))
    )
    assert "Comparaison avec l'état enregistré le 10 juin 2026." in page


def docx_text(content: bytes) -> str:
    """The paragraphs and table cells of a Word document, as one text."""
    import docx

    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


def a4_pages(pdf: bytes) -> int:
    """How many pages of the PDF are A4 (595 × 842 points, rounded); fails on another size."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(round(float(w)) == 595 and round(float(h)) in (841, 842) for w, h in boxes)
    return len(boxes)


@pytest.mark.parametrize("file_format", ["docx", "pdf"])
def test_committee_reminder_attaches_the_full_pack(file_format: str) -> None:
    config = config_of()
    view = view_of(config)
    messages = [
        message
        for message in plan_daily([view], config, AS_OF, calendar_of(config))
        if message.kind == MessageKind.COMMITTEE_REMINDER
    ]
    assert messages  # seven days before the COPIL
    templates = template_environment(TEMPLATES)
    emails = [render_email(message, templates) for message in messages]
    packed = with_committee_packs(messages, emails, [view], config, AS_OF, file_format=file_format)
    for before, after in zip(emails, packed, strict=True):
        name, content, mime = after.attachments[0]
        assert name == f"dossier-seance-TPM-COPIL-2026-12-14.{file_format}"
        assert mime != "text/html"  # never a bare .html page in an e-mail
        if file_format == "pdf":
            assert content.startswith(b"%PDF") and a4_pages(content) >= 5  # a section a page
        else:
            assert "Décisions à prendre" in docx_text(content)
        assert after.html == before.html and after.to == before.to
    assert len({after.attachments[0][1] for after in packed}) == 1  # built once, sent to each


# --- the command ---------------------------------------------------------------------------


def run_cli(argv: Sequence[str]) -> int:
    """`suivi …` through suivi.cli.main once it knows the command, else through these handlers."""
    from suivi import cli

    if argv[0] in getattr(cli, "COMMANDS", {}):
        return cli.main(list(argv))
    parser = argparse.ArgumentParser(prog="suivi")
    commands = parser.add_subparsers(dest="command", required=True)
    add_report_commands(commands)
    add_import_commands(commands)
    args = parser.parse_args(list(argv))
    return {"report": command_report, "import": command_import}[args.command](args)


def test_report_committee_on_the_demo(
    demo_config: Path, suivi_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = suivi_env / "packs"
    argv = ["report", "committee", "--config", str(demo_config), "--as-of", "2026-12-07"]
    assert run_cli([*argv, "--out", str(out)]) == 0
    written = sorted(path.name for path in out.iterdir())
    assert written == [
        "dossier-seance-INSER-Comité-de-suivi-UE-2026-12-18.html",
        "dossier-seance-TPM-COPIL-2026-12-14.html",
    ]
    assert str(out) in capsys.readouterr().out
    tpm = (out / written[1]).read_text(encoding="utf-8")
    assert list(sections(tpm)) == [
        "meeting",
        "since",
        "timeline",
        "decisions",
        "deliverables",
        "indicators",
    ]
    later = ["report", "committee", "--config", str(demo_config), "--as-of", "2027-06-01"]
    assert run_cli([*later, "--out", str(out)]) == 1  # no meeting ahead in either project
    assert "--date" in capsys.readouterr().err
    # A day with no meeting: nothing written, exit 2, the meetings listed.
    assert run_cli([*argv, "--out", str(out / "none"), "--date", "2026-12-15"]) == 2
    said = capsys.readouterr().err
    assert "2026-12-15" in said and "2026-12-14" in said and "2026-12-18" in said
    assert not (out / "none").exists()
    # The officer's editable Word file, for one meeting: only the project that holds it.
    word = ["--out", str(out / "word"), "--format", "docx", "--date", "2026-12-14"]
    assert run_cli([*argv, *word]) == 0
    (written_word,) = (out / "word").iterdir()
    assert written_word.name == "dossier-seance-TPM-COPIL-2026-12-14.docx"
    assert "Décisions à prendre" in docx_text(written_word.read_bytes())


CHROMIUM = next(
    (
        shutil.which(name)
        for name in (
            "chromium",
            "chromium-headless-shell",
            "chromium-browser",
            "google-chrome",
            "headless_shell",
        )
        if shutil.which(name)
    ),
    None,
)


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium installed for a screenshot")
def test_pack_screenshot_in_headless_chromium(french_pack: str, tmp_path: Path) -> None:
    page = tmp_path / "pack.html"
    page.write_text(french_pack, encoding="utf-8")
    shot = tmp_path / "pack.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--disable-gpu", "--no-sandbox", f"--screenshot={shot}",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=900,1400", page.as_uri()],
        check=True, timeout=60, capture_output=True,
    )  # fmt: skip
    with Image.open(shot) as image:
        assert image.size == (900, 1400)
        assert len(set(image.convert("L").get_flattened_data())) > 10  # drawn, not a blank page
