"""Mail transport: compose offline, send over one connection (yagmail's client), or write a folder."""

from __future__ import annotations

import base64
import logging
import socket
import stat
from email.message import EmailMessage
from pathlib import Path

import pytest
from fakes import smtp as fake_smtp
from fakes.smtp import Certificates, FakeSmtpServer, env_for, free_port
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suivi.adapters.mail import (
    CONFIG_ERROR,
    Composed,
    MailError,
    OutboxFolder,
    Smtp,
    clean_header,
    compose,
    message_of,
    open_mailer,
    sender_of,
)
from suivi.model import Email
from suivi.settings import Env

# The fakes' fixtures, made visible to this module.
smtp_server = fake_smtp.smtp_server
certificates = fake_smtp.certificates

SENDER = ("Suivi & Évaluation", "suivi@example.org")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def weekly_email(key: str = "weekly_summary|TPM|2026-03-16|equipe", **changes: object) -> Email:
    """A French weekly summary with a chart and two attachments."""
    values: dict[str, object] = {
        "key": key,
        "kind": "weekly_summary",
        "project": "TPM",
        "to": (("Élodie Brûlé", "elodie@example.org"), ("محمد العلوي", "mohamed@example.org")),
        "cc": (("Chargée de projet", "officer@example.org"),),
        "subject": "Résumé hebdomadaire S12 – TPM",
        "html": (
            '<div dir="ltr" lang="fr"><p>Bonjour,</p>\n<p>R&amp;D &lt;script&gt;</p>'
            '<img src="cid:chart-tpm" alt="Avancement"></div>'
        ),
        "text": "Bonjour,\n\nR&D <script>\n3 activités en retard.\n",
        "language": "fr",
        "images": (("chart-tpm", PNG),),
        "attachments": (
            ("suivi é.xlsx", b"PK\x03\x04 fake workbook", XLSX),
            ("problèmes.csv", "a;b\nAgadir;é\n".encode(), "text/csv"),
        ),
    }
    values |= changes
    return Email(**values)  # type: ignore[arg-type]


def parsed(composed: Composed) -> EmailMessage:
    """The composed payload read back as a mail client would."""
    message = message_of(composed.payload)
    assert isinstance(message, EmailMessage)
    return message


def simple(index: int, to: str = "elodie@example.org") -> Composed:
    """A small composed message with a unique key."""
    return compose(
        Email(
            key=f"owner_digest|TPM|2026-03-16|{index}",
            kind="owner_digest",
            project="TPM",
            to=(("Élodie", to),),
            subject=f"Vos activités {index}",
            html=f"<p>Message {index}</p>",
            text=f"Message {index}",
        ),
        SENDER,
    )


def received_ids(server: FakeSmtpServer) -> list[str]:
    """Message-IDs of what the server accepted, in order."""
    return [str(received.message["Message-ID"]) for received in server.messages]


# --------------------------------------------------------------------------- compose


def test_compose_builds_headers_a_real_text_part_and_the_html() -> None:
    composed = compose(weekly_email(), SENDER)
    message = parsed(composed)

    assert message["Subject"] == "Résumé hebdomadaire S12 – TPM"
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [
        ("Élodie Brûlé", "elodie@example.org"),
        ("محمد العلوي", "mohamed@example.org"),
    ]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["officer@example.org"]
    assert message["From"].addresses[0].display_name == "Suivi & Évaluation"
    assert message["From"].addresses[0].addr_spec == "suivi@example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "fr"
    assert message["Message-ID"] == composed.message_id
    assert message["Date"] is not None
    assert composed.payload.isascii()
    # Non-ASCII names travel RFC 2047-encoded, never raw.
    assert "=?utf-8?" in composed.payload
    assert composed.recipients == (
        "elodie@example.org",
        "mohamed@example.org",
        "officer@example.org",
    )
    assert (composed.key, composed.kind, composed.project) == (
        "weekly_summary|TPM|2026-03-16|equipe",
        "weekly_summary",
        "TPM",
    )
    assert composed.rejected == ()

    alternative = next(p for p in message.walk() if p.get_content_type() == "multipart/alternative")
    first, second = alternative.iter_parts()
    assert first.get_content_type() == "text/plain"
    assert first.get_content() == "Bonjour,\n\nR&D <script>\n3 activités en retard.\n"
    assert second.get_content_type() == "multipart/related"
    html = message.get_body(("html",)).get_content()
    assert "<br>" not in html  # the newline in the fragment did not become a line break
    assert '<p>Bonjour,</p> <p>R&amp;D &lt;script&gt;</p><img src="cid:chart-tpm"' in html
    assert html.count("<img") == 1  # the HTML's own <img> only, no extra one per image


