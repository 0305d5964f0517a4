"""`gridbot web-password` and `gridbot web`'s start-up answers."""

from __future__ import annotations

import io
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from tests.web.seed import Seeded
from web.auth import is_password_hash, verify_password
from web.cli import start_web, web_address


def test_web_password_prints_a_hash_that_verifies(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert main(["web-password", "--iterations", "1000"]) == 0
    out = capsys.readouterr().out.strip()
    assert is_password_hash(out)
    assert "correct horse" not in out
    assert verify_password("correct horse battery", out)
    assert not verify_password("correct horse batter", out)


def test_web_password_refuses_short_passwords(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["web-password"]) == 2
    assert capsys.readouterr().err.strip() == "gridbot: a password needs at least 8 characters"


def test_web_refuses_a_taken_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["web", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--port", str(port)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gridbot: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in err


async def test_start_web_serves_the_login_page(seeded: Seeded) -> None:
    runner = await start_web(seeded.services, "127.0.0.1", 0, {"GRIDBOT_WEB_SECRET": "x"})
    try:
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as session, session.get(web_address("127.0.0.1", port) + "login") as resp:
            assert resp.status == 200
            assert "登录" in await resp.text()
    finally:
        await runner.cleanup()
