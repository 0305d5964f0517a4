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

from bot.cli.common import clock_of, config_path, db_of, settings_of
from bot.cli.common import command as add_command
from bot.cli.digest import add_digest_subcommands
from bot.cli.logs import configure as configure_logging
from bot.cli.maintenance import add_maintenance_subcommands
from bot.cli.nlp import add_nlp_subcommands
from bot.cli.ops import add_ops_subcommands
from bot.cli.signups import add_signup_subcommands
from bot.cli.web import add_web_subcommands
from bot.core.settings import ConfigError
from bot.runtime import collector
from storage.db import DatabaseError

log = logging.getLogger("gridbot")


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runtime.alerts import build_alerts
    from bot.runtime.app import build_app, build_services, make_adapter

    settings = settings_of(args, writes=True)
    services = build_services(settings, db_url=db_of(args), clock=clock_of(settings))
    adapter = make_adapter(settings, services.clock, os.environ)
    app = build_app(settings, adapter, services=services, paced=settings.adapter == "wechaty")
    app.alerts = build_alerts(settings, services.store, os.environ)
    app.config_path = config_path(args)
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

    settings = settings_of(args, writes=True)
    services = build_services(settings, db_url=db_of(args), clock=clock_of(settings))
    adapter = ConsoleAdapter(settings, services.clock.now)
    app = build_app(settings, adapter, services=services)
    app.config_path = config_path(args)
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

    settings = settings_of(args, writes=True)
    log_path = Path(args.log)
    if not log_path.is_file():
        raise ConfigError(f"replay log not found: {log_path}")
    summary = asyncio.run(
        replay(
            settings,
            log_path,
            db_url=db_of(args),
            sent_path=Path(args.sent) if args.sent else None,
            send_delay=args.send_delay,
            batch=args.batch,
        )
    )
    print(json.dumps(summary.to_json(), ensure_ascii=False))
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from bot.cli.nlp import run_classify

    return run_classify(sys.stdin, sys.stdout)


def cmd_health(args: argparse.Namespace) -> int:
    from bot.core.heartbeat import check, limits_line, max_age, speaking_line
    from bot.core.login_state import read_login

    settings = settings_of(args)
    now = clock_of(settings).now()
    ok, line = check(settings.data_dir, now, max_age(settings.sweep_interval_seconds))
    print(line)
    limits = limits_line(settings.data_dir)
    if limits is not None:  # account limits: 1650/2000 messages sent today, 12/300 groups
        print(limits)
    speaking = speaking_line(settings.data_dir)
    if speaking is not None:  # account b: stands by (another account speaks)
        print(speaking)
    login = read_login(settings.data_dir)
    if login is not None:  # waiting for scan / logged in as … / logged out at …
        print(f"login: {login.said()}")
    if args.alert and settings.alerts.channels:  # the bot cannot say that it is gone: this check says it
        from bot.runtime.watch import alert_on_verdict

        asyncio.run(alert_on_verdict(settings, os.environ, now, ok, line))
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridbot", description="Community grid work bot for WeChat groups.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str, db: bool = True
    ) -> argparse.ArgumentParser:
        return add_command(sub, name, func, help_text, db)

    # the app of these resumes the garbage collector when it is built (bot/runtime/collector.py)
    command("run", cmd_run, "run the bot on the configured adapter").set_defaults(app_resumes_gc=True)
    sp = command("shell", cmd_shell, "talk to the bot in the terminal (console adapter)")
    sp.set_defaults(app_resumes_gc=True)
    sp.add_argument("--web", metavar="HOST:PORT", help="also serve the web page there while the shell runs")
    hp = command("health", cmd_health, "exit 0 if the running bot is healthy, 1 if not (for systemd/cron)", db=False)
    hp.add_argument("--alert", action="store_true", help="also tell the alert channels when this changes")
    rp = command("replay", cmd_replay, "run a JSONL chat log through the pipeline in simulated time")
    rp.set_defaults(app_resumes_gc=True)
    rp.add_argument("log", help="chat log, one JSON message per line")
    rp.add_argument("--sent", help="write every message the bot sent to this JSONL file")
    rp.add_argument(
        "--send-delay", type=float, default=0.0, metavar="SECONDS", help="how long each send takes (platform latency)"
    )
    rp.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help="messages stored and handled per commit, within one sweep interval (group commit; 1: a commit "
        "for each store and each turn; default 64)",
    )
    cp = sub.add_parser("classify", help="classify messages from stdin, one JSON result per line")
    cp.set_defaults(func=cmd_classify)
    add_nlp_subcommands(sub)
    add_web_subcommands(sub, command)
    add_ops_subcommands(sub)
    add_maintenance_subcommands(sub, command)
    add_digest_subcommands(sub, command)
    add_signup_subcommands(sub, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, os.environ)
    if not getattr(args, "app_resumes_gc", False):
        collector.resume()  # paused by the entry point while the command was imported (bot/cli/entry.py)
    try:
        return int(args.func(args))
    except (ConfigError, DatabaseError) as exc:
        print(f"gridbot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
