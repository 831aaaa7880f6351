"""What Google really sends: recorded Sheets API answers, replayed to the adapter and the fake.

The recordings are burnash/gspread v6.2.1 test cassettes (MIT, (C) 2011-2023 Anton
Burnashev), extracted to the shared data folder (see its README and INDEX.json). Two checks:
1. GoogleSheets parses real answers right (metadata of an fr_FR sheet, serial dates,
   `[]` for an empty row, dropped trailing cells, merged cells, batchGet order, real errors).
2. The fake Sheets API answers the recorded requests exactly as Google did, so the other
   tests, run against the fake, say something about the real service.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
import requests
from fakes.service_account import make_service_account
from fakes.sheets_api import FakeSheetsApi

from suivi.adapters.google_sheets import GoogleSheets
from suivi.adapters.sheets import SourceError

# The recordings are copied into tests/fixtures/real (with their notice), or where this variable says.
RECORDINGS = Path(
    os.environ.get(
        "SUIVI_TEST_SHEETS_RECORDINGS",
        Path(__file__).resolve().parent / "fixtures" / "real" / "sheets-api",
    )
)
pytestmark = pytest.mark.skipif(
    not (RECORDINGS / "INDEX.json").exists(),
    reason=f"recorded Sheets API answers not found in {RECORDINGS} (set SUIVI_TEST_SHEETS_RECORDINGS)",
)

KEY = "1ReplayedSpreadsheetKey0123456789abcdefXYZ"
Answer = tuple[int, Any]
Route = Callable[[dict[str, list[str]], Any], Answer]


def recorded(file: str, index: int) -> dict[str, Any]:
    """One recorded interaction: request {method, path, query, json}, response {status, json}."""
    interactions = json.loads((RECORDINGS / file).read_text(encoding="utf-8"))["interactions"]
    return dict(interactions[index])


def answer_of(file: str, index: int) -> Answer:
    """The recorded status and JSON body."""
    response = recorded(file, index)["response"]
    return response["status"], response["json"]


METADATA_FR = "01_spreadsheets_get_metadata_fr_FR.json"
RENDERING = "02_values_get_render_options_dates_numbers.json"
BATCH_GET = "03_values_batchGet.json"
WRITES = "04_values_write_update_batchUpdate_append.json"
MERGES = "05_batchUpdate_addSheet_and_merged_cells.json"
ERRORS = "06_errors_404_403_400.json"


# -- 1. the adapter reads real answers ---------------------------------------------------


class ReplayServer:
    """Answers each kind of request (metadata, batchGet, batchUpdate...) as the test says."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.received: list[tuple[str, dict[str, list[str]], Any]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path, _, query_text = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length) if length else b""
                kind = replay.kind(path)
                body = json.loads(payload) if payload and kind != "token" else None
                query = parse_qs(query_text, keep_blank_values=True)
                replay.received.append((kind, query, body))
                if kind == "token":
                    status, answer = 200, {"access_token": "replayed", "expires_in": 3599}
                elif kind in replay.routes:
                    status, answer = replay.routes[kind](query, body)
                else:
                    status, answer = (
                        404,
                        {"error": {"code": 404, "message": kind, "status": "NOT_FOUND"}},
                    )
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}
        )

    @staticmethod
    def kind(path: str) -> str:
        """metadata, values.batchGet, values.batchUpdate, batchUpdate or token."""
        if path == "/token":
            return "token"
        for suffix, kind in (
            ("/values:batchGet", "values.batchGet"),
            ("/values:batchUpdate", "values.batchUpdate"),
            (":batchUpdate", "batchUpdate"),
        ):
            if path.endswith(suffix):
                return kind
        return "metadata" if path.count("/") == 3 else "other"

    @property
    def url(self) -> str:
        """Base URL for the adapter's endpoint."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replay() -> Iterator[Callable[[dict[str, Route]], tuple[ReplayServer, GoogleSheets]]]:
    """Start a replay server with these routes; give it and an adapter pointed at it."""
    servers: list[ReplayServer] = []

    def start(routes: dict[str, Route]) -> tuple[ReplayServer, GoogleSheets]:
        server = ReplayServer(routes).__enter__()
        servers.append(server)
        account = make_service_account(f"{server.url}/token")
        source = GoogleSheets(
            KEY, credentials=account.info, endpoint=server.url, retries=0, timeout=5
        )
        return server, source

    yield start
    for server in servers:
        server.__exit__()


def fixed(answer: Answer) -> Route:
    """A route that always gives this answer."""
    return lambda query, body: answer


def batch_of(*value_ranges: dict[str, Any]) -> Route:
    """A batchGet answer made of recorded ValueRanges, in order."""
    return fixed((200, {"spreadsheetId": KEY, "valueRanges": list(value_ranges)}))


def metadata_of(*titles: str) -> Route:
    """Minimal metadata listing these tabs (for answers recorded on other tab layouts)."""
    sheets = [
        {
            "properties": {
                "sheetId": n,
                "title": title,
                "index": n,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": 1000, "columnCount": 26},
            }
        }
        for n, title in enumerate(titles)
    ]
    return fixed((200, {"spreadsheetId": KEY, "properties": {"title": "x"}, "sheets": sheets}))


def test_reads_a_real_fr_fr_spreadsheet_as_serial_dates_and_numbers(replay: Any) -> None:
    rendered = [recorded(RENDERING, index) for index in range(1, 5)]

    def values_as_asked(query: dict[str, list[str]], body: Any) -> Answer:
        """The recorded values.get whose render options are the ones asked for, else 400."""
        asked = {name: query.get(name) for name in ("valueRenderOption", "dateTimeRenderOption")}
        for interaction in rendered:
            options = interaction["request"]["query"]
            if asked == {name: options.get(name) for name in asked}:
                return 200, {"spreadsheetId": KEY, "valueRanges": [interaction["response"]["json"]]}
        return 400, {
            "error": {
                "code": 400,
                "message": f"not recorded: {asked}",
                "status": "INVALID_ARGUMENT",
            }
        }

    server, source = replay(
        {"metadata": fixed(answer_of(METADATA_FR, 3)), "values.batchGet": values_as_asked}
    )

    tabs = source.read_tabs()

    # Written USER_ENTERED as [["=4/2", "2020-01-01", "string", 53], ["=3/2", 0.12, "1999-01-02", ""]]
    assert tabs == {"Sheet1": [[2, 43831, "string", 53], [1.5, 0.12, 36162, None]]}
    assert (source.title, source.locale, source.time_zone) == (
        "Test SpreadsheetTest test_timezone_and_locale",
        "fr_FR",
        "Europe/Paris",
    )
    assert [kind for kind, _, _ in server.received] == ["token", "metadata", "values.batchGet"]


@pytest.mark.parametrize(
    ("file", "index", "expected"),
    [
        (  # a RAW write read back: an empty row inside is [], trailing cells are dropped
            WRITES,
            1,
            [
                ["A1", "B1", None, "D1"],
                ["1", "b2", "1.45", None],
                [None] * 4,
                ["A4", "0.4", None, "4"],
            ],
        ),
        (WRITES, 3, [["A1", "B1", None, "D1"], [None] * 4, [None] * 4, ["A4", "B4", None, "D4"]]),
        (  # merged A1:B2: only the top-left cell holds the value
            MERGES,
            3,
            [
                ["1", None, None, None],
                [None, None, "title", None],
                [None, None, "2", None],
                ["num", "val", None, "0"],
            ],
        ),
    ],
)
def test_ragged_real_rows_become_a_rectangle(
    replay: Any, file: str, index: int, expected: list[list[Any]]
) -> None:
    _, value_range = answer_of(file, index)
    _, source = replay(
        {"metadata": fixed(answer_of(MERGES, 4)), "values.batchGet": batch_of(value_range)}
    )

    assert source.read_tabs() == {"Sheet1": expected}


def test_batch_get_answers_are_taken_in_request_order_not_by_their_echoed_range(
    replay: Any,
) -> None:
    _, answer = answer_of(BATCH_GET, 2)  # ranges echoed as '🌵 test_values_batch_get 1'!A1:A10 ...
    _, source = replay(
        {"metadata": metadata_of("A", "B", "C"), "values.batchGet": fixed((200, answer))}
    )

    assert source.read_tabs() == {
        "A": [["🍇"], ["🍐"]],
        "B": [["🍉"], ["🍎"]],
        "C": [["🍋"], ["🍓"]],
    }


def test_an_empty_tab_comes_without_a_values_key(replay: Any) -> None:
    # Not recorded: documented ("trailing empty rows and columns will not be included") and
    # seen in the notes; the shape follows the recorded ValueRanges.
    empty = {"range": "Sheet1!A1:Z1000", "majorDimension": "ROWS"}
    _, source = replay(
        {"metadata": fixed(answer_of(METADATA_FR, 3)), "values.batchGet": batch_of(empty)}
    )

    assert source.read_tabs() == {"Sheet1": []}


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, "spreadsheet not found: check the key/URL in config"),
        (1, "share the spreadsheet with the service account"),
    ],
)
def test_real_error_bodies_become_clear_messages(replay: Any, index: int, expected: str) -> None:
    _, source = replay({"metadata": fixed(answer_of(ERRORS, index))})

    with pytest.raises(SourceError, match=expected) as raised:
        source.read_tabs()

    assert not raised.value.transient


def test_a_real_400_on_write_is_reported_with_google_s_words(replay: Any) -> None:
    routes = {
        "metadata": metadata_of("Suivi automatique"),
        "values.batchGet": batch_of(
            {"range": "'Suivi automatique'!A1:Z1000", "majorDimension": "ROWS"}
        ),
        "values.batchUpdate": fixed(answer_of(ERRORS, 2)),
    }
    _, source = replay(routes)

    with pytest.raises(SourceError, match=r"Invalid value at 'data\.values'") as raised:
        source.write_tabs({"Suivi automatique": [["ID"]]})

    assert not raised.value.transient


def test_the_write_matches_the_recorded_request_and_accepts_the_real_answer(replay: Any) -> None:
    request = recorded(WRITES, 2)["request"]["json"]
    routes = {
        "metadata": metadata_of("Suivi automatique"),
        "values.batchGet": batch_of(
            {"range": "'Suivi automatique'!A1:Z1000", "majorDimension": "ROWS"}
        ),
        "values.batchUpdate": fixed(answer_of(WRITES, 2)),
    }
    server, source = replay(routes)

    source.write_tabs({"Suivi automatique": [["ID", "État"], ["A1.1", "en_retard"]]})

    (_, _, body) = server.received[-1]
    assert body["valueInputOption"] == request["valueInputOption"] == "RAW"
    assert [set(item) - {"majorDimension"} for item in body["data"]] == [{"range", "values"}]
    assert body["data"][0] == {
        "range": "'Suivi automatique'!A1:B2",
        "majorDimension": "ROWS",
        "values": [["ID", "État"], ["A1.1", "en_retard"]],
    }


# -- 2. the fake answers like Google -----------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeSheetsApi]:
    """A fake Sheets API that accepts a fixed bearer token."""
    with FakeSheetsApi() as server:
        server.accept_token("replayed")
        yield server
        assert server.errors == []


def send(fake: FakeSheetsApi, file: str, index: int) -> Answer:
    """Send a recorded request to the fake, as recorded; give its status and JSON."""
    request = recorded(file, index)["request"]
    query = f"?{urlencode(request['query'], doseq=True)}" if request["query"] else ""
    response = requests.request(
        request["method"],
        f"{fake.url}{request['path']}{query}",
        json=request["json"],
        headers={"Authorization": "Bearer replayed"},
        timeout=5,
    )
    return response.status_code, response.json()


def key_of(file: str, index: int) -> str:
    """The spreadsheet key of a recorded request."""
    return str(recorded(file, index)["request"]["path"].split("/")[3].split(":")[0])


def test_fake_renders_values_under_every_option_as_google_did(fake: FakeSheetsApi) -> None:
    fake.add_spreadsheet(key_of(RENDERING, 0), "t", {"Sheet1": []}, locale="en_US", grid=(2, 4))
    fake.add_spreadsheet(key_of(RENDERING, 5), "t", {"Sheet1": []}, locale="en_US", grid=(2, 4))

    assert send(fake, RENDERING, 0) == answer_of(RENDERING, 0)  # the USER_ENTERED write
    # The last read was recorded on another spreadsheet holding the same cells.
    fake.spreadsheet(key_of(RENDERING, 5)).tabs = copy.deepcopy(
        fake.spreadsheet(key_of(RENDERING, 0)).tabs
    )
    for index in range(1, 6):
        assert send(fake, RENDERING, index) == answer_of(RENDERING, index), index


@pytest.mark.parametrize(
    ("file", "indexes"),
    [
        (WRITES, [0, 1]),  # RAW numbers read back FORMATTED, [] for an empty row
        (WRITES, [2, 3]),  # values:batchUpdate answer, then a read
        (BATCH_GET, [3, 4]),  # batchGet of two ranges
        (MERGES, [1, 2, 3]),  # mergeCells keeps only the top-left value
    ],
)
def test_fake_writes_and_reads_as_google_did(
    fake: FakeSheetsApi, file: str, indexes: list[int]
) -> None:
    fake.add_spreadsheet(key_of(file, indexes[0]), "t", {"Sheet1": []}, locale="en_US", grid=(4, 4))

    for index in indexes:
        assert send(fake, file, index) == answer_of(file, index), index


def test_fake_adds_a_sheet_and_quotes_its_name_as_google_did(fake: FakeSheetsApi) -> None:
    fake.add_spreadsheet(key_of(BATCH_GET, 0), "t", {"Sheet1": []}, locale="en_US")

    status, reply = send(fake, BATCH_GET, 0)
    _, expected = answer_of(BATCH_GET, 0)
    expected["replies"][0]["addSheet"]["properties"]["sheetId"] = reply["replies"][0]["addSheet"][
        "properties"
    ]["sheetId"]
    assert (status, reply) == (200, expected)
    assert send(fake, BATCH_GET, 1) == answer_of(BATCH_GET, 1)  # unquoted 🌵 title in the range
    assert send(fake, BATCH_GET, 2) == answer_of(BATCH_GET, 2)


def test_fake_metadata_and_locale_change_as_google_did(fake: FakeSheetsApi) -> None:
    _, before = answer_of(METADATA_FR, 0)
    fake.add_spreadsheet(
        key_of(METADATA_FR, 0),
        before["properties"]["title"],
        {"Sheet1": []},
        locale="en_US",
        time_zone="Etc/GMT",
    )

    for index in range(4):
        status, answer = send(fake, METADATA_FR, index)
        expected_status, expected = answer_of(METADATA_FR, index)
        assert status == expected_status
        if "properties" in expected:
            kept = ("title", "locale", "autoRecalc", "timeZone")
            assert {name: answer["properties"][name] for name in kept} == {
                name: expected["properties"][name] for name in kept
            }
            assert answer["sheets"] == expected["sheets"]
        else:
            assert answer == expected


def test_fake_error_bodies_are_google_s(fake: FakeSheetsApi) -> None:
    fake.add_spreadsheet(key_of(ERRORS, 1), "private", {"Sheet1": []})
    fake.set_access(key_of(ERRORS, 1), "none")
    fake.add_spreadsheet(key_of(ERRORS, 2), "t", {"Sheet1": []})
    fake.add_spreadsheet(key_of(ERRORS, 3), "t", {"Sheet1": []})

    assert send(fake, ERRORS, 0) == answer_of(ERRORS, 0)  # 404
    assert send(fake, ERRORS, 1) == answer_of(ERRORS, 1)  # 403
    for index in (2, 3):  # 400s: same code, status and message (details left out)
        status, answer = send(fake, ERRORS, index)
        expected_status, expected = answer_of(ERRORS, index)
        assert status == expected_status
        assert {name: answer["error"][name] for name in ("code", "status", "message")} == {
            name: expected["error"][name] for name in ("code", "status", "message")
        }
