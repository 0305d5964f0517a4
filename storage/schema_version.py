"""The schema revision this code needs, and whether a database is at it — read without alembic.

Importing alembic (with mako and pygments behind it) and scanning the migration scripts for their head
took 0.3–0.5 s of every start (bench/startup.py), for an answer that is nearly always "already current".
So a start reads alembic's version row itself and compares it with `HEAD`; only a database that is new,
behind, ahead or unstamped goes the full way through `storage.migrate.ensure_current`, which creates it or
names the command. tests/test_migrations.py holds `HEAD` to the newest script under storage/migrations/.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

HEAD = "0018"  # the newest revision under storage/migrations/versions/ (a test fails when they differ)

# alembic's own table (its default name, in the connection's default schema)
_EXISTS = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'",
    "postgresql": "SELECT 1 WHERE to_regclass('alembic_version') IS NOT NULL",
}


def at_head(engine: Engine) -> bool:
    """True if the database is stamped with exactly `HEAD`; False for anything else (new, behind, ahead)."""
    exists = _EXISTS.get(engine.dialect.name)
    if exists is None:
        return False  # another backend: let alembic decide
    with engine.connect() as conn:
        if conn.execute(text(exists)).first() is None:
            return False
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    return [tuple(r) for r in rows] == [(HEAD,)]
