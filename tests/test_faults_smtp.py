"""SMTP faults through `deliver_emails` with a real store and a real aiosmtpd server.

Each test injects one fault, then runs again as the next scheduled run would: nothing is
lost (what failed for a passing reason goes out next time) and nothing is sent twice. The
transport's own reactions (one result per item, reconnects) are in tests/test_mail.py.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from aiosmtpd.smtp import Envelope, Session
from fakes.smtp import FakeSmtpServer, _FaultySmtp, _Recorder

from suivi.adapters.mail import CONFIG_ERROR
from suivi.adapters.store import Store, open_store
from suivi.jobs.delivery import NOTICE_KIND, deliver_emails
from suivi.model import Email
from suivi.settings import Env

OFFICER = "officer@example.org"


def digest(index: int, to: str | None = None) -> Email:
    """An owner digest to one person; its key is unique per index."""
    address = to or f"owner{index}@example.org"
    return Email(
        key=f"owner_digest|*|2026-W50|{address}|{index}",
        kind="owner_digest",
        project="TPM",
        to=((f"Responsable {index}", address),),
        subject=f"Vos activités – semaine 50 ({index})",
        html=f"<p>Activité A{index} en retard</p>",
        text=f"Activité A{index} en retard\n",
    )


def batch(count: int) -> list[Email]:
    """`count` digests, as a weekly run would plan them."""
    return [digest(index) for index in range(count)]


def received(server: FakeSmtpServer) -> Counter[str]:
    """How many copies of each Message-ID the server accepted."""
    return Counter(str(message.message["Message-ID"]) for message in server.messages)


def states(store: Store) -> Counter[str]:
    """How many outbox items are in each state."""
    return Counter(item.state for item in store.outbox_items())


@pytest.fixture
def history(sqlite_url: str) -> Iterator[Store]:
    """A fresh SQLite store."""
    with open_store(sqlite_url) as store:
        yield store


@pytest.fixture
def server() -> Iterator[FakeSmtpServer]:
    """A plain SMTP server on loopback, started."""
    started = FakeSmtpServer().start()
    yield started
    started.stop()


def test_server_down_keeps_everything_pending_and_the_next_run_sends_each_once(
    history: Store,
) -> None:
    server = FakeSmtpServer()  # its port is chosen, nothing listens yet
    emails = batch(5)

    down = deliver_emails(emails, history, server.env(), OFFICER)

    assert down.sent == [] and down.unreachable is not None
    assert "cannot connect to 127.0.0.1" in down.unreachable
    assert {failure.key for failure in down.failures} == {email.key for email in emails}
    assert not any(failure.permanent for failure in down.failures)
    assert states(history) == {"pending": 5}

    server.start()
    try:
        up = deliver_emails(emails, history, server.env(), OFFICER)
        again = deliver_emails(emails, history, server.env(), OFFICER)
    finally:
        server.stop()

    assert sorted(up.sent) == sorted(email.key for email in emails)
    assert (again.sent, again.already_sent) == ([], 5)
    assert list(received(server).values()) == [1] * 5
    assert server.connections == 1  # the rerun had nothing to send: it did not connect
    assert states(history) == {"sent": 5}


def test_421_greeting_keeps_everything_pending_then_it_goes_out(
    history: Store, server: FakeSmtpServer
) -> None:
    server.refuse_connections(1)
    emails = batch(4)

    refused = deliver_emails(emails, history, server.env(), OFFICER)
    later = deliver_emails(emails, history, server.env(), OFFICER)

    assert refused.sent == [] and "421" in (refused.unreachable or "")
    assert len(later.sent) == 4 and later.failures == []
    assert list(received(server).values()) == [1] * 4
    assert states(history) == {"sent": 4}


def test_disconnects_mid_batch_lose_nothing_and_duplicate_nothing(
    history: Store, server: FakeSmtpServer
) -> None:
    # Every connection drops after 3 messages: the batch uses its reconnections, then waits.
    server.drop_after(3, times=100)
    emails = batch(20)

    first = deliver_emails(emails, history, server.env(), OFFICER)

    assert 0 < len(first.sent) < 20
    assert {failure.key for failure in first.failures} == {email.key for email in emails} - set(
        first.sent
    )
    assert not any(failure.permanent for failure in first.failures)
    assert states(history) == {"sent": len(first.sent), "pending": 20 - len(first.sent)}

    server.drop_after(3, times=0)  # the server is healthy again
    second = deliver_emails(emails, history, server.env(), OFFICER)

    assert sorted(first.sent + second.sent) == sorted(email.key for email in emails)
    assert list(received(server).values()) == [1] * 20
    assert states(history) == {"sent": 20}


def test_550_on_one_recipient_fails_it_for_good_and_tells_the_officer_once(
    history: Store, server: FakeSmtpServer
) -> None:
    server.reject_recipient("parti@example.org")
    emails = [*batch(3), digest(9, to="parti@example.org")]

    first = deliver_emails(emails, history, server.env(), OFFICER)
    second = deliver_emails(emails, history, server.env(), OFFICER)

    refused_key = emails[-1].key
    assert [failure.key for failure in first.permanent_failures] == [refused_key]
    assert "parti@example.org: 550" in first.permanent_failures[0].error
    assert first.notice is not None and first.notice.startswith(f"{NOTICE_KIND}|")
    notices = [m for m in server.messages if m.rcpt_tos == (OFFICER,)]
    assert len(notices) == 1
    body = notices[0].message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert refused_key in text and "550" in text
    # The next run neither retries the refused e-mail nor repeats the notice.
    assert (second.sent, second.failures, second.notice) == ([], [], None)
    assert list(received(server).values()) == [1] * 4  # 3 digests and the notice
    assert states(history) == {"sent": 4, "failed": 1}


def test_452_on_data_stays_pending_and_goes_out_with_the_next_run(
    history: Store, server: FakeSmtpServer
) -> None:
    server.fail_data(1)
    emails = batch(3)

    first = deliver_emails(emails, history, server.env(), OFFICER)
    second = deliver_emails(emails, history, server.env(), OFFICER)

    assert [(failure.key, failure.permanent) for failure in first.failures] == [
        (emails[0].key, False)
    ]
    assert first.failures[0].error.startswith("452")
    assert first.notice is None  # a passing refusal is not worth a notice
    assert second.sent == [emails[0].key]
    assert list(received(server).values()) == [1] * 3
    assert states(history) == {"sent": 3}


@pytest.mark.parametrize("mistake", ["wrong password", "STARTTLS not offered"])
def test_a_settings_mistake_fails_nothing_for_good(history: Store, mistake: str) -> None:
    server = FakeSmtpServer(user="suivi", password="right-password").start()
    try:
        if mistake == "wrong password":
            wrong = server.env(smtp_user="suivi", smtp_password="wrong-password")
        else:
            wrong = server.env(smtp_security="starttls")
        emails = batch(3)

        broken = deliver_emails(emails, history, wrong, OFFICER)

        assert (broken.unreachable or "").startswith(CONFIG_ERROR)
        assert broken.permanent_failures == [] and broken.notice is None
        assert states(history) == {"pending": 3}  # fixing the settings must send them

        fixed = server.env(smtp_user="suivi", smtp_password="right-password")
        repaired = deliver_emails(emails, history, fixed, OFFICER)
    finally:
        server.stop()

    assert len(repaired.sent) == 3
    assert list(received(server).values()) == [1] * 3


# --------------------------------------------------------------------------- SIGKILL mid-batch


class _HoldingRecorder(_Recorder):
    """Keeps the `hold_at`-th message and never says so: the sender waits for its 250."""

    def __init__(self, hold_at: int) -> None:
        super().__init__()
        self.hold_at = hold_at

    async def handle_DATA(self, server: _FaultySmtp, session: Session, envelope: Envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        with self.lock:
            hold = len(self.messages) == self.hold_at
        if hold:
            await asyncio.sleep(3600)  # cancelled when the client's socket goes away
        return reply


def holding_server(hold_at: int) -> FakeSmtpServer:
    """A server that accepts message number `hold_at` but holds its reply back."""
    server = FakeSmtpServer()
    server.recorder = _HoldingRecorder(hold_at)
    server.controller.handler = server.recorder
    return server.start()


def deliver_in_child(url: str, host: str, port: int, count: int, lease: int) -> None:
    """Child process: one run delivering `count` digests, as a worker would."""
    env = Env(
        smtp_host=host,
        smtp_port=port,
        smtp_security="none",
        smtp_timeout=120.0,  # the held reply must not time out before the kill
        smtp_user=None,
        smtp_password=None,
        mail_from=None,
    )
    with open_store(url) as store:
        deliver_emails(batch(count), store, env, OFFICER, lease_seconds=lease)


@pytest.mark.slow
def test_a_run_killed_mid_batch_is_finished_by_the_next_with_the_same_message_id(
    sqlite_url: str,
) -> None:
    lease = 1
    server = holding_server(hold_at=3)
    try:
        child = multiprocessing.get_context("spawn").Process(
            target=deliver_in_child, args=(sqlite_url, server.host, server.port, 5, lease)
        )
        child.start()
        deadline = time.monotonic() + 60
        while len(server.messages) < 3 and child.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(server.messages) == 3, "the child never reached the third message"
        os.kill(child.pid or 0, signal.SIGKILL)  # no cleanup, no last word
        child.join(timeout=30)
        assert child.exitcode == -9

        with open_store(sqlite_url) as store:
            # Sent and marked one by one: only the message in flight is in doubt.
            assert states(store) == {"sent": 2, "sending": 3}
            time.sleep(lease + 0.5)  # let the dead worker's lease run out
            env = server.env()
            rerun = deliver_emails(batch(5), store, env, OFFICER, lease_seconds=lease)
            assert states(store) == {"sent": 5}
    finally:
        server.stop()

    emails = batch(5)
    assert sorted(rerun.sent) == sorted(email.key for email in emails[2:])
    copies = received(server)
    assert sorted(copies.values()) == [1, 1, 1, 1, 2]
    # The duplicate is the message that was in flight, byte for byte: same Message-ID, so
    # the recipient's mail client shows it once.
    doubled = [
        message.raw
        for message in server.messages
        if copies[str(message.message["Message-ID"])] == 2
    ]
    assert len(doubled) == 2 and doubled[0] == doubled[1]
    held = server.messages[2].message.get_body(("plain",))
    assert held is not None and "A2 en retard" in held.get_content()


def test_a_slow_reply_after_data_is_awaited_and_the_email_goes_once(
    history: Store, server: FakeSmtpServer
) -> None:
    # The server keeps the message and answers the end of DATA late (a stalled filter).
    server.slow_replies(1, seconds=2.0)
    emails = batch(3)
    slow_server = server.env(smtp_timeout=0.5, smtp_data_timeout=60.0)

    first = deliver_emails(emails, history, slow_server, OFFICER)
    again = deliver_emails(emails, history, slow_server, OFFICER)

    assert sorted(first.sent) == sorted(email.key for email in emails) and first.unknown == []
    assert again.sent == [] and again.already_sent == 3
    assert list(received(server).values()) == [1, 1, 1]
    assert server.connections == 1
    assert states(history) == {"sent": 3}


def test_no_reply_after_data_is_unknown_and_never_resent(
    history: Store, server: FakeSmtpServer
) -> None:
    # Past the wait for the final reply the message may have arrived: it is never sent again.
    server.slow_replies(1, seconds=5.0)
    emails = batch(3)
    stalled = server.env(smtp_timeout=0.5, smtp_data_timeout=0.5)

    first = deliver_emails(emails, history, stalled, OFFICER)
    second = deliver_emails(emails, history, stalled, OFFICER)

    assert first.unknown == [emails[0].key]
    assert sorted(first.sent) == sorted(email.key for email in emails[1:])
    assert first.failures == []  # not pending: nothing will resend it by itself
    assert second.sent == [] and second.already_sent == 3
    assert list(received(server).values()) == [1, 1, 1]  # one copy each, the stalled one too
    assert states(history) == {"sent": 2, "unknown": 1}
    unknown = next(item for item in history.outbox_items() if item.state == "unknown")
    assert "no reply after the message was sent" in (unknown.last_error or "")
