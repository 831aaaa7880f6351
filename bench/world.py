"""The outside world of an end-to-end benchmark, in a process of its own: the fake Google
Sheets API serving a synthetic portfolio, and an SMTP sink.

Keeping them out of the measured process means its peak memory and CPU are suivi's alone.
The parent talks to the world over a pipe: `counts` (requests and SMTP connections so far),
`reset` (forget them), `stop`.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench.portfolio import (
    AS_OF,
    project_codes,
    synthetic_activities,
    synthetic_deliverables,
    synthetic_indicators,
    synthetic_measures,
    synthetic_raw_tabs,
)

INDICATORS_PER_PROJECT = 40
DELIVERABLES_PER_ACTIVITY = 0.1
OWNED_TABS = ("Suivi automatique", "Contrôles")


@dataclass(frozen=True)
class Served:
    """What the world tells the parent once it is up."""

    sheets_url: str
    smtp_host: str
    smtp_port: int
    service_account: dict[str, str]
    keys: dict[str, str]  # project code → spreadsheet key


def spreadsheet_key(code: str) -> str:
    """A key shaped like Google's (30+ characters of [A-Za-z0-9_-])."""
    return f"1Bench{code}Portfolio2026xYz0123456789abcdef"


def portfolio_tabs(code: str, activities: int, seed: int) -> dict[str, list[list[Any]]]:
    """One project's sheet rows: activities, deliverables, indicators, measures, committees."""
    frame = synthetic_activities(activities, seed=seed, as_of=AS_OF).assign(project=code)
    deliverables = synthetic_deliverables(
        max(1, int(activities * DELIVERABLES_PER_ACTIVITY)), seed=seed, as_of=AS_OF
    )
    indicators = synthetic_indicators(INDICATORS_PER_PROJECT, seed=seed, as_of=AS_OF)
    measures = synthetic_measures(indicators, seed=seed, as_of=AS_OF)
    return synthetic_raw_tabs(frame, deliverables, indicators, measures)


def serve(projects: int, activities: int, channel: Connection, latency: float = 0.0) -> None:
    """Child process: build the portfolio, serve it and the SMTP sink until told to stop.

    `latency`: seconds each Sheets request waits before its answer, as Google's would.
    """
    from fakes.service_account import make_service_account
    from fakes.sheets_api import READ_KINDS, WRITE_KINDS, FakeSheetsApi, FakeTab, _route
    from fakes.smtp import FakeSmtpServer

    class TimedSheetsApi(FakeSheetsApi):
        """The fake, keeping the seconds it spends answering reads and writes: `busy` is each
        request's wall time summed (requests overlap, so it can exceed the run's wall time),
        `cpu` the CPU its handler threads spent on them (latency waits excluded)."""

        busy: ClassVar[dict[str, float]] = {"read": 0.0, "write": 0.0, "other": 0.0}
        cpu: ClassVar[dict[str, float]] = {"read": 0.0, "write": 0.0, "other": 0.0}

        def _serve(self, handler: Any, method: str) -> None:
            kind = _route(method, handler.path.partition("?")[0])[0]
            group = "read" if kind in READ_KINDS else "write" if kind in WRITE_KINDS else "other"
            started, cpu_started = time.perf_counter(), time.thread_time()
            try:
                super()._serve(handler, method)
            finally:
                with self._lock:
                    self.busy[group] += time.perf_counter() - started
                    self.cpu[group] += time.thread_time() - cpu_started

    sheets = TimedSheetsApi()
    sheets.latency = latency
    sheets.keep_bodies = False  # 20 write bodies of 110 000 rows would weigh gigabytes
    sheets.start()
    smtp = FakeSmtpServer().start()
    account = make_service_account(sheets.token_url)
    sheets.register_service_account(account.email, account.public_key_pem)
    keys = {}
    for number, code in enumerate(project_codes(projects)):
        key = spreadsheet_key(code)
        keys[code] = key
        spreadsheet = sheets.add_spreadsheet(
            key, f"Suivi {code}", portfolio_tabs(code, activities, seed=number)
        )
        # The owned tabs as a previous run left them: steady state, no tab to create.
        for offset, title in enumerate(OWNED_TABS):
            rows = activities + int(activities * DELIVERABLES_PER_ACTIVITY) + 100
            spreadsheet.tabs.append(FakeTab(title, 900_000 + offset, rows=rows, columns=26))
    channel.send(Served(sheets.url, smtp.host, smtp.port, account.info, keys))
    try:
        while True:
            command = channel.recv()
            if command == "counts":
                channel.send(
                    {
                        "reads": sheets.reads,
                        "writes": sheets.writes,
                        "token": sheets.count("token"),
                        "smtp_connections": smtp.connections,
                        "emails_received": len(smtp.messages),
                        "fake_read_seconds": sheets.busy["read"],
                        "fake_write_seconds": sheets.busy["write"],
                        "fake_read_cpu": sheets.cpu["read"],
                        "fake_write_cpu": sheets.cpu["write"],
                    }
                )
            elif command == "reset":
                sheets.reset_log()
                sheets.busy.update(read=0.0, write=0.0, other=0.0)
                sheets.cpu.update(read=0.0, write=0.0, other=0.0)
                with smtp.recorder.lock:
                    smtp.recorder.connections = 0
                    smtp.recorder.messages.clear()
                channel.send("ok")
            else:
                break
    finally:
        smtp.stop()
        sheets.close()
