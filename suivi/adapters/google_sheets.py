"""A Google Sheet as a source: two reads per run, one write, bounded retries, clear errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import numbers
import random
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import google.auth.credentials
import google.auth.exceptions
import gspread
import numpy as np
import pandas as pd
import requests
import requests.adapters
from google.auth.transport.requests import AuthorizedSession, Request
from gspread.utils import absolute_range_name, rowcol_to_a1
from pandas._libs import lib

from suivi.adapters.google_auth import GoogleIdentity, load_identity
from suivi.adapters.source import SourceError
from suivi.adapters.tab_layout import (
    LAYOUT_KEY,
    layout_fingerprint,
    layout_requests,
    mark_request,
    relayout_requests,
)
from suivi.model import RawTab, RawTabs
from suivi.schema import OwnedTab
from suivi.settings import Env
from suivi.sheet.dashboard import TabLayout

# Hosts gspread calls; an endpoint override sends both to the same base URL.
GOOGLE_API_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
# After each token, google-auth looks up the account's "regional access boundary" on Google's
# IAM endpoint, in a background thread; with an endpoint override nothing may go to Google.
GOOGLE_IAM_HOSTS = (
    "https://iamcredentials.googleapis.com",
    "https://iamcredentials.mtls.googleapis.com",
)
# Only what the reader needs: no formats, no grid data; for the owned tabs' layout, each tab's
# developer metadata (the layout's fingerprint) and how many conditional formats it holds.
METADATA_FIELDS = (
    "properties(title,locale,timeZone),"
    "sheets.properties(sheetId,title,index,sheetType,gridProperties(rowCount,columnCount)),"
    "sheets.developerMetadata(metadataId,metadataKey,metadataValue),"
    "sheets.conditionalFormats.ranges.sheetId"
)
# Values, not their French display: dates as serial numbers, percentages as fractions.
READ_OPTIONS: dict[str, str] = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}
# An owned tab is created with the grid a person would get, so it rarely needs growing.
NEW_TAB_ROWS = 1000
NEW_TAB_COLUMNS = 26

T = TypeVar("T")


@dataclass(frozen=True)
class _Grid:
    """Where a tab lives and how big its grid is (rows and columns that can hold values)."""

    sheet_id: int
    rows: int
    columns: int
    layout: str | None = None  # the fingerprint of the layout suivi last applied
    marks: tuple[int, ...] = ()  # ids of the developer metadata holding it
    rules: int = 0  # conditional formats on the tab


class GoogleSheets:
    """A Google Sheet read whole in two requests and written back in one.

    `retries` is how many times a transient failure (408, 429, 5xx, timeout, dropped
    connection) is retried, so a call is made at most `retries + 1` times; the waits grow
    exponentially with full jitter (`backoff` seconds doubling, capped at `backoff_cap`).
    Everything else (400, 401, 403, 404, a bad key) fails at once.
    """

    def __init__(
        self,
        key: str,
        *,
        credentials: Mapping[str, Any] | Path | str | None,
        endpoint: str | None = None,
        timeout: float = 30,
        retries: int = 4,
        backoff: float = 1.0,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.key = key
        self.retries = max(retries, 0)
        self.title: str | None = None
        self.locale: str | None = None
        self.time_zone: str | None = None
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        self._sleep = sleep
        self._random = random.Random()
        self.identity = _load_identity(key, credentials)
        self._credentials = self.identity.credentials
        session = _authorized_session(self._credentials, self.identity.token_uri, endpoint)
        client = gspread.Client(
            auth=self._credentials, session=session, http_client=gspread.HTTPClient
        )
        client.set_timeout(timeout)
        self._http = client.http_client
        self._grids: dict[str, _Grid] | None = None  # tab title → grid, from the last metadata
        self._extents: dict[str, tuple[int, int]] = {}  # tab title → (rows, columns) holding data
        self._layouts: dict[str, TabLayout] = {}  # tab title → layout asked by the current write

    @property
    def service_account_email(self) -> str:
        """The e-mail the spreadsheet must be shared with (or who the credentials are)."""
        return self.identity.email or self.identity.who()

    def describe(self) -> str:
        """The spreadsheet's title and key (the key alone before the first read)."""
        return (
            f"Google Sheet '{self.title}' ({self.key})"
            if self.title
            else f"Google Sheet {self.key}"
        )

    def read_tabs(self) -> RawTabs:
        """Every tab, as values: one metadata read and one batchGet for all tabs."""
        titles = list(self._load_grids())
        if not titles:
            return {}
        value_ranges = self._get_values(titles, "read the tabs")
        tabs: RawTabs = {}
        for title, value_range in zip(titles, value_ranges, strict=True):
            tabs[title], self._extents[title] = _read_grid(value_range)
        return tabs

    def write_tabs(
        self, tabs: dict[str, RawTab], layouts: Mapping[str, TabLayout] | None = None
    ) -> None:
        """Rewrite the owned tabs whole, as literal values, in one values:batchUpdate.

        A tab created by this write, or whose layout (`layouts`) differs from the fingerprint
        it carries, gets that layout in the same structural request: the old conditional
        formats are deleted first, so nothing stacks.

        On the first run the missing tabs are created first (one more write, once); a tab
        whose grid is too small is grown in that same structural request. Cells beyond the
        new content, up to what the tab held before, are blanked in the same write.
        """
        unknown = set(tabs) - {tab.value for tab in OwnedTab}
        if unknown:
            raise ValueError(f"refusing to write the team's own tabs: {sorted(unknown)}")
        if not tabs:
            return
        contents = {title: _literals(rows) for title, rows in tabs.items()}
        extents = {title: _extent(rows) for title, rows in contents.items()}
        grids = self._grids if self._grids is not None else self._load_grids()
        unread = [title for title in contents if title in grids and title not in self._extents]
        if unread:  # a fresh object: learn how much the owned tabs hold, to blank the rest
            for title, value_range in zip(
                unread, self._get_values(unread, "read the tracking tabs"), strict=True
            ):
                self._extents[title] = _read_grid(value_range)[1]
        regions = {
            title: _region(extents[title], len(rows), self._extents.get(title, (0, 0)))
            for title, rows in contents.items()
        }
        self._layouts = dict(layouts or {})
        self._ensure_grids(regions)
        data = [
            {
                "range": f"{absolute_range_name(title)}!A1:{rowcol_to_a1(height, width)}",
                "majorDimension": "ROWS",
                "values": _padded(contents[title], height, width),
            }
            for title, (height, width) in regions.items()
            if height and width
        ]
        if data:
            body = {"valueInputOption": "RAW", "data": data}  # RAW: a string is never a formula
            self._call(
                "write the tracking tabs", lambda: self._http.values_batch_update(self.key, body)
            )
        self._extents.update(extents)

    def cell_url(self, tab: str, cell: str) -> str | None:
        """A link opening the tab at that cell; None when the tab is unknown."""
        if self._grids is None:
            try:
                self._load_grids()
            except SourceError:
                return None  # a link is a convenience; never fail a report for it
        grid = (self._grids or {}).get(tab)
        if grid is None:
            return None
        link = f"https://docs.google.com/spreadsheets/d/{self.key}/edit#gid={grid.sheet_id}"
        return f"{link}&range={cell}" if cell else link

    def api_call(self, action: str, method: str, url: str, **options: Any) -> Any:
        """One call to a Google API (Sheets, Drive) as these credentials, retried; its JSON."""
        return self._call(action, lambda: self._http.request(method, url, **options).json())

    def structural_update(self, action: str, requests: list[dict[str, Any]]) -> Any:
        """One spreadsheets.batchUpdate (layout, validation; never values), retried."""
        body = {"requests": requests}
        return self._call(action, lambda: self._http.batch_update(self.key, body))

    def sheet_ids(self) -> dict[str, tuple[int, int]]:
        """Tab title → (sheetId, rows in its grid), from the last metadata read."""
        return {title: (grid.sheet_id, grid.rows) for title, grid in (self._grids or {}).items()}

    def _load_grids(self) -> dict[str, _Grid]:
        """Read the spreadsheet's properties and tabs (one read) and remember them."""
        metadata = self._call("read the list of tabs", self._fetch_metadata)
        return self._remember(metadata)

    def _fetch_metadata(self) -> Mapping[str, Any]:
        return self._http.fetch_sheet_metadata(self.key, params={"fields": METADATA_FIELDS})

    def _remember(self, metadata: Mapping[str, Any]) -> dict[str, _Grid]:
        properties = metadata.get("properties", {})
        self.title = properties.get("title") or self.title
        self.locale = properties.get("locale") or self.locale
        self.time_zone = properties.get("timeZone") or self.time_zone
        grids: dict[str, _Grid] = {}
        for sheet in metadata.get("sheets", []):
            tab = sheet.get("properties", {})
            if tab.get("sheetType", "GRID") != "GRID":
                continue  # chart sheets hold no cells
            size = tab.get("gridProperties", {})
            marks = [
                entry
                for entry in sheet.get("developerMetadata", [])
                if entry.get("metadataKey") == LAYOUT_KEY
            ]
            grids[tab["title"]] = _Grid(
                int(tab.get("sheetId", 0)),
                int(size.get("rowCount", 0)),
                int(size.get("columnCount", 0)),
                # Several marks (two runs at once): none is trusted, all are replaced.
                marks[0].get("metadataValue") if len(marks) == 1 else None,
                tuple(int(entry.get("metadataId", 0)) for entry in marks),
                len(sheet.get("conditionalFormats", [])),
            )
        self._grids = grids
        return grids

    def _get_values(self, titles: list[str], action: str) -> list[Mapping[str, Any]]:
        """The value ranges of whole tabs, in the order asked, in one batchGet."""
        ranges = [absolute_range_name(title) for title in titles]

        def batch_get() -> Any:
            # gspread adds `ranges` to the params dict it is given: hand it a fresh one.
            return self._http.values_batch_get(self.key, list(ranges), params=dict(READ_OPTIONS))

        response = self._call(action, batch_get)
        value_ranges = response.get("valueRanges", []) if isinstance(response, Mapping) else []
        if len(value_ranges) != len(titles):
            raise SourceError(
                f"{self.describe()}: Google answered {len(value_ranges)} ranges for {len(titles)} tabs;"
                " will retry",
                transient=True,
            )
        return list(value_ranges)

    def _ensure_grids(self, regions: dict[str, tuple[int, int]]) -> None:
        """Create missing owned tabs and grow too-small ones, in one structural request."""
        sent = False

        def change() -> None:
            nonlocal sent
            if sent:  # an earlier attempt may have been applied before it failed: look again
                self._remember(self._fetch_metadata())
            changes = self._grid_changes(regions)
            if not changes:
                return
            sent = True
            reply = self._http.batch_update(self.key, {"requests": changes})
            self._learn(changes, reply.get("replies", []) if isinstance(reply, Mapping) else [])

        self._call("create the tracking tabs", change)

    def _grid_changes(self, regions: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
        grids = self._grids or {}
        changes: list[dict[str, Any]] = []
        for title, (height, content_width) in regions.items():
            grid = grids.get(title)
            layout = self._layouts.get(title)
            # Columns the layout sizes must exist, even past the content.
            width = max(content_width, len(layout.widths) if layout is not None else 0)
            if grid is None:
                size = {
                    "rowCount": max(height, NEW_TAB_ROWS),
                    "columnCount": max(width, NEW_TAB_COLUMNS),
                }
                sheet_id = _new_sheet_id(title, {known.sheet_id for known in grids.values()})
                changes.append(
                    {
                        "addSheet": {
                            "properties": {
                                "sheetId": sheet_id,
                                "title": title,
                                "sheetType": "GRID",
                                "gridProperties": size,
                            }
                        }
                    }
                )
                if layout is not None:  # created now: its layout goes in the same request
                    changes += [*layout_requests(sheet_id, layout), mark_request(sheet_id, layout)]
                continue
            if height > grid.rows or width > grid.columns:
                size = {"rowCount": max(height, grid.rows), "columnCount": max(width, grid.columns)}
                changes.append(
                    {
                        "updateSheetProperties": {
                            "properties": {"sheetId": grid.sheet_id, "gridProperties": size},
                            "fields": "gridProperties.rowCount,gridProperties.columnCount",
                        }
                    }
                )
            if layout is not None and grid.layout != layout_fingerprint(layout):
                changes += relayout_requests(grid.sheet_id, layout, grid.rules, grid.marks)
        return changes

    def _learn(self, changes: list[dict[str, Any]], replies: list[Any]) -> None:
        """Record new tabs, grid sizes and layouts applied, so no read is needed after a write."""
        grids = dict(self._grids or {})
        replies = [*replies[: len(changes)], *[{}] * (len(changes) - len(replies))]
        for change, reply in zip(changes, replies, strict=True):
            name, spec = next(iter(change.items()))
            by_id = {grid.sheet_id: title for title, grid in grids.items()}
            if name == "addSheet":
                added = (reply or {}).get("addSheet", {}).get("properties") or spec["properties"]
                size = added.get("gridProperties", {})
                grids[added["title"]] = _Grid(
                    int(added.get("sheetId", 0)),
                    int(size.get("rowCount", 0)),
                    int(size.get("columnCount", 0)),
                )
                self._extents[added["title"]] = (0, 0)
                continue
            sheet_id = _sheet_of(name, spec)
            title = by_id.get(sheet_id) if sheet_id is not None else None
            if title is None:
                continue  # a format that changes nothing this adapter keeps count of
            grid = grids[title]
            if name == "updateSheetProperties" and "rowCount" in spec["fields"]:
                size = spec["properties"]["gridProperties"]
                grid = dataclasses.replace(grid, rows=size["rowCount"], columns=size["columnCount"])
            elif name == "addConditionalFormatRule":
                grid = dataclasses.replace(grid, rules=grid.rules + 1)
            elif name == "deleteConditionalFormatRule":
                grid = dataclasses.replace(grid, rules=grid.rules - 1)
            elif name == "createDeveloperMetadata":
                created = (reply or {}).get("createDeveloperMetadata", {})
                metadata = created.get("developerMetadata") or spec["developerMetadata"]
                grid = dataclasses.replace(
                    grid,
                    layout=metadata.get("metadataValue"),
                    marks=(int(metadata.get("metadataId", 0)),),
                )
            grids[title] = grid
        self._grids = grids

    def _call(self, action: str, operation: Callable[[], T]) -> T:
        """Run one API call; retry transient failures with capped, fully jittered backoff."""
        attempt = 0
        while True:
            try:
                return operation()
            except (
                gspread.exceptions.APIError,
                requests.exceptions.RequestException,
                google.auth.exceptions.GoogleAuthError,
            ) as error:
                failure = self._failure(action, error)
                if not failure.transient or attempt >= self.retries:
                    raise failure from error
            # Full jitter: spreads the retries of several workers over the quota minute.
            self._sleep(self._random.uniform(0, min(self._backoff_cap, self._backoff * 2**attempt)))
            attempt += 1

    def _failure(self, action: str, error: Exception) -> SourceError:
        """The SourceError saying what went wrong and what to do about it."""
        name = self.describe()
        if isinstance(error, gspread.exceptions.APIError):
            status = error.response.status_code
            detail = str(error.error.get("message", "")).strip()
            if status == 403:
                hint = self.identity.share_hint()
                return SourceError(f"{name}: permission denied to {action}: {hint}")
            if status == 404:
                return SourceError(
                    f"{name}: spreadsheet not found: check the key/URL in config (`source`)"
                )
            if status == 401:
                return SourceError(
                    f"{name}: Google refused the access token of {self.identity.who()}:"
                    f" {_check_hint(self.identity.kind)}"
                )
            if status in (408, 429) or status >= 500:
                return SourceError(
                    f"{name}: could not {action}: Google quota (refills each minute) / server error"
                    f" ({status}: {detail}), will retry",
                    transient=True,
                )
            return SourceError(f"{name}: Google refused to {action} ({status}: {detail})")
        if isinstance(error, google.auth.exceptions.RefreshError):
            reason = error.args[0] if error.args else error
            return SourceError(
                f"{name}: no access token for {self.identity.who()} ({reason}):"
                f" {_check_hint(self.identity.kind)}",
                transient=bool(getattr(error, "retryable", False)),
            )
        if isinstance(
            error,
            requests.exceptions.Timeout
            | requests.exceptions.ConnectionError
            | google.auth.exceptions.TransportError,
        ):
            return SourceError(
                f"{name}: Google could not be reached or did not answer in time to {action}"
                f" ({type(error).__name__}), will retry",
                transient=True,
            )
        return SourceError(
            f"{name}: unexpected answer while trying to {action} ({type(error).__name__}: {error});"
            " check SUIVI_SHEETS_ENDPOINT if it is set"
        )


def open_google_sheet(
    key: str, env: Env, credentials_info: Mapping[str, Any] | None = None
) -> GoogleSheets:
    """A GoogleSheets for `key`, with the key from `credentials_info` or SUIVI_GOOGLE_CREDENTIALS."""
    credentials: Mapping[str, Any] | Path | None = (
        credentials_info if credentials_info is not None else env.google_credentials
    )
    return GoogleSheets(key, credentials=credentials, endpoint=env.sheets_endpoint)


class _RedirectAdapter(requests.adapters.HTTPAdapter):
    """Sends requests meant for Google's API hosts to another base URL (a proxy, a test server)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        """Swap scheme and host for the base URL, keep path and query as gspread built them."""
        url = str(request.url)
        parts = urlsplit(url)
        request.url = self.base + url[len(f"{parts.scheme}://{parts.netloc}") :]
        return super().send(request, stream, timeout, verify, cert, proxies)


def _load_identity(key: str, credentials: Mapping[str, Any] | Path | str | None) -> GoogleIdentity:
    """Credentials of any kind (None: Application Default Credentials), errors naming the sheet."""
    try:
        return load_identity(credentials)
    except SourceError as error:
        raise SourceError(f"Google Sheet {key}: {error}") from None


def _check_hint(kind: str) -> str:
    """What to check when Google refuses the credentials themselves."""
    if kind == "service_account":
        return "check the service-account key (SUIVI_GOOGLE_CREDENTIALS)"
    if kind == "authorized_user":
        return "run `suivi auth google` again (the permission may have been withdrawn)"
    return "check the credentials file (SUIVI_GOOGLE_CREDENTIALS)"


def _authorized_session(
    credentials: google.auth.credentials.Credentials, token_uri: str, endpoint: str | None
) -> AuthorizedSession:
    """A session that signs every call, optionally sending the API calls to `endpoint`."""
    token_session = requests.Session()
    # Like google-auth's own token session: retry dropped connections to the token endpoint.
    token_session.mount("https://", requests.adapters.HTTPAdapter(max_retries=3))
    # Proxy variables must not route a loopback token endpoint (a test server) elsewhere.
    token_session.trust_env = not _is_loopback(token_uri)
    session = AuthorizedSession(credentials, auth_request=Request(token_session))
    if endpoint:
        session.trust_env = False  # the endpoint is explicit: no proxy from the environment
        adapter = _RedirectAdapter(_api_base(endpoint))
        for host in GOOGLE_API_HOSTS:
            session.mount(host, adapter)
        for host in GOOGLE_IAM_HOSTS:  # the lookup goes through the token session
            token_session.mount(host, adapter)
    return session


def _api_base(endpoint: str) -> str:
    """Scheme and host (and any prefix) of SUIVI_SHEETS_ENDPOINT, without a trailing /v4."""
    base = endpoint.strip().rstrip("/")
    if base.endswith("/v4"):
        base = base[: -len("/v4")]
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"SUIVI_SHEETS_ENDPOINT {endpoint!r} is not an http(s) URL")
    return base


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def _read_grid(value_range: Mapping[str, Any]) -> tuple[RawTab, tuple[int, int]]:
    """Rows of one value range, padded to a rectangle (empty cells None), and their extent.

    Google leaves out trailing empty cells and rows, sends `[]` for an empty row inside the
    data, and no `values` key at all for an empty tab. One object grid, no loop over rows.
    """
    rows = value_range.get("values") or []
    if not rows:
        return [], (0, 0)
    grid = lib.to_object_array(rows)  # short rows padded with None
    grid[grid == ""] = None
    return grid.tolist(), _grid_extent(grid != None)  # noqa: E711 (elementwise, not identity)


def _grid_extent(filled: np.ndarray) -> tuple[int, int]:
    """(rows, columns) up to the last filled cell of a 2-D mask."""
    rows = np.flatnonzero(filled.any(axis=1))
    if not len(rows):
        return 0, 0
    return int(rows[-1]) + 1, int(np.flatnonzero(filled.any(axis=0))[-1]) + 1


def _region(extent: tuple[int, int], length: int, previous: tuple[int, int]) -> tuple[int, int]:
    """The block to write: the new content (its extent, `length` rows), stretched over what
    the tab held before."""
    height, width = extent
    return max(height, length, previous[0]), max(width, previous[1])


def _extent(rows: RawTab) -> tuple[int, int]:
    """(rows, columns) up to the last non-empty cell."""
    height = width = 0
    for index, row in enumerate(rows):
        end = len(row)
        # Trailing empties only: most rows end with a value, so this stops at once.
        while end and (row[end - 1] is None or row[end - 1] == ""):
            end -= 1
        if end:
            height = index + 1
            width = max(width, end)
    return height, width


def _padded(rows: RawTab, height: int, width: int) -> RawTab:
    """Rows cut or padded with "" to exactly height x width ("" clears a cell; None would skip it).

    A row already of that width is sent as it is (nothing downstream changes it).
    """
    blanks = [""] * width
    block = [
        row if len(row) == width else row + blanks[len(row) :] if len(row) < width else row[:width]
        for row in rows[:height]
    ]
    return block + [list(blanks) for _ in range(height - len(block))]


# Values JSON carries as they are under RAW: the common case, kept out of `_literal`'s checks.
_AS_IS = frozenset({str, int, bool})


def _literals(rows: RawTab) -> list[list[Any]]:
    """Every cell as `_literal` makes it; a row of text and whole numbers (most) is kept as is.

    The tab's types are checked in one C-level pass (then, if need be, each row's); only a row
    holding something else (a date, a float, None) is rebuilt cell by cell. Rows are read,
    never changed, downstream.
    """
    as_is = _AS_IS
    if as_is.issuperset(map(type, itertools.chain.from_iterable(rows))):
        return list(rows)
    return [
        row
        if as_is.issuperset(map(type, row))
        else [value if type(value) in as_is else _literal(value) for value in row]
        for row in rows
    ]


def _literal(value: Any) -> str | int | float | bool:
    """A JSON value stored as is under RAW: numbers stay numbers, dates become ISO text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _sheet_of(name: str, spec: Mapping[str, Any]) -> int | None:
    """The tab a structural request changes (None for one that names none)."""
    if name == "updateSheetProperties":
        return int(spec["properties"]["sheetId"])
    if name == "addConditionalFormatRule":
        return int(spec["rule"]["ranges"][0].get("sheetId", 0))
    if name == "deleteConditionalFormatRule":
        return int(spec.get("sheetId", 0))
    if name == "createDeveloperMetadata":
        return int(spec["developerMetadata"]["location"].get("sheetId", 0))
    return None


def _new_sheet_id(title: str, taken: set[int]) -> int:
    """A sheet id for a new tab, chosen here so its layout can name it in the same request."""
    candidate = zlib.crc32(title.encode("utf-8")) % 2_000_000_000 + 1
    while candidate in taken:
        candidate += 1
    return candidate
