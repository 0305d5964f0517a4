"""`data_dir/gridbot.pid`: which process is the running bot, and on which database.

`gridbot run` and `gridbot shell` write it at start and remove it when they stop. `gridbot reload`
reads it to find the process to send SIGHUP to; `gridbot restore` reads it to refuse replacing a
database a bot is running on. Line 1 is the process id (as systemd's PIDFile= expects), line 2 the
database URL with any password hidden.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import normalise_url

NAME = "gridbot.pid"


@dataclass(frozen=True)
class RunningBot:
    pid: int
    database: str  # as written: password hidden


def pid_path(data_dir: Path) -> Path:
    return data_dir / NAME


def shown_url(url: str) -> str:
    """The URL without its password; a SQLite file by its absolute path (the same file from any directory)."""
    try:
        parsed = make_url(normalise_url(url))
    except Exception:  # not a URL at all: shown as given (it names nothing secret then)
        return url
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return f"sqlite:///{Path(parsed.database).resolve().as_posix()}"
    return parsed.render_as_string(hide_password=True)


def write(data_dir: Path, database_url: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = pid_path(data_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{os.getpid()}\n{shown_url(database_url)}\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def remove(data_dir: Path) -> None:
    """Remove the file if it is ours (another bot may have taken the data_dir over meanwhile)."""
    path = pid_path(data_dir)
    found = _read(path)
    if found is not None and found.pid == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _read(path: Path) -> RunningBot | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return RunningBot(pid=int(lines[0].strip()), database=lines[1].strip() if len(lines) > 1 else "")
    except (FileNotFoundError, ValueError, IndexError):
        return None


def _is_gridbot(pid: int) -> bool:
    """The process exists and (where /proc tells) is a gridbot: a stale file's pid may be reused."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not Path("/proc/self").exists():
        return True
    try:
        args = cmdline.read_bytes().split(b"\0")
    except OSError:
        return False
    return any(b"gridbot" in a or a in (b"bot.cli", b"bot.cli.main") for a in args)


def running(data_dir: Path) -> RunningBot | None:
    """The live bot of this data_dir, or None (no file, or a stale one)."""
    found = _read(pid_path(data_dir))
    if found is None or not _is_gridbot(found.pid):
        return None
    return found