def test_inline_image_content_id_matches_the_html_reference() -> None:
    message = parsed(compose(weekly_email(), SENDER))
    html = message.get_body(("html",)).get_content()
    images = [p for p in message.walk() if p.get_content_maintype() == "image"]

    assert len(images) == 1
    assert images[0]["Content-ID"] == "<chart-tpm>"
    assert 'src="cid:chart-tpm"' in html
    assert images[0].get_content() == PNG
    assert images[0].get_content_type() == "image/png"


def test_attachments_keep_name_type_bytes_and_are_marked_attachment() -> None:
    message = parsed(compose(weekly_email(), SENDER))
    attachments = {part.get_filename(): part for part in message.iter_attachments()}

    assert set(attachments) == {"suivi é.xlsx", "problèmes.csv"}
    assert attachments["suivi é.xlsx"].get_content_type() == XLSX
    assert attachments["suivi é.xlsx"].get_content() == b"PK\x03\x04 fake workbook"
    assert attachments["problèmes.csv"].get_content_type() == "text/csv"
    assert attachments["problèmes.csv"].get_content_disposition() == "attachment"
    assert attachments["problèmes.csv"].get_payload(decode=True) == "a;b\nAgadir;é\n".encode()


def test_attachment_names_lose_paths_and_bad_types_become_octet_stream() -> None:
    email_to_send = weekly_email(
        images=(),
        html="<p>x</p>",
        attachments=(
            ("../../etc/passwd", b"x", "not a type"),
            ("sans-extension", b"y", "text/plain"),
        ),
    )
    message = parsed(compose(email_to_send, SENDER))
    attachments = list(message.iter_attachments())

    assert [part.get_filename() for part in attachments] == ["passwd", "sans-extension"]
    assert [part.get_content_type() for part in attachments] == [
        "application/octet-stream",
        "text/plain",
    ]


def test_message_id_is_deterministic_per_key_and_differs_across_keys() -> None:
    first = compose(weekly_email("k1"), SENDER)
    again = compose(weekly_email("k1"), SENDER)
    other = compose(weekly_email("k2"), SENDER)

    assert first.message_id == again.message_id == parsed(again)["Message-ID"]
    assert first.message_id != other.message_id
    assert first.message_id.startswith("<") and first.message_id.endswith(".suivi@example.org>")
    assert compose(weekly_email("k1"), SENDER, domain="ong.ma").message_id.endswith("@ong.ma>")


def test_header_injection_in_subject_and_names_is_neutralised() -> None:
    email_to_send = weekly_email(
        subject="Sujet\r\nBcc: evil@x.org",
        to=(("Ali\r\nBcc: evil@x.org", "ali@example.org"), ("Nadia\n\nBody", "nadia@example.org")),
        cc=(),
    )
    composed = compose(email_to_send, ("Suivi\r\nX-Evil: 1", "suivi@example.org"))
    message = parsed(composed)

    assert "Bcc" not in message
    assert "X-Evil" not in message
    assert message["Subject"] == "Sujet Bcc: evil@x.org"
    assert [a.addr_spec for a in message["To"].addresses] == [
        "ali@example.org",
        "nadia@example.org",
    ]
    assert message["To"].addresses[0].display_name == "Ali Bcc: evil@x.org"
    assert composed.recipients == ("ali@example.org", "nadia@example.org")
    assert not message.defects
    assert message["From"].addresses[0].addr_spec == "suivi@example.org"


