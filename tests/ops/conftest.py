"""Real local peers for the alert channels: an aiohttp server that records what is posted to it (and
answers as a script says), an aiosmtpd SMTP server that records the mail, and a fake timer for the
notifier's back-off and rate limit (a sleep advances it; nothing waits)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests import fixed_time

ROOT = Path(__file__).resolve().parents[2]


def gridbot_run(tmp_path: Path, config: dict[str, Any], *unset: str) -> subprocess.CompletedProcess[str]:
    """A real `gridbot run` on that config, with no input (the console adapter ends at once); `unset`:
    environment variables it must not see."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"adapter": "console", "data_dir": str(tmp_path / "data"), **config}))
    env = fixed_time.env(PYTHONPATH=str(ROOT))
    for name in unset:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(path)],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


class FakeTimer:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let the other workers run, as a real sleep would


@dataclass
class Post:
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    at: float  # the fake timer's time when it arrived


@dataclass
class Hooks:
    """`script[path]`: the (status, json) answers to give, in order; then 200 {"errcode": 0}."""

    timer: FakeTimer
    posts: list[Post] = field(default_factory=list)
    script: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    hold: asyncio.Event | None = None  # set: requests wait for it (a channel that hangs)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # a request came in
    url: str = ""

    def at(self, path: str) -> list[Post]:
        return [p for p in self.posts if p.path == path]


@pytest.fixture
async def hooks() -> AsyncIterator[Hooks]:
    rec = Hooks(timer=FakeTimer())

    async def handle(request: web.Request) -> web.Response:
        rec.posts.append(
            Post(request.path, dict(request.query), await request.json(), dict(request.headers), rec.timer.now)
        )
        rec.arrived.set()
        if rec.hold is not None:
            await rec.hold.wait()
        answers = rec.script.get(request.path, [])
        status, body = answers.pop(0) if answers else (200, {"errcode": 0, "errmsg": "ok"})
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/{name}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rec.url = str(server.make_url("/"))
    yield rec
    if rec.hold is not None:
        rec.hold.set()
    await server.close()


@dataclass
class Mailbox:
    port: int
    user: str = "alerts@example.org"
    password: str = "smtp-secret-from-env"
    mails: list[Envelope] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    encrypted: list[bool] = field(default_factory=list)  # per mail: did it come over TLS
    cert: Path | None = None

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.mails.append(envelope)
        self.encrypted.append(session.ssl is not None)
        return "250 OK"

    def authenticate(self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
            self.user,
            self.password,
        )
        self.logins.append((data.login.decode() if isinstance(data, LoginPassword) else "?", ok))
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    # plaintext AUTH on loopback only: the suite has no certificate for STARTTLS
    controller = Controller(
        box, hostname="127.0.0.1", port=box.port, authenticator=box.authenticate, auth_require_tls=False
    )
    controller.start()
    yield box
    controller.stop()


# a certificate for 127.0.0.1, valid from now for two days (checked against the wall clock by TLS itself)
SELF_SIGNED = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
SELF_SIGNED += ["-addext", "subjectAltName=IP:127.0.0.1"]


@pytest.fixture
def tls_mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    """An SMTP server that requires STARTTLS (and TLS before AUTH), with a certificate made for 127.0.0.1."""
    cert, key = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    subprocess.run(
        [*SELF_SIGNED, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox(port=free_port(), cert=cert)
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        authenticator=box.authenticate,
        tls_context=context,
        require_starttls=True,
    )
    controller.start()
    yield box
    controller.stop()
