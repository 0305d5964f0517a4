"""The throwaway PostgreSQL server really starts, keeps data over a restart, and gives usable URLs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.pgserver import PgServer

pytestmark = pytest.mark.postgres


def _dsn(url: str) -> str:
    # SQLAlchemy URL -> libpq URL for psycopg.connect
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_data_survive_a_restart(pg_server: PgServer, pg_url: str) -> None:
    with psycopg.connect(_dsn(pg_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE ticket (id serial PRIMARY KEY, title text NOT NULL)")
        conn.execute("INSERT INTO ticket (title) VALUES (%s), (%s)", ["噪音扰民", "路灯不亮"])
    port = pg_server.port
    pg_server.stop()
    assert not pg_server.is_running()
    with pytest.raises(psycopg.OperationalError, match=r"connect|refused|server"):
        psycopg.connect(_dsn(pg_url), connect_timeout=2).close()
    pg_server.start()
    assert pg_server.port == port  # same address after the restart
    with psycopg.connect(_dsn(pg_url)) as conn:
        rows = conn.execute("SELECT title FROM ticket ORDER BY id").fetchall()
    assert rows == [("噪音扰民",), ("路灯不亮",)]


def test_crash_restart_keeps_committed_rows(pg_server: PgServer, pg_url: str) -> None:
    with psycopg.connect(_dsn(pg_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE t (v int)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.execute("CHECKPOINT")  # fsync is off: only a checkpointed row survives an immediate stop for sure
    pg_server.restart(mode="immediate")
    with psycopg.connect(_dsn(pg_url)) as conn:
        assert conn.execute("SELECT v FROM t").fetchall() == [(1,)]


def test_sqlalchemy_url_and_fresh_database(pg_server: PgServer, pg_url: str) -> None:
    assert pg_url.startswith(f"postgresql+psycopg://postgres@127.0.0.1:{pg_server.port}/t_")
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == "postgres"
            tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
            assert tables == 0  # each test gets an empty database
    finally:
        engine.dispose()


def test_create_database(pg_server: PgServer) -> None:
    url = pg_server.create_database("gridbot_extra")
    try:
        assert url == pg_server.url("gridbot_extra")
        with psycopg.connect(_dsn(url)) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("gridbot_extra",)
    finally:
        pg_server.drop_database("gridbot_extra")


def test_standalone_entry_prints_a_url_and_stops_with_its_parent(pg_bin_dir: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.pgserver", "--db", "bench"],
        env={**os.environ, "GRIDBOT_PG_BIN": str(pg_bin_dir)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdin is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
        assert url.endswith("/bench")
        with psycopg.connect(_dsn(url)) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        proc.stdin.close()  # the parent going away stops the server
        assert proc.wait(timeout=60) == 0
        with pytest.raises(psycopg.OperationalError, match=r"connect|refused|server"):
            psycopg.connect(_dsn(url), connect_timeout=2).close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
