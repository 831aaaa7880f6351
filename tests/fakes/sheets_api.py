"""A fake Google Sheets API v4 on 127.0.0.1 that real gspread and google-auth talk to.

What it does, as the real API does (checked against recorded responses in
tests/test_sheets_replay.py):
- OAuth token endpoint (`POST /token`): verifies the RS256 JWT assertion with the service
  account's public key and hands out a bearer token; every API call needs one (401 otherwise).
- Metadata (`GET /v4/spreadsheets/{key}`, honouring `fields`), `values/{range}` (GET, PUT,
  `:clear`), `values:batchGet`, `values:batchUpdate`, `values:batchClear`, and
  `:batchUpdate` with addSheet, deleteSheet, updateSheetProperties, appendDimension,
  updateSpreadsheetProperties, mergeCells and a minimal updateCells. Batches are atomic.
- Cells keep an unformatted value and the text a French (or English) user sees, so
  UNFORMATTED_VALUE, FORMATTED_VALUE and FORMULA, and SERIAL_NUMBER or FORMATTED_STRING
  dates, answer differently; trailing empty cells and rows are left out, an empty row
  inside the data is `[]`, and an empty range has no `values` key.
- USER_ENTERED parses strings like the UI (a leading `=` makes a formula, `1,5` is a number
  in fr_FR); RAW stores them as they are.
- Errors use Google's JSON envelope with the real recorded bodies (404, 403, 400).
- Every grant the other credential kinds use, at the same `/token`: refresh token
  (`register_user`), token exchange (`register_workload`), client credentials and the
  installed-app flow's authorization code (`register_client`, with the consent page at
  `/o/oauth2/auth` redirecting to the loopback address with a code; PKCE checked);
  `token_owner(token)` lets a fake SMTP server accept the tokens for XOAUTH2.
- `POST /v4/spreadsheets` (create), the layout requests of `suivi sheet create`
  (setDataValidation, repeatCell number formats, addProtectedRange, frozenRowCount),
  Drive `files.get` (`capabilities.canEdit`), `permissions.create` and `about`.
One assumption is conservative: writing beyond a tab's grid fails with 400, so clients must
grow the grid first.

Served as Google serves them: a thread per request, request bodies parsed outside any lock,
one lock per spreadsheet (so a big write to one does not hold up a read of another), a
`latency` every answer waits outside the locks. `keep_bodies = False` keeps the log light
(a benchmark's write bodies are large). A batch is applied to a copy that shares the
immutable cells, so a failed one changes nothing.

Faults: `fail_next(429, times=2)`, `fail_next(500)`, `fail_next("timeout")` (the request is
applied, the answer comes after `timeout_delay` seconds), `fail_next("reset")` (the
connection drops unanswered); `set_access(key, "reader" | "none")` and
`delete_spreadsheet(key)` for 403 and 404.
"""

from __future__ import annotations

import ast
import base64
import copy
import datetime as dt
import hashlib
import itertools
import json
import re
import secrets
import threading
import traceback
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qs, unquote, urlencode

import google.auth.exceptions
import openpyxl
import pytest
from google.auth import jwt

from fakes.service_account import ServiceAccount, make_service_account

Access = Literal["writer", "reader", "none"]
FaultKind = int | Literal["timeout", "reset"]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
WRITE_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
READ_SCOPES = {WRITE_SCOPE, "https://www.googleapis.com/auth/spreadsheets.readonly"}
EPOCH = dt.datetime(1899, 12, 30)  # day 0 of spreadsheet serial dates
READ_KINDS = frozenset({"metadata", "values.get", "values.batchGet"})
WRITE_KINDS = frozenset(
    {"batchUpdate", "values.update", "values.clear", "values.batchUpdate", "values.batchClear"}
)


def google_error(code: int, message: str, status: str, **extra: Any) -> dict[str, Any]:
    """Google's error envelope (google.rpc.Status)."""
    return {"error": {"code": code, "message": message, "status": status, **extra}}


# Recorded bodies (data/sheets-api/06_errors_404_403_400.json).
NOT_FOUND = google_error(404, "Requested entity was not found.", "NOT_FOUND")
PERMISSION_DENIED = google_error(403, "The caller does not have permission", "PERMISSION_DENIED")
# Rebuilt from a recorded 429 (r-lib/gargle), see the notes on Google Sheets.
QUOTA_EXCEEDED = google_error(
    429,
    "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user'"
    " of service 'sheets.googleapis.com' for consumer 'project_number:123456789012'.",
    "RESOURCE_EXHAUSTED",
    details=[
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "service": "sheets.googleapis.com",
                "consumer": "projects/123456789012",
                "quota_metric": "sheets.googleapis.com/read_requests",
                "quota_limit": "ReadRequestsPerMinutePerUser",
                "quota_limit_value": "60",
                "quota_location": "global",
            },
        }
    ],
)
UNAUTHENTICATED = google_error(
    401,
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie"
    " or other valid authentication credential.",
    "UNAUTHENTICATED",
)
INSUFFICIENT_SCOPES = google_error(
    403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED"
)
SERVER_ERRORS = {
    500: ("Internal error encountered.", "INTERNAL"),
    502: ("Bad Gateway", "UNAVAILABLE"),
    503: ("The service is currently unavailable.", "UNAVAILABLE"),
    504: ("The service is currently unavailable.", "DEADLINE_EXCEEDED"),
}


class ApiError(Exception):
    """Ends a request with this status and JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def bad_request(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT, as the API words them."""
    return ApiError(400, google_error(400, message, "INVALID_ARGUMENT"))


# ---------------------------------------------------------------------------------------
# Cells


class Cell(NamedTuple):
    """One cell: what UNFORMATTED_VALUE returns, what the user sees, and its formula if any.

    A named tuple, not a dataclass: a big write makes a million of them, twice as fast.
    """

    value: str | int | float | bool
    formatted: str
    formula: str | None = None
    is_date: bool = False


