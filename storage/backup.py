"""Backups of the SQLite database, taken while the bot runs, and restoring one.

A backup uses SQLite's online backup API (a consistent copy even while the bot writes; copying
the file could catch a half-written page or miss the WAL). A restore checks that the file is a
gridbot database at a schema revision this gridbot knows, copies it next to the target, and only
then replaces the target; the replaced database and its WAL files are kept aside, not deleted.
PostgreSQL is backed up with pg_dump (storage/pgdump.py), restored with pg_restore.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import DatabaseError, normalise_url


class BackupError(DatabaseError):
    """A backup or restore that cannot be done; the message says why in one line."""


@dataclass(frozen=True)
class DbInfo:
    revision: str
    tickets: int
    messages: int


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(parsed.database)


def inspect_file(path: Path) -> DbInfo:
    """What a SQLite file holds, read-only; refuses anything that is not a gridbot database we know."""
    from storage.migrate import BASELINE, head, known_revisions

    if not path.is_file():
        raise BackupError(f"no such file: {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)  # never creates a file
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot be opened as SQLite: {exc}") from exc
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "tickets" not in tables or "messages" not in tables:
            raise BackupError(f"{path}: not a gridbot database (no tickets and messages tables)")
        revision = BASELINE
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else BASELINE
        if revision not in known_revisions():
            raise BackupError(
                f"{path}: schema revision {revision} is unknown to this gridbot (newest known: {head()}): "
                "it was made by a newer gridbot"
            )
        tickets = int(conn.execute("SELECT count(*) FROM tickets").fetchone()[0])
        messages = int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
        return DbInfo(revision=revision, tickets=tickets, messages=messages)
    except sqlite3.DatabaseError as exc:  # "file is not a database", a damaged file
        raise BackupError(f"{path}: not a SQLite database ({exc})") from exc
    finally:
        conn.close()


def _copy(source: Path, target: Path) -> None:
    """The online backup API: pages are copied under SQLite's own locking, whatever writes meanwhile."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            ok = dst.execute("PRAGMA quick_check").fetchone()
            if not ok or ok[0] != "ok":
                raise BackupError(f"the copy at {target} failed its integrity check: {ok}")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"copying {source} to {target} failed: {exc}") from exc
    finally:
        src.close()


def default_backup_path(data_dir: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return data_dir / "backups" / f"gridbot-{stamp}.db"


def backup_sqlite(source: Path, out: Path) -> DbInfo:
    """Copy a live SQLite database to `out` (which must not exist yet)."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    inspect_file(source)
    if out.exists():
        raise BackupError(f"{out} exists already; give another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        _copy(source, partial)
        os.replace(partial, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return inspect_file(out)


def restore_sqlite(
    backup: Path, target: Path, *, force: bool, now: datetime | None = None
) -> tuple[DbInfo, Path | None]:
    """Put `backup` in place of the database at `target`. Returns (what it holds, where the old one went)."""
    info = inspect_file(backup)
    if target.exists() and not force:
        raise BackupError(f"{target} exists; add --force to replace it (the old file is kept beside it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(target.name + ".restoring")
    kept: Path | None = None
    try:
        _copy(backup, incoming)
        if target.exists():
            stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
            kept = target.with_name(f"{target.name}.replaced-{stamp}")
            os.replace(target, kept)
        for suffix in ("-wal", "-shm", "-journal"):
            # a stale write-ahead log beside the new file would be applied to it: it goes with the old file
            side = target.with_name(target.name + suffix)
            if side.exists():
                aside = kept.with_name(kept.name + suffix) if kept else side.with_name(side.name + ".old")
                os.replace(side, aside)
        os.replace(incoming, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            incoming.unlink()
    return info, kept
