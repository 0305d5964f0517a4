"""Schema versions (alembic). `gridbot db upgrade` moves a database to the current schema.

A database with no tables at all is new: it is created at the current schema in one
step (create_all) and stamped with the newest revision, so a first start needs no
command. A database that is behind is never upgraded silently at start-up: the bot
refuses to start and names the command, because an upgrade deserves a backup first.
Databases made before migrations existed (tables, no version row) are at revision 0001.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from storage.db import DatabaseError, make_engine, normalise_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"  # the schema create_all made before migrations existed
_LOCK_KEY = 7_310_425  # pg_advisory_xact_lock key: one schema change at a time


class SchemaMismatch(DatabaseError):
    """The database's schema revision is not the one this code needs."""


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None  # None: a new, empty database
    after: str
    created: bool

    def describe(self) -> str:
        if self.created:
            return f"created the schema at revision {self.after}"
        if self.before == self.after:
            return f"already at revision {self.after}; nothing to do"
        return f"upgraded from revision {self.before} to {self.after}"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None
    return found


@cache
def _known_revisions() -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def known_revisions() -> frozenset[str]:
    return _known_revisions()


def current(conn: Connection) -> str | None:
    """The stamped revision; BASELINE for a pre-migration database; None for an empty one."""
    rev = MigrationContext.configure(conn).get_current_revision()
    if rev is None and inspect(conn).has_table("tickets"):
        return BASELINE
    return rev


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        # two processes starting on one new database must not both create the tables
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def _create_at_head(conn: Connection) -> None:
    SQLModel.metadata.create_all(conn)
    command.stamp(alembic_config(conn), "head")


def _shown(url: str) -> str:
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def ensure_current(engine: Engine, url: str) -> str:
    """At start-up: create a new database at the current schema, refuse one that is behind (or ahead)."""
    want = head()
    with engine.begin() as conn:
        _lock(conn)
        rev = current(conn)
        if rev is None:
            _create_at_head(conn)
            log.info("new database: schema created at revision %s", want)
            return want
    if rev == want:
        return rev
    if rev not in _known_revisions():
        raise SchemaMismatch(
            f"the database {_shown(url)} is at schema revision {rev}, which this gridbot does not know "
            f"(newest known: {want}); it was upgraded by a newer gridbot: install that version"
        )
    raise SchemaMismatch(
        f"the database {_shown(url)} is at schema revision {rev}, this gridbot needs {want}: "
        f"back it up, then run `gridbot db upgrade --db {_shown(url)}` (or with --config)"
    )


def create_pg_database(url: str) -> bool:
    """PostgreSQL: create the database itself if the server does not have it yet. True if created."""
    import psycopg
    from psycopg import sql

    parsed = make_url(normalise_url(url))
    name = parsed.database
    if not name:
        raise DatabaseError(f"no database name in {_shown(url)}")
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot reach or create the database {_shown(url)}: {exc}".strip()) from exc


def upgrade(url: str, target: str = "head") -> UpgradeResult:
    """`gridbot db upgrade`: create the database if needed, then run the migrations up to `target`."""
    if make_url(normalise_url(url)).get_backend_name() == "postgresql":
        if create_pg_database(url):
            log.info("created database %s", _shown(url))
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _lock(conn)
            before = current(conn)
            if before is None and target == "head":
                _create_at_head(conn)
                return UpgradeResult(before=None, after=head(), created=True)
            if before is not None and before not in _known_revisions():
                raise SchemaMismatch(
                    f"the database {_shown(url)} is at schema revision {before}, which this gridbot does not know"
                )
            cfg = alembic_config(conn)
            if before == BASELINE and MigrationContext.configure(conn).get_current_revision() is None:
                command.stamp(cfg, BASELINE)  # made by create_all before migrations existed
            command.upgrade(cfg, target)
            after = MigrationContext.configure(conn).get_current_revision() or ""
        return UpgradeResult(before=before, after=after, created=False)
    except DatabaseError:
        raise
    except Exception as exc:  # a driver error: one line, no traceback
        raise DatabaseError(f"upgrade of {_shown(url)} failed: {exc}".strip()) from exc
    finally:
        engine.dispose()
