"""Operations commands: `gridbot db upgrade|current`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def _url(args: argparse.Namespace) -> str:
    from bot.cli.common import settings_of

    return str(getattr(args, "db", None) or settings_of(args).database_url)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    result = upgrade(_url(args))
    sys.stdout.write(f"gridbot db upgrade: {result.describe()}\n")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    from storage.backup import BackupError, sqlite_path
    from storage.db import make_engine
    from storage.migrate import current, head

    url = _url(args)
    try:
        path = sqlite_path(url)
    except BackupError:  # in memory: nothing on disk to spare
        path = None
    rev: str | None = None
    if path is None or path.exists():  # connecting would create a missing SQLite file: a read must not
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                rev = current(conn)
        finally:
            engine.dispose()
    want = head()
    state = "new (no tables)" if rev is None else ("current" if rev == want else f"behind (needs {want})")
    sys.stdout.write(f"schema revision: {rev or '-'}  newest: {want}  state: {state}\n")
    return 0 if rev == want else 1


def add_ops_subcommands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database schema: upgrade, current")
    dsub = db.add_subparsers(dest="db_command", required=True)

    def command(name: str, func: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = dsub.add_parser(name, help=help_text)
        p.add_argument("--config", help="path to config.yaml (default: ./config.yaml if present)")
        p.add_argument("--db", help="database URL (default: the config's database, else sqlite under data_dir)")
        p.set_defaults(func=func)
        return p

    command("upgrade", cmd_db_upgrade, "create the database or move it to the current schema (back it up first)")
    command("current", cmd_db_current, "print the schema revision; exit 1 unless it is the current one")
