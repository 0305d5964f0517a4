"""PostgreSQL backups: `pg_dump` in its custom format, restored with `pg_restore`.

The password never goes on a command line (other users can read those): it is passed in the
PGPASSWORD environment variable of the child process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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
    exe = shutil.which("pg_dump")
    if exe is None:
        raise FileNotFoundError("pg_dump")
    if out.exists():
        raise BackupError(f"{out} exists already; give another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    _, secret = _libpq(url)
    cmd = [exe, *dump_command(url, out)[1:]]
    done = subprocess.run(cmd, env={**os.environ, **secret}, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        out.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed (exit {done.returncode}): {' '.join(done.stderr.split())[:400]}")
