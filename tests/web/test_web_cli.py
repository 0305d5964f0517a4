"""`gridbot web-password` and `gridbot web`'s start-up answers."""

from __future__ import annotations

import io
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.cli.main import main
from bot.cli.web import start_web, web_address
from tests import fixed_time
from tests.web.seed import Seeded
from web.auth import is_password_hash, verify_password


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


@pytest.mark.parametrize(
    ("password", "ok"),
    [("a" * 8, False), ("a" * 9, False), ("a" * 10, True), ("密" * 128, True), ("a" * 129, False)],
)
def test_web_password_keeps_the_pages_rule_of_10_to_128_characters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], password: str, ok: bool
) -> None:
    # it used to accept 8 characters while the README and the 管理 page said 10–128
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    assert main(["web-password", "--iterations", "1000"]) == (0 if ok else 2)
    out, err = capsys.readouterr()
    if ok:
        assert verify_password(password, out.strip().splitlines()[-1])  # the hash is the last line
    else:
        assert out == ""
        assert err.strip() == f"gridbot: a password needs 10 to 128 characters (this one has {len(password)})"


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


ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_shell_serves_the_page_until_the_console_ends(tmp_path: Path) -> None:
    """What `make demo` runs: the console bot and the page in one process; closing stdin stops both."""
    import asyncio
    import re

    root = ROOT
    port = _free_port()
    env = fixed_time.env(PYTHONPATH=str(root), GRIDBOT_WEB_SECRET="demo-test")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "shell", "--config", str(root / "examples" / "demo.yaml"),
        "--web", f"127.0.0.1:{port}",
        cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stderr is not None
    assert proc.stdout is not None
    try:
        line = ""
        while "web page at" not in line:
            line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
            assert line, "the shell ended before serving the page"
        assert line.strip().endswith(f"gridbot: web page at http://127.0.0.1:{port}/")
        proc.stdin.write("[美景天城3栋] 周阿姨: 楼道灯坏了好几天了，晚上黑漆漆的\n".encode())
        await proc.stdin.drain()
        reply = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert "已登记 #1" in reply
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # an IP address
            page = await (await session.get(base + "/login")).text()
            token = re.search(r'name="csrf" value="([^"]+)"', page)
            assert token
            form = {"login": "王欢", "password": "gridbot-demo", "csrf": token.group(1)}
            async with session.post(base + "/login", data=form) as resp:
                assert resp.status == 200
                home = await resp.text()
            assert re.search(r'id="n-new_today">1<', home)
    finally:
        proc.stdin.close()
        code = await asyncio.wait_for(proc.wait(), 30)
    assert code == 0
    with socket.socket() as probe:  # the page went away with the console
        assert probe.connect_ex(("127.0.0.1", port)) != 0


async def test_run_serves_the_page_when_config_says_web_enabled(tmp_path: Path) -> None:
    """`web: {enabled: true, host, port}` makes `gridbot run` serve the page in the same process."""
    import asyncio
    import signal

    import yaml

    port = _free_port()
    config = yaml.safe_load((ROOT / "examples" / "demo.yaml").read_text(encoding="utf-8"))
    config.update(adapter="memory", data_dir=str(tmp_path / "data"), web={"enabled": True, "port": port})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    env = fixed_time.env(PYTHONPATH=str(ROOT), GRIDBOT_WEB_SECRET="run-test")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(path),
        cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        line = ""
        while "web page at" not in line:
            line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
            assert line, "gridbot run ended before serving the page"
        assert line.strip().endswith(f"gridbot: web page at http://127.0.0.1:{port}/")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/login") as resp:
                assert resp.status == 200
                assert "登录" in await resp.text()
            async with session.get(f"http://127.0.0.1:{port}/api/overview.json") as resp:
                assert resp.status == 401  # the bot's page, with its access rules
    finally:
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 30)
    assert code == 0