def test_body_break_in_subject_does_not_push_headers_into_the_body() -> None:
    message = parsed(compose(weekly_email(subject="Sujet\n\nFrom: evil@x.org"), SENDER))

    assert message["From"].addresses[0].addr_spec == "suivi@example.org"
    assert len(message.get_all("From")) == 1
    assert message["Subject"] == "Sujet From: evil@x.org"


def test_text_equal_to_an_existing_file_name_is_never_attached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rapport.csv").write_text("secret;data\n", encoding="utf-8")
    (tmp_path / ".env").write_text("SUIVI_SMTP_PASSWORD=hunter2\n", encoding="utf-8")
    email_to_send = weekly_email(
        html="rapport.csv",
        text=".env",
        subject=".env",
        to=(("rapport.csv", "elodie@example.org"),),
        images=(),
        attachments=(),
    )
    composed = compose(email_to_send, SENDER)
    message = parsed(composed)

    assert list(message.iter_attachments()) == []
    assert message.get_body(("html",)).get_content() == "<div>rapport.csv</div>"
    assert message.get_body(("plain",)).get_content() == ".env"
    for secret in ("hunter2", "secret;data"):
        assert secret not in composed.payload
        assert base64.b64encode(secret.encode()).decode()[:8] not in composed.payload


def test_markup_is_passed_through_exactly_and_never_unescaped() -> None:
    fragment = (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; R&amp;D &quot;x&quot;</p><script>keep()</script>"
    )
    message = parsed(compose(weekly_email(html=fragment, images=()), SENDER))

    assert message.get_body(("html",)).get_content() == f"<div>{fragment}</div>"


def test_invalid_recipients_are_dropped_and_reported() -> None:
    email_to_send = weekly_email(
        to=(("Sans arobase", "pas-une-adresse"), ("Élodie", "elodie@example.org")),
        cc=(("Accent", "élodie@example.org"), ("Double", "ELODIE@example.org")),
    )
    composed = compose(email_to_send, SENDER)

    assert composed.recipients == ("elodie@example.org",)
    assert [entry.split(":")[0] for entry in composed.rejected] == [
        "pas-une-adresse",
        "élodie@example.org",
    ]
    assert "Cc" not in parsed(composed)  # the duplicate was dropped, the invalid one too


def test_no_valid_recipient_raises_a_clear_error() -> None:
    with pytest.raises(MailError, match=r"no valid recipient.*pas-une-adresse"):
        compose(weekly_email(to=(("X", "pas-une-adresse"),), cc=()), SENDER)
    with pytest.raises(MailError, match="invalid sender"):
        compose(weekly_email(), "pas une adresse")


def test_cc_only_message_is_addressed_to_the_cc() -> None:
    composed = compose(weekly_email(to=(), cc=(("Chargée", "officer@example.org"),)), SENDER)
    message = parsed(composed)

    assert [a.addr_spec for a in message["To"].addresses] == ["officer@example.org"]
    assert composed.recipients == ("officer@example.org",)


def test_sender_as_a_string_and_arabic_content_language() -> None:
    email_to_send = weekly_email(language="ar", subject="ملخص أسبوعي", images=())
    message = parsed(compose(email_to_send, "Suivi <suivi@example.org>"))

    assert message["From"].addresses[0].display_name == "Suivi"
    assert message["Content-Language"] == "ar"
    assert message["Subject"] == "ملخص أسبوعي"


def test_compose_never_opens_a_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("compose tried to connect")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    composed = compose(weekly_email(), SENDER)

    assert composed.payload


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=st.text(max_size=120), name=st.text(max_size=60))
def test_any_subject_and_name_give_one_clean_header_each(subject: str, name: str) -> None:
    composed = compose(weekly_email(subject=subject, to=((name, "ali@example.org"),)), SENDER)
    message = parsed(composed)

    assert message["Subject"] == clean_header(subject)
    assert [a.addr_spec for a in message["To"].addresses] == ["ali@example.org"]
    assert "Bcc" not in message
    assert max(len(line) for line in composed.payload.splitlines()) <= 998


