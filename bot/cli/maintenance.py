"""`gridbot reload`, `gridbot backup` and `gridbot restore`.

Exit status: 0 done; 1 refused because of how things stand (no bot running to reload, a bot is
running on the database to restore or another session is connected to it, the target exists or
holds tickets without --force); 2 bad input or a failure that changed nothing (a config file that
does not validate, not a gridbot database or dump, an unknown schema, a PostgreSQL server that
cannot be reached, pg_dump / pg_restore missing or failing).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.runtime import pidfile


def _target(args: argparse.Namespace) -> tuple[str, Path]:
    """(database URL, data_dir) from --db / --config."""
    from bot.cli.common import settings_of
    from storage.db import backend

    settings = settings_of(args)
    url = str(getattr(args, "db", None) or settings.database_url)
    backend(url)  # DatabaseError for a URL that is neither SQLite nor PostgreSQL: said in one line, exit 2
    return url, settings.data_dir


def cmd_backup(args: argparse.Namespace) -> int:
    from storage.backup import backup_sqlite, default_backup_path, sqlite_path

    url, data_dir = _target(args)
    source = sqlite_path(url)
    if source is None:
        return _pg_backup(url, Path(args.out) if args.out else default_backup_path(data_dir).with_suffix(".dump"))
    out = Path(args.out) if args.out else default_backup_path(data_dir)
    info = backup_sqlite(source, out)
    sys.stdout.write(
        f"gridbot backup: wrote {out} ({info.tickets} tickets, {info.messages} messages, "
        f"schema revision {info.revision})\n"
    )
    return 0


def _pg_backup(url: str, out: Path) -> int:
    from storage.pgdump import dump_command, pg_dump, restore_command

    try:
        pg_dump(url, out)
    except FileNotFoundError:
        sys.stderr.write(
            "gridbot: pg_dump is not on PATH (install the PostgreSQL client, e.g. apt-get install postgresql-client).\n"
            "Back up a PostgreSQL database with (the password, if any, in PGPASSWORD):\n"
            f"  {' '.join(dump_command(url, out))}\n"
            "and restore it into an empty database with:\n"
            f"  {' '.join(restore_command(url, out))}\n"
        )
        return 2
    sys.stdout.write(
        f"gridbot backup: wrote {out} (pg_dump custom format); restore with:\n  {' '.join(restore_command(url, out))}\n"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from storage.backup import BackupError, restore_sqlite, sqlite_path

    url, data_dir = _target(args)
    backup = Path(args.file)
    target = sqlite_path(url)
    if target is None:
        return _pg_restore(url, data_dir, backup, force=args.force)
    if _bot_running(url, [data_dir, target.parent]):
        return 1
    if target.exists() and not args.force:
        sys.stderr.write(f"gridbot: {target} exists; add --force to replace it (the old file is kept beside it)\n")
        return 1
    try:
        info, kept = restore_sqlite(backup, target, force=args.force)
    except BackupError as exc:
        sys.stderr.write(f"gridbot: nothing restored: {exc}\n")
        return 2
    sys.stdout.write(
        f"gridbot restore: {backup} -> {target} ({info.tickets} tickets, {info.messages} messages, "
        f"schema revision {info.revision})\n"
    )
    if kept is not None:
        sys.stdout.write(f"the database it replaced is kept at {kept}\n")
    _name_upgrade(url, info.revision)
    return 0


def _bot_running(url: str, folders: list[Path]) -> bool:
    """A bot whose pid file (in one of these folders) says it runs on this database: say so."""
    for folder in dict.fromkeys(folders):
        bot = pidfile.running(folder)
        if bot is not None and bot.database in ("", pidfile.shown_url(url)):
            sys.stderr.write(
                f"gridbot: a gridbot (pid {bot.pid}) is running on {pidfile.shown_url(url)}: "
                "stop it first (e.g. systemctl stop gridbot), then restore\n"
            )
            return True
    return False


def _name_upgrade(url: str, revision: str) -> None:
    from storage.migrate import head

    if revision != head():
        sys.stdout.write(
            f"this gridbot needs schema revision {head()}: run `gridbot db upgrade --db {pidfile.shown_url(url)}` "
            "before starting the bot\n"
        )


def _pg_restore(url: str, data_dir: Path, backup: Path, *, force: bool) -> int:
    """pg_restore a `gridbot backup` dump into a PostgreSQL database, with the SQLite path's refusals."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from storage.backup import BackupError
    from storage.db import DatabaseError, make_engine
    from storage.migrate import current
    from storage.pgdump import drop_left_over, inspect_dump, pg_restore, restore_command, target_state

    shown = pidfile.shown_url(url)
    try:
        dump = inspect_dump(backup)
    except FileNotFoundError:
        sys.stderr.write(
            "gridbot: pg_restore is not on PATH (install the PostgreSQL client, e.g. apt-get install "
            "postgresql-client); restore by hand with every bot stopped:\n"
            f"  {' '.join(restore_command(url, backup))}\n"
        )
        return 2
    except BackupError as exc:
        sys.stderr.write(f"gridbot: nothing restored: {exc}\n")
        return 2
    if _bot_running(url, [data_dir]):
        return 1
    try:
        state = target_state(url)
    except DatabaseError as exc:  # the server cannot be reached, or the database not created / read
        sys.stderr.write(f"gridbot: nothing restored: {' '.join(str(exc).split())}\n")
        return 2
    if state.sessions:
        sys.stderr.write(
            f"gridbot: {len(state.sessions)} other session(s) are connected to {shown}: "
            f"{', '.join(state.sessions[:5])}; stop every bot process on it (and close other clients), then restore\n"
        )
        return 1
    if (state.tickets or state.messages) and not force:
        sys.stderr.write(
            f"gridbot: {shown} holds {state.tickets} tickets and {state.messages} messages; "
            "add --force to replace them with the backup (back them up first: gridbot backup)\n"
        )
        return 1
    try:
        pg_restore(url, backup)
    except BackupError as exc:
        sys.stderr.write(f"gridbot: nothing restored: {exc}\n")
        return 2
    try:
        dropped = drop_left_over(url, dump.tables)
    except BackupError as exc:
        sys.stderr.write(f"gridbot: {exc}\n")
        return 2
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            revision = current(conn) or "none"
            tickets = int(conn.execute(text("SELECT count(*) FROM tickets")).scalar_one())
            messages = int(conn.execute(text("SELECT count(*) FROM messages")).scalar_one())
    except SQLAlchemyError as exc:
        sys.stderr.write(
            f"gridbot: pg_restore finished, but reading {shown} back failed: {' '.join(str(exc).split())[:300]}\n"
        )
        return 2
    finally:
        engine.dispose()
    sys.stdout.write(
        f"gridbot restore: {backup} -> {shown} ({tickets} tickets, {messages} messages, schema revision {revision})\n"
    )
    if state.tickets or state.messages:
        sys.stdout.write(f"it replaced {state.tickets} tickets and {state.messages} messages\n")
    if dropped:
        sys.stdout.write(f"dropped the tables the backup does not have: {', '.join(dropped)}\n")
    if revision != dump.revision:
        sys.stdout.write(f"warning: the dump was at schema revision {dump.revision}, the database is at {revision}\n")
    _name_upgrade(url, revision)
    return 0


