"""`suivi serve` speaks the settings' language: its start lines and what it says when it cannot start.

The words live in flows/ (flows/serve.py, flows/serve_info.py): babel.cfg extracts them, the
catalogs translate them. A real `suivi serve` in a fresh interpreter, on a port really taken.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from flows.serve import HOST, ServeError, schedule_of
from flows.serve_info import next_runs, start_lines

ROOT = Path(__file__).resolve().parents[1]


def settings_in(language: str, folder: Path) -> Path:
    """The demo's settings file, in `language`."""
    text = (ROOT / "config" / "suivi.yaml").read_text(encoding="utf-8")
    text = text.replace("language: fr", f"language: {language}", 1)
    text = text.replace("source: demo/", f"source: {ROOT / 'config' / 'demo'}/")
    path = folder / "suivi.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_taken_port_is_said_in_the_settings_language(tmp_path: Path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "SUIVI_"))
    }
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        environment |= {
            "PREFECT_HOME": str(tmp_path / "prefect-home"),  # no profile naming a server
            "PREFECT_SERVER_API_PORT": str(port),
            "SUIVI_DATABASE_URL": f"sqlite:///{tmp_path / 'suivi.db'}",
        }
        finished = subprocess.run(
            [
                sys.executable,
                "-m",
                "suivi.cli",
                "serve",
                "--config",
                str(settings_in("fr", tmp_path)),
            ],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert finished.returncode == 2, finished.stderr
    said = finished.stderr.replace("\u00a0", " ")
    assert f"suivi serve: le port {port} de {HOST} est pris" in said
    assert f"PREFECT_API_URL=http://{HOST}:{port}/api" in said  # names and values as they are
    assert "is taken" not in said and "Traceback" not in said


def test_the_start_lines_are_in_french_and_arabic() -> None:
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    runs = next_runs(
        deployments, dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC), "Africa/Casablanca"
    )

    def said(language: str) -> str:
        return "\n".join(
            start_lines(
                runs, "Africa/Casablanca", "http://127.0.0.1:4200", Path("api-auth"), language
            )
        ).replace("\u00a0", " ")

    assert said("en").startswith("Next runs:")
    assert said("fr").startswith("Prochaines exécutions :") and "Pour arrêter" in said("fr")
    assert said("ar").startswith("التنفيذات القادمة:") and "Ctrl-C" in said("ar")


def test_a_serve_error_keeps_its_english_for_tracebacks_and_says_it_in_french() -> None:
    try:
        schedule_of({"timezone": "Africa/Casablanca"})
    except ServeError as error:
        english, french = str(error), error.said_in("fr").replace("\u00a0", " ")
    assert english.startswith("a schedule needs cron, interval or rrule: {'timezone'")
    assert french.startswith("un calendrier doit avoir cron, interval ou rrule : {'timezone'")