# --------------------------------------------------------------------------- SMTP


def test_fifty_emails_go_over_exactly_one_connection(smtp_server: FakeSmtpServer) -> None:
    items = [simple(index) for index in range(50)]

    with Smtp(smtp_server.env()) as mailer:
        results = mailer.send_all(items, "Suivi <suivi@example.org>")

    assert [result.ok for result in results] == [True] * 50
    assert [result.key for result in results] == [item.key for item in items]
    assert smtp_server.connections == 1
    assert received_ids(smtp_server) == [item.message_id for item in items]
    first = smtp_server.messages[0]
    assert first.mail_from == "suivi@example.org"
    assert first.rcpt_tos == ("elodie@example.org",)
    assert first.message.get_body(("plain",)).get_content() == "Message 0"


def test_a_second_batch_reuses_the_connection(smtp_server: FakeSmtpServer) -> None:
    with Smtp(smtp_server.env()) as mailer:
        mailer.send_all([simple(1)], "suivi@example.org")
        mailer.send_all([simple(2)], "suivi@example.org")

    assert smtp_server.connections == 1
    assert len(smtp_server.messages) == 2


def test_421_on_connect_makes_every_item_transient_then_the_next_call_succeeds(
    smtp_server: FakeSmtpServer,
) -> None:
    smtp_server.refuse_connections(1)
    items = [simple(index) for index in range(3)]

    with Smtp(smtp_server.env()) as mailer:
        refused = mailer.send_all(items, "suivi@example.org")
        retried = mailer.send_all(items, "suivi@example.org")

    assert [(r.ok, r.permanent) for r in refused] == [(False, False)] * 3
    assert all("421" in (r.error or "") for r in refused)
    assert [r.ok for r in retried] == [True] * 3
    assert smtp_server.connections == 2
    assert received_ids(smtp_server) == [item.message_id for item in items]


def test_connection_refused_makes_every_item_transient() -> None:
    env = Env(
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_security="none",
        smtp_user=None,
        smtp_password=None,
        smtp_timeout=5.0,
    )
    with Smtp(env) as mailer:
        results = mailer.send_all([simple(1), simple(2)], "suivi@example.org")

    assert [(r.ok, r.permanent) for r in results] == [(False, False)] * 2
    assert all("cannot connect to 127.0.0.1" in (r.error or "") for r in results)


def test_550_on_a_recipient_fails_that_item_permanently_and_sends_the_others(
    smtp_server: FakeSmtpServer,
) -> None:
    smtp_server.reject_recipient("inconnu@example.org")
    items = [simple(1), simple(2, to="inconnu@example.org"), simple(3)]

    with Smtp(smtp_server.env()) as mailer:
        results = mailer.send_all(items, "suivi@example.org")

    assert [(r.ok, r.permanent) for r in results] == [(True, False), (False, True), (True, False)]
    assert "inconnu@example.org: 550" in (results[1].error or "")
    assert received_ids(smtp_server) == [items[0].message_id, items[2].message_id]
    assert smtp_server.connections == 1


def test_a_partial_refusal_is_sent_for_the_others_and_names_the_refused(
    smtp_server: FakeSmtpServer,
) -> None:
    smtp_server.reject_recipient("mohamed@example.org")
    item = compose(weekly_email(cc=()), SENDER)

    with Smtp(smtp_server.env()) as mailer:
        (result,) = mailer.send_all([item], "suivi@example.org")

    # Resending would give Élodie a second copy: the item counts as sent.
    assert result.ok
    assert "mohamed@example.org: 550" in (result.error or "")
    assert [m.rcpt_tos for m in smtp_server.messages] == [("elodie@example.org",)]


def test_452_on_data_is_transient_and_the_batch_goes_on(smtp_server: FakeSmtpServer) -> None:
    smtp_server.fail_data(1)
    items = [simple(index) for index in range(3)]

    with Smtp(smtp_server.env()) as mailer:
        results = mailer.send_all(items, "suivi@example.org")

    assert [(r.ok, r.permanent) for r in results] == [(False, False), (True, False), (True, False)]
    assert (results[0].error or "").startswith("452")
    assert received_ids(smtp_server) == [items[1].message_id, items[2].message_id]


