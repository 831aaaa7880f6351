"""docs/mise-en-route.md: every command it shows runs (as test_docs.py checks the README's).

The officer's blocks run in order, in a fresh home folder, against the fake Google APIs and
a loopback SMTP server; between them the test makes the edits the guide asks for by hand.
The administrator's blocks (marked `<!-- root -->`: they create users and install services)
cannot run here: they are checked by `bash -n`, each `suivi` command in them must parse,
and each file they copy from the project must exist.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakes.sheets_api import FakeSheetsApi, OAuthClient
from fakes.smtp import FakeSmtpServer

from suivi.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "mise-en-route.md"
OFFICER = "salma@association.ma"
TEAM = "equipe@association.ma"
CLIENT_ID = "123-guide.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-guide"


@dataclass(frozen=True)
class Block:
    """A ```sh block of the guide; `root` when marked for the administrator."""

    lines: tuple[str, ...]
    root: bool

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def blocks() -> list[Block]:
    """Every shell block of the guide, in order (indented ones inside lists included)."""
    found = []
    pattern = re.compile(r"(<!-- root -->\s*\n)?([ \t]*)```sh\n(.*?)\n[ \t]*```", re.S)
    for match in pattern.finditer(GUIDE.read_text(encoding="utf-8")):
        indent = len(match[2])
        lines = tuple(line[indent:] for line in match[3].splitlines())
        found.append(Block(lines, root=bool(match[1])))
    return found


def test_the_guide_has_officer_and_administrator_blocks() -> None:
    kinds = [block.root for block in blocks()]
    assert kinds.count(False) >= 6 and kinds.count(True) >= 3


def test_the_readme_sends_newcomers_to_the_guide() -> None:
    assert "docs/mise-en-route.md" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("block", [b for b in blocks() if b.root], ids=lambda b: b.lines[0][:40])
def test_each_administrator_block_is_valid_shell_naming_real_files(block: Block) -> None:
    checked = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    for path in re.findall(r"/opt/suivi/((?:docs|constraints)[\w./-]*)", block.text):
        assert (ROOT / path).exists(), path
    for line in block.lines:
        if " suivi " in f" {line} " and "/bin/suivi" not in line and line.startswith("suivi "):
            build_parser().parse_args(shlex.split(line)[1:])


def load_env_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`set -a; . ./suivi.env; set +a`."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)


def set_in_env_file(path: Path, **values: str) -> None:
    """What the officer does by hand in suivi.env: uncomment and fill lines."""
    text = path.read_text(encoding="utf-8")
    for name, value in values.items():
        line = f"{name}={value}"
        pattern = re.compile(rf"^#? ?{name}=.*$", re.M)
        text = pattern.sub(line, text, count=1) if pattern.search(text) else f"{text}{line}\n"
    path.write_text(text, encoding="utf-8")


@pytest.mark.usefixtures("prefect_harness")
def test_every_officer_command_of_the_guide_runs(
    tmp_path: Path,
    suivi_env: Path,
    sheets_api: FakeSheetsApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    monkeypatch.setenv("SUIVI_SHEETS_ENDPOINT", sheets_api.url)  # Google, on loopback
    sheets_api.register_client(OAuthClient(CLIENT_ID, CLIENT_SECRET, OFFICER))
    mailbox = FakeSmtpServer(user=OFFICER, password="abcd efgh ijkl mnop").start()
    ran: list[str] = []
    try:
        for block in blocks():
            if block.root:
                continue
            for line in block.lines:
                if not line.strip() or line.startswith("#"):
                    continue
                run_officer_line(line, sheets_api, mailbox, monkeypatch, capsys)
                ran.append(line)
    finally:
        mailbox.stop()

    assert any(line.startswith("suivi check --mail") for line in ran)
    assert [message.rcpt_tos for message in mailbox.messages] == [(OFFICER,)]
    assert (Path.cwd() / "suivi-sauvegarde.db").stat().st_size > 0
    assert list((Path.cwd() / "outbox").glob("*.html"))


def run_officer_line(
    line: str,
    sheets: FakeSheetsApi,
    mailbox: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One command of the guide, with the hand edits the guide asks for before it."""
    words = shlex.split(line)
    if words[0] == "cd":
        monkeypatch.chdir(Path(os.path.expanduser(words[1])))
        return
    if line.startswith("set -a;"):
        load_env_file(Path.cwd() / "suivi.env", monkeypatch)
        return
    if words[0] != "suivi":
        result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (line, result.stderr)
        return
    words = [os.path.expanduser(word) for word in words]
    if words[1:3] == ["auth", "google"]:
        officer_gets_google_credentials(sheets, words)
        return
    if words[1:3] == ["sheet", "create"] and "--xlsx" not in words:
        officer_edits_settings(mailbox)
    code = main(words[1:])
    out = capsys.readouterr().out
    assert code == 0, (line, out)
    if words[1:3] == ["sheet", "create"] and "--xlsx" not in words:
        url = re.search(r"source: (https://docs.google.com/\S+)", out)
        assert url, out
        settings = Path.cwd() / "suivi.yaml"
        text = settings.read_text(encoding="utf-8").replace(
            "source: projet.xlsx", f"source: {url[1]}"
        )
        settings.write_text(text, encoding="utf-8")


def officer_gets_google_credentials(sheets: FakeSheetsApi, words: list[str]) -> None:
    """Step 3: the downloaded client file, the consent in a browser, the path in suivi.env."""
    folder = Path.cwd()
    (folder / "client_secret.json").write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "auth_uri": sheets.authorize_url,
                    "token_uri": sheets.token_url,
                    "redirect_uris": ["http://localhost"],
                }
            }
        ),
        encoding="utf-8",
    )
    browser = folder.parent / "browser.py"
    browser.write_text(
        "import sys, urllib.request\nurllib.request.urlopen(sys.argv[1], timeout=10).read()\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "BROWSER": f"{sys.executable} {browser} %s",
        "OAUTHLIB_INSECURE_TRANSPORT": "1",  # the fake token endpoint is plain http
    }
    result = subprocess.run(
        [sys.executable, "-m", "suivi.cli", *words[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    set_in_env_file(
        folder / "suivi.env", SUIVI_GOOGLE_CREDENTIALS=str(folder / "google-credentials.json")
    )


def officer_edits_settings(mailbox: FakeSmtpServer) -> None:
    """Step 2 and 4: names and addresses in suivi.yaml, the mailbox in suivi.env."""
    folder = Path.cwd()
    settings = folder / "suivi.yaml"
    text = settings.read_text(encoding="utf-8").replace("officer@example.org", OFFICER)
    settings.write_text(text.replace("equipe@example.org", TEAM), encoding="utf-8")
    set_in_env_file(
        folder / "suivi.env",
        SUIVI_SMTP_HOST=mailbox.host,
        SUIVI_SMTP_PORT=str(mailbox.port),
        SUIVI_SMTP_SECURITY="none",
        SUIVI_SMTP_USER=OFFICER,
        SUIVI_SMTP_PASSWORD="abcd efgh ijkl mnop",
        SUIVI_MAIL_FROM=OFFICER,
    )
