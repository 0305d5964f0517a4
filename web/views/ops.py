"""For machines: `/healthz` (a load balancer's probe, no login, no personal data) and `/metrics`
(Prometheus text format, behind a token or an admin's session).

Both answer from the page's own process, so they work with `gridbot web` alone: whether a bot
process runs is read from the heartbeat it writes (bot/core/heartbeat.py, as `gridbot health` does).
"""

from __future__ import annotations

import asyncio
import math
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.core import heartbeat
from storage.ops_queries import OpsFigures, database_answers, ops_figures
from web.admin_forms import can_administer
from web.context import VIEWER, ctx

METRICS_TOKEN = web.AppKey("metrics_token", str)
DB_PROBE_SECONDS = 5.0  # a database that hangs is as down as one that refuses
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# the outbox is "stuck" past this; the alerts have their own setting (alerts.outbox_late_seconds)
OUTBOX_LATE = timedelta(minutes=10)


def _heartbeat_problems(data_dir: Path, now: datetime, max_age: timedelta) -> list[str]:
    """As `gridbot health` decides (bot/core/heartbeat.check), said without the adapter's detail."""
    try:
        health = heartbeat.read_health(data_dir)
    except FileNotFoundError:
        return ["no bot process: it has written no heartbeat"]
    except (ValueError, TypeError):
        return ["bot heartbeat unreadable"]
    age = now - datetime.fromisoformat(health.at)
    if age > max_age:
        return [f"bot process not heartbeating: last heartbeat {int(age.total_seconds())} s ago"]
    return health.problems_said(detail=False)


async def healthz(request: web.Request) -> web.Response:
    c = ctx(request)
    settings = c.settings
    reasons: list[str] = []
    try:
        up = await asyncio.wait_for(asyncio.to_thread(database_answers, c.services.store), DB_PROBE_SECONDS)
    except TimeoutError:
        up = False
    if not up:
        reasons.append("database unreachable")
    now = c.services.clock.now()
    reasons += _heartbeat_problems(settings.data_dir, now, heartbeat.max_age(settings.sweep_interval_seconds))
    body = {"status": "degraded" if reasons else "ok", "reasons": reasons}
    return web.json_response(body, status=503 if reasons else 200, headers={"Cache-Control": "no-store"})


def _authorized(request: web.Request) -> bool:
    token = request.app[METRICS_TOKEN]
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and secrets.compare_digest(sent[len("Bearer ") :].encode(), token.encode()):
        return True
    who = request.get(VIEWER)
    return who is not None and can_administer(who)


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def exposition(metrics: Iterable[tuple[str, str, str, float]]) -> str:
    """Prometheus text format 0.0.4: (name, type, help, value) each as HELP, TYPE and one sample line."""
    lines = []
    for name, kind, help_text, value in metrics:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {_number(value)}"]
    return "\n".join(lines) + "\n"


def _samples(
    figures: OpsFigures, health: heartbeat.Health | None, now: datetime, fresh: bool
) -> list[tuple[str, str, str, float]]:
    last_age = (now - figures.last_message_at).total_seconds() if figures.last_message_at else math.nan
    connected = 1.0 if health is not None and fresh and health.connected else 0.0
    beat_age = (now - datetime.fromisoformat(health.at)).total_seconds() if health is not None else math.nan
    return [
        ("gridbot_messages_received_total", "counter", "Messages stored from the chats.", figures.messages_in),
        ("gridbot_tickets_opened_total", "counter", "Tickets opened.", figures.tickets_opened),
        ("gridbot_outbox_depth", "gauge", "Outgoing messages waiting or being sent.", figures.outbox.pending),
        ("gridbot_outbox_late", "gauge", "Outgoing messages pending 10 min past their time.", figures.outbox.late),
        ("gridbot_outbox_failed", "gauge", "Outgoing messages that failed for good.", figures.outbox.failed),
        (
            "gridbot_outbox_unknown",
            "gauge",
            "Outgoing messages that may or may not have gone out.",
            figures.outbox.unknown,
        ),
        ("gridbot_tickets_overdue", "gauge", "Open tickets past their deadline.", figures.overdue_tickets),
        ("gridbot_adapter_connected", "gauge", "1 if a live bot's chat adapter is connected.", connected),
        ("gridbot_last_message_age_seconds", "gauge", "Seconds since the last stored message.", last_age),
        ("gridbot_heartbeat_age_seconds", "gauge", "Seconds since the bot process last wrote its heartbeat.", beat_age),
    ]


async def metrics(request: web.Request) -> web.Response:
    if not _authorized(request):
        return web.Response(
            text="401: metrics need a token or an admin login\n", status=401, headers={"WWW-Authenticate": "Bearer"}
        )
    c = ctx(request)
    now = c.services.clock.now()
    with c.services.store.begin() as uow:
        figures = ops_figures(uow, now, late_after=OUTBOX_LATE)
    try:
        health: heartbeat.Health | None = heartbeat.read_health(c.settings.data_dir)
    except (FileNotFoundError, ValueError, TypeError):
        health = None
    max_age = heartbeat.max_age(c.settings.sweep_interval_seconds)
    fresh = health is not None and now - datetime.fromisoformat(health.at) <= max_age
    text = exposition(_samples(figures, health, now, fresh))
    return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})


def add_routes(app: web.Application, env: Mapping[str, str], config_token: str) -> None:
    app[METRICS_TOKEN] = env.get("GRIDBOT_METRICS_TOKEN", "") or config_token
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
