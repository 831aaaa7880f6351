"""A settings file (or a SUIVI_* variable) with mistakes gets one line per mistake naming the
file, the line and the key — never a traceback, never the value of a variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from suivi.cli import main
from suivi.settings import ConfigError, Env, load_config

GOOD = """\
language: fr
officer: {name: Chargée de projet, email: officer@example.org}
thresholds: {due_soon_days: 14, stale_days: 30}
reminders: {committee_days: [7, 1], deliverable_days: [30, 14, 7, 1]}
projects:
  - code: TPM
    name: Territorialisation des politiques migratoires
    source: demo/tpm.xlsx
    team: [equipe@example.org]
"""

# (what is wrong, the file's text, the line and key expected, a fragment of the explanation)
MISTAKES = [
    ("a misspelt key", GOOD.replace("language:", "langage:"), "1: langage", "Extra inputs"),
    ("an unknown language", GOOD.replace("language: fr", "language: de"), "1: language", "'fr'"),
    (
        "a code with a space",
        GOOD.replace("code: TPM", "code: T PM"),
        "6: projects.0.code",
        "pattern",
    ),
    (
        "a negative threshold",
        GOOD.replace("due_soon_days: 14", "due_soon_days: -3"),
        "3: thresholds.due_soon_days",
        "greater than or equal to 0",
    ),
    (
        "a reminder day in words",
        GOOD.replace("committee_days: [7, 1]", "committee_days: [sept, 1]"),
        "4: reminders.committee_days.0",
        "valid integer",
    ),
    (
        "an unknown time zone",
        GOOD + "timezone: Afrique/Agadir\n",
        "10: timezone",
        "unknown time zone 'Afrique/Agadir'",
    ),
    (
        "no officer",
        GOOD.replace("officer: {name: Chargée de projet, email: officer@example.org}\n", ""),
        "1: officer",
        "Field required",
    ),
    (
        "an officer without e-mail",
        GOOD.replace(", email: officer@example.org", ""),
        "2: officer.email",
        "Field required",
    ),
    ("no project", GOOD.split("projects:")[0] + "projects: []\n", "5: projects", "at least 1"),
    (
        "a project without source",
        GOOD.replace("    source: demo/tpm.xlsx\n", ""),
        "6: projects.0.source",
        "Field required",
    ),
    (
        "an impossible start date",
        GOOD.replace("    team:", "    start: 2025-13-01\n    team:"),
        "9: not valid YAML",
        "month must be in 1..12",
    ),
    (
        "a key written twice",
        GOOD + "language: ar\n",
        "10: not valid YAML",
        "'language' is repeated (first on line 1)",
    ),
    (
        "two projects with one code",
        GOOD + "  - {code: tpm, name: Autre, source: demo/inser.xlsx}\n",
        "10: projects.1.code",
        "already the code of projects.0",
    ),
    (
        "an unknown computation rule kind",
        GOOD + "indicators:\n  taux: {kind: average, column: budget_spent}\n",
        "11: indicators.taux.kind",
        "'count', 'sum' or 'ratio'",
    ),
    (
        "a tab in the indentation",
        GOOD.replace("  - code: TPM", "\t- code: TPM"),
        "6: not valid YAML",
        "'\\t'",
    ),
    (
        "an unclosed brace",
        GOOD.replace("email: officer@example.org}", "email: officer@example.org"),
        "3: not valid YAML",
        "expected ',' or '}'",
    ),
]


def write(folder: Path, text: str | bytes) -> Path:
    """The settings file under test."""
    path = folder / "suivi.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_the_good_file_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))

    assert [project.code for project in config.projects] == ["TPM"]


@pytest.mark.parametrize(
    ("text", "where", "explanation"),
    [pytest.param(text, where, why, id=name) for name, text, where, why in MISTAKES],
)
def test_each_mistake_names_its_line_and_key(
    tmp_path: Path, text: str, where: str, explanation: str
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    message = str(raised.value)
    assert message.startswith(f"{path}:{where}"), message
    assert explanation in message


def test_several_mistakes_are_reported_together_one_line_each(tmp_path: Path) -> None:
    text = GOOD.replace("language: fr", "language: de").replace("due_soon_days: 14", "due: 3")
    path = write(tmp_path, text)

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    lines = str(raised.value).splitlines()
    assert [line.split(": ")[0:2] for line in lines] == [
        [f"{path}:1", "language"],
        [f"{path}:3", "thresholds.due"],
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"officer: {email: officer@example.org}\n# \xe9t\xe9 2026\n", ":2: not UTF-8 text"),
        (b"", ": expected a mapping of settings at the top level"),
        (b"- TPM\n- INSER\n", ": expected a mapping of settings at the top level"),
    ],
    ids=["latin-1 bytes", "empty", "a list"],
)
def test_a_file_that_is_no_settings_at_all_says_so(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = write(tmp_path, content)

    with pytest.raises(ConfigError, match="^" + str(path).replace("\\", "\\\\") + expected):
        load_config(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the settings file \(No such file"):
        load_config(tmp_path / "absent.yaml")


def test_a_bad_environment_variable_is_named_without_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUIVI_SMTP_PORT", "s3cret-port")
    monkeypatch.setenv("SUIVI_SMTP_SECURITY", "tls")

    with pytest.raises(ConfigError) as raised:
        Env()

    message = str(raised.value)
    assert "environment variable SUIVI_SMTP_PORT: Input should be a valid integer" in message
    assert "environment variable SUIVI_SMTP_SECURITY: Input should be" in message
    assert "s3cret-port" not in message


def test_the_check_command_prints_file_line_and_key_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD.replace("code: TPM", "code: T PM"))

    status = main(["check", "--config", str(path)])

    captured = capsys.readouterr()
    assert status == 2
    assert f"{path}:6: projects.0.code: String should match pattern" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_the_check_command_names_a_bad_variable_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUIVI_SMTP_SECURITY", "tls")
    path = write(tmp_path, GOOD)

    status = main(["check", "--config", str(path)])

    captured = capsys.readouterr()
    assert status == 2
    assert "SUIVI_SMTP_SECURITY" in captured.err and "Traceback" not in captured.err


def test_every_mistake_of_the_table_is_also_clean_through_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for number, (name, text, where, _) in enumerate(MISTAKES):
        folder = tmp_path / str(number)
        folder.mkdir()
        path = write(folder, text)

        status = main(["check", "--config", str(path)])

        captured = capsys.readouterr()
        assert status == 2, name
        assert f"{path}:{where}" in captured.err, (name, captured.err)
        assert "Traceback" not in captured.err, name