def serial_number(value: dt.date) -> int | float:
    """Days since 1899-12-30, the fraction being the time of day."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    days = (moment.replace(tzinfo=None) - EPOCH) / dt.timedelta(days=1)
    return int(days) if days.is_integer() else days


def _french(locale: str) -> bool:
    return locale.lower().startswith("fr")


def format_number(value: int | float | bool, locale: str) -> str:
    """A number as the "automatic" format shows it: `1,45` in French, `1.45` in English."""
    if isinstance(value, bool):
        if _french(locale):
            return "VRAI" if value else "FAUX"
        return "TRUE" if value else "FALSE"
    text = f"{value:.10g}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if _french(locale) else text


def format_date(value: dt.date, locale: str) -> str:
    """A date as a French (31/12/2026) or US (12/31/2026) sheet shows it."""
    text = (
        f"{value.day:02d}/{value.month:02d}/{value.year}"
        if _french(locale)
        else (f"{value.month}/{value.day}/{value.year}")
    )
    if isinstance(value, dt.datetime) and value.time() != dt.time():
        text += f" {value:%H:%M:%S}"
    return text


def date_cell(value: dt.date, locale: str = "fr_FR") -> Cell:
    """A date cell: a serial number underneath, a day-first date on screen in French."""
    return Cell(serial_number(value), format_date(value, locale), is_date=True)


def percent_cell(fraction: float, locale: str = "fr_FR") -> Cell:
    """A percentage cell: 0.45 underneath, `45 %` on screen in French (`45%` in English)."""
    shown = format_number(round(fraction * 100, 10), locale)
    return Cell(fraction, f"{shown}\u202f%" if _french(locale) else f"{shown}%")


def raw_cell(value: Any, locale: str = "fr_FR") -> Cell | None:
    """A cell from a value stored as is (RAW, or a test's RawTabs); None leaves it empty."""
    if type(value) is str:  # most cells: checked first, the write of a big tab is per cell
        return Cell(value, value) if value else None
    if value is None or value == "":
        return None
    if isinstance(value, Cell):
        return value
    if isinstance(value, bool | int | float):
        return Cell(value, format_number(value, locale))
    if isinstance(value, str):
        return Cell(value, value)
    if isinstance(value, dt.date):
        return date_cell(value, locale)
    raise bad_request(f"Invalid value at 'data.values' ({type(value).__name__}), {value!r}")


NUMBER_FR = re.compile(r"-?\d{1,3}(?:[ \u00a0\u202f]?\d{3})*(?:,\d+)?|-?\d+(?:,\d+)?")
NUMBER_EN = re.compile(r"-?\d{1,3}(?:,?\d{3})*(?:\.\d+)?|-?\d+(?:\.\d+)?")


def _parse_number(text: str, locale: str) -> int | float | None:
    text = text.strip()
    if _french(locale):
        if not NUMBER_FR.fullmatch(text):
            return None
        plain = re.sub(r"[ \u00a0\u202f]", "", text).replace(",", ".")
    else:
        if not NUMBER_EN.fullmatch(text):
            return None
        plain = text.replace(",", "")
    return float(plain) if "." in plain else int(plain)


def _parse_date(text: str, locale: str) -> dt.date | None:
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    slashed = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if slashed:
            first, second, year = int(slashed[1]), int(slashed[2]), int(slashed[3])
            day, month = (first, second) if _french(locale) else (second, first)
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def _evaluate(formula: str) -> str | int | float:
    """Arithmetic on numbers only; any function gives #N/A as an unreachable IMPORTXML would."""

    def value_of(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = value_of(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = value_of(node.left), value_of(node.right)
            operations = {ast.Add: left.__add__, ast.Sub: left.__sub__, ast.Mult: left.__mul__}
            if isinstance(node.op, ast.Div):
                return left / right
            for kind, operation in operations.items():
                if isinstance(node.op, kind):
                    return operation(right)
        raise LookupError(type(node).__name__)

    try:
        result = value_of(ast.parse(formula.lstrip("=").replace("^", "**"), mode="eval").body)
    except ZeroDivisionError:
        return "#DIV/0!"
    except (SyntaxError, LookupError):
        return "#N/A" if "(" in formula else "#NAME?"
    return int(result) if float(result).is_integer() else result


def user_entered_cell(value: Any, locale: str = "fr_FR") -> Cell | None:
    """A cell from a value typed in the UI (USER_ENTERED): formulas, numbers, dates parsed."""
    if not isinstance(value, str) or value == "":
        return raw_cell(value, locale)
    if value.startswith("'"):  # a leading quote forces text and is not kept
        return Cell(value[1:], value[1:])
    if value.startswith("="):
        result = _evaluate(value)
        shown = result if isinstance(result, str) else format_number(result, locale)
        return Cell(result, shown, formula=value)
    if value.upper() in ("TRUE", "FALSE") or (
        _french(locale) and value.upper() in ("VRAI", "FAUX")
    ):
        return raw_cell(value.upper() in ("TRUE", "VRAI"), locale)
    if value.rstrip().endswith("%"):
        number = _parse_number(value.rstrip()[:-1], locale)
        if number is not None:
            return Cell(number / 100, value)
    number = _parse_number(value, locale)
    if number is not None:
        return Cell(number, format_number(number, locale))
    day = _parse_date(value, locale)
    if day is not None:
        return Cell(serial_number(day), value, is_date=True)
    return Cell(value, value)


def render(cell: Cell | None, value_option: str, date_option: str) -> Any:
    """What the API sends for a cell under these render options ("" for an empty one)."""
    if cell is None:
        return ""
    if value_option == "FORMATTED_VALUE":
        return cell.formatted
    if value_option == "FORMULA" and cell.formula is not None:
        return cell.formula
    if cell.is_date and date_option == "FORMATTED_STRING":
        return cell.formatted
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # Google's JSON writes 2, not 2.0
    return value


# ---------------------------------------------------------------------------------------
# A1 notation


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def a1(row: int, column: int) -> str:
    """0-based row and column to A1."""
    return f"{column_letters(column)}{row + 1}"


def split_range(text: str) -> tuple[str | None, str | None]:
    """`'Ti''tle'!A1:B2` → ("Ti'tle", "A1:B2"); `A1:B2` → (None, "A1:B2")."""
    if text.startswith("'"):
        title: list[str] = []
        index = 1
        while index < len(text):
            char = text[index]
            if char == "'" and text[index + 1 : index + 2] == "'":
                title.append("'")
                index += 2
                continue
            if char == "'":
                rest = text[index + 1 :]
                if rest and not rest.startswith("!"):
                    raise ValueError(text)
                return "".join(title), rest[1:] or None
            title.append(char)
            index += 1
        raise ValueError(text)
    if "!" in text:
        title_text, _, cells = text.rpartition("!")
        return title_text, cells or None
    return None, text


REFERENCE = re.compile(r"([A-Za-z]{0,3})(\d{0,7})")


def _reference(text: str) -> tuple[int | None, int | None]:
    """`B3` → (2, 1); `B` → (None, 1); `3` → (2, None)."""
    match = REFERENCE.fullmatch(text)
    if not match or not text:
        raise ValueError(text)
    letters, digits = match[1].upper(), match[2]
    column = None
    if letters:
        column = 0
        for letter in letters:
            column = column * 26 + ord(letter) - ord("A") + 1
        column -= 1
    row = int(digits) - 1 if digits else None
    if row is not None and row < 0:
        raise ValueError(text)
    return row, column


def parse_cells(text: str) -> tuple[int, int, int | None, int | None]:
    """`A1:C` → (0, 0, None, 2): first row and column, last ones (None: to the grid's end)."""
    start, separator, end = text.partition(":")
    row0, column0 = _reference(start)
    if not separator:
        if row0 is None or column0 is None:
            raise ValueError(text)
        return row0, column0, row0, column0
    row1, column1 = _reference(end)
    return row0 or 0, column0 or 0, row1, column1


def display_title(title: str) -> str:
    """The sheet name as Google echoes it: quoted only when it has to be."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title):
        return title
    return "'" + title.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------
# Spreadsheets


@dataclass
class FakeTab:
    """One tab: its grid size and the cells that hold something."""

    title: str
    sheet_id: int
    rows: int = 1000
    columns: int = 26
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 (excl.)
    hidden: bool = False
    frozen_rows: int = 0
    # What was set on the tab besides values: validation, number formats, protection, and the
    # formatting requests (widths, filter, conditional formats) kept as sent.
    layout: TabLayout = field(default_factory=lambda: TabLayout())
    # As the API holds them: the rules in order (an index names one), one basic filter at
    # most, developer metadata located on the tab.
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)

    def properties(self, index: int) -> dict[str, Any]:
        """SheetProperties as the API returns them."""
        properties: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": self.rows, "columnCount": self.columns},
        }
        if self.hidden:
            properties["hidden"] = True
        if self.frozen_rows:
            properties["gridProperties"]["frozenRowCount"] = self.frozen_rows
        return properties

    def resize(self, rows: int, columns: int) -> None:
        """New grid size; cells left outside are lost, as in Sheets."""
        self.rows, self.columns = rows, columns
        self.cells = {
            (r, c): cell for (r, c), cell in self.cells.items() if r < rows and c < columns
        }


@dataclass
class FakeSpreadsheet:
    """A spreadsheet: title, locale, tabs in order, and who may use it."""

    key: str
    title: str
    locale: str = "fr_FR"
    time_zone: str = "Africa/Casablanca"
    tabs: list[FakeTab] = field(default_factory=list)
    access: Access = "writer"
    deleted: bool = False
    shared_with: dict[str, str] = field(default_factory=dict)  # e-mail → Drive role

    def tab(self, title: str) -> FakeTab | None:
        """The tab of that title (exact, else ignoring case as Sheets does)."""
        for tab in self.tabs:
            if tab.title == title:
                return tab
        return next((tab for tab in self.tabs if tab.title.casefold() == title.casefold()), None)

    def tab_by_id(self, sheet_id: int) -> FakeTab | None:
        """The tab of that sheetId."""
        return next((tab for tab in self.tabs if tab.sheet_id == sheet_id), None)

    def metadata(self) -> dict[str, Any]:
        """The spreadsheets.get body (includeGridData=false)."""
        sheets = []
        for index, tab in enumerate(self.tabs):
            sheet: dict[str, Any] = {"properties": tab.properties(index)}
            # Empty lists and an absent filter are left out, as Google's JSON does.
            if tab.conditional_formats:
                sheet["conditionalFormats"] = copy.deepcopy(tab.conditional_formats)
            if tab.basic_filter is not None:
                sheet["basicFilter"] = copy.deepcopy(tab.basic_filter)
            if tab.developer_metadata:
                sheet["developerMetadata"] = copy.deepcopy(tab.developer_metadata)
            if tab.merges:
                # Google's JSON leaves out zero values there: sheet 0's merges carry no sheetId.
                grid_id = {"sheetId": tab.sheet_id} if tab.sheet_id else {}
                sheet["merges"] = [
                    {
                        **grid_id,
                        "startRowIndex": r0,
                        "endRowIndex": r1,
                        "startColumnIndex": c0,
                        "endColumnIndex": c1,
                    }
                    for r0, c0, r1, c1 in tab.merges
                ]
            sheets.append(sheet)
        return {
            "spreadsheetId": self.key,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone,
            },
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.key}/edit",
        }


# ---------------------------------------------------------------------------------------
# Partial responses (`fields=`)


def parse_fields(text: str) -> dict[str, Any] | None:
    """`properties(title),sheets.properties` → {"properties": {"title": None}, "sheets": {...}}."""
    position = 0

    def name() -> str:
        nonlocal position
        match = re.compile(r"[A-Za-z0-9_@*]+").match(text, position)
        if not match:
            raise ValueError(text)
        position = match.end()
        return match.group()

    def item() -> tuple[str, dict[str, Any] | None]:
        nonlocal position
        key = name()
        if text[position : position + 1] == ".":
            position += 1
            sub_key, sub_tree = item()
            return key, {sub_key: sub_tree}
        if text[position : position + 1] == "(":
            position += 1
            tree = items()
            if text[position : position + 1] != ")":
                raise ValueError(text)
            position += 1
            return key, tree
        return key, None

    def items() -> dict[str, Any] | None:
        nonlocal position
        tree: dict[str, Any] | None = {}
        while True:
            key, sub = item()
            if key == "*":
                tree = None
            elif tree is not None:
                tree[key] = _merge_fields(tree.get(key, {}), sub) if key in tree else sub
            if text[position : position + 1] != ",":
                return tree
            position += 1

    tree = items()
    if position != len(text):
        raise ValueError(text)
    return tree


def _merge_fields(
    left: dict[str, Any] | None, right: dict[str, Any] | None
) -> dict[str, Any] | None:
    if left is None or right is None:
        return None
    merged = dict(left)
    for key, sub in right.items():
        merged[key] = _merge_fields(merged[key], sub) if key in merged else sub
    return merged


def select_fields(value: Any, tree: dict[str, Any] | None) -> Any:
    """Keep only the selected fields, through lists."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [select_fields(element, tree) for element in value]
    if isinstance(value, dict):
        return {key: select_fields(value[key], sub) for key, sub in tree.items() if key in value}
    return value


# ---------------------------------------------------------------------------------------
# The server


@dataclass(frozen=True)
class Call:
    """One request the fake received, for assertions."""

    method: str
    kind: str  # token, metadata, values.get, values.batchGet, values.batchUpdate, batchUpdate...
    key: str | None
    path: str  # raw, still percent-encoded
    query: dict[str, list[str]]
    body: Any
    status: int | str  # HTTP status, or "timeout" / "reset"
    client: str | None  # the service account's e-mail


@dataclass
class Fault:
    """A failure to serve instead of (or, for a timeout, after) the next matching request."""

    what: FaultKind
    match: str | None  # a Call.kind; None: any API call (never the token endpoint)
    body: Any = None


@dataclass(frozen=True)
class _Grant:
    email: str
    scopes: frozenset[str]


# ---------------------------------------------------------------------------------------
# Every Google grant, the consent page, Drive and the layout requests of `suivi sheet create`

REFRESH_TOKEN_GRANT = "refresh_token"
AUTHORIZATION_CODE_GRANT = "authorization_code"
CLIENT_CREDENTIALS_GRANT = "client_credentials"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
AUTHORIZE_PATH = "/o/oauth2/auth"
DRIVE_SCOPES = {
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
}
IDENTITY_AND_DRIVE_KINDS = frozenset({"create", "drive.get", "drive.share", "drive.about"})
DRIVE_FILE = re.compile(r"/drive/v3/files/([A-Za-z0-9_-]+)(/permissions)?")
LAYOUT_REQUESTS = frozenset({"setDataValidation", "repeatCell", "addProtectedRange"})
VALIDATION_TYPES = frozenset(
    {"ONE_OF_LIST", "DATE_IS_VALID", "NUMBER_BETWEEN", "NUMBER_GREATER_THAN_EQ", "TEXT_IS_EMAIL"}
)


@dataclass
class TabLayout:
    """What `suivi sheet create`/`prepare` set on a tab besides values."""

    validations: dict[tuple[int, int, int, int], dict[str, Any]] = field(default_factory=dict)
    number_formats: dict[tuple[int, int, int, int], dict[str, Any]] = field(default_factory=dict)
    protected: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)  # formatting, as sent


@dataclass(frozen=True)
class OAuthClient:
    """An OAuth client (a desktop app's client ID and secret) and the account that consents."""

    client_id: str
    client_secret: str
    consenting_email: str


class IdentityAndDrive:
    """Token grants besides the JWT bearer, Google's consent redirect, Drive files and sharing."""

    _lock: threading.RLock
    _tokens: dict[str, _Grant]
    spreadsheets: dict[str, FakeSpreadsheet]

    @property
    def _identity(self) -> dict[str, Any]:
        """Users' refresh tokens, workload subject tokens, clients and pending codes."""
        return self.__dict__.setdefault(
            "_identity_state", {"users": {}, "workloads": {}, "clients": {}, "codes": {}}
        )

    @property
    def authorize_url(self) -> str:
        """Google's consent page stand-in (auth_uri of an OAuth client file)."""
        return f"{self.url}{AUTHORIZE_PATH}"  # type: ignore[attr-defined]

    def register_user(
        self, email: str, *, client_id: str, client_secret: str, refresh_token: str
    ) -> None:
        """A person's stored refresh token (an `authorized_user` file) for this client."""
        with self._lock:
            self._identity["users"][refresh_token] = (client_id, client_secret, email)

    def register_client(self, client: OAuthClient) -> None:
        """An OAuth client whose consent page signs in `client.consenting_email`."""
        with self._lock:
            self._identity["clients"][client.client_id] = client

    def register_workload(self, subject_token: str, principal: str) -> None:
        """A workload identity: the STS exchanges this subject token for an access token."""
        with self._lock:
            self._identity["workloads"][subject_token] = principal

    def token_owner(self, token: str) -> str | None:
        """Who a bearer token was issued to (None: unknown or expired)."""
        with self._lock:
            grant = self._tokens.get(token)
            return grant.email if grant else None

    def _issue(self, email: str, scopes: str) -> dict[str, Any]:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self._tokens[token] = _Grant(email, frozenset(scopes.split()))
        answer = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        return answer | ({"scope": scopes} if scopes else {})

    def _other_grant(self, form: dict[str, list[str]]) -> dict[str, Any]:
        """Refresh token, authorization code, client credentials and token exchange."""

        def one(name: str) -> str:
            return form.get(name, [""])[0]

        def refuse(error: str, description: str) -> ApiError:
            return ApiError(400, {"error": error, "error_description": description})

        grant_type, scopes = one("grant_type"), one("scope")
        state = self._identity
        if grant_type == REFRESH_TOKEN_GRANT:
            user = state["users"].get(one("refresh_token"))
            if user is None or user[:2] != (one("client_id"), one("client_secret")):
                raise refuse("invalid_grant", "Token has been expired or revoked.")
            return self._issue(user[2], scopes or " ".join(sorted(READ_SCOPES | DRIVE_SCOPES)))
        if grant_type == AUTHORIZATION_CODE_GRANT:
            pending = state["codes"].pop(one("code"), None)
            # requests-oauthlib sends the client in an HTTP Basic header (not seen here).
            if pending is None or one("client_id") not in ("", pending["client_id"]):
                raise refuse("invalid_grant", "Malformed auth code.")
            client = state["clients"][pending["client_id"]]
            if one("client_secret") not in ("", client.client_secret):
                raise refuse("invalid_client", "The OAuth client was not found.")
            if one("redirect_uri") != pending["redirect_uri"]:
                raise refuse("redirect_uri_mismatch", "Bad Request")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(one("code_verifier").encode()).digest())
                .decode()
                .rstrip("=")
            )
            if pending["challenge"] and challenge != pending["challenge"]:
                raise refuse("invalid_grant", "Invalid code verifier.")
            refresh = "1//fake-" + secrets.token_urlsafe(24)
            state["users"][refresh] = (
                client.client_id,
                client.client_secret,
                client.consenting_email,
            )
            return self._issue(client.consenting_email, pending["scope"]) | {
                "refresh_token": refresh
            }
        if grant_type == CLIENT_CREDENTIALS_GRANT:
            client = state["clients"].get(one("client_id"))
            if client is None or client.client_secret != one("client_secret"):
                raise refuse("invalid_client", "AADSTS7000215: Invalid client secret provided.")
            return self._issue(client.consenting_email, scopes)
        if grant_type == TOKEN_EXCHANGE_GRANT:
            principal = state["workloads"].get(one("subject_token"))
            if principal is None or not one("audience"):
                raise refuse("invalid_grant", "The subject token is invalid.")
            return self._issue(principal, scopes) | {"issued_token_type": ACCESS_TOKEN_TYPE}
        raise refuse("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _authorize(self, handler: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        """The consent page: the account has already said yes; back to the app with a code."""
        first = {name: values[0] for name, values in query.items()}
        with self._lock:
            client = self._identity["clients"].get(first.get("client_id", ""))
            redirect = first.get("redirect_uri", "")
            if client is None or not redirect.startswith(("http://localhost", "http://127.0.0.1")):
                _send(handler, 400, "Error 400: invalid_request")
                return
            code = "4/fake-" + secrets.token_urlsafe(16)
            self._identity["codes"][code] = {
                "client_id": client.client_id,
                "redirect_uri": redirect,
                "challenge": first.get("code_challenge", ""),
                "scope": first.get("scope", ""),
            }
        target = f"{redirect}?{urlencode({'state': first.get('state', ''), 'code': code, 'scope': first.get('scope', '')})}"
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _identity_and_drive_api(
        self,
        kind: str,
        key: str | None,
        query: dict[str, list[str]],
        body: Any,
        grant: _Grant,
    ) -> dict[str, Any]:
        """spreadsheets.create, Drive files.get (capabilities) and permissions.create."""
        if kind == "create":
            if WRITE_SCOPE not in grant.scopes:
                raise ApiError(403, INSUFFICIENT_SCOPES)
            return self._create(body or {})
        if not grant.scopes & DRIVE_SCOPES:
            raise ApiError(403, INSUFFICIENT_SCOPES)
        if kind == "drive.about":
            return {"user": {"emailAddress": grant.email}}
        spreadsheet = self.spreadsheets.get(key or "")
        if spreadsheet is None or spreadsheet.deleted or spreadsheet.access == "none":
            raise ApiError(404, google_error(404, f"File not found: {key}.", "NOT_FOUND"))
        if kind == "drive.get":
            file = {
                "kind": "drive#file",
                "id": spreadsheet.key,
                "name": spreadsheet.title,
                "mimeType": "application/vnd.google-apps.spreadsheet",
                "capabilities": {
                    "canEdit": spreadsheet.access == "writer",
                    "canShare": spreadsheet.access == "writer",
                },
            }
            return select_fields(
                file, parse_fields(_first(query, "fields", "kind,id,name,mimeType"))
            )
        if spreadsheet.access != "writer":
            raise ApiError(
                403,
                google_error(
                    403,
                    "The user does not have sufficient permissions for this file.",
                    "PERMISSION_DENIED",
                ),
            )
        request = body or {}
        if request.get("type") != "user" or "@" not in str(request.get("emailAddress", "")):
            raise bad_request("The permission type field is required.")
        spreadsheet.shared_with[str(request["emailAddress"]).lower()] = str(request.get("role"))
        return {
            "kind": "drive#permission",
            "id": secrets.token_hex(8),
            "type": "user",
            "role": request.get("role"),
        }

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        """A new spreadsheet, with the tabs the request names (else one empty tab)."""
        properties = body.get("properties", {})
        key = "1fake" + secrets.token_urlsafe(30).replace("-", "x").replace("_", "y")
        spreadsheet = FakeSpreadsheet(
            key,
            str(properties.get("title") or "Feuille de calcul sans titre"),
            str(properties.get("locale") or "fr_FR"),
            str(properties.get("timeZone") or "Africa/Casablanca"),
        )
        sheets = body.get("sheets") or [{"properties": {"title": "Feuille 1", "sheetId": 0}}]
        for sheet in sheets:
            tab = sheet.get("properties", {})
            size = tab.get("gridProperties", {})
            spreadsheet.tabs.append(
                FakeTab(
                    str(tab.get("title")),
                    int(tab.get("sheetId", len(spreadsheet.tabs))),
                    int(size.get("rowCount", 1000)),
                    int(size.get("columnCount", 26)),
                    frozen_rows=int(size.get("frozenRowCount", 0)),
                )
            )
        self.spreadsheets[key] = spreadsheet
        return spreadsheet.metadata()


def identity_and_drive_route(method: str, raw_path: str) -> tuple[str, str | None, None] | None:
    """Routes of spreadsheets.create and the Drive calls; None for every other path."""
    if raw_path == "/v4/spreadsheets" and method == "POST":
        return "create", None, None
    if raw_path == "/drive/v3/about" and method == "GET":
        return "drive.about", None, None
    match = DRIVE_FILE.fullmatch(raw_path)
    if match is None:
        return None
    if match[2] and method == "POST":
        return "drive.share", match[1], None
    return ("drive.get" if method == "GET" and not match[2] else "unknown"), match[1], None


def layout_request(
    spreadsheet: FakeSpreadsheet, name: str, spec: dict[str, Any], where: str
) -> dict[str, Any]:
    """setDataValidation, repeatCell (number formats only) and addProtectedRange."""
    if name == "addProtectedRange":
        protected = dict(spec.get("protectedRange", {}))
        tab, *_ = _grid_range(spreadsheet, protected.get("range", {}), where)
        protected["protectedRangeId"] = len(tab.layout.protected) + 1
        tab.layout.protected.append(protected)
        return {"addProtectedRange": {"protectedRange": protected}}
    tab, r0, c0, r1, c1 = _grid_range(spreadsheet, spec.get("range", {}), where)
    if name == "setDataValidation":
        rule = spec.get("rule")
        condition_type = (rule or {}).get("condition", {}).get("type")
        if rule is not None and condition_type not in VALIDATION_TYPES:
            raise bad_request(f"{where}: Invalid ConditionType {condition_type}")
        tab.layout.validations[(r0, c0, r1, c1)] = rule or {}
        return {}
    if spec.get("fields") != "userEnteredFormat.numberFormat":
        raise bad_request(f"{where}: this fake only repeats userEnteredFormat.numberFormat")
    number_format = spec.get("cell", {}).get("userEnteredFormat", {}).get("numberFormat", {})
    if number_format.get("type") not in ("DATE", "PERCENT", "NUMBER", "TEXT"):
        raise bad_request(f"{where}: Invalid number format type {number_format.get('type')}")
    tab.layout.number_formats[(r0, c0, r1, c1)] = number_format
    return {}


class FakeSheetsApi(IdentityAndDrive):
    """Spreadsheets held in memory, served over real HTTP on 127.0.0.1."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, FakeSpreadsheet] = {}
        self.requests: Counter[tuple[str, str]] = Counter()  # (method, kind) → count
        self.log: list[Call] = []
        self.errors: list[
            str
        ] = []  # tracebacks of the fake's own bugs; tests may assert it is empty
        self.timeout_delay = 5.0  # seconds a "timeout" fault holds its answer back
        self.latency = 0.0  # seconds every answer waits first, as Google's round trip does
        self._faults: list[Fault] = []
        self._accounts: dict[str, str] = {}  # e-mail → public key PEM
        self._tokens: dict[str, _Grant] = {}
        self._ids = itertools.count(1_000_001, 7919)
        self._lock = threading.RLock()  # tokens, faults, the log, identity and Drive state
        self._sheet_locks: dict[str, threading.RLock] = {}  # key → that spreadsheet's lock
        # False: the log keeps no API request bodies (a benchmark's writes are large).
        self.keep_bodies = True
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, to use as SUIVI_SHEETS_ENDPOINT."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint, to put in a service account's token_uri."""
        return f"{self.url}/token"

    def start(self) -> FakeSheetsApi:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; wakes any answer held back by a timeout fault."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSheetsApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- setting up ----------------------------------------------------------------------

    def add_spreadsheet(
        self,
        key: str,
        title: str,
        tabs: Mapping[str, Sequence[Sequence[Any]]] | None = None,
        *,
        locale: str = "fr_FR",
        time_zone: str = "Africa/Casablanca",
        grid: tuple[int, int] | None = None,
    ) -> FakeSpreadsheet:
        """A spreadsheet from RawTabs-like rows (values, dates or `Cell`s, None for empty).

        Dates become serial numbers shown as `31/12/2026`; a grid is 1000 x 26 unless the
        content is bigger or `grid` (rows, columns) says otherwise.
        """
        spreadsheet = FakeSpreadsheet(key, title, locale, time_zone)
        for index, (tab_title, rows) in enumerate((tabs or {"Feuille 1": []}).items()):
            cells = {
                (r, c): cell
                for r, row in enumerate(rows)
                for c, value in enumerate(row)
                if (cell := raw_cell(value, locale)) is not None
            }
            height = len(rows)
            width = max((len(row) for row in rows), default=0)
            rows_count, columns_count = grid or (max(1000, height), max(26, width))
            if height > rows_count or width > columns_count:
                raise ValueError(f"{tab_title}: content is bigger than the grid {grid}")
            sheet_id = 0 if index == 0 else next(self._ids)
            spreadsheet.tabs.append(FakeTab(tab_title, sheet_id, rows_count, columns_count, cells))
        with self._lock:
            self.spreadsheets[key] = spreadsheet
        return spreadsheet

    def spreadsheet(self, key: str) -> FakeSpreadsheet:
        """The spreadsheet held under that key."""
        return self.spreadsheets[key]

    def values(
        self, key: str, title: str, render_option: str = "UNFORMATTED_VALUE"
    ) -> list[list[Any]]:
        """A tab's values as the API would send them (trailing empties dropped), for asserts."""
        with self._sheet_lock(key):
            tab = self.spreadsheets[key].tab(title)
            if tab is None:
                raise KeyError(title)
            return _values(tab, 0, 0, tab.rows - 1, tab.columns - 1, render_option, "SERIAL_NUMBER")

    def merge(self, key: str, title: str, cells: str) -> None:
        """Merge a block: only its top-left cell keeps a value, as in Sheets."""
        with self._sheet_lock(key):
            tab = self.spreadsheets[key].tab(title)
            assert tab is not None, title
            r0, c0, r1, c1 = parse_cells(cells)
            r1, c1 = (tab.rows - 1 if r1 is None else r1), (tab.columns - 1 if c1 is None else c1)
            tab.merges.append((r0, c0, r1 + 1, c1 + 1))
            for position in list(tab.cells):
                if r0 <= position[0] <= r1 and c0 <= position[1] <= c1 and position != (r0, c0):
                    del tab.cells[position]

    def set_access(self, key: str, access: Access) -> None:
        """What the service account may do: "writer" (Editor), "reader" (Viewer), "none"."""
        with self._lock:
            self.spreadsheets[key].access = access

    def delete_spreadsheet(self, key: str) -> None:
        """The spreadsheet goes to the bin: 404 from now on."""
        with self._lock:
            self.spreadsheets[key].deleted = True

    def register_service_account(self, email: str, public_key_pem: str) -> None:
        """Let this account get tokens (its JWTs are checked against this public key)."""
        with self._lock:
            self._accounts[email] = public_key_pem

    def accept_token(self, token: str, email: str = "tester@example.org") -> None:
        """A bearer token valid without the token endpoint (e.g. for gspread's own Credentials)."""
        with self._lock:
            self._tokens[token] = _Grant(email, frozenset(READ_SCOPES))

    def revoke_tokens(self) -> None:
        """Every token issued so far expires: the next call gets 401."""
        with self._lock:
            self._tokens.clear()

    def fail_next(
        self, what: FaultKind, *, times: int = 1, match: str | None = None, body: Any = None
    ) -> None:
        """Fail the next `times` matching requests with a status, "timeout" or "reset".

        `match` is a request kind (e.g. "values.batchGet", "token"); by default any API call.
        `body` replaces Google's error body (a str is sent as non-JSON text).
        """
        with self._lock:
            self._faults.extend(Fault(what, match, body) for _ in range(times))

    # -- reading the log -----------------------------------------------------------------

    def count(self, *kinds: str) -> int:
        """How many requests of these kinds arrived (all kinds when none given)."""
        with self._lock:
            return sum(n for (_, kind), n in self.requests.items() if not kinds or kind in kinds)

    @property
    def reads(self) -> int:
        """Requests that count against the read quota."""
        return self.count(*READ_KINDS)

    @property
    def writes(self) -> int:
        """Requests that count against the write quota."""
        return self.count(*WRITE_KINDS)

    def reset_log(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.requests.clear()
            self.log.clear()

    # -- serving -------------------------------------------------------------------------

    def _serve(self, handler: _Handler, method: str) -> None:
        if self.latency:  # outside any lock: concurrent requests wait side by side
            self._stopping.wait(self.latency)
        raw_path, _, query_string = handler.path.partition("?")
        query = parse_qs(query_string, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        payload = handler.rfile.read(length) if length else b""
        if raw_path == AUTHORIZE_PATH:  # the consent page a browser opens: a redirect, not JSON
            self._authorize(handler, query)
            return
        kind, key, range_text = _route(method, raw_path)
        with self._lock:
            fault = self._take_fault(kind)
        client, body, status, answer = self._answer(
            kind, key, range_text, method, raw_path, query, payload, handler, fault
        )
        recorded: int | str = status
        if fault is not None and fault.what in ("timeout", "reset"):
            recorded = str(fault.what)
        kept = body if self.keep_bodies or kind == "token" else None
        with self._lock:
            self.requests[(method, kind)] += 1
            self.log.append(Call(method, kind, key, raw_path, query, kept, recorded, client))
        if fault is not None and fault.what == "reset":
            handler.close_connection = (
                True  # no answer at all: the client sees a dropped connection
            )
            return
        if fault is not None and fault.what == "timeout":
            self._stopping.wait(self.timeout_delay)  # applied, but answered too late
        _send(handler, status, answer)

    def _answer(
        self,
        kind: str,
        key: str | None,
        range_text: str | None,
        method: str,
        raw_path: str,
        query: dict[str, list[str]],
        payload: bytes,
        handler: _Handler,
        fault: Fault | None,
    ) -> tuple[str | None, Any, int, Any]:
        """(client, parsed body, status, answer) of one request.

        Only the state a request touches is locked: the token table and the identity state
        under the fake's lock, a spreadsheet under its own, so requests on different
        spreadsheets are served side by side as Google does; bodies are parsed outside both.
        """
        client: str | None = None
        body: Any = None
        try:
            if kind == "unknown":
                raise ApiError(
                    404, google_error(404, f"No such method: {method} {raw_path}", "NOT_FOUND")
                )
            if kind == "token":
                body = parse_qs(payload.decode())
                if isinstance(fault, Fault) and fault.what not in ("timeout", "reset"):
                    raise _fault_error(fault)
                with self._lock:
                    return client, body, 200, self._token(body)
            body = json.loads(payload) if payload else None
            with self._lock:
                grant = self._grant(handler.headers.get("Authorization", ""))
            client = grant.email
            if isinstance(fault, Fault) and fault.what not in ("timeout", "reset"):
                raise _fault_error(fault)
            if fault is not None and fault.what == "reset":
                return client, body, 0, None
            with self._lock if kind in IDENTITY_AND_DRIVE_KINDS else self._sheet_lock(key):
                return client, body, 200, self._api(kind, key, range_text, query, body, grant)
        except ApiError as error:
            return client, body, error.status, error.body
        except json.JSONDecodeError:
            return (
                client,
                body,
                400,
                google_error(400, "Invalid JSON payload received.", "INVALID_ARGUMENT"),
            )
        except Exception as error:  # a bug of the fake: answer 500 and keep it for the test
            self.errors.append(traceback.format_exc())
            return (
                client,
                body,
                500,
                google_error(500, f"fake server bug: {error!r}", "INTERNAL"),
            )

    def _sheet_lock(self, key: str | None) -> threading.RLock:
        """The lock of one spreadsheet's state (made on first use)."""
        with self._lock:
            return self._sheet_locks.setdefault(key or "", threading.RLock())

    def _take_fault(self, kind: str) -> Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.match == kind or (fault.match is None and kind not in ("token", "unknown")):
                return self._faults.pop(index)
        return None

    def _token(self, form: dict[str, list[str]]) -> dict[str, Any]:
        def refuse(error: str, description: str) -> ApiError:
            return ApiError(400, {"error": error, "error_description": description})

        if form.get("grant_type") != [JWT_BEARER]:
            return self._other_grant(form)
        assertion = form.get("assertion", [""])[0]
        try:
            claims = jwt.decode(assertion, verify=False)
        except (ValueError, google.auth.exceptions.GoogleAuthError):
            raise refuse(
                "invalid_grant", "Invalid JWT: Token must be a short-lived token"
            ) from None
        email = str(claims.get("iss", ""))
        public_key = self._accounts.get(email)
        if public_key is None:
            raise refuse("invalid_grant", "Invalid grant: account not found")
        try:
            # google-auth signs for Google's token URL whatever token_uri says; accept both.
            audiences = [GOOGLE_TOKEN_URL, self.token_url]
            jwt.decode(assertion, certs=public_key, audience=audiences, clock_skew_in_seconds=30)
        except (ValueError, google.auth.exceptions.GoogleAuthError):
            raise refuse("invalid_grant", "Invalid JWT Signature.") from None
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self._tokens[token] = _Grant(email, frozenset(str(claims.get("scope", "")).split()))
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _grant(self, authorization: str) -> _Grant:
        scheme, _, token = authorization.partition(" ")
        grant = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if grant is None:
            raise ApiError(401, UNAUTHENTICATED)
        return grant

    def _api(
        self,
        kind: str,
        key: str | None,
        range_text: str | None,
        query: dict[str, list[str]],
        body: Any,
        grant: _Grant,
    ) -> dict[str, Any]:
        if kind in IDENTITY_AND_DRIVE_KINDS:
            return self._identity_and_drive_api(kind, key, query, body, grant)
        writing = kind in WRITE_KINDS
        if not grant.scopes & (frozenset({WRITE_SCOPE}) if writing else READ_SCOPES):
            raise ApiError(403, INSUFFICIENT_SCOPES)
        spreadsheet = self.spreadsheets.get(key or "")
        if spreadsheet is None or spreadsheet.deleted:
            raise ApiError(404, NOT_FOUND)
        if spreadsheet.access == "none" or (writing and spreadsheet.access != "writer"):
            raise ApiError(403, PERMISSION_DENIED)
        value_option = _first(query, "valueRenderOption", "FORMATTED_VALUE")
        date_option = _first(query, "dateTimeRenderOption", "SERIAL_NUMBER")
        major = _first(query, "majorDimension", "ROWS")
        if kind == "metadata":
            try:
                fields = parse_fields(_first(query, "fields", "*"))
            except ValueError:
                raise bad_request(
                    f"Invalid field selection {_first(query, 'fields', '')}"
                ) from None
            return select_fields(spreadsheet.metadata(), fields)
        if kind == "values.get":
            return _value_range(
                spreadsheet, unquote(range_text or ""), value_option, date_option, major
            )
        if kind == "values.batchGet":
            return {
                "spreadsheetId": spreadsheet.key,
                "valueRanges": [
                    _value_range(spreadsheet, text, value_option, date_option, major)
                    for text in query.get("ranges", [])
                ],
            }
        draft = _draft(spreadsheet)  # batches are atomic: work on a copy, keep it if all went well
        answer = self._write(kind, draft, range_text, query, body or {})
        spreadsheet.title, spreadsheet.locale, spreadsheet.time_zone = (
            draft.title,
            draft.locale,
            draft.time_zone,
        )
        spreadsheet.tabs = draft.tabs
        return answer

    def _write(
        self,
        kind: str,
        spreadsheet: FakeSpreadsheet,
        range_text: str | None,
        query: dict[str, list[str]],
        body: dict[str, Any],
    ) -> dict[str, Any]:
        if kind == "values.update":
            option = _first(query, "valueInputOption", "")
            if option not in ("RAW", "USER_ENTERED"):
                raise bad_request("'valueInputOption' is required but not specified")
            text = str(body.get("range") or unquote(range_text or ""))
            return _write_values(
                spreadsheet, text, body.get("values"), option, body.get("majorDimension")
            )
        if kind == "values.batchUpdate":
            option = body.get("valueInputOption")
            if option not in ("RAW", "USER_ENTERED"):
                raise bad_request("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
            responses = [
                _write_values(
                    spreadsheet,
                    str(item.get("range", "")),
                    item.get("values"),
                    option,
                    item.get("majorDimension"),
                )
                for item in body.get("data", [])
            ]
            return {
                "spreadsheetId": spreadsheet.key,
                "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
                "totalUpdatedColumns": max((r["updatedColumns"] for r in responses), default=0),
                "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
                "totalUpdatedSheets": len(
                    {r["updatedRange"].rpartition("!")[0] for r in responses}
                ),
                "responses": responses,
            }
        if kind in ("values.clear", "values.batchClear"):
            texts = (
                [unquote(range_text or "")]
                if kind == "values.clear"
                else list(body.get("ranges", []))
            )
            cleared = [_clear(spreadsheet, text) for text in texts]
            if kind == "values.clear":
                return {"spreadsheetId": spreadsheet.key, "clearedRange": cleared[0]}
            return {"spreadsheetId": spreadsheet.key, "clearedRanges": cleared}
        replies = [
            self._structural(spreadsheet, index, request)
            for index, request in enumerate(body.get("requests", []))
        ]
        return {"spreadsheetId": spreadsheet.key, "replies": replies}

    def _developer_metadata(
        self, spreadsheet: FakeSpreadsheet, name: str, spec: dict[str, Any], where: str
    ) -> dict[str, Any]:
        """createDeveloperMetadata on a tab, deleteDeveloperMetadata by a lookup."""
        if name == "deleteDeveloperMetadata":
            lookup = spec.get("dataFilter", {}).get("developerMetadataLookup")
            if not lookup:
                raise bad_request(f"{where}: dataFilter.developerMetadataLookup is required")
            deleted = []
            for tab in spreadsheet.tabs:
                kept = [e for e in tab.developer_metadata if not _metadata_matches(e, lookup)]
                deleted += [e for e in tab.developer_metadata if _metadata_matches(e, lookup)]
                tab.developer_metadata = kept
            return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted}}
        metadata = dict(spec.get("developerMetadata", {}))
        if not metadata.get("metadataKey"):
            raise bad_request(f"{where}: Developer metadata must always have a key specified.")
        if metadata.get("visibility") not in METADATA_VISIBILITIES:
            raise bad_request(
                f"{where}: Developer metadata must always have a visibility specified."
            )
        location = metadata.get("location", {})
        if "sheetId" not in location:
            raise bad_request(f"{where}: this fake only locates developer metadata on a tab")
        tab = spreadsheet.tab_by_id(int(location["sheetId"]))
        if tab is None:
            raise bad_request(f"{where}: No grid with id: {location['sheetId']}")
        taken = {e["metadataId"] for other in spreadsheet.tabs for e in other.developer_metadata}
        if "metadataId" in metadata and metadata["metadataId"] in taken:
            raise bad_request(f"{where}: Metadata with ID {metadata['metadataId']} already exists.")
        metadata.setdefault("metadataId", next(self._ids))
        metadata["location"] = {"locationType": "SHEET", "sheetId": tab.sheet_id}
        tab.developer_metadata.append(metadata)
        return {"createDeveloperMetadata": {"developerMetadata": copy.deepcopy(metadata)}}

    def _structural(
        self, spreadsheet: FakeSpreadsheet, index: int, request: dict[str, Any]
    ) -> dict[str, Any]:
        """One request of spreadsheets:batchUpdate."""
        if len(request) != 1:
            raise bad_request(f"Invalid requests[{index}]: exactly one kind of request expected")
        name, spec = next(iter(request.items()))
        where = f"Invalid requests[{index}].{name}"
        if name == "addSheet":
            properties = spec.get("properties", {})
            title = properties.get("title") or f"Feuille {len(spreadsheet.tabs) + 1}"
            if spreadsheet.tab(title) is not None:
                raise bad_request(
                    f'{where}: A sheet with the name "{title}" already exists. Please enter another name.'
                )
            sheet_id = properties.get("sheetId")
            if sheet_id is not None and spreadsheet.tab_by_id(sheet_id) is not None:
                raise bad_request(f"{where}: Sheet with id {sheet_id} already exists.")
            size = properties.get("gridProperties", {})
            tab = FakeTab(
                title,
                next(self._ids) if sheet_id is None else int(sheet_id),
                int(size.get("rowCount", 1000)),
                int(size.get("columnCount", 26)),
                hidden=bool(properties.get("hidden", False)),
            )
            position = int(properties.get("index", len(spreadsheet.tabs)))
            spreadsheet.tabs.insert(position, tab)
            return {"addSheet": {"properties": tab.properties(spreadsheet.tabs.index(tab))}}
        if name == "updateSpreadsheetProperties":
            properties = spec.get("properties", {})
            for path in _field_paths(spec.get("fields", ""), properties):
                attribute = {"title": "title", "locale": "locale", "timeZone": "time_zone"}.get(
                    path
                )
                if attribute is None:
                    raise bad_request(f"{where}: unsupported field {path} in this fake")
                setattr(spreadsheet, attribute, properties.get(path))
            return {}
        if name == "mergeCells":
            tab, r0, c0, r1, c1 = _grid_range(spreadsheet, spec.get("range", {}), where)
            tab.merges.append((r0, c0, r1, c1))
            for position in list(tab.cells):
                if r0 <= position[0] < r1 and c0 <= position[1] < c1 and position != (r0, c0):
                    del tab.cells[position]
            return {}
        if name == "updateCells":
            return _update_cells(spreadsheet, spec, where)
        if name in LAYOUT_REQUESTS and not _is_formatting(name, spec):
            return layout_request(spreadsheet, name, spec, where)
        if name in FORMAT_REQUESTS:
            return _format_request(spreadsheet, name, spec, where)
        if name in RULE_AND_FILTER_REQUESTS:
            return _rule_or_filter(spreadsheet, name, spec, where)
        if name in METADATA_REQUESTS:
            return self._developer_metadata(spreadsheet, name, spec, where)
        sheet_id = spec.get("sheetId", spec.get("properties", {}).get("sheetId"))
        tab = spreadsheet.tab_by_id(int(sheet_id or 0))
        if name not in ("deleteSheet", "updateSheetProperties", "appendDimension"):
            raise bad_request(
                f"Invalid JSON payload received. Unknown name \"{name}\" at 'requests[{index}]'"
            )
        if tab is None:
            raise bad_request(f"{where}: No grid with id: {sheet_id}")
        if name == "deleteSheet":
            if len(spreadsheet.tabs) == 1:
                raise bad_request(f"{where}: You can't remove all the sheets in a document.")
            spreadsheet.tabs.remove(tab)
        elif name == "appendDimension":
            length = int(spec.get("length", 0))
            if spec.get("dimension") == "COLUMNS":
                tab.resize(tab.rows, tab.columns + length)
            else:
                tab.resize(tab.rows + length, tab.columns)
        else:
            properties = spec.get("properties", {})
            for path in _field_paths(spec.get("fields", ""), properties):
                size = properties.get("gridProperties", {})
                if path == "title":
                    tab.title = properties["title"]
                elif path == "gridProperties.frozenRowCount":
                    tab.frozen_rows = int(size.get("frozenRowCount", 0))
                elif path == "hidden":
                    tab.hidden = bool(properties.get("hidden"))
                    if all(other.hidden for other in spreadsheet.tabs):
                        raise bad_request(f"{where}: You can't hide all the sheets in a document.")
                elif path in (
                    "gridProperties",
                    "gridProperties.rowCount",
                    "gridProperties.columnCount",
                ):
                    rows = (
                        size.get("rowCount", tab.rows)
                        if path != "gridProperties.columnCount"
                        else tab.rows
                    )
                    columns = (
                        size.get("columnCount", tab.columns)
                        if path != "gridProperties.rowCount"
                        else tab.columns
                    )
                    tab.resize(int(rows), int(columns))
                elif path == "gridProperties.frozenRowCount":
                    tab.frozen_rows = int(size.get("frozenRowCount", 0))
                else:
                    raise bad_request(f"{where}: unsupported field {path} in this fake")
        return {}


# Formatting requests the fake accepts and records on the tab their range names (no rendering).
FORMAT_REQUESTS = (
    "updateDimensionProperties",
    "repeatCell",
    "setBasicFilter",
    "addConditionalFormatRule",
)


RULE_AND_FILTER_REQUESTS = ("deleteConditionalFormatRule", "clearBasicFilter")
METADATA_REQUESTS = ("createDeveloperMetadata", "deleteDeveloperMetadata")
METADATA_VISIBILITIES = ("DOCUMENT", "PROJECT")


def _rule_or_filter(
    spreadsheet: FakeSpreadsheet, name: str, spec: dict[str, Any], where: str
) -> dict[str, Any]:
    """deleteConditionalFormatRule (by index, 400 when none is there) and clearBasicFilter."""
    sheet_id = int(spec.get("sheetId", 0))
    tab = spreadsheet.tab_by_id(sheet_id)
    if tab is None:
        raise bad_request(f"{where}: No grid with id: {sheet_id}")
    if name == "clearBasicFilter":
        tab.basic_filter = None
        return {}
    index = int(spec.get("index", 0))
    if not 0 <= index < len(tab.conditional_formats):
        raise bad_request(f"{where}: No conditional format on sheet: {sheet_id} at index: {index}")
    return {"deleteConditionalFormatRule": {"rule": tab.conditional_formats.pop(index)}}


def _metadata_matches(entry: dict[str, Any], lookup: dict[str, Any]) -> bool:
    """DeveloperMetadataLookup: every field given must match (id, key, value, sheet)."""
    location = lookup.get("metadataLocation", {})
    return all(
        entry.get(name) == lookup[name]
        for name in ("metadataId", "metadataKey", "metadataValue", "visibility")
        if name in lookup
    ) and ("sheetId" not in location or entry["location"].get("sheetId") == location["sheetId"])


def _is_formatting(name: str, spec: dict[str, Any]) -> bool:
    """A repeatCell that sets more than a number format is the tracking tab's formatting."""
    return name == "repeatCell" and spec.get("fields") != "userEnteredFormat.numberFormat"


def _format_request(
    spreadsheet: FakeSpreadsheet, name: str, spec: dict[str, Any], where: str
) -> dict[str, Any]:
    """Record a formatting request on its tab; 400 when the range names no tab."""
    ranges = {
        "updateDimensionProperties": lambda: [spec.get("range", {})],
        "repeatCell": lambda: [spec.get("range", {})],
        "setBasicFilter": lambda: [spec.get("filter", {}).get("range", {})],
        "addConditionalFormatRule": lambda: spec.get("rule", {}).get("ranges", []),
    }[name]()
    if not ranges:
        raise bad_request(f"{where}: a range is required")
    tabs = []
    for grid_range in ranges:
        tab = spreadsheet.tab_by_id(int(grid_range.get("sheetId", 0)))
        if tab is None:
            raise bad_request(f"{where}: No grid with id: {grid_range.get('sheetId')}")
        if int(grid_range.get("endIndex", grid_range.get("endColumnIndex", 0))) > tab.columns:
            raise bad_request(
                f"{where}: Range ({tab.title}) exceeds grid limits. Max rows: {tab.rows},"
                f" max columns: {tab.columns}"
            )
        tab.layout.requests.append({name: spec})
        tabs.append(tab)
    if name == "setBasicFilter":  # a tab has one basic filter: this one replaces it
        tabs[0].basic_filter = copy.deepcopy(spec.get("filter", {}))
    elif name == "addConditionalFormatRule":
        rule = copy.deepcopy(spec.get("rule", {}))
        if "booleanRule" not in rule and "gradientRule" not in rule:
            raise bad_request(f"{where}: a booleanRule or a gradientRule is required")
        rules = tabs[0].conditional_formats
        index = int(spec.get("index", 0))
        if not 0 <= index <= len(rules):
            raise bad_request(f"{where}: Invalid index {index}")
        rules.insert(index, rule)
    return {}


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        self.server.fake._serve(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._serve(self, "POST")

    def do_PUT(self) -> None:
        self.server.fake._serve(self, "PUT")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake keeps its own log."""


def _send(handler: BaseHTTPRequestHandler, status: int, answer: Any) -> None:
    if isinstance(answer, str):
        data, content_type = answer.encode(), "text/html; charset=UTF-8"
    else:
        data, content_type = (
            json.dumps(answer, ensure_ascii=False).encode(),
            "application/json; charset=UTF-8",
        )
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    except OSError:
        pass  # the client gave up (timeout fault): nobody to answer


ROUTE = re.compile(r"/v4/spreadsheets/([A-Za-z0-9_-]+)(.*)")


def _route(method: str, raw_path: str) -> tuple[str, str | None, str | None]:
    """(kind, spreadsheet key, still-encoded range) of a raw path; `:verb` suffixes are literal."""
    if raw_path == "/token":
        return ("token" if method == "POST" else "unknown"), None, None
    extra = identity_and_drive_route(method, raw_path)
    if extra is not None:
        return extra
    match = ROUTE.fullmatch(raw_path)
    if not match:
        return "unknown", None, None
    key, rest = match[1], match[2]
    fixed = {
        ("GET", ""): "metadata",
        ("POST", ":batchUpdate"): "batchUpdate",
        ("GET", "/values:batchGet"): "values.batchGet",
        ("POST", "/values:batchUpdate"): "values.batchUpdate",
        ("POST", "/values:batchClear"): "values.batchClear",
    }
    if (method, rest) in fixed:
        return fixed[(method, rest)], key, None
    if rest.startswith("/values/"):
        encoded = rest[len("/values/") :]
        if method == "POST" and encoded.endswith(":clear"):
            return "values.clear", key, encoded[: -len(":clear")]
        if method in ("GET", "PUT") and ":" not in encoded:
            return ("values.get" if method == "GET" else "values.update"), key, encoded
    return "unknown", key, None


def _fault_error(fault: Fault) -> ApiError:
    status = int(fault.what)
    if fault.body is not None:
        return ApiError(status, fault.body)
    if status == 429:
        return ApiError(status, QUOTA_EXCEEDED)
    if status == 403:
        return ApiError(status, PERMISSION_DENIED)
    if status == 404:
        return ApiError(status, NOT_FOUND)
    message, code = SERVER_ERRORS.get(status, (HTTPStatus(status).phrase, "UNKNOWN"))
    return ApiError(status, google_error(status, message, code))


def _first(query: dict[str, list[str]], name: str, default: str) -> str:
    return query.get(name, [default])[0]


def _field_paths(fields: str, properties: dict[str, Any]) -> list[str]:
    """The field paths of an update mask; `*` means every property given."""
    if fields.strip() == "*":
        return list(properties)
    return [path.strip() for path in fields.split(",") if path.strip()]


def _locate(
    spreadsheet: FakeSpreadsheet, text: str
) -> tuple[FakeTab, int, int, int | None, int | None]:
    """The tab and bounds of an A1 range (None: open to the grid's end); 400 when unparsable."""
    try:
        title, cells = split_range(text)
        if title is None:
            tab = spreadsheet.tab(text)
            if tab is not None:
                return tab, 0, 0, None, None
            tab, bounds = spreadsheet.tabs[0], parse_cells(text)
        else:
            found = spreadsheet.tab(title)
            if found is None:
                raise ValueError(title)
            tab, bounds = found, (parse_cells(cells) if cells else (0, 0, None, None))
    except (ValueError, IndexError):
        raise bad_request(f"Unable to parse range: {text}") from None
    return (tab, *bounds)


def _echo(tab: FakeTab, r0: int, c0: int, r1: int, c1: int) -> str:
    corner = a1(r0, c0) if (r0, c0) == (r1, c1) else f"{a1(r0, c0)}:{a1(r1, c1)}"
    return f"{display_title(tab.title)}!{corner}"


def _values(
    tab: FakeTab, r0: int, c0: int, r1: int, c1: int, value_option: str, date_option: str
) -> list[list[Any]]:
    """The block's rendered values, trailing empty cells and rows dropped.

    Walks the cells that hold something, not the grid: a big tab's grid is mostly empty.
    """
    by_row: dict[int, dict[int, Any]] = {}
    for (r, c), cell in tab.cells.items():
        if r0 <= r <= r1 and c0 <= c <= c1:
            shown = render(cell, value_option, date_option)
            if not (isinstance(shown, str) and shown == ""):
                by_row.setdefault(r - r0, {})[c - c0] = shown
    rows: list[list[Any]] = []
    for r in range(max(by_row, default=-1) + 1):
        found = by_row.get(r)
        row: list[Any] = [""] * (max(found) + 1) if found else []
        for c, shown in (found or {}).items():
            row[c] = shown
        rows.append(row)
    return rows


def _value_range(
    spreadsheet: FakeSpreadsheet, text: str, value_option: str, date_option: str, major: str
) -> dict[str, Any]:
    """A ValueRange: the range clipped to the grid, and its values unless there are none."""
    tab, r0, c0, r1, c1 = _locate(spreadsheet, text)
    if r0 >= tab.rows or c0 >= tab.columns:
        raise bad_request(
            f"Range ({_echo(tab, r0, c0, r0, c0)}) exceeds grid limits."
            f" Max rows: {tab.rows}, max columns: {tab.columns}"
        )
    r1 = tab.rows - 1 if r1 is None else min(r1, tab.rows - 1)
    c1 = tab.columns - 1 if c1 is None else min(c1, tab.columns - 1)
    answer: dict[str, Any] = {"range": _echo(tab, r0, c0, r1, c1), "majorDimension": major}
    if major == "COLUMNS":
        columns = _values(_transposed(tab), c0, r0, c1, r1, value_option, date_option)
        values = columns
    else:
        values = _values(tab, r0, c0, r1, c1, value_option, date_option)
    if values:
        answer["values"] = values
    return answer


def _draft(spreadsheet: FakeSpreadsheet) -> FakeSpreadsheet:
    """A deep copy to apply a batch to, sharing the (immutable) cells: only their dicts are new."""
    memo: dict[int, Any] = {id(tab.cells): dict(tab.cells) for tab in spreadsheet.tabs}
    return copy.deepcopy(spreadsheet, memo)


def _transposed(tab: FakeTab) -> FakeTab:
    cells = {(c, r): cell for (r, c), cell in tab.cells.items()}
    return FakeTab(tab.title, tab.sheet_id, tab.columns, tab.rows, cells)


def _write_values(
    spreadsheet: FakeSpreadsheet, text: str, values: Any, option: str, major: str | None
) -> dict[str, Any]:
    """Write a block from its top-left corner: null skips a cell, "" clears it.

    A range of one cell (`'T'!A1`) only says where to start, as in the real API.
    """
    tab, r0, c0, last_row, last_column = _locate(spreadsheet, text)
    if ":" not in (split_range(text)[1] or ""):
        last_row = last_column = None
    if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
        raise bad_request(
            f"Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), {json.dumps(values)}"
        )
    if major == "COLUMNS":
        width = max((len(row) for row in values), default=0)
        values = [[row[i] if i < len(row) else None for row in values] for i in range(width)]
    height = len(values)
    width = max((len(row) for row in values), default=0)
    if last_row is not None and height and r0 + height - 1 > last_row:
        raise bad_request(
            f"Requested writing within range [{text}], but tried writing to row [{r0 + height}]"
        )
    if last_column is not None and width and c0 + width - 1 > last_column:
        raise bad_request(
            f"Requested writing within range [{text}], but tried writing to column [{column_letters(c0 + width - 1)}]"
        )
    if r0 + height > tab.rows or c0 + width > tab.columns:
        raise bad_request(
            f"Range ({_echo(tab, r0, c0, r0 + max(height, 1) - 1, c0 + max(width, 1) - 1)}) exceeds grid limits."
            f" Max rows: {tab.rows}, max columns: {tab.columns}"
        )
    parse = raw_cell if option == "RAW" else user_entered_cell
    raw = option == "RAW"
    cells = tab.cells
    updated = 0
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            if value is None:
                continue
            position = (r0 + r, c0 + c)
            updated += 1
            if raw and type(value) is str:  # most cells of a big write: no call per cell
                if value:
                    cells[position] = Cell(value, value)
                else:
                    cells.pop(position, None)
                continue
            if isinstance(value, dict | list):
                raise bad_request(f"Invalid values[{r}][{c}]: {json.dumps(value)}")
            cell = parse(value, spreadsheet.locale)
            if cell is None:
                cells.pop(position, None)
            else:
                cells[position] = cell
    return {
        "spreadsheetId": spreadsheet.key,
        "updatedRange": _echo(tab, r0, c0, r0 + max(height, 1) - 1, c0 + max(width, 1) - 1),
        "updatedRows": height,
        "updatedColumns": width,
        "updatedCells": updated,
    }


def _clear(spreadsheet: FakeSpreadsheet, text: str) -> str:
    tab, r0, c0, r1, c1 = _locate(spreadsheet, text)
    r1 = tab.rows - 1 if r1 is None else min(r1, tab.rows - 1)
    c1 = tab.columns - 1 if c1 is None else min(c1, tab.columns - 1)
    tab.cells = {
        (r, c): cell for (r, c), cell in tab.cells.items() if not (r0 <= r <= r1 and c0 <= c <= c1)
    }
    return _echo(tab, r0, c0, r1, c1)


def _grid_range(
    spreadsheet: FakeSpreadsheet, grid_range: dict[str, Any], where: str
) -> tuple[FakeTab, int, int, int, int]:
    """A GridRange (0-based, end exclusive, missing ends open) on its tab."""
    tab = spreadsheet.tab_by_id(int(grid_range.get("sheetId", 0)))
    if tab is None:
        raise bad_request(f"{where}: No grid with id: {grid_range.get('sheetId', 0)}")
    return (
        tab,
        int(grid_range.get("startRowIndex", 0)),
        int(grid_range.get("startColumnIndex", 0)),
        int(grid_range.get("endRowIndex", tab.rows)),
        int(grid_range.get("endColumnIndex", tab.columns)),
    )


def _update_cells(spreadsheet: FakeSpreadsheet, spec: dict[str, Any], where: str) -> dict[str, Any]:
    """updateCells, values only: a `range` is cleared first, `start` only writes."""
    fields = spec.get("fields", "")
    if fields != "*" and "userEnteredValue" not in fields.split(","):
        raise bad_request(f"{where}: this fake only updates userEnteredValue")
    if "range" in spec:
        tab, r0, c0, r1, c1 = _grid_range(spreadsheet, spec["range"], where)
        tab.cells = {
            (r, c): cell
            for (r, c), cell in tab.cells.items()
            if not (r0 <= r < r1 and c0 <= c < c1)
        }
    else:
        start = spec.get("start", {})
        tab, r0, c0, _, _ = _grid_range(spreadsheet, {"sheetId": start.get("sheetId", 0)}, where)
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
    for r, row in enumerate(spec.get("rows", [])):
        for c, value in enumerate(row.get("values", [])):
            if r0 + r >= tab.rows or c0 + c >= tab.columns:
                raise bad_request(
                    f"{where}: Range exceeds grid limits. Max rows: {tab.rows}, max columns: {tab.columns}"
                )
            entered = value.get("userEnteredValue")
            position = (r0 + r, c0 + c)
            if not entered:
                tab.cells.pop(position, None)
            elif "formulaValue" in entered:
                tab.cells[position] = user_entered_cell(
                    str(entered["formulaValue"]), spreadsheet.locale
                ) or Cell("", "")
            else:
                literal = entered.get(
                    "stringValue", entered.get("numberValue", entered.get("boolValue"))
                )
                cell = raw_cell(literal, spreadsheet.locale)  # a stringValue is never a formula
                if cell is None:
                    tab.cells.pop(position, None)
                else:
                    tab.cells[position] = cell
    return {}


# ---------------------------------------------------------------------------------------
# Workbooks and fixtures


def tabs_from_workbook(path: Path, locale: str = "fr_FR") -> dict[str, list[list[Cell | None]]]:
    """A workbook's tabs as the fake's cells: dates as serials, `0%` formats as percentages."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        tabs: dict[str, list[list[Cell | None]]] = {}
        for sheet in book.worksheets:
            rows = []
            for row in sheet.iter_rows():
                cells = []
                for cell in row:
                    value = getattr(cell, "value", None)
                    number_format = str(getattr(cell, "number_format", "General"))
                    if (
                        isinstance(value, int | float)
                        and not isinstance(value, bool)
                        and "%" in number_format
                    ):
                        cells.append(percent_cell(float(value), locale))
                    else:
                        cells.append(raw_cell(value, locale))
                rows.append(cells)
            tabs[sheet.title] = rows
        return tabs
    finally:
        book.close()


@pytest.fixture
def sheets_api() -> Iterator[FakeSheetsApi]:
    """A fresh fake Sheets API on 127.0.0.1, stopped after the test."""
    with FakeSheetsApi() as fake:
        yield fake
    # A crash inside the fake would pass for a server error: it fails the test instead.
    assert fake.errors == [], fake.errors[0]


@pytest.fixture
def service_account(sheets_api: FakeSheetsApi) -> ServiceAccount:
    """A real RSA service-account key whose token_uri is the fake's, known to the fake."""
    account = make_service_account(sheets_api.token_url)
    sheets_api.register_service_account(account.email, account.public_key_pem)
    return account


@pytest.fixture
def service_account_file(tmp_path: Path, service_account: ServiceAccount) -> Path:
    """The service account's JSON key file, as SUIVI_GOOGLE_CREDENTIALS would name it."""
    return service_account.write(tmp_path / "service-account.json")
