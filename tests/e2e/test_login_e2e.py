"""Logging in the way people log in: the gateway's puppet shows a QR code, the bot prints it in its
terminal, writes it as a PNG under data_dir and records the state that `gridbot health` reads in
another process; then the phone scans it, and later the account is logged out."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import require_gateway
from tests.e2e.peers import RESIDENTS, BotProcess, PuppetServer, gridbot_health, mock_scenario, write_config

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

MOCK_QRCODE = "https://login.weixin.qq.com/l/gridbot-mock"  # gateway/testing/puppet-mock-control.js


@pytest.fixture
def scan_first(tmp_path: Path) -> Iterator[tuple[PuppetServer, BotProcess]]:
    """The gateway's mock shows a QR code at start instead of logging the bot in; the bot waits for the scan."""
    require_gateway()
    config_path, config = write_config(tmp_path)
    server = PuppetServer(tmp_path, {**mock_scenario(config, RESIDENTS), "login": "scan"})
    server.start()
    bot = BotProcess(tmp_path, config_path, server.endpoint, f"sqlite:///{tmp_path / 'gridbot.db'}")
    bot.start(until="waiting for scan")
    yield server, bot
    bot.stop()
    server.stop()


def login_line(workdir: Path) -> str:
    """What `gridbot health` (another process) says of the login."""
    done = gridbot_health(workdir)
    lines = [line for line in done.stdout.splitlines() if line.startswith("login: ")]
    assert len(lines) == 1, done.stdout + done.stderr
    return lines[0]


def wait_line(workdir: Path, starts: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while not (line := login_line(workdir)).startswith(starts) and time.monotonic() < deadline:
        time.sleep(0.2)
    return line


def test_the_qr_code_is_shown_then_the_scan_logs_the_bot_in_and_a_logout_is_said(
    scan_first: tuple[PuppetServer, BotProcess], tmp_path: Path
) -> None:
    server, bot = scan_first
    data = tmp_path / "data"
    png = data / "login-qr.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = json.loads((data / "login.json").read_text(encoding="utf-8"))
    assert (state["state"], state["qrcode"]) == ("waiting", MOCK_QRCODE)
    assert MOCK_QRCODE in bot.log_text()
    assert "█" in bot.log_text()  # the code itself, drawn in the terminal
    assert login_line(tmp_path).startswith("login: waiting for scan (QR code since ")

    server.scan("scanned")  # on the phone, not confirmed yet: the same code, the state says so
    assert wait_line(tmp_path, "login: waiting for scan: scanned").startswith(
        "login: waiting for scan: scanned, to be confirmed on the phone"
    )
    assert png.exists()

    server.login()
    bot.wait_log(lambda: "logged in as" in bot.log_text(), 15, "log in")
    assert wait_line(tmp_path, "login: logged in") == "login: logged in as 网格助手 (wxid_gridbot)"
    assert not png.exists()  # a used code is not left lying around
    server.say("wxid_zhou", "楼道灯坏了好几天了，晚上上下楼很黑", room="tiancheng3@chatroom")
    assert server.wait_sent(lambda s: "已登记 #1" in s.text), bot.tail()

    server.logout()
    assert wait_line(tmp_path, "login: logged out").startswith("login: logged out at ")
    assert "Traceback" not in bot.log_text()
