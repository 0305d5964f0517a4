"""The `gridbot` command. Errors are one English line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.core.clock import Clock, clock_from_env
from bot.core.settings import ConfigError, Settings, load_settings
from storage.db import DatabaseError

log = logging.getLogger("gridbot")


def _config_path(args: argparse.Namespace) -> Path | None:
    path = Path(args.config) if getattr(args, "config", None) else None
    if path is None and Path("config.yaml").exists():
        path = Path("config.yaml")
    return path


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(_config_path(args))


def _db(args: argparse.Namespace) -> str | None:
    return getattr(args, "db", None) or None


def _clock(settings: Settings) -> Clock:
    """The wall clock, or the one `GRIDBOT_NOW` pins (tests run subprocesses on a date they choose)."""
    try:
        return clock_from_env(settings.tz, os.environ)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runtime.app import build_app, build_services, make_adapter

    settings = _settings(args)
    services = build_services(settings, db_url=_db(args), clock=_clock(settings))
    adapter = make_adapter(settings, services.clock, os.environ)
    app = build_app(settings, adapter, services=services, paced=settings.adapter == "wechaty")
    app.config_path = _config_path(args)
    log.info("gridbot ready: adapter=%s database=%s", settings.adapter, services.store.engine.url.render_as_string())
    try:
        if settings.web.enabled:  # the page in the same process (config `web:`)
            from bot.cli.web import run_with_web

            asyncio.run(run_with_web(app, f"{settings.web.host}:{settings.web.port}", os.environ))
        else:
            asyncio.run(app.run())
    except KeyboardInterrupt:
        log.info("stopped by keyboard interrupt")
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from bot.adapters.console import ConsoleAdapter
    from bot.runtime.app import build_app, build_services

    settings = _settings(args)
    services = build_services(settings, db_url=_db(args), clock=_clock(settings))
    adapter = ConsoleAdapter(settings, services.clock.now)
    app = build_app(settings, adapter, services=services)
    app.config_path = _config_path(args)
    if sys.stdin.isatty():
        print("gridbot shell — type as residents and staff, e.g.  [美景天城3栋] 周阿姨: 楼道灯坏了   (Ctrl-D ends)")
    if getattr(args, "web", None):
        from bot.cli.web import run_with_web

        asyncio.run(run_with_web(app, args.web, os.environ))
    else:
        asyncio.run(app.run())
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from bot.runtime.replay import replay

    settings = _settings(args)
    log_path = Path(args.log)
    if not log_path.is_file():
        raise ConfigError(f"replay log not found: {log_path}")
    summary = asyncio.run(
        replay(
            settings,
            log_path,
            db_url=_db(args),
            sent_path=Path(args.sent) if args.sent else None,
            send_delay=args.send_delay,
        )
    )
    print(json.dumps(summary.to_json(), ensure_ascii=False))
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from bot.cli.nlp import run_classify

    return run_classify(sys.stdin, sys.stdout)


def cmd_health(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.runtime.health import check

    settings = _settings(args)
    max_age = timedelta(seconds=max(3 * settings.sweep_interval_seconds, 180))
    ok, line = check(settings.data_dir, _clock(settings).now(), max_age)
    print(line)
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridbot", description="Community grid work bot for WeChat groups.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str, db: bool = True
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--config", help="path to config.yaml (default: ./config.yaml if present)")
        if db:
            p.add_argument("--db", help="database URL (default: sqlite under data_dir)")
        p.set_defaults(func=func)
        return p

    command("run", cmd_run, "run the bot on the configured adapter")
    sp = command("shell", cmd_shell, "talk to the bot in the terminal (console adapter)")
    sp.add_argument("--web", metavar="HOST:PORT", help="also serve the web page there while the shell runs")
    command("health", cmd_health, "exit 0 if the running bot is healthy, 1 if not (for systemd/cron)", db=False)
    rp = command("replay", cmd_replay, "run a JSONL chat log through the pipeline in simulated time")
    rp.add_argument("log", help="chat log, one JSON message per line")
    rp.add_argument("--sent", help="write every message the bot sent to this JSONL file")
    rp.add_argument(
        "--send-delay", type=float, default=0.0, metavar="SECONDS", help="how long each send takes (platform latency)"
    )
    cp = sub.add_parser("classify", help="classify messages from stdin, one JSON result per line")
    cp.set_defaults(func=cmd_classify)
    try:
        from bot.cli.nlp import add_nlp_subcommands
    except ImportError:  # the nlp tooling is optional for the core commands
        pass
    else:
        add_nlp_subcommands(sub)
    from bot.cli.web import add_web_subcommands

    add_web_subcommands(sub, command)
    from bot.cli.ops import add_ops_subcommands

    add_ops_subcommands(sub)
    from bot.cli.maintenance import add_maintenance_subcommands

    add_maintenance_subcommands(sub, command)
    from bot.cli.digest import add_digest_subcommands

    add_digest_subcommands(sub, command)
    for extra in _EXTRA_COMMANDS:
        extra(sub, command)
    return parser


# later features register here: (subparsers, command-factory) -> None
_EXTRA_COMMANDS: list[Callable[..., None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per job run is noise
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except (ConfigError, DatabaseError) as exc:
        print(f"gridbot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
