"""Schema migrations (alembic) on SQLite and PostgreSQL: `gridbot db upgrade`, start-up refuses an old schema."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.cli.main import main
from storage.db import make_engine
from storage.migrate import SchemaMismatch, alembic_config, current, head, upgrade
from storage.schema_version import HEAD, at_head
from storage.store import Store
from tests.pgserver import PgServer

START_UTC = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_the_migrations_build_exactly_the_tables_of_the_code(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")  # every revision in turn, not create_all
        with engine.connect() as conn:
            assert current(conn) == head()
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == [], f"tables.py and the migrations disagree; add a revision: {diff}"
    finally:
        engine.dispose()


def test_db_upgrade_creates_a_new_database_at_the_current_schema(
    empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "current", "--db", empty_url]) == 1
    assert "new (no tables)" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", empty_url]) == 0
    assert capsys.readouterr().out.strip() == f"gridbot db upgrade: created the schema at revision {head()}"
    assert main(["db", "upgrade", "--db", empty_url]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["db", "current", "--db", empty_url]) == 0
    with Store(empty_url).begin() as uow:
        assert uow.counts() == {"messages": 0, "tickets": 0, "sent": 0}


def test_db_current_of_a_missing_sqlite_file_does_not_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.db"
    assert main(["db", "current", "--db", f"sqlite:///{missing}"]) == 1
    assert "state: new (no tables)" in capsys.readouterr().out
    assert not missing.exists()  # a read-only question left an empty database file behind


def test_start_up_refuses_an_old_schema_and_names_the_command(
    empty_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upgrade(empty_url, "0001")  # a database a release ago
    engine = make_engine(empty_url)
    with engine.begin() as conn:  # with a ticket in it, which the upgrade must keep
        conn.execute(
            text(
                "INSERT INTO tickets (community_id, grid_id, chat_id, chat_topic, reporter_id, reporter_name,"
                " category, urgency, state, level, holder_id, text, result, created_at, updated_at, level_since,"
                " rating, version) VALUES ('c', 'g', 'room', '', 'r', '', 'noise', 'normal', 'open', 1, 'w',"
                " '楼上装修太吵', '', '2026-11-23 01:00:00', '2026-11-23 01:00:00', '2026-11-23 01:00:00', '', 0)"
            )
        )
    engine.dispose()

    with pytest.raises(SchemaMismatch, match=r"revision 0001, this gridbot needs .*run `gridbot db upgrade --db "):
        Store(empty_url)

    log = tmp_path / "chat.jsonl"
    line = {"id": "m1", "chat_id": "room", "sender_id": "r", "text": "你好", "ts": "2026-11-23T09:00:00+08:00"}
    log.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert main(["replay", str(log), "--db", empty_url]) == 2
    err = capsys.readouterr().err
    assert "gridbot db upgrade" in err
    assert "Traceback" not in err

    assert main(["db", "upgrade", "--db", empty_url]) == 0
    assert capsys.readouterr().out.strip() == f"gridbot db upgrade: upgraded from revision 0001 to {head()}"
    with Store(empty_url).begin() as uow:
        kept = uow.tickets.get(1)
        assert kept is not None
        assert kept.text == "楼上装修太吵"


@pytest.mark.postgres
def test_the_start_ups_head_is_the_newest_migration() -> None:
    # storage/schema_version.py names the head so that a start need not import alembic to learn it
    assert HEAD == head(), f"a migration was added: set storage/schema_version.py HEAD to {head()!r}"


def test_a_start_at_the_current_schema_does_not_import_alembic(empty_url: str) -> None:
    Store(empty_url).engine.dispose()  # a new database: created at head (through alembic)
    engine = make_engine(empty_url)
    assert at_head(engine)
    engine.dispose()
    probe = (
        "import sys; from storage.store import Store; s = Store(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    root = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", probe, empty_url], capture_output=True, text=True, cwd=root, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_database_stamped_by_a_newer_gridbot_is_still_refused(empty_url: str) -> None:
    Store(empty_url).engine.dispose()
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert not at_head(engine)
    engine.dispose()
    with pytest.raises(SchemaMismatch, match=r"revision 9999, which this gridbot does not know"):
        Store(empty_url)


def test_db_upgrade_creates_a_postgres_database_that_does_not_exist(
    pg_server: PgServer, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"district_{uuid.uuid4().hex[:8]}"
    url = pg_server.url(name)
    try:
        assert main(["db", "upgrade", "--db", url]) == 0
        assert "created the schema" in capsys.readouterr().out
        with Store(url).begin() as uow:
            assert uow.counts()["tickets"] == 0
    finally:
        pg_server.drop_database(name)


def test_a_database_url_that_cannot_work_is_one_english_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--db", "mysql://localhost/gridbot"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gridbot: unsupported database 'mysql'")
    assert "Traceback" not in err


def test_the_id_map_of_one_account_becomes_the_default_accounts(empty_url: str) -> None:
    """0017 (#18 §3/§4): the one id map there was is the single-account office's, account `main`; another
    account starts with a map of its own, empty, and binds the same key without touching `main`'s row."""
    upgrade(empty_url, "0016")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO identities (kind, key, platform_id, updated_at) VALUES"
                " ('group', 'room_tiancheng_3', '@@r2', '2026-11-23 01:00:00'),"
                " ('person', 'wxid_res_1', '@c9', '2026-11-23 01:00:00')"
            )
        )
    engine.dispose()
    assert upgrade(empty_url).after == head()
    with Store(empty_url).begin() as uow:
        assert uow.identities.all("main") == {("group", "room_tiancheng_3"): "@@r2", ("person", "wxid_res_1"): "@c9"}
        assert uow.identities.all("b") == {}
        uow.identities.bind("b", "group", "room_tiancheng_3", "@@b-r2", at=START_UTC, by="test", how="topic")
    with Store(empty_url).begin() as uow:
        assert uow.identities.all("main")[("group", "room_tiancheng_3")] == "@@r2"
        assert uow.identities.all("b") == {("group", "room_tiancheng_3"): "@@b-r2"}
    # and back (`alembic downgrade 0016`): one map again, the default account's
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0016")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT kind, key, platform_id FROM identities ORDER BY kind")).all()
        assert [tuple(r) for r in rows] == [("group", "room_tiancheng_3", "@@r2"), ("person", "wxid_res_1", "@c9")]
    finally:
        engine.dispose()