def test_554_on_data_is_permanent(smtp_server: FakeSmtpServer) -> None:
    smtp_server.fail_data(1, reply="554 5.6.0 Message rejected as spam")

    with Smtp(smtp_server.env()) as mailer:
        (result,) = mailer.send_all([simple(1)], "suivi@example.org")

    assert (result.ok, result.permanent) == (False, True)
    assert smtp_server.messages == []


def test_421_during_the_batch_reconnects_for_the_rest(smtp_server: FakeSmtpServer) -> None:
    smtp_server.fail_data(1, reply="421 4.3.2 Shutting down")
    items = [simple(index) for index in range(3)]

    with Smtp(smtp_server.env()) as mailer:
        results = mailer.send_all(items, "suivi@example.org")

    assert [(r.ok, r.permanent) for r in results] == [(False, False), (True, False), (True, False)]
    assert smtp_server.connections == 2
    assert received_ids(smtp_server) == [items[1].message_id, items[2].message_id]


def test_a_disconnect_mid_batch_reconnects_once_and_delivers_the_rest(
    smtp_server: FakeSmtpServer,
) -> None:
    smtp_server.drop_after(3)
    items = [simple(index) for index in range(10)]

    with Smtp(smtp_server.env()) as mailer:
        results = mailer.send_all(items, "suivi@example.org")

    assert [r.ok for r in results] == [True] * 10
    assert smtp_server.connections == 2
    assert sorted(received_ids(smtp_server)) == sorted(item.message_id for item in items)


def test_a_disconnect_that_cannot_reconnect_reports_the_rest_transient(
    smtp_server: FakeSmtpServer,
) -> None:
    items = [simple(index) for index in range(8)]

    with Smtp(smtp_server.env()) as mailer:
        mailer.connect()
        smtp_server.drop_after(3)
        smtp_server.refuse_connections(5)
        results = mailer.send_all(items, "suivi@example.org")

    sent = {r.key for r in results if r.ok}
    received = set(received_ids(smtp_server))
    assert [r.ok for r in results] == [True] * 3 + [False] * 5
    assert all(not r.permanent for r in results)
    assert received == {item.message_id for item in items if item.key in sent}
    assert "connection lost" in (results[3].error or "")


def test_a_lost_acceptance_is_unknown_and_never_resent(
    smtp_server: FakeSmtpServer,
) -> None:
    smtp_server.lose_replies(1)
    items = [simple(1), simple(2)]

    with Smtp(smtp_server.env()) as mailer:
        results = mailer.send_all(items, "suivi@example.org")

    # The server kept the first copy but never said so: resending would make a second
    # copy, so it is reported of unknown fate; the next message goes on a new connection.
    assert [(r.ok, r.unknown) for r in results] == [(False, True), (True, False)]
    assert received_ids(smtp_server) == [i.message_id for i in items]


def test_repeated_disconnects_stop_after_the_reconnect_budget(
    smtp_server: FakeSmtpServer,
) -> None:
    smtp_server.drop_after(1, times=100)
    items = [simple(index) for index in range(8)]

    with Smtp(smtp_server.env(), max_reconnects=2) as mailer:
        results = mailer.send_all(items, "suivi@example.org")

    ok_ids = {item.message_id for item, r in zip(items, results, strict=True) if r.ok}
    assert ok_ids == set(received_ids(smtp_server))
    assert [r.ok for r in results] == [True] * 3 + [False] * 5
    assert smtp_server.connections == 3


