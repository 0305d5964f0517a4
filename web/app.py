"""The aiohttp application: middlewares (errors, sessions, CSRF) and make_app. Views live in web/views/;
what they share of the request is in web/context.py."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from handlers.deps import Services
from handlers.domain import directory
from web.auth import CSRF_COOKIE, SESSION_COOKIE, Signer
from web.context import CSRF_VALUE, CTX, SESSION_VALUE, VIEWER, WebContext, csrf_token, ctx
from web.guard import Throttle
from web.params import read_form
from web.reach import viewer_for

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
# /metrics checks its token or the admin session itself (web/views/ops.py)
PUBLIC_PREFIXES = ("/login", "/static/", "/metrics")
# a load balancer's probe: no session, no directory refresh (the database may be what is down)
UNSESSIONED = frozenset({"/healthz"})
API_PREFIXES = ("/api/", "/open311/")


def _is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path.endswith((".csv", ".xlsx", ".json"))


@web.middleware
async def errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Any:
    """No traceback reaches a person: unexpected errors are logged and answered with a short page."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("web: %s %s failed", request.method, request.path)
        if _is_api(request.path):
            return web.json_response({"error": "服务器内部错误，请稍后再试。"}, status=500)
        return web.Response(
            text="<!doctype html><meta charset=utf-8><title>出错了</title><p>页面出错了，请稍后再试。</p>",
            content_type="text/html",
            status=500,
        )


@web.middleware
async def sessions(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Any:
    if request.path in UNSESSIONED:
        return await handler(request)
    c = ctx(request)
    directory.refresh(c.services)  # another process (the bot, another page) may have changed the directory
    fresh_csrf = CSRF_COOKIE not in request.cookies
    request[CSRF_VALUE] = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    person_id = None
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if cookie:
        person_id = c.signer.session_person(cookie, c.binding_of, c.wall())
    found = viewer_for(c.settings, person_id) if person_id else None
    request[VIEWER] = found
    request[SESSION_VALUE] = cookie if found is not None else ""
    if request.method == "POST":
        form = await read_form(request)
        sent = str(form.get("csrf", ""))
        if fresh_csrf or not secrets.compare_digest(sent, csrf_token(request)):
            return web.Response(text="表单已过期或来源不明，请刷新页面后重试。", status=403)
    if found is None and not request.path.startswith(PUBLIC_PREFIXES) and not request.path.startswith("/open311/"):
        if _is_api(request.path):
            return web.json_response({"error": "请先登录。"}, status=401)
        raise web.HTTPFound("/login?" + urlencode({"next": request.path_qs}) if request.path != "/" else "/login")
    response = await handler(request)
    if fresh_csrf:
        response.set_cookie(
            CSRF_COOKIE, request[CSRF_VALUE], httponly=True, samesite="Strict", secure=c.secure_cookies, path="/"
        )
    return response


# no inline script or style anywhere (the templates are checked by tests/web/test_headers.py): the page's
# own files only, nothing framed, no forms posted elsewhere
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, errors and static files included (a signal, so no handler can skip it). Everything
    but the static files may hold personal data: nothing of it is kept in a cache."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    return env


def make_app(
    services: Services,
    env: Mapping[str, str],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    wall: Callable[[], float] = time.time,
    on_change: Callable[[], None] | None = None,
) -> web.Application:
    """The page for one deployment. Secrets come from `env`: GRIDBOT_WEB_SECRET signs sessions,
    GRIDBOT_OPEN311_KEYS (comma-separated) lets machines read the Open311 API without a login."""
    from web.views import admin, covenants, notices, open311, ops, signups
    from web.views import overview as views
    from web.views import tickets as views_tickets

    secret = env.get("GRIDBOT_WEB_SECRET", "")
    if not secret:
        secret = secrets.token_urlsafe(32)
        log.warning("GRIDBOT_WEB_SECRET is not set: using a random key, so sessions end when the server restarts")
    context = WebContext(
        services=services,
        signer=Signer(secret),
        throttle=Throttle(sleep=sleep),
        templates=_templates(),
        open311_keys=frozenset(k.strip() for k in env.get("GRIDBOT_OPEN311_KEYS", "").split(",") if k.strip()),
        wall=wall,
        secure_cookies=env.get("GRIDBOT_WEB_SECURE_COOKIES", "") == "1",
        on_change=on_change or (lambda: None),
    )
    if context.secure_cookies and not services.settings.web.trusted_proxies:
        log.warning(
            "GRIDBOT_WEB_SECURE_COOKIES=1 but web.trusted_proxies is empty: behind a reverse proxy every visitor "
            "has the proxy's address, so one person's wrong passwords lock the login for everyone (SECURITY.md)"
        )
    # a notice's picture is uploaded on the page: the body may be that large (and a little more, so a picture
    # just over the limit gets the page's own sentence rather than a bare 413)
    body_limit = max(1024 * 1024, (services.settings.notices.picture_max_kb + 256) * 1024)
    app = web.Application(middlewares=[errors, sessions], client_max_size=body_limit)
    app[CTX] = context
    app.on_response_prepare.append(security_headers)
    views.add_routes(app)
    views_tickets.add_routes(app)
    covenants.add_routes(app)
    notices.add_routes(app)
    signups.add_routes(app)
    open311.add_routes(app)
    admin.add_routes(app)
    ops.add_routes(app, env, services.settings.web.metrics_token)
    app.router.add_static("/static/", STATIC, show_index=False)
    return app
