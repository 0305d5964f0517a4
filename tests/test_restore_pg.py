"""`gridbot restore` into PostgreSQL: pg_restore of a `gridbot backup` dump, with the SQLite path's refusals.

Every test runs on the real throwaway server (tests/pg_fixture.py): skipped locally without the
binaries, failed under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from bot.cli.main import main
from bot.core.settings import Settings
from bot.runtime import pidfile
from storage.store import Store
from tests.conftest import _chat as _bot
from tests.pgserver import PgServer, free_port

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pg_path(pg_bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pg_dump / pg_restore from the server's own binaries first on PATH (the way an operator installs them)."""
    monkeypatch.setenv("PATH", f"{pg_bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}")


@pytest.fixture
async def dump(settings: Settings, pg_schema_url: str, pg_path: None, tmp_path: Path) -> Path:
    """A `gridbot backup` of a database with two tickets (one accepted), taken after the bot stopped."""
    async for chat in _bot(settings, pg_schema_url):
        await chat.say("周阿姨", "楼下有人养狗，到晚上老叫唤，根本没法休息")
        await chat.say("老王", "景园2栋门口的路灯坏了一个星期了", chat="room_jingyuan_2")
        await chat.say("张燕", "/接单 1")
    out = tmp_path / "district.dump"
    assert main(["backup", "--db", pg_schema_url, "--out", str(out)]) == 0
    return out


def _state(url: str) -> tuple[list[tuple[int, str, str, str]], list[tuple[int, str, str]], int]:
    """(tickets, their events, messages) as the bot reads them."""
    store = Store(url)
    try:
        with store.begin() as uow:
            tickets = uow.tickets.find()
            events = [(e.ticket_id, e.action, e.actor_id) for t in tickets for e in uow.tickets.events(t.id)]
            messages = uow.counts()["messages"]
            return [(t.id, t.text, t.holder_id, t.state) for t in tickets], events, int(messages)
    finally:
        store.dispose()


async def test_restore_into_a_fresh_database_brings_back_tickets_and_events(
    settings: Settings,
    pg_schema_url: str,
    pg_server: PgServer,
    dump: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _state(pg_schema_url)
    assert len(before[0]) == 2
    assert before[1]
    capsys.readouterr()
    name = f"r_{uuid.uuid4().hex[:10]}"
    target = pg_server.url(name)  # the server does not have it yet: restore creates it
    try:
        # `database:` in the config names the target, as on a production host
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"database: {target}\ndata_dir: {tmp_path / 'data'}\n", encoding="utf-8")
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot.cli", "restore", str(dump), "--config", str(cfg)],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert done.returncode == 0, done.stderr
        assert f"-> {pidfile.shown_url(target)} (2 tickets, 3 messages, schema revision" in done.stdout
        assert "gridbot db upgrade" not in done.stdout  # the dump is at the current schema
        assert _state(target) == before
        # the restored database is a working one: the next ticket number follows on, /查询 answers
        async for chat in _bot(settings, target):
            sent = await chat.say("张燕", "/查询 1", chat="private")
            assert "办理中" in sent[0].text
            await chat.say("周阿姨", "3栋电梯又坏了，困了人")
        assert [t[0] for t in _state(target)[0]] == [1, 2, 3]
    finally:
        pg_server.drop_database(name)


async def test_restore_refuses_a_database_with_tickets_unless_forced(
    settings: Settings, pg_schema_url: str, dump: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backed_up = _state(pg_schema_url)
    async for chat in _bot(settings, pg_schema_url):  # work done after the backup
        await chat.say("张燕", "/办结 1 已与养狗住户沟通")
        await chat.say("周阿姨", "3栋电梯又坏了，困了人")
    later = _state(pg_schema_url)
    assert later != backed_up
    capsys.readouterr()

    assert main(["restore", str(dump), "--db", pg_schema_url]) == 1
    err = capsys.readouterr().err
    assert f"holds {len(later[0])} tickets and {later[2]} messages; add --force" in err
    assert _state(pg_schema_url) == later  # nothing changed

    # a client still connected to it: refused even with --force (pg_restore would wait on its locks)
    plain = pg_schema_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, application_name="psql") as other:
        assert main(["restore", str(dump), "--db", pg_schema_url, "--force"]) == 1
        err = capsys.readouterr().err
        assert f"pid {other.info.backend_pid} (psql, from" in err
        assert "other session(s) are connected" in err
    assert _state(pg_schema_url) == later

    assert main(["restore", str(dump), "--db", pg_schema_url, "--force"]) == 0
    said = capsys.readouterr().out
    assert "(2 tickets" in said
    assert f"it replaced {len(later[0])} tickets" in said
    assert _state(pg_schema_url) == backed_up