def test_starttls_against_a_server_without_it_is_a_permanent_config_error(
    smtp_server: FakeSmtpServer,
) -> None:
    with Smtp(smtp_server.env(smtp_security="starttls")) as mailer:
        results = mailer.send_all([simple(1), simple(2)], "suivi@example.org")
        with pytest.raises(MailError, match="STARTTLS") as raised:
            mailer.connect()

    assert [(r.ok, r.permanent) for r in results] == [(False, True)] * 2
    assert all((r.error or "").startswith(CONFIG_ERROR) for r in results)
    assert "STARTTLS extension not supported" in (results[0].error or "")
    assert raised.value.permanent
    assert smtp_server.messages == []


def test_user_without_password_is_a_config_error_before_connecting(
    smtp_server: FakeSmtpServer,
) -> None:
    with Smtp(smtp_server.env(smtp_user="bot@example.org")) as mailer:
        (result,) = mailer.send_all([simple(1)], "suivi@example.org")
        with pytest.raises(MailError, match="SUIVI_SMTP_PASSWORD"):
            mailer.connect()

    assert (result.ok, result.permanent) == (False, True)
    assert (result.error or "").startswith(CONFIG_ERROR)
    assert smtp_server.connections == 0


def test_starttls_with_a_verified_certificate_and_login(
    certificates: Certificates,
) -> None:
    server = FakeSmtpServer(
        user="bot", password="s3cret-Pa55", starttls=certificates.server_context()
    ).start()
    try:
        env = env_for(
            server, smtp_security="starttls", smtp_user="bot", smtp_password="s3cret-Pa55"
        )
        with Smtp(env, tls_context=certificates.client_context()) as mailer:
            results = mailer.send_all([simple(1), simple(2)], "suivi@example.org")
    finally:
        server.stop()

    assert [r.ok for r in results] == [True, True]
    assert [(m.tls, m.login) for m in server.messages] == [(True, "bot"), (True, "bot")]
    assert server.connections == 1


def test_an_untrusted_certificate_is_refused(certificates: Certificates) -> None:
    server = FakeSmtpServer(starttls=certificates.server_context()).start()
    try:
        with Smtp(env_for(server, smtp_security="starttls")) as mailer:
            (result,) = mailer.send_all([simple(1)], "suivi@example.org")
    finally:
        server.stop()

    assert (result.ok, result.permanent) == (False, True)
    assert "CERTIFICATE_VERIFY_FAILED" in (result.error or "")
    assert server.messages == []


def test_implicit_tls_with_a_verified_certificate(certificates: Certificates) -> None:
    server = FakeSmtpServer(implicit_tls=certificates.server_context()).start()
    try:
        env = env_for(server, smtp_security="ssl")
        with Smtp(env, tls_context=certificates.client_context()) as mailer:
            (result,) = mailer.send_all([simple(1)], "suivi@example.org")
    finally:
        server.stop()

    assert result.ok
    assert server.messages[0].tls


def test_the_password_never_appears_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    password = "s3cret-Pa55"
    plain_auth = base64.b64encode(f"\0bot\0{password}".encode()).decode()
    # A server that echoes what it was sent in its refusal.
    server = FakeSmtpServer(
        user="bot",
        password="another-one",
        auth_failure_reply=f"535 5.7.8 bad credentials {password} {plain_auth}",
    ).start()
    caplog.set_level(logging.DEBUG)
    try:
        env = env_for(server, smtp_user="bot", smtp_password=password)
        with Smtp(env) as mailer:
            results = mailer.send_all([simple(1)], "suivi@example.org")
            with pytest.raises(MailError) as raised:
                mailer.connect()
            shown = repr(mailer)
    finally:
        server.stop()

    (result,) = results
    assert (result.ok, result.permanent) == (False, True)
    assert (result.error or "").startswith(CONFIG_ERROR)
    assert "535" in (result.error or "")
    # The fake server's own log ("mail.log") echoes its reply; only the client side counts.
    client_logs = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert any("535" in line for line in client_logs)
    texts = [result.error or "", str(raised.value), repr(raised.value), shown, *client_logs]
    for text in texts:
        assert password not in text
        assert plain_auth not in text
    assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_a_non_ascii_password_is_a_config_error_that_does_not_show_it() -> None:
    server = FakeSmtpServer(user="bot", password="mot-de-passe-été").start()
    try:
        env = env_for(server, smtp_user="bot", smtp_password="mot-de-passe-été")
        with Smtp(env) as mailer:
            (result,) = mailer.send_all([simple(1)], "suivi@example.org")
    finally:
        server.stop()

    assert (result.ok, result.permanent) == (False, True)
    assert "ASCII" in (result.error or "")
    assert "été" not in (result.error or "")


