"""The two real processes of the end-to-end tier: the gateway (gateway/gateway.js, the one an office runs,
serving the tests' puppet gateway/testing/puppet-mock-control.js) and `gridbot run`.

Used by tests/e2e (through fixtures) and by bench/roundtrip.py. Both are started as subprocesses and
stopped by their process id; the mock puppet is driven through its loopback control interface.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests import fixed_time

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "gateway"
TEST_PUPPET = "./testing/puppet-mock-control.js"  # WECHATY_PUPPET, relative to GATEWAY
SCENARIO = Path(__file__).resolve().parent / "scenario.yaml"
TOKEN = "insecure_gridbot_e2e"
BOT_ID = "wxid_gridbot"
# residents of the scenario's groups (staff come from scenario.yaml's people)
RESIDENTS = {"wxid_zhou": "周阿姨", "wxid_sun": "孙大爷", "wxid_wu": "吴女士"}


def gateway_missing() -> str | None:
    """Why the puppet server cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (the Wechaty puppet server is a Node program)"
    if not (GATEWAY / "node_modules" / "wechaty-puppet-service").is_dir():
        return f"the gateway is not installed: run `make install-gateway` (npm ci in {GATEWAY})"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """SIGTERM by pid, then SIGKILL if it does not go."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    return int(proc.returncode)


@dataclass(frozen=True)
class Sent:
    seq: int
    conversation_id: str
    text: str
    mention_ids: tuple[str, ...]
    file: str
    at_ms: int
    t_ms: float  # the server's monotonic clock (performance.now()), for round trips


def mock_scenario(config: dict[str, Any], residents: dict[str, str]) -> dict[str, Any]:
    """Contacts and rooms for the mock puppet, made from a gridbot config: everyone is in every group."""
    bot = config.get("bot", {})
    people = {p["id"]: p["name"] for p in config.get("people", [])}
    contacts = [{"id": pid, "name": name} for pid, name in {**people, **residents}.items()]
    members = [bot.get("id", BOT_ID), *people, *residents]
    rooms = [{"id": rid, "topic": topic, "members": members} for rid, topic in config.get("group_names", {}).items()]
    return {
        "bot": {"id": bot.get("id", BOT_ID), "name": bot.get("name", "网格助手")},
        "contacts": contacts,
        "rooms": rooms,
    }


@dataclass
class PuppetServer:
    """gateway/gateway.js serving the tests' puppet (wechaty-puppet-mock with a control port)."""

    workdir: Path
    scenario: dict[str, Any]
    grpc_port: int = field(default_factory=free_port)
    control_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start(self, timeout: float = 90.0) -> None:
        path = self.workdir / "mock-scenario.json"
        path.write_text(json.dumps(self.scenario, ensure_ascii=False), encoding="utf-8")
        log = (self.workdir / "gateway.log").open("ab")
        env = fixed_time.env(
            WECHATY_PUPPET=TEST_PUPPET,
            WECHATY_TOKEN=TOKEN,
            GATEWAY_LISTEN=self.endpoint,
            GATEWAY_MEMORY=str(self.workdir / "gateway"),  # the login kept in the run's folder, not in gateway/
            GRIDBOT_MOCK_SCENARIO=str(path),
            GRIDBOT_MOCK_CONTROL=str(self.control_port),
            WECHATY_LOG=os.environ.get("WECHATY_LOG", "silent"),
        )
        # the command `make gateway` runs, in the same folder
        self.proc = subprocess.Popen(["node", "gateway.js"], cwd=GATEWAY, stdout=log, stderr=log, env=env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"puppet server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if self.call("GET", "/ready").get("grpc"):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"puppet server not ready after {timeout} s: {self.log_tail()}")

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM, or SIGKILL (`kill`: the gateway dies, as a crashed or killed service does)."""
        if self.proc is not None:
            if kill and self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            _stop(self.proc)
            self.proc = None

    def log_tail(self, lines: int = 20) -> str:
        path = self.workdir / "gateway.log"
        return (
            "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) if path.exists() else ""
        )

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.control_port}{path}",
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read().decode())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"mock control {method} {path}: {exc.read().decode()}") from exc

    # -- what the tests do --------------------------------------------------------------------

    def say(
        self,
        sender: str,
        text: str,
        *,
        room: str = "",
        mentions: Sequence[str] = (),
        kind: str = "text",
        stop_server_on_read: bool = False,
        timestamp_ms: int = 0,
    ) -> str:
        """`sender` says `text` in `room` (or privately to the bot); returns the message id. `timestamp_ms`:
        the message's platform time (default: the mock's now)."""
        out = self.say_timed(
            sender, text, room=room, mentions=mentions, kind=kind, stop=stop_server_on_read, timestamp_ms=timestamp_ms
        )
        return out[0]

    def say_timed(
        self,
        sender: str,
        text: str,
        *,
        room: str = "",
        mentions: Sequence[str] = (),
        kind: str = "text",
        stop: bool = False,
        timestamp_ms: int = 0,
    ) -> tuple[str, float]:
        """As `say`; also returns when the server emitted it (its monotonic clock, ms)."""
        body: dict[str, Any] = {"from": sender, "text": text, "mentions": list(mentions), "type": kind}
        if room:
            body["room"] = room
        if stop:
            body["stopServerOnRead"] = True
        if timestamp_ms:
            body["timestamp"] = timestamp_ms
        out = self.call("POST", "/say", body)
        return str(out["id"]), float(out["t"])

    def resend(self, message_id: str) -> None:
        self.call("POST", "/resend", {"id": message_id})

    def sent(self, after: int = 0) -> list[Sent]:
        return [
            Sent(s["seq"], s["conversationId"], s["text"], tuple(s["mentionIds"]), s["file"], s["at"], s["t"])
            for s in self.call("GET", f"/sent?after={after}")
        ]

    def wait_sent(
        self, match: Callable[[Sent], bool], *, count: int = 1, after: int = 0, timeout: float = 15.0
    ) -> list[Sent]:
        """Wait until at least `count` sends after seq `after` match; returns all that match."""
        deadline = time.monotonic() + timeout
        while True:
            found = [s for s in self.sent(after) if match(s)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def grpc_stop(self) -> None:
        self.call("POST", "/grpc/stop")

    def grpc_start(self) -> None:
        self.call("POST", "/grpc/start")

    def fail_sends(self, count: int) -> None:
        self.call("POST", "/fail-sends", {"count": count})

    def drop_on_send(self, count: int, conversation: str = "") -> None:
        """The next `count` sends (to `conversation` only, if given) are carried out, then the gRPC server stops
        before it answers them."""
        self.call("POST", "/drop-on-send", {"count": count, "conversation": conversation})

    def create_room(self, room_id: str, topic: str, members: Sequence[str]) -> None:
        self.call("POST", "/room", {"id": room_id, "topic": topic, "members": list(members)})

    def add_to_room(self, room_id: str, ids: Sequence[str], by: str) -> None:
        self.call("POST", "/room/add", {"room": room_id, "ids": list(ids), "by": by})

    def rename_room(self, room_id: str, topic: str, by: str) -> None:
        self.call("POST", "/room/topic", {"room": room_id, "topic": topic, "by": by})

    def scan(self, status: str = "waiting", qrcode: str = "") -> None:
        """A scan event: a new QR code (status waiting), or news of the one shown (scanned, timeout, …)."""
        self.call("POST", "/scan", {"status": status, "qrcode": qrcode} if qrcode else {"status": status})

    def login(self) -> None:
        self.call("POST", "/login")

    def logout(self) -> None:
        self.call("POST", "/logout")

    def relogin(self, ids: dict[str, str]) -> None:
        """Logged out and back in, with each listed room and contact under its new id (wechat4u's way)."""
        self.call("POST", "/relogin", {"ids": ids})


@dataclass
class BotProcess:
    """`gridbot run --config <scenario>` against the puppet server, as a subprocess."""

    workdir: Path
    config_path: Path
    endpoint: str
    db_url: str
    argv: Sequence[str] = ()  # another program instead of gridbot (the bench's echo bot)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / "bot.log"

    def start(self, timeout: float = 90.0, *, until: str = "logged in as") -> None:
        """Start, and wait until the log says `until` once more (the login, by default)."""
        env = fixed_time.env(
            PYTHONPATH=str(ROOT),
            WECHATY_PUPPET_SERVICE_ENDPOINT=self.endpoint,
            WECHATY_PUPPET_SERVICE_TOKEN=TOKEN,
        )
        argv = list(self.argv) or [
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--config",
            str(self.config_path),
            "--db",
            self.db_url,
        ]
        before = self.log_text().count(until)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(argv, cwd=self.workdir, env=env, stdout=log, stderr=log)
        log.close()
        self.starts += 1
        self.wait_log(lambda: self.log_text().count(until) > before, timeout, f"say {until!r}")

    def logins(self) -> int:
        return self.log_text().count("logged in as")

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_log(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"bot exited with {self.proc.returncode} before it could {what}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"bot did not {what} within {timeout} s:\n{self.tail()}")
            time.sleep(0.05)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, *, kill: bool = False) -> int:
        """SIGTERM (a clean stop) or SIGKILL (a crash); returns the exit status."""
        if self.proc is None:
            return 0
        proc, self.proc = self.proc, None
        if kill:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            return int(proc.returncode)
        return _stop(proc)


def gridbot_health(workdir: Path) -> subprocess.CompletedProcess[str]:
    """`gridbot health` on the run's config, as a cron job or systemd would run it (another process)."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "health", "--config", str(workdir / "config.yaml")],
        cwd=ROOT,
        env=fixed_time.env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def write_config(workdir: Path, overrides: dict[str, Any] | None = None) -> tuple[Path, dict[str, Any]]:
    """The scenario config with this run's data_dir; returns (path, the config as a mapping)."""
    config = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    config["data_dir"] = str(workdir / "data")
    config.update(overrides or {})
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path, config