def test_restore_refuses_while_a_bot_runs_on_that_database(
    pg_schema_url: str, pg_path: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "empty.dump"
    assert main(["backup", "--db", pg_schema_url, "--out", str(out)]) == 0
    data = tmp_path / "data"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"database: {pg_schema_url}\ndata_dir: {data}\n", encoding="utf-8")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "gridbot", "run"])
    try:
        data.mkdir()
        pidfile.pid_path(data).write_text(f"{sleeper.pid}\n{pidfile.shown_url(pg_schema_url)}\n", encoding="utf-8")
        assert main(["restore", str(out), "--config", str(cfg), "--force"]) == 1
        assert f"a gridbot (pid {sleeper.pid}) is running on" in capsys.readouterr().err
    finally:
        sleeper.kill()
        sleeper.wait()
    assert main(["restore", str(out), "--config", str(cfg)]) == 0  # an empty database needs no --force
    assert "(0 tickets, 0 messages" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["missing", "text", "sqlite backup", "truncated dump", "foreign dump", "newer schema"])
def test_restore_refuses_a_file_that_is_not_a_gridbot_dump(
    kind: str,
    pg_schema_url: str,
    pg_server: PgServer,
    pg_path: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.dump"
    if kind == "text":
        bad.write_text("tickets,messages\n1,2\n", encoding="utf-8")
    elif kind == "sqlite backup":
        Store(f"sqlite:///{bad}").dispose()
    elif kind == "truncated dump":
        good = tmp_path / "good.dump"
        assert main(["backup", "--db", pg_schema_url, "--out", str(good)]) == 0
        bad.write_bytes(good.read_bytes()[:200])
    elif kind == "foreign dump":
        other = pg_server.create_database(f"f_{uuid.uuid4().hex[:10]}")
        with psycopg.connect(other.replace("postgresql+psycopg://", "postgresql://")) as conn:
            conn.execute("CREATE TABLE photos (id int PRIMARY KEY)")
        assert main(["backup", "--db", other, "--out", str(bad)]) == 0
    elif kind == "newer schema":
        newer = pg_server.create_database(f"n_{uuid.uuid4().hex[:10]}")
        Store(newer).dispose()
        with psycopg.connect(newer.replace("postgresql+psycopg://", "postgresql://")) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
        assert main(["backup", "--db", newer, "--out", str(bad)]) == 0
    capsys.readouterr()
    before = _state(pg_schema_url)
    assert main(["restore", str(bad), "--db", pg_schema_url, "--force"]) == 2
    err = capsys.readouterr().err
    expected = {
        "missing": "no such file",
        "text": "not a pg_dump file",
        "sqlite backup": "is a SQLite backup, not a pg_dump file",
        "truncated dump": "pg_restore cannot read it",
        "foreign dump": "not a gridbot database dump",
        "newer schema": "schema revision 9999 is unknown to this gridbot",
    }[kind]
    assert err.startswith("gridbot: nothing restored:")
    assert expected in err
    assert "Traceback" not in err
    assert _state(pg_schema_url) == before


def test_restore_says_when_the_server_cannot_be_reached(
    dump: Path, pg_path: None, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/gridbot"
    assert main(["restore", str(dump), "--db", nowhere]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gridbot: nothing restored: cannot reach or create the database")
    assert "Traceback" not in err


def test_a_failing_pg_restore_is_summarised_and_changes_nothing(
    pg_schema_url: str, dump: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a view someone made on the target: DROP TABLE tickets fails, the single transaction rolls back
    plain = pg_schema_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        conn.execute("CREATE VIEW open_tickets AS SELECT id FROM tickets")
    before = _state(pg_schema_url)
    capsys.readouterr()
    assert main(["restore", str(dump), "--db", pg_schema_url, "--force"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gridbot: nothing restored: pg_restore failed (exit 1); the transaction was rolled back")
    assert "other objects depend on it" in err
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert _state(pg_schema_url) == before


def test_an_older_schema_is_restored_with_the_upgrade_command_named(
    pg_server: PgServer, pg_path: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage.migrate import upgrade

    old = pg_server.create_database(f"o_{uuid.uuid4().hex[:10]}")
    upgrade(old, "0001")  # a database of a gridbot a few releases ago
    out = tmp_path / "last-year.dump"
    assert main(["backup", "--db", old, "--out", str(out)]) == 0
    name = f"r_{uuid.uuid4().hex[:10]}"
    target = pg_server.url(name)
    try:
        capsys.readouterr()
        assert main(["restore", str(out), "--db", target]) == 0
        said = capsys.readouterr().out
        assert "schema revision 0001" in said
        assert f"run `gridbot db upgrade --db {pidfile.shown_url(target)}`" in said
        assert main(["db", "upgrade", "--db", target]) == 0
        assert _state(target) == ([], [], 0)
    finally:
        pg_server.drop_database(name)


async def test_an_older_dump_forced_over_a_newer_database_leaves_none_of_its_tables(
    settings: Settings,
    pg_server: PgServer,
    pg_schema_url: str,
    pg_path: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from storage.migrate import upgrade

    old = pg_server.create_database(f"o_{uuid.uuid4().hex[:10]}")
    upgrade(old, "0001")  # before the 管理 page's tables existed
    out = tmp_path / "last-year.dump"
    assert main(["backup", "--db", old, "--out", str(out)]) == 0
    # the newer database: a ticket, and a person changed on the 管理 page after that backup
    async for chat in _bot(settings, pg_schema_url):
        await chat.say("周阿姨", "楼下有人养狗，到晚上老叫唤，根本没法休息")
    plain = pg_schema_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        conn.execute(
            "INSERT INTO directory_overrides (kind, key, value, at, by_id) VALUES ('person', 'p1', '{}', now(), 'a')"
        )
        conn.execute(
            "INSERT INTO admin_events (at, community_id, actor_id, actor_name, kind, key, before, after) "
            "VALUES (now(), 'c', 'a', 'A', 'person', 'p1', '', '{}')"
        )
    capsys.readouterr()
    assert main(["restore", str(out), "--db", pg_schema_url, "--force"]) == 0
    said = capsys.readouterr().out
    assert "schema revision 0001" in said
    # every table later revisions added (the 管理 page's among them), named once, in order
    line = next(x for x in said.splitlines() if x.startswith("dropped the tables the backup does not have: "))
    dropped = line.split(": ", 1)[1].split(", ")
    assert {"admin_events", "directory_overrides"} <= set(dropped)
    assert dropped == sorted(set(dropped))
    assert not {"tickets", "messages", "outbox", "events"} & set(dropped)  # the backup's own tables are restored
    # the upgrade the restore names now runs: it creates those tables afresh, empty
    assert main(["db", "upgrade", "--db", pg_schema_url]) == 0
    assert _state(pg_schema_url) == ([], [], 0)
    with psycopg.connect(plain) as conn:
        assert conn.execute("SELECT count(*) FROM directory_overrides").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM admin_events").fetchone() == (0,)
    pg_server.drop_database(old.rsplit("/", 1)[1])


async def test_a_table_gridbot_does_not_know_is_left_alone(
    pg_schema_url: str, dump: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = pg_schema_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        conn.execute("CREATE TABLE office_notes (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO office_notes VALUES (1, '周三停水')")
    capsys.readouterr()
    assert main(["restore", str(dump), "--db", pg_schema_url, "--force"]) == 0
    assert "dropped" not in capsys.readouterr().out
    with psycopg.connect(plain) as conn:
        assert conn.execute("SELECT note FROM office_notes").fetchall() == [("周三停水",)]
