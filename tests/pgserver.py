"""A throwaway PostgreSQL server started from the installed binaries, for tests and benchmarks.

`initdb` refuses to run as root and CI runs as root, so as root every server binary runs as the
`postgres` system user (the Debian package creates it) in a temporary directory owned by that
user; as anyone else the binaries run directly. The server listens on 127.0.0.1 on a free port,
keeps its unix socket in the temporary directory (never /var/run/postgresql, which the system
cluster owns), trusts every local connection and runs with fsync off: data survive a clean
restart, not a power cut, which is all a test needs.

Standalone, for bench scripts:  python -m tests.pgserver [--db NAME]
prints one line, the SQLAlchemy URL, then serves until SIGINT/SIGTERM, or until stdin closes
when stdin is a pipe (so a parent that dies takes the server with it).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import psycopg
from psycopg import sql

SERVER_USER = "postgres"
SUPERUSER = "postgres"  # the database role, created by initdb -U
_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",  # load tests open many pools
    "log_min_messages": "warning",
}


class PgUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed (or not usable here)."""


def find_bin_dir() -> Path:
    """`GRIDBOT_PG_BIN`, else Debian's /usr/lib/postgresql/<newest>/bin, else initdb on PATH."""
    candidates: list[Path] = []
    if os.environ.get("GRIDBOT_PG_BIN"):  # explicit: use only this one
        candidates.append(Path(os.environ["GRIDBOT_PG_BIN"]))
    else:
        versions = glob.glob("/usr/lib/postgresql/*/bin")
        versions.sort(key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0, reverse=True)
        candidates += [Path(p) for p in versions]
        on_path = shutil.which("initdb")  # Debian keeps initdb off PATH; other systems do not
        if on_path:
            candidates.append(Path(on_path).parent)
    for cand in candidates:
        if all(os.access(cand / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return cand
    raise PgUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
        f"{', '.join(map(str, candidates)) or '/usr/lib/postgresql/*/bin or PATH'}; "
        "install them with: apt-get install -y postgresql"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _world_traversable(path: Path) -> bool:
    # the postgres user must be able to walk down to its directory (TMPDIR may sit under /root)
    for part in [path, *path.parents]:
        if not os.stat(part).st_mode & stat.S_IXOTH:
            return False
    return True


class PgServer:
    """One initdb'd cluster in a temporary directory; start/stop/restart keep its data and port."""

    def __init__(self, bin_dir: Path | None = None, port: int | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self._as_root = os.geteuid() == 0
        self._user: pwd.struct_passwd | None = None
        if self._as_root:
            try:
                self._user = pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                raise PgUnavailable(f"running as root, but there is no {SERVER_USER!r} user to run the server") from exc
        parent = Path(tempfile.gettempdir())
        if self._as_root and not _world_traversable(parent):
            parent = Path("/tmp")
        self.base = Path(tempfile.mkdtemp(prefix="gridbot-pg-", dir=parent))
        if self._user is not None:
            os.chown(self.base, self._user.pw_uid, self._user.pw_gid)
        self.data_dir = self.base / "data"
        self.socket_dir = self.base  # short path: unix socket paths are limited to ~107 bytes
        self.log_file = self.base / "server.log"
        self._initialised = False
        self._running = False

    # -- lifecycle -------------------------------------------------------------------------

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, Any] = {}
        if self._user is not None:
            # drop to the postgres user with its own groups only (not root's supplementary groups)
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        env.pop("PGDATA", None)
        proc = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            cwd=self.base,  # a cwd the server user can read; root's home is not
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **kwargs,
        )
        if check and proc.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed with exit code {proc.returncode}:\n{proc.stdout}{proc.stderr}\n"
                f"server log ({self.log_file}):\n{log}"
            )
        return proc

    def init(self) -> None:
        if self._initialised:
            return
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self._initialised = True

    def start(self) -> None:
        """Start (or start again after stop(): same data, same port)."""
        self.init()
        if self._running:
            return
        opts = [f"-p {self.port}", f"-c listen_addresses={self.host}", f"-c unix_socket_directories={self.socket_dir}"]
        opts += [f"-c {key}={value}" for key, value in _SETTINGS.items()]
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            "60",
            "-o",
            " ".join(opts),
            "start",
        )
        self._running = True

    def stop(self, mode: Literal["smart", "fast", "immediate"] = "fast") -> None:
        """Stop the server; "immediate" is a crash (recovery runs on the next start)."""
        if not self._running:
            return
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", "stop")
        self._running = False

    def restart(self, mode: Literal["smart", "fast", "immediate"] = "fast") -> None:
        self.stop(mode)
        self.start()

    def is_running(self) -> bool:
        if not self._initialised:
            return False
        return self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def destroy(self) -> None:
        """Stop the server and delete its directory."""
        try:
            if self._initialised and self.is_running():
                self._running = True
                self.stop("immediate")  # a throwaway cluster needs no clean shutdown
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PgServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.destroy()

    # -- addresses and databases -----------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver)."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq URL for psycopg.connect()."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create an empty database (or a copy of `template`); returns its SQLAlchemy URL."""
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:  # FILE_COPY: for a small database much faster than the default WAL_LOG
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(query)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start a throwaway PostgreSQL server and print its URL.")
    parser.add_argument("--db", default="gridbot", help="database to create (default: gridbot)")
    parser.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with PgServer(port=args.port) as server:
        url = server.create_database(args.db) if args.db != "postgres" else server.url()
        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        sys.stderr.write(f"PostgreSQL serving in {server.base}; stop with Ctrl-C, SIGTERM or closing stdin\n")

        def watch_stdin() -> None:
            # a bench script that dies closes our stdin: do not leave an orphan server behind
            with contextlib.suppress(OSError, ValueError):
                while sys.stdin.read(4096):
                    pass
            stop.set()

        if stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode):  # a pipe from a parent, not /dev/null
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
