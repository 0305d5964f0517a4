"""PostgreSQL backups: `pg_dump` in its custom format, restored with `pg_restore`.

The password never goes on a command line (other users can read those): it is passed in the
PGPASSWORD environment variable of the child process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.backup import BackupError
from storage.db import normalise_url


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """(a libpq URL without the password, the environment that carries it)."""
    parsed = make_url(normalise_url(url))
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def dump_command(url: str, out: Path) -> list[str]:
    plain, _ = _libpq(url)
    return ["pg_dump", "--format=custom", "--no-owner", f"--file={out}", f"--dbname={plain}"]


def restore_command(url: str, backup: Path) -> list[str]:
    plain, _ = _libpq(url)
    opts = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]
    return ["pg_restore", *opts, f"--dbname={plain}", str(backup)]


def pg_dump(url: str, out: Path) -> None:
    """Run pg_dump; raises BackupError with its message when it fails."""
    exe = _tool("pg_dump")
    if out.exists():
        raise BackupError(f"{out} exists already; give another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    _, secret = _libpq(url)
    done = _run(exe, dump_command(url, out)[1:], secret)
    if done.returncode != 0:
        out.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed (exit {done.returncode}): {' '.join(done.stderr.split())[:400]}")


_MAGIC = b"PGDMP"  # the first bytes of a custom-format archive
_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class DumpInfo:
    revision: str
    tables: frozenset[str]


@dataclass(frozen=True)
class TargetState:
    tickets: int
    messages: int
    sessions: tuple[str, ...]  # other connections to the database, described for a person


def _summary(stderr: str, limit: int = 400) -> str:
    """pg_restore's own error lines (not its progress chatter), on one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()] or lines
    return " / ".join(dict.fromkeys(errors))[:limit] or "no message"


def _run(exe: str, args: list[str], secret: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *args], env={**os.environ, **(secret or {})}, capture_output=True, text=True, check=False
    )


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise FileNotFoundError(name)
    return exe


def inspect_dump(path: Path) -> DumpInfo:
    """What a pg_dump archive holds (read with `pg_restore --list`); refuses anything not a gridbot dump we know."""
    from storage.migrate import BASELINE, head, known_revisions

    if not path.is_file():
        raise BackupError(f"no such file: {path}")
    with path.open("rb") as f:
        start = f.read(len(_SQLITE_MAGIC))
    if start.startswith(_SQLITE_MAGIC):
        raise BackupError(f"{path} is a SQLite backup, not a pg_dump file: restore it into a sqlite:/// database")
    if not start.startswith(_MAGIC):
        raise BackupError(f"{path}: not a pg_dump file in custom format (as `gridbot backup` makes on PostgreSQL)")
    exe = _tool("pg_restore")
    listing = _run(exe, ["--list", str(path)])
    if listing.returncode != 0:
        raise BackupError(f"{path}: pg_restore cannot read it: {_summary(listing.stderr)}")
    tables: set[str] = set()
    for line in listing.stdout.splitlines():
        # "215; 1259 16390 TABLE public tickets postgres" (comment lines start with ";")
        words = line.split()
        if not line.startswith(";") and len(words) >= 6 and words[3] == "TABLE":
            tables.add(words[5])
    if not {"tickets", "messages"} <= tables:
        raise BackupError(f"{path}: not a gridbot database dump (no tickets and messages tables)")
    revision = BASELINE
    if "alembic_version" in tables:
        data = _run(exe, ["--data-only", "--table=alembic_version", "--file=-", str(path)])
        rows = (
            data.stdout.split("FROM stdin;\n", 1)[-1].split("\n\\.", 1)[0].split()
            if "FROM stdin;" in data.stdout
            else []
        )
        revision = rows[0] if rows else BASELINE
    if revision not in known_revisions():
        raise BackupError(
            f"{path}: schema revision {revision} is unknown to this gridbot (newest known: {head()}): "
            "it was made by a newer gridbot"
        )
    return DumpInfo(revision=revision, tables=frozenset(tables))


def target_state(url: str) -> TargetState:
    """The target database (created empty if the server does not have it): what it holds, who else is on it."""
    import psycopg

    from storage.migrate import create_pg_database

    create_pg_database(url)  # raises DatabaseError (one line) when the server cannot be reached
    plain, secret = _libpq(url)
    try:
        with psycopg.connect(plain, password=secret.get("PGPASSWORD"), connect_timeout=10) as conn:
            counts = []
            for table in ("tickets", "messages"):
                if conn.execute("SELECT to_regclass(%s)", [f"public.{table}"]).fetchone() == (None,):
                    counts.append(0)
                else:
                    row = conn.execute(f"SELECT count(*) FROM public.{table}").fetchone()  # a fixed name, never input
                    counts.append(int(row[0]) if row else 0)
            others = conn.execute(
                "SELECT pid, coalesce(nullif(application_name, ''), '?'), coalesce(host(client_addr), 'local') "
                "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend' ORDER BY pid"
            ).fetchall()
    except psycopg.Error as exc:
        raise BackupError(f"cannot read the database {_shown(url)}: {' '.join(str(exc).split())}") from exc
    sessions = tuple(f"pid {pid} ({app}, from {addr})" for pid, app, addr in others)
    return TargetState(tickets=counts[0], messages=counts[1], sessions=sessions)


def pg_restore(url: str, backup: Path) -> None:
    """Run pg_restore in one transaction: it restores everything or, on an error, changes nothing."""
    exe = _tool("pg_restore")
    _, secret = _libpq(url)
    done = _run(exe, restore_command(url, backup)[1:], secret)
    if done.returncode != 0:
        raise BackupError(
            f"pg_restore failed (exit {done.returncode}); the transaction was rolled back, nothing changed: "
            f"{_summary(done.stderr)}"
        )


def drop_left_over(url: str, dump_tables: frozenset[str]) -> tuple[str, ...]:
    """Drop gridbot's tables that the restored dump does not have; returns their names.

    pg_restore --clean only replaces what the dump holds. Restoring an older backup over a newer
    database would leave the newer tables (and the rows in them from after the backup) in place, and
    `gridbot db upgrade` would then fail to create them. Tables gridbot does not know are left alone.
    Without CASCADE: a view someone made on such a table makes the drop fail and say so.
    """
    import psycopg
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

    known = set(SQLModel.metadata.tables) | {"alembic_version"}
    plain, secret = _libpq(url)
    try:
        with psycopg.connect(plain, password=secret.get("PGPASSWORD"), connect_timeout=10) as conn:
            present = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            extra = tuple(sorted((present & known) - dump_tables))
            if extra:
                # names from gridbot's own metadata, never input
                conn.execute("DROP TABLE " + ", ".join(f'public."{name}"' for name in extra))
    except psycopg.Error as exc:
        raise BackupError(
            f"the dump was restored, but the tables it does not have could not be dropped: "
            f"{' '.join(str(exc).split())[:300]}; drop them by hand before `gridbot db upgrade`"
        ) from exc
    return extra


def _shown(url: str) -> str:
    return make_url(normalise_url(url)).render_as_string(hide_password=True)
