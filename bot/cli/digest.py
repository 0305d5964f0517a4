"""`gridbot digest --period day|week|month [--at ISO] [--community ID]`: print a digest and its chart's path."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

PERIOD_CHOICES = ("day", "week", "month")


def _moment(value: str | None, tz: Any, now: datetime) -> datetime:
    if not value:
        return now
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--at: not an ISO 8601 date-time: {value!r} (e.g. 2026-11-24T08:00)") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def cmd_digest(args: argparse.Namespace) -> int:
    from bot.cli.common import clock_of, db_of, settings_of
    from handlers.jobs.digest import Period, build
    from storage.store import Store

    settings = settings_of(args)
    try:
        at = _moment(args.at, settings.tz, clock_of(settings).now())
    except ValueError as exc:
        sys.stderr.write(f"gridbot: {exc}\n")
        return 2
    communities = [c for c in settings.all_communities if not args.community or c.id == args.community]
    if not communities:
        known = ", ".join(c.id for c in settings.all_communities) or "none configured"
        sys.stderr.write(f"gridbot: no community {args.community!r} in the config (known: {known})\n")
        return 2
    store = Store(db_of(args) or settings.database_url)
    try:
        with store.begin() as uow:
            for i, community in enumerate(communities):
                digest = build(uow, settings, community, cast(Period, args.period), at)
                sys.stdout.write(("\n" if i else "") + digest.text + "\n")
                if digest.chart is not None:
                    sys.stdout.write(f"chart: {digest.chart}\n")
    finally:
        store.dispose()
    return 0


def add_digest_subcommands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    p = command("digest", cmd_digest, "print a supervisors' digest (day, week or month) and its chart's path")
    p.add_argument("--period", choices=PERIOD_CHOICES, default="day", help="what the digest covers (default: day)")
    p.add_argument("--at", help="the moment the digest is made, ISO 8601 (default: now); it covers the period before")
    p.add_argument("--community", help="only this community id (default: every community in the config)")
