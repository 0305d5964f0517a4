"""What every `gridbot` subcommand shares: the config and database it was pointed at, the clock,
and how a subcommand is declared. The subcommand modules import this, never main.py."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core.clock import Clock, clock_from_env
from bot.core.settings import ConfigError, Settings, ensure_data_dir, load_settings


def config_path(args: argparse.Namespace) -> Path | None:
    path = Path(args.config) if getattr(args, "config", None) else None
    if path is None and Path("config.yaml").exists():
        path = Path("config.yaml")
    return path


def settings_of(args: argparse.Namespace, *, writes: bool = False) -> Settings:
    """`writes`: the command keeps files under data_dir (database, media, health): it must be writable."""
    from bot.cli.logs import use_format

    settings = load_settings(config_path(args))
    use_format(os.environ.get("GRIDBOT_LOG_FORMAT") or settings.log_format)  # the environment wins, as at start-up
    if writes:
        ensure_data_dir(settings)
    return settings


def db_of(args: argparse.Namespace) -> str | None:
    return getattr(args, "db", None) or None


def clock_of(settings: Settings) -> Clock:
    """The wall clock, or the one `GRIDBOT_NOW` pins (tests run subprocesses on a date they choose)."""
    try:
        return clock_from_env(settings.tz, os.environ)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def command(
    sub: Any, name: str, func: Callable[[argparse.Namespace], int], help_text: str, db: bool = True
) -> argparse.ArgumentParser:
    """A subcommand with the options every command takes: --config, and --db where it reads the database."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    p.add_argument("--config", help="path to config.yaml (default: ./config.yaml if present)")
    if db:
        p.add_argument("--db", help="database URL (default: sqlite under data_dir)")
    p.set_defaults(func=func)
    return p
