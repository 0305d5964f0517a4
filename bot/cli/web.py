"""`gridbot web` serves the page; `gridbot web-password` turns a password into the hash config.yaml keeps."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from handlers.deps import Services
from web.auth import DEFAULT_ITERATIONS, hash_password

if TYPE_CHECKING:  # aiohttp is imported when the page is served, not by every command (≈9 MB, 0.2 s)
    from aiohttp import web

    from bot.runtime.app import App
log = logging.getLogger("gridbot.web")


def web_address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


async def start_web(
    services: Services,
    host: str,
    port: int,
    env: Mapping[str, str],
    *,
    on_change: Callable[[], None] | None = None,
) -> web.AppRunner:
    """Serve the page in the running event loop (inside `gridbot shell` / `run`, or on its own)."""
    from aiohttp import web

    from web.app import make_app

    runner = web.AppRunner(make_app(services, env, on_change=on_change), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise WebStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return runner


def parse_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) < 65536:
        raise WebStartError(f"not an address: {text!r} (expected HOST:PORT, e.g. 127.0.0.1:8080)")
    return host.strip("[]") or "127.0.0.1", int(port)


async def run_with_web(app: App, address: str, env: Mapping[str, str]) -> None:
    """The bot and the page in one process (`make demo`): the page goes away when the console ends."""
    runner = None
    try:
        host, port = parse_address(address)
        runner = await start_web(app.services, host, port, env, on_change=app.dispatcher.poke)
    except WebStartError as exc:
        print(f"gridbot: web page not started: {exc}", file=sys.stderr, flush=True)
    else:
        print(f"gridbot: web page at {web_address(host, port)}", file=sys.stderr, flush=True)
    try:
        await app.run()
    finally:
        if runner is not None:
            await runner.cleanup()


class WebStartError(Exception):
    """The address is taken or not ours to listen on."""


def cmd_web(args: argparse.Namespace) -> int:
    from bot.cli.common import clock_of, db_of, settings_of
    from bot.runtime.app import build_services

    settings = settings_of(args, writes=True)
    services = build_services(settings, db_url=db_of(args), clock=clock_of(settings))
    if not any(p.password_hash for p in settings.people_by_id.values()):
        log.warning("nobody in the config has a password_hash: nobody can log in (see `gridbot web-password`)")

    async def serve() -> None:
        runner = await start_web(services, args.host, args.port, os.environ)
        print(f"gridbot web: {web_address(args.host, args.port)}  (Ctrl-C stops)", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
            services.store.dispose()

    try:
        asyncio.run(serve())
    except WebStartError as exc:
        print(f"gridbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log.info("web: stopped by keyboard interrupt")
    return 0


def cmd_web_password(args: argparse.Namespace) -> int:
    """Reads the password from the terminal (twice) or one line of stdin; prints only the hash."""
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            print("gridbot: the two passwords differ", file=sys.stderr)
            return 2
    else:
        first = sys.stdin.readline().rstrip("\r\n")
    from web.admin_forms import PASSWORD_LENGTH  # (its module reads requests: aiohttp, for this command only)

    low, high = PASSWORD_LENGTH  # the 管理 page's rule, so a hash made here is one the page would accept
    if not low <= len(first) <= high:
        print(f"gridbot: a password needs {low} to {high} characters (this one has {len(first)})", file=sys.stderr)
        return 2
    print(hash_password(first, iterations=args.iterations))
    return 0


def add_web_subcommands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    wp = command("web", cmd_web, "serve the command-center web page and the Open311 API")
    wp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    wp.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    pp = sub.add_parser("web-password", help="print the password_hash for config.yaml (password from stdin)")
    pp.add_argument("--iterations", type=int, default=DEFAULT_ITERATIONS, help=argparse.SUPPRESS)
    pp.set_defaults(func=cmd_web_password)