def test_an_empty_batch_does_not_connect(smtp_server: FakeSmtpServer) -> None:
    with Smtp(smtp_server.env()) as mailer:
        assert mailer.send_all([], "suivi@example.org") == []
    assert smtp_server.connections == 0


# --------------------------------------------------------------------------- folder


def test_outbox_folder_writes_eml_and_a_standalone_html_page(tmp_path: Path) -> None:
    folder = OutboxFolder(tmp_path / "outbox")
    french = compose(weekly_email(), SENDER)
    arabic = compose(
        weekly_email(
            key="weekly_summary|AGD|2026-03-16|equipe",
            project="AGD",
            language="ar",
            subject="ملخص أسبوعي",
            html='<div dir="rtl" lang="ar"><p>مرحبا</p><img src="cid:chart-tpm"></div>',
        ),
        SENDER,
    )

    with folder:
        results = folder.send_all([french, arabic], "suivi@example.org")

    assert [r.ok for r in results] == [True, True]
    assert stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700
    assert len(folder.written) == 4
    eml_files = sorted(p for p in folder.written if p.suffix == ".eml")
    html_files = sorted(p for p in folder.written if p.suffix == ".html")
    assert all(path.exists() and path.parent == tmp_path / "outbox" for path in folder.written)
    assert {p.read_text(encoding="utf-8") for p in eml_files} == {french.payload, arabic.payload}
    assert any("-weekly-summary-tpm-" in p.name for p in eml_files)

    pages = {p.name.split("-")[4]: p.read_text(encoding="utf-8") for p in html_files}
    arabic_page = pages["agd"]
    french_page = pages["tpm"]
    assert '<meta charset="utf-8">' in arabic_page
    assert '<html lang="ar" dir="rtl">' in arabic_page
    assert '<html lang="fr" dir="ltr">' in french_page
    assert "<p>مرحبا</p>" in arabic_page
    assert "<title>ملخص أسبوعي</title>" in arabic_page
    # The chart shows without a mail client: cid: became a data: URL.
    assert "cid:" not in french_page
    assert f"data:image/png;base64,{base64.b64encode(PNG).decode()}" in french_page


def test_outbox_folder_reports_a_failed_write_as_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    folder = OutboxFolder(blocker / "outbox")

    (result,) = folder.send_all([simple(1)], "suivi@example.org")

    assert (result.ok, result.permanent) == (False, False)
    assert folder.written == []


# --------------------------------------------------------------------------- factory


def test_open_mailer_picks_the_folder_without_a_host_and_smtp_with_one(tmp_path: Path) -> None:
    no_host = Env(smtp_host=None, outbox_dir=tmp_path / "boite")
    with_host = Env(smtp_host="smtp.example.org", smtp_user=None, smtp_password=None)

    folder = open_mailer(no_host)
    mailer = open_mailer(with_host)

    assert isinstance(folder, OutboxFolder) and folder.directory == tmp_path / "boite"
    assert isinstance(mailer, Smtp) and (mailer.host, mailer.port) == ("smtp.example.org", 587)


def test_sender_of_prefers_mail_from_then_an_smtp_user_address_then_the_officer() -> None:
    officer = "officer@example.org"
    configured = Env(mail_from="Suivi <s@example.org>", smtp_user="u@example.org")
    assert sender_of(configured, officer) == "Suivi <s@example.org>"
    assert sender_of(Env(mail_from=None, smtp_user="u@example.org"), officer) == "u@example.org"
    assert sender_of(Env(mail_from=None, smtp_user="apikey"), officer) == officer
    assert sender_of(Env(mail_from=None, smtp_user=None), officer) == officer
