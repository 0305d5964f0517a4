"""`gridbot backup` / `gridbot restore`: SQLite online copies, refusals, and pg_dump for PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.core.settings import Settings
from bot.runtime import pidfile
from storage.store import Store
from tests.chat import Chat
from tests.conftest import _chat as _bot
from tests.pgserver import PgServer


@pytest.fixture
async def sqlite_chat(settings: Settings, tmp_path: Path) -> AsyncIterator[Chat]:
    async for c in _bot(settings, f"sqlite:///{tmp_path / 'live' / 'gridbot.db'}"):
        yield c


def _tickets(url: str) -> list[tuple[int, str, str]]:
    store = Store(url)
    try:
        with store.begin() as uow:
            return [(t.id, t.text, t.holder_id) for t in uow.tickets.find()]
    finally:
        store.dispose()


async def _two_tickets(chat: Chat) -> None:
    await chat.say("周阿姨", "楼下有人养狗，到晚上老叫唤，根本没法休息")
    await chat.say("老王", "景园2栋门口的路灯坏了一个星期了", chat="room_jingyuan_2")
    await chat.say("张燕", "/接单 1")


async def test_backup_of_a_live_database_restores_into_a_fresh_path(
    sqlite_chat: Chat, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _two_tickets(sqlite_chat)
    live = sqlite_chat.app.services.store.url
    out = tmp_path / "backups" / "monday.db"
    # the bot's connection is still open, the last turns sit in its write-ahead log
    assert await asyncio.to_thread(Path(str(live).removeprefix("sqlite:///") + "-wal").exists)
    assert main(["backup", "--db", live, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {out} (2 tickets" in said
    await sqlite_chat.say("张燕", "/办结 1 已与养狗住户沟通")  # later work is not in the backup

    fresh = f"sqlite:///{tmp_path / 'elsewhere' / 'restored.db'}"
    assert main(["restore", str(out), "--db", fresh]) == 0
    assert "(2 tickets" in capsys.readouterr().out
    restored = _tickets(fresh)
    assert [(i, h) for i, _, h in restored] == [(1, "wxid_zhangyan"), (2, "wxid_li")]
    assert "养狗" in restored[0][1]
    # the restored database is a working one: the bot answers /查询 from it
    async for chat in _bot(sqlite_chat.settings, fresh):
        sent = await chat.say("张燕", "/查询 1", chat="private")
        assert "办理中" in sent[0].text  # accepted before the backup, resolved only after it


async def test_backup_does_not_overwrite_and_restore_keeps_what_it_replaces(
    sqlite_chat: Chat, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _two_tickets(sqlite_chat)
    live = sqlite_chat.app.services.store.url
    out = tmp_path / "b.db"
    assert main(["backup", "--db", live, "--out", str(out)]) == 0
    assert main(["backup", "--db", live, "--out", str(out)]) == 2
    assert "exists already" in capsys.readouterr().err

    other = tmp_path / "other.db"
    Store(f"sqlite:///{other}").dispose()  # an empty gridbot database
    assert main(["restore", str(out), "--db", f"sqlite:///{other}"]) == 1
    assert "exists; add --force" in capsys.readouterr().err
    assert _tickets(f"sqlite:///{other}") == []
    assert main(["restore", str(out), "--db", f"sqlite:///{other}", "--force"]) == 0
    said = capsys.readouterr().out
    kept = next(other.parent.glob("other.db.replaced-*"))
    assert f"kept at {kept}" in said
    assert len(_tickets(f"sqlite:///{other}")) == 2
    assert _tickets(f"sqlite:///{kept}") == []


@pytest.mark.parametrize("kind", ["text", "foreign sqlite", "newer schema", "missing"])
def test_restore_refuses_a_file_that_is_not_a_gridbot_database_we_know(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.db"
    if kind == "text":
        bad.write_text("tickets,messages\n1,2\n" * 100, encoding="utf-8")
    elif kind == "foreign sqlite":
        with sqlite3.connect(bad) as conn:
            conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    elif kind == "newer schema":
        Store(f"sqlite:///{bad}").dispose()
        with sqlite3.connect(bad) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
    target = tmp_path / "data" / "gridbot.db"
    assert main(["restore", str(bad), "--db", f"sqlite:///{target}"]) == 2
    err = capsys.readouterr().err
    expected = {
        "text": "not a SQLite database",
        "foreign sqlite": "not a gridbot database",
        "newer schema": "schema revision 9999 is unknown",
        "missing": "no such file",
    }[kind]
    assert err.startswith("gridbot: nothing restored:")
    assert expected in err
    assert "Traceback" not in err
    assert not target.exists()  # nothing was put in place


def test_restore_refuses_while_a_bot_runs_on_that_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'gridbot.db'}"
    Store(url).dispose()
    backup = tmp_path / "b.db"
    assert main(["backup", "--db", url, "--out", str(backup)]) == 0
    # a process that looks like a running bot (its command line names gridbot) has the pid file
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "gridbot", "run"])
    try:
        pidfile.pid_path(data).write_text(f"{sleeper.pid}\n{pidfile.shown_url(url)}\n", encoding="utf-8")
        assert main(["restore", str(backup), "--db", url, "--force"]) == 1
        err = capsys.readouterr().err
        assert f"a gridbot (pid {sleeper.pid}) is running on sqlite:///{(data / 'gridbot.db').resolve()}" in err
    finally:
        sleeper.kill()
        sleeper.wait()
    # the process is gone: the pid file is stale and no longer stops a restore
    assert main(["restore", str(backup), "--db", url, "--force"]) == 0


def _pg_restore(url: str, dump: Path) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    done = subprocess.run(
        [shutil.which("pg_restore") or "pg_restore", "--no-owner", f"--dbname={plain}", str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.postgres
async def test_postgres_backup_runs_pg_dump_and_pg_restore_brings_the_tickets_back(
    settings: Settings,
    pg_server: PgServer,
    pg_schema_url: str,
    pg_bin_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async for chat in _bot(settings, pg_schema_url):
        await _two_tickets(chat)
    out = tmp_path / "district.dump"
    monkeypatch.setenv("PATH", f"{pg_bin_dir}:/usr/bin:/bin")
    assert main(["backup", "--db", pg_schema_url, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "pg_dump custom format" in said
    assert "pg_restore --clean --if-exists" in said
    # the documented restore: pg_restore into an empty database, then the bot finds its tickets
    target = pg_server.create_database(f"r_{uuid.uuid4().hex[:10]}")
    _pg_restore(target, out)
    assert [(i, h) for i, _, h in _tickets(target)] == [(1, "wxid_zhangyan"), (2, "wxid_li")]

    # without pg_dump on PATH: the command to run, exit 2; restore names pg_restore
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["backup", "--db", pg_schema_url, "--out", str(tmp_path / "x.dump")]) == 2
    err = capsys.readouterr().err
    assert "pg_dump is not on PATH" in err
    assert "pg_dump --format=custom" in err
    assert main(["restore", str(out), "--db", pg_schema_url]) == 2
    assert "pg_restore --clean --if-exists" in capsys.readouterr().err


def test_an_older_schema_is_restored_with_the_upgrade_command_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage.migrate import upgrade

    old = tmp_path / "last-year.db"
    upgrade(f"sqlite:///{old}", "0001")  # a backup made by a gridbot a few releases ago
    target = f"sqlite:///{tmp_path / 'data' / 'gridbot.db'}"
    assert main(["restore", str(old), "--db", target]) == 0
    said = capsys.readouterr().out
    assert "schema revision 0001" in said
    assert "run `gridbot db upgrade --db sqlite:///" in said
    assert main(["db", "upgrade", "--db", target]) == 0
    assert _tickets(target) == []


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://gridbot@db/gridbot", "gridbot: unsupported database 'mysql': use sqlite:/// or postgresql://\n"),
        ("gridbot.db", "gridbot: not a database URL: 'gridbot.db' (a SQLite file is sqlite:///gridbot.db)\n"),
    ],
)
def test_backup_and_restore_name_a_database_url_they_cannot_use(
    url: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # before: a MySQL URL went to pg_dump, which answered about a host name
    backup = tmp_path / "b.db"
    backup.write_bytes(b"")
    for argv in (["backup", "--db", url], ["restore", str(backup), "--db", url, "--force"]):
        assert main(argv) == 2
        out = capsys.readouterr()
        assert (out.out, out.err) == ("", said)
    assert list(tmp_path.iterdir()) == [backup]
