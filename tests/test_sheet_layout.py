"""`suivi init`, `suivi sheet create` (Google and .xlsx) and `suivi sheet prepare`."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import openpyxl
import pytest
from fakes.sheets_api import FakeSheetsApi

from suivi.cli import main
from suivi.jobs.pipeline import read_project
from suivi.settings import Env, load_config
from suivi.sheet.clean import clean_project

OFFICER = "salma@association.ma"
TEAM = ["equipe@association.ma", "youssef@association.ma"]


@pytest.fixture
def settings(tmp_path: Path, suivi_env: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A settings file made by `suivi init`, with the officer's and the team's addresses."""
    assert main(["init", str(tmp_path / "projet")]) == 0
    capsys.readouterr()
    path = tmp_path / "projet" / "suivi.yaml"
    text = path.read_text(encoding="utf-8").replace("officer@example.org", OFFICER)
    path.write_text(text.replace("[equipe@example.org]", f"[{', '.join(TEAM)}]"), encoding="utf-8")
    return path


# -- suivi init --------------------------------------------------------------------------


def test_init_writes_a_settings_file_that_loads_and_a_private_env_file(
    tmp_path: Path, suivi_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "nouveau"

    assert main(["init", str(folder)]) == 0

    config = load_config(folder / "suivi.yaml")
    assert [project.code for project in config.projects] == ["PROJET"]
    assert config.language == "fr"
    env_file = folder / "suivi.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert f"SUIVI_CONFIG={folder.resolve() / 'suivi.yaml'}" in env_file.read_text(encoding="utf-8")
    out = capsys.readouterr().out
    assert "Prochaines étapes" in out
    assert "suivi check --mail" in out
    assert "# Paramètres de suivi" in (folder / "suivi.yaml").read_text(encoding="utf-8")


def test_init_refuses_to_overwrite(
    tmp_path: Path, suivi_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "projet"
    folder.mkdir()
    (folder / "suivi.yaml").write_text("# mes réglages\n", encoding="utf-8")

    assert main(["init", str(folder)]) == 2

    assert (folder / "suivi.yaml").read_text(encoding="utf-8") == "# mes réglages\n"
    assert not (folder / "suivi.env").exists()
    assert "existe déjà" in capsys.readouterr().err


@pytest.mark.parametrize(("language", "word"), [("ar", "الخطوات"), ("en", "Next steps")])
def test_init_speaks_the_officers_language(
    tmp_path: Path, suivi_env: Path, capsys: pytest.CaptureFixture[str], language: str, word: str
) -> None:
    assert main(["init", str(tmp_path / language), "--language", language]) == 0

    assert word in capsys.readouterr().out
    assert load_config(tmp_path / language / "suivi.yaml").language == language


# -- suivi sheet create: Google ---------------------------------------------------------


@pytest.fixture
def google_env(
    sheets_api: FakeSheetsApi, service_account_file: Path, monkeypatch: pytest.MonkeyPatch
) -> FakeSheetsApi:
    monkeypatch.setenv("SUIVI_GOOGLE_CREDENTIALS", str(service_account_file))
    monkeypatch.setenv("SUIVI_SHEETS_ENDPOINT", sheets_api.url)
    return sheets_api


def created_key(out: str) -> str:
    match = re.search(r"source: https://docs.google.com/spreadsheets/d/([\w-]+)/edit", out)
    assert match, out
    return match[1]


def test_sheet_create_makes_the_layout_in_one_batch_update_and_shares_it(
    settings: Path, google_env: FakeSheetsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sheet", "create", "PROJET", "--config", str(settings)]) == 0

    key = created_key(capsys.readouterr().out)
    kinds = [call.kind for call in google_env.log if call.kind != "token"]
    assert kinds == ["create", "batchUpdate", "drive.share", "drive.share", "drive.share"]
    spreadsheet = google_env.spreadsheet(key)
    assert [tab.title for tab in spreadsheet.tabs] == [
        "Activités", "Indicateurs", "Mesures", "Comités", "Échéances", "Cibles", "Engagements",
        "Suivi automatique", "Contrôles",
    ]  # fmt: skip
    assert spreadsheet.shared_with == {address: "writer" for address in [OFFICER, *TEAM]}
    activities = spreadsheet.tab("Activités")
    assert activities is not None and activities.frozen_rows == 1
    assert google_env.values(key, "Activités")[0][:4] == [
        "ID",
        "Résultat",
        "Activité",
        "Responsable",
    ]
    rules = {
        (r0, c0): rule["condition"]
        for (r0, c0, _, _), rule in activities.layout.validations.items()
    }
    status = rules[(1, 10)]  # Statut, from row 2
    assert status == {
        "type": "ONE_OF_LIST",
        "values": [
            {"userEnteredValue": value}
            for value in ["Non démarrée", "En cours", "Terminée", "Suspendue", "Annulée"]
        ],
    }
    assert rules[(1, 6)]["type"] == "DATE_IS_VALID"  # Début prévu
    assert rules[(1, 9)] == {  # Avancement: 0 to 100 %
        "type": "NUMBER_BETWEEN",
        "values": [{"userEnteredValue": "0"}, {"userEnteredValue": "1"}],
    }
    formats = {c0: fmt["type"] for (_, c0, _, _), fmt in activities.layout.number_formats.items()}
    assert formats[6] == "DATE" and formats[9] == "PERCENT" and formats[14] == "NUMBER"
    indicators = spreadsheet.tab("Indicateurs")
    assert indicators is not None
    lists = [rule["condition"].get("values") for rule in indicators.layout.validations.values()]
    assert [{"userEnteredValue": "hausse"}, {"userEnteredValue": "baisse"}] in lists  # Sens
    for owned in ("Suivi automatique", "Contrôles"):
        tab = spreadsheet.tab(owned)
        assert tab is not None
        assert [p["warningOnly"] for p in tab.layout.protected] == [True]


def test_a_created_sheet_is_read_by_the_run_without_problems(
    settings: Path, google_env: FakeSheetsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["sheet", "create", "PROJET", "--config", str(settings)])
    key = created_key(capsys.readouterr().out)
    text = settings.read_text(encoding="utf-8").replace(
        "source: projet.xlsx", f"source: https://docs.google.com/spreadsheets/d/{key}/edit"
    )
    settings.write_text(text, encoding="utf-8")
    config = load_config(settings)

    tabs = read_project(config.projects[0], config, Env())

    assert clean_project("PROJET", tabs).problems == []


# -- suivi sheet create --xlsx -----------------------------------------------------------


def test_sheet_create_xlsx_lays_out_the_workbook(
    settings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings.parent / "projet.xlsx"

    assert main(["sheet", "create", "PROJET", "--xlsx", str(path), "--config", str(settings)]) == 0

    assert "source: projet.xlsx" in capsys.readouterr().out
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:5] == ["Activités", "Indicateurs", "Mesures", "Comités", "Échéances"]
    activities = book["Activités"]
    assert activities.freeze_panes == "A2"
    assert activities["K1"].value == "Statut"
    lists = {
        str(validation.sqref): validation.formula1
        for validation in activities.data_validations.dataValidation
    }
    assert lists["K2:K1000"] == '"Non démarrée,En cours,Terminée,Suspendue,Annulée"'
    assert activities.column_dimensions["G"].number_format == "DD/MM/YYYY"
    assert book["Suivi automatique"].protection.sheet is True
    config = load_config(settings)
    tabs = read_project(config.projects[0], config, Env())
    assert clean_project("PROJET", tabs).problems == []


def test_sheet_create_xlsx_never_overwrites(
    settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings.parent / "projet.xlsx"
    path.write_bytes(b"the team's own file")

    assert main(["sheet", "create", "PROJET", "--xlsx", str(path), "--config", str(settings)]) == 2

    assert path.read_bytes() == b"the team's own file"


# -- suivi sheet prepare ----------------------------------------------------------------

EXISTING = {
    "ACTIVITES ": [
        ["Plan d'action du projet"],
        [],
        ["ID", "Activité", "Responsable", "Début prévu", "Fin prévue", "Avancement", "Statut"],
        ["A1", "Atelier", "Salma", "01/02/2026", "31/03/2026", 45, "En cours"],
    ],
    "Notes": [["libre"]],
}


def test_sheet_prepare_adds_validation_and_changes_no_value(
    settings: Path, google_env: FakeSheetsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "1existingTeamSheet0123456789abcdefABCDEFGH"
    google_env.add_spreadsheet(key, "Plan", EXISTING)
    text = settings.read_text(encoding="utf-8").replace("source: projet.xlsx", f"source: {key}")
    settings.write_text(text, encoding="utf-8")
    before = {title: google_env.values(key, title, "FORMULA") for title in EXISTING}
    google_env.reset_log()

    assert main(["sheet", "prepare", "PROJET", "--config", str(settings)]) == 0

    assert {title: google_env.values(key, title, "FORMULA") for title in EXISTING} == before
    assert google_env.writes == 1 and google_env.count("batchUpdate") == 1
    tab = google_env.spreadsheet(key).tab("ACTIVITES ")
    assert tab is not None and tab.frozen_rows == 3  # under the header row, wherever it is
    conditions = {c0: rule for (r0, c0, _, _), rule in tab.layout.validations.items() if r0 == 3}
    assert conditions[6]["condition"]["type"] == "ONE_OF_LIST"
    assert conditions[5]["strict"] is False  # 45 and 0.45 both stay acceptable
    assert "ACTIVITES " in capsys.readouterr().out


def test_a_refused_create_says_how_to_go_round_it(
    settings: Path, google_env: FakeSheetsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    from fakes.sheets_api import google_error

    google_env.fail_next(
        403,
        match="create",
        body=google_error(
            403, "The user's Drive storage quota has been exceeded.", "PERMISSION_DENIED"
        ),
    )

    assert main(["sheet", "create", "PROJET", "--config", str(settings)]) == 2

    err = capsys.readouterr().err
    assert "service account suivi-bot@" in err and "suivi sheet prepare" in err
    assert google_env.count("batchUpdate", "drive.share") == 0
