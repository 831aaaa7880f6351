"""A real SMTP server on loopback (aiosmtpd) that records what it receives and can misbehave.

Use the `smtp_server` fixture (no TLS, no AUTH) or build a `FakeSmtpServer` with a
password, a STARTTLS certificate or implicit TLS. Faults are armed with setters:
`refuse_connections(n)` (421 greeting), `reject_recipient(address)` (550 at RCPT),
`fail_data(n)` (452 after DATA), `drop_after(k)` (socket closed at the next MAIL once k
messages went through on a connection), `lose_replies(n)` (message kept, socket closed
before the 250), `reject_sender(address)` (550 at MAIL FROM). `FakeSmtpServer(xoauth2=check)`
offers AUTH XOAUTH2 and accepts a (user, token) pair when `check` says so, answering a
refusal as Gmail and Microsoft 365 do (a 334 with a JSON error, then 535).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email
import email.policy
import functools
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr

from suivi.settings import Env

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    connection: int  # 1-based number of the connection that delivered it
    tls: bool
    login: str | None  # the AUTH user, if the client logged in

    @functools.cached_property
    def message(self) -> EmailMessage:
        """The message parsed as a mail client would (parsed on first use, off the server thread)."""
        message = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


def free_port() -> int:
    """A TCP port nobody listens on right now (aiosmtpd cannot start on port 0)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class _FaultySmtp(SMTP):
    """One server-side SMTP session, counted and able to refuse the connection."""

    def __init__(self, handler: _Recorder, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.recorder = handler
        self.number = 0
        self.delivered = 0
        self.drop_here = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:  # not the second call made after STARTTLS
            self.number, self.drop_here = self.recorder.connected()
        super().connection_made(transport)

    async def _handle_client(self) -> None:
        if self.recorder.take_refusal():
            await self.push("421 4.3.2 Service not available, closing transmission channel")
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()


class _Recorder:
    """The aiosmtpd handler: stores messages and holds the armed faults."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.connections = 0
        self.refusals_left = 0
        self.rejected: dict[str, str] = {}
        self.data_failures_left = 0
        self.data_failure_reply = ""
        self.drop_threshold: int | None = None
        self.drops_left = 0
        self.lost_replies_left = 0
        self.rejected_senders: dict[str, str] = {}
        self.xoauth2_check: Callable[[str, str], bool] | None = None
        self.slow_replies_left = 0
        self.slow_reply_seconds = 0.0

    def connected(self) -> tuple[int, bool]:
        """Count a new connection; whether it is one of those to drop."""
        with self.lock:
            self.connections += 1
            return self.connections, self.drop_threshold is not None

    def take_refusal(self) -> bool:
        """True when this connection must be refused."""
        with self.lock:
            if self.refusals_left > 0:
                self.refusals_left -= 1
                return True
            return False

    async def handle_MAIL(
        self,
        server: _FaultySmtp,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        with self.lock:
            drop = (
                self.drops_left > 0
                and self.drop_threshold is not None
                and server.delivered >= self.drop_threshold
            )
            if drop:
                self.drops_left -= 1
        if drop:
            assert server.transport is not None
            server.transport.close()  # no reply at all: the client sees a disconnect
            await asyncio.sleep(3600)  # cancelled by connection_lost, never replies
        with self.lock:
            refusal = self.rejected_senders.get(address.lower())
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2 as Gmail and Microsoft 365 speak it: a 334 with a JSON error, then 535."""
        if len(args) == 1:
            answer = await server.challenge_auth("")
            data = answer if isinstance(answer, bytes) else b""
        else:
            data = base64.b64decode(args[1].encode())
        fields = dict(
            part.split("=", 1) for part in data.decode(errors="replace").split("\x01") if "=" in part
        )
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        check = self.xoauth2_check
        if check is not None and check(user, token):
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
        error = '{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'
        await server.challenge_auth(error)  # the client answers with an empty line
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )

    async def handle_RCPT(
        self,
        server: _FaultySmtp,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self.lock:
            reply = self.rejected.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: _FaultySmtp, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.data_failures_left > 0:
                self.data_failures_left -= 1
                return self.data_failure_reply
        raw = envelope.original_content or b""
        auth = session.auth_data
        # session.ssl is set by STARTTLS only; implicit TLS shows on the transport.
        transport = server.transport
        tls = session.ssl is not None or (
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        received = Received(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            connection=server.number,
            tls=tls,
            login=login,
        )
        with self.lock:
            self.messages.append(received)
            server.delivered += 1
            lose_reply = self.lost_replies_left > 0
            if lose_reply:
                self.lost_replies_left -= 1
        if lose_reply:  # kept the message, but the client never hears so
            assert server.transport is not None
            server.transport.close()
            await asyncio.sleep(3600)  # cancelled by connection_lost
        with self.lock:
            slow = self.slow_reply_seconds if self.slow_replies_left > 0 else 0.0
            self.slow_replies_left = max(self.slow_replies_left - 1, 0)
        if slow:  # kept the message, answers late (a stalled filter, a slow disk)
            await asyncio.sleep(slow)
        return "250 2.0.0 Message accepted for delivery"


class _Controller(Controller):
    """A controller whose sessions are `_FaultySmtp`."""

    def factory(self) -> SMTP:
        return _FaultySmtp(self.handler, **self.SMTP_kwargs)


class FakeSmtpServer:
    """A started aiosmtpd server on 127.0.0.1 with its received messages and fault setters."""

    def __init__(
        self,
        *,
        user: str | None = None,
        password: str | None = None,
        auth_failure_reply: str | None = None,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        xoauth2: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.host = HOST
        self.port = free_port()
        self.recorder = _Recorder()
        options: dict[str, Any] = {"server_hostname": "fake-smtp.test", "ident": "suivi fake SMTP"}
        if user is not None:
            options |= {
                "authenticator": _Authenticator(user, password or "", auth_failure_reply),
                "auth_require_tls": False,
            }
        if xoauth2 is not None:  # AUTH XOAUTH2: (user, access token) → accepted?
            self.recorder.xoauth2_check = xoauth2
            options |= {
                "authenticator": _Authenticator(user or "", password or "\x00", auth_failure_reply),
                "auth_require_tls": False,
            }
        if starttls is not None:
            options |= {"tls_context": starttls}
        self.controller = _Controller(
            self.recorder, hostname=self.host, port=self.port, ssl_context=implicit_tls, **options
        )

    def start(self) -> FakeSmtpServer:
        """Start listening; the controller's own readiness probe is not counted."""
        self.controller.start()
        with self.recorder.lock:
            self.recorder.connections = 0
        return self

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        """Messages accepted so far, in order."""
        with self.recorder.lock:
            return list(self.recorder.messages)

    @property
    def connections(self) -> int:
        """TCP connections accepted so far (refused ones included)."""
        with self.recorder.lock:
            return self.recorder.connections

    def refuse_connections(self, count: int) -> None:
        """Greet the next `count` connections with 421 and close them."""
        with self.recorder.lock:
            self.recorder.refusals_left = count

    def reject_recipient(self, address: str, reply: str = "550 5.1.1 Mailbox unavailable") -> None:
        """Refuse `address` at RCPT TO with `reply`."""
        with self.recorder.lock:
            self.recorder.rejected[address.lower()] = reply

    def fail_data(self, count: int, reply: str = "452 4.3.1 Insufficient system storage") -> None:
        """Refuse the next `count` messages after DATA with `reply`."""
        with self.recorder.lock:
            self.recorder.data_failures_left = count
            self.recorder.data_failure_reply = reply

    def reject_sender(self, address: str, reply: str = "550 5.7.1 Sender not allowed") -> None:
        """Refuse `address` at MAIL FROM with `reply` (a mailbox that may not send as it)."""
        with self.recorder.lock:
            self.recorder.rejected_senders[address.lower()] = reply

    def drop_after(self, delivered: int, times: int = 1) -> None:
        """Close the socket at MAIL once `delivered` messages went through on a connection."""
        with self.recorder.lock:
            self.recorder.drop_threshold = delivered
            self.recorder.drops_left = times

    def lose_replies(self, count: int) -> None:
        """Keep the next `count` messages but close the socket instead of replying 250."""
        with self.recorder.lock:
            self.recorder.lost_replies_left = count

    def slow_replies(self, count: int, seconds: float) -> None:
        """Keep the next `count` messages and answer the end of DATA only after `seconds`."""
        with self.recorder.lock:
            self.recorder.slow_replies_left = count
            self.recorder.slow_reply_seconds = seconds

    def env(self, **overrides: Any) -> Env:
        """Settings pointing at this server: no TLS and no login unless overridden."""
        return env_for(self, **overrides)


class _Authenticator:
    """Accepts one user and password; the failure reply is configurable (a leaky server)."""

    def __init__(self, user: str, password: str, failure_reply: str | None) -> None:
        self.user = user
        self.password = password
        self.failure_reply = failure_reply

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        good = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.user
            and data.password.decode() == self.password
        )
        if good:
            return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False, message=self.failure_reply)


def env_for(server: FakeSmtpServer, **overrides: Any) -> Env:
    """An Env for `server`: every SMTP field explicit, so the caller's environment never leaks in."""
    values: dict[str, Any] = {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": "none",
        "smtp_timeout": 5.0,
        "smtp_user": None,
        "smtp_password": None,
        "mail_from": None,
    }
    values |= overrides
    if isinstance(values["smtp_password"], str):
        values["smtp_password"] = SecretStr(values["smtp_password"])
    return Env(**values)


@dataclass(frozen=True)
class Certificates:
    """A throwaway CA and a certificate for 127.0.0.1 / localhost signed by it."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        """What the fake server presents."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the test CA only."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_certificates(folder: Path) -> Certificates:
    """Write a CA and a server certificate for 127.0.0.1 into `folder` (needs cryptography)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "suivi test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtpServer]:
    """A plain SMTP server on loopback: no TLS, no AUTH, no faults until armed."""
    server = FakeSmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A CA and a 127.0.0.1 certificate, made once per session."""
    pytest.importorskip("cryptography")
    return make_certificates(tmp_path_factory.mktemp("certificates"))