def cmd_reload(args: argparse.Namespace) -> int:
    """Validate the file here first (a bad one is never sent), then SIGHUP the bot and print its answer."""
    from bot.cli.common import config_path
    from bot.core.settings import ConfigError, load_settings
    from bot.runtime.reload import read_outcome

    path = config_path(args)
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        sys.stderr.write(f"gridbot: {exc}\nnothing reloaded: the running bot keeps its current settings\n")
        return 2
    bot = pidfile.running(settings.data_dir)
    if bot is None:
        sys.stderr.write(
            f"gridbot: no running gridbot found for data_dir {settings.data_dir} "
            f"(no live process in {pidfile.pid_path(settings.data_dir)}); nothing to reload\n"
        )
        return 1
    asked = time.time()
    os.kill(bot.pid, signal.SIGHUP)
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        report = read_outcome(settings.data_dir, asked)
        if report is not None:
            if not report.ok:
                sys.stderr.write(f"gridbot: pid {bot.pid} refused the reload and keeps its settings: {report.error}\n")
                return 2
            sys.stdout.write(f"gridbot reload: pid {bot.pid} reloaded {path or 'the packaged defaults'}\n")
            for line in report.changes or ["no changes"]:
                sys.stdout.write(f"  {line}\n")
            if report.moved_tickets:
                sys.stdout.write(f"  {report.moved_tickets} open tickets moved to new grid workers or area cadres\n")
            return 0
        time.sleep(0.1)
    sys.stdout.write(f"gridbot reload: sent SIGHUP to pid {bot.pid}; no answer within {args.wait:g} s, see its log\n")
    return 0


def add_maintenance_subcommands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], command: Callable[..., argparse.ArgumentParser]
) -> None:
    lp = command("reload", cmd_reload, "make the running bot read config.yaml again (SIGHUP)", db=False)
    lp.add_argument("--wait", type=float, default=15.0, help="seconds to wait for the bot's answer (default 15)")
    bp = command("backup", cmd_backup, "copy the database while the bot runs (SQLite), or pg_dump it (PostgreSQL)")
    bp.add_argument("--out", help="the backup file (default: data_dir/backups/gridbot-<UTC time>.db or .dump)")
    rp = command(
        "restore", cmd_restore, "put a backup in place of the database: SQLite file, or pg_restore (the bot stopped)"
    )
    rp.add_argument("file", help="a backup made by `gridbot backup`")
    rp.add_argument("--force", action="store_true", help="replace an existing database (SQLite: it is kept beside it)")
