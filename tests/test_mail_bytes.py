"""The composed message's exact text, and how it is made: built once, never parsed back whole.

The reference files in `fixtures/mail/` were written by the yagmail-based compose that
suivi sent with until 2026-12: the message written in one pass must stay byte for byte
the same but for what is random or dated (the MIME boundaries and the Date header).
"""

from __future__ import annotations

import base64
import dataclasses
import email.feedparser
import re
from pathlib import Path

import pytest
from fakes import smtp as fake_smtp
from fakes.smtp import FakeSmtpServer

from suivi.adapters.mail import Smtp, compose, message_of
from suivi.model import Email

smtp_server = fake_smtp.smtp_server

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
SENDER = ("Suivi & Évaluation", "suivi@example.org")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOUNDARY = re.compile(r"===============\d{19}==(?:\.\d+)?")
DATE = re.compile(r"^Date: .*$", re.MULTILINE)


def weekly_fr() -> Email:
    """French, two recipients (one Arabic name), a Cc, an inline chart, two attachments."""
    return Email(
        key="weekly_summary|TPM|2026-03-16|equipe",
        kind="weekly_summary",
        project="TPM",
        to=(("Élodie Brûlé", "elodie@example.org"), ("محمد العلوي", "mohamed@example.org")),
        cc=(("Chargée de projet", "officer@example.org"),),
        subject="Résumé hebdomadaire S12 – TPM",
        html=(
            '<div dir="ltr" lang="fr"><p>Bonjour,</p>\n<p>R&amp;D &lt;script&gt;</p>'
            '<img src="cid:chart-tpm" alt="Avancement"></div>'
        ),
        text="Bonjour,\n\nR&D <script>\n3 activités en retard.\n",
        language="fr",
        images=(("chart-tpm", PNG),),
        attachments=(
            ("suivi é.xlsx", b"PK\x03\x04 fake workbook", XLSX),
            ("problèmes.csv", "a;b\nAgadir;é\n".encode(), "text/csv"),
        ),
    )


def alert_ar() -> Email:
    """Arabic, right to left, a long HTML line, no image and no attachment."""
    return Email(
        key="late_alert|INSER|2026-03-16|nadia@example.org",
        kind="late_alert",
        project="INSER",
        to=(("نادية بنعلي", "nadia@example.org"),),
        subject="تنبيه: نشاطان متأخران – INSER",
        html='<div dir="rtl" lang="ar">' + "<p>النشاط A1.2 متأخر 12 يومًا</p>" * 40 + "</div>",
        text="النشاط A1.2 متأخر 12 يومًا\n" * 40,
        language="ar",
    )


def dotted_cc_only() -> Email:
    """Cc only, an image sent as an attachment, lines that start with a dot or end in spaces."""
    return Email(
        key="problem_report|TPM|2026-03-16|officer@example.org",
        kind="problem_report",
        project="TPM",
        to=(),
        cc=(('Dupont, "Jean"', "jean@example.org"),),
        subject="Problèmes de données : 3",
        html="<p>.</p>\r\n\r\n<p>..</p>",
        text=".\n..\nligne finie par des espaces   \nfin sans saut de ligne",
        language="fr",
        attachments=(("graphique.png", PNG * 4, "image/png"),),
    )


CASES = {"weekly_fr": weekly_fr, "alert_ar": alert_ar, "dotted_cc_only": dotted_cc_only}


def normalised(payload: str) -> str:
    """The payload with its random boundaries numbered in order and its Date blanked."""
    names: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"BOUNDARY-{len(names)}")

    return DATE.sub("Date: DATE", BOUNDARY.sub(number, payload))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_message_is_byte_for_byte_the_one_sent_before(name: str) -> None:
    composed = compose(CASES[name](), "Suivi <suivi@example.org>" if name == "alert_ar" else SENDER)
    expected = (FIXTURES / f"{name}.eml").read_text(encoding="ascii")

    assert normalised(composed.payload) == expected


def test_each_multipart_has_its_own_boundary_found_in_no_part() -> None:
    payload = compose(weekly_fr(), SENDER).payload
    boundaries = list(dict.fromkeys(BOUNDARY.findall(payload)))

    assert len(boundaries) == 3  # mixed, alternative, related
    for boundary in boundaries:
        assert payload.count(f'boundary="{boundary}"') == 1
        assert payload.count(f"\n--{boundary}--\n") == 1


def test_compose_reads_back_its_headers_only(monkeypatch: pytest.MonkeyPatch) -> None:
    fed: list[int] = []
    feed = email.feedparser.FeedParser.feed

    def counted(parser: email.feedparser.FeedParser, data: str) -> None:
        fed.append(len(data))
        feed(parser, data)

    monkeypatch.setattr(email.feedparser.FeedParser, "feed", counted)
    big = dataclasses.replace(
        weekly_fr(), text=weekly_fr().text * 2000, images=(("chart-tpm", PNG * 500),)
    )
    composed = compose(big, SENDER)

    # The headers are checked by parsing them; the body (≈ 100 kB) is never parsed.
    assert 0 < sum(fed) < 2_000 < len(composed.payload)


def test_the_server_receives_the_payload_exactly(smtp_server: FakeSmtpServer) -> None:
    composed = [compose(build(), SENDER) for build in CASES.values()]
    with Smtp(smtp_server.env()) as mailer:
        results = mailer.send_all(composed, "suivi@example.org")

    assert all(result.ok for result in results)
    received = [message.raw for message in smtp_server.messages]
    # Dot-stuffing undone by the server, line breaks as CRLF on the wire.
    assert received == [item.payload.replace("\n", "\r\n").encode("ascii") for item in composed]
    text = message_of(composed[2].payload).get_body(("plain",))
    assert text is not None
    assert text.get_content() == dotted_cc_only().text
