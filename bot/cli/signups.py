"""`gridbot signup export N [--out FILE]`: a sign-up's entries as CSV (UTF-8 with BOM, so Excel reads the
Chinese), for its organiser. Phones are as residents wrote them: the file is the organiser's own list."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cmd_signup_export(args: argparse.Namespace) -> int:
    from bot.cli.common import db_of, settings_of
    from handlers.domain.signups import export_rows
    from storage.states import ItemKind
    from storage.store import Store
    from web.export import table_csv

    settings = settings_of(args)
    store = Store(db_of(args) or settings.database_url)
    try:
        with store.begin() as uow:
            item = uow.board.get(ItemKind.SIGNUP, args.number)
            if item is None:
                sys.stderr.write(f"gridbot: there is no sign-up {args.number} (接龙{args.number})\n")
                return 1
            topics = {g.chat_id: g.chat_topic for g in uow.board.groups(item.id)}
            rows = export_rows(item, uow.board.entries(item.id), topics, settings.tz)
    finally:
        store.dispose()
    data = table_csv(rows)
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"gridbot signup export: {len(rows) - 1} entries of 接龙{args.number} written to {args.out}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def add_signup_subcommands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    p = command("signup", cmd_signup_export, "export a sign-up (接龙) as CSV: gridbot signup export N")
    p.add_argument("action", choices=("export",), help="what to do (export: the entries as CSV)")
    p.add_argument("number", type=int, help="the sign-up's number (接龙N)")
    p.add_argument("--out", help="write the CSV to this file (default: standard output)")
