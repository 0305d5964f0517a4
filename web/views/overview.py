"""Log in, log out, and the overview (the big screen) with its JSON for self-refresh."""

from __future__ import annotations

import asyncio
import unicodedata
from urllib.parse import unquote, urlsplit

from aiohttp import web

from bot.core.settings import Person, Settings
from web import overview
from web.auth import SESSION_COOKIE, dummy_hash, verify_password
from web.context import VIEWER, client_address, ctx, end_sessions, render, set_session, viewer
from web.guard import Refusal

LOCKED = "密码错误次数过多，请15分钟后再试。"
BUSY = "同时登录的请求太多，请稍后再试。"
WRONG = "账号或密码不对。"


def safe_next(target: str) -> str:
    """Where to land after logging in: a path on this site, or the overview. A browser drops tabs and
    newlines from a URL and reads a backslash as a slash, so `/<tab>/evil.example` would be `//evil.example`,
    another site: anything with a control character, whitespace or a backslash, a scheme or a host, or
    a path starting with two slashes (also once percent-decoded) is refused."""
    if not target.startswith("/") or len(target) > 2000:
        return "/"
    try:
        parts = urlsplit(target)
    except ValueError:
        return "/"
    path = unquote(parts.path)
    for text in (target, path):
        if any(ch.isspace() or unicodedata.category(ch)[0] == "C" or ch == "\\" for ch in text):
            return "/"
    if parts.scheme or parts.netloc or path.startswith("//") or target.startswith("//"):
        return "/"
    return target


async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", error="", login="", next=safe_next(request.query.get("next", "/")))


def _person(settings: Settings, login_name: str) -> Person | None:
    """The person a login name means: their id or their name."""
    if not login_name:
        return None
    return next((p for p in settings.people_by_id.values() if login_name in (p.id, p.name)), None)


async def login(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    form = await request.post()
    login_name = str(form.get("login", "")).strip()[:64]
    password = str(form.get("password", ""))[:256]
    target = safe_next(str(form.get("next", "/")))
    person = _person(c.settings, login_name)
    # one counter per person, whichever alias is typed; unknown names are counted by what was typed
    account = f"person:{person.id}" if person else f"name:{login_name.casefold()}"
    attempt = c.throttle.admit(account, f"addr:{client_address(request)}")
    if isinstance(attempt, Refusal):
        error = LOCKED if attempt is Refusal.LOCKED else BUSY
        return render(request, "login.html", status=429, error=error, login=login_name, next=target)
    try:
        stored = person.password_hash if person and person.password_hash else ""
        ok = await asyncio.to_thread(verify_password, password, stored or dummy_hash())
        if person is None or not stored or not ok:
            await c.throttle.failed(attempt)
            return render(request, "login.html", status=401, error=WRONG, login=login_name, next=target)
        c.throttle.succeeded(attempt, clear=[account])
    finally:
        c.throttle.release(attempt)
    response = web.HTTPFound(target)
    set_session(request, response, person.id)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """Ends every session of the person, not only this browser's: a copied cookie stops working too."""
    c, who = ctx(request), request.get(VIEWER)
    if who is not None:
        with c.services.store.begin() as uow:
            end_sessions(uow, who.id)
    response = web.HTTPFound("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def overview_page(request: web.Request) -> web.Response:
    c, who = ctx(request), viewer(request)
    with c.services.store.begin() as uow:
        data = overview.build(uow, c.settings, who, c.services.clock.now(), c.points)
    return render(request, "overview.html", data=data, title="指挥大屏")


async def overview_json(request: web.Request) -> web.Response:
    c, who = ctx(request), viewer(request)
    with c.services.store.begin() as uow:
        data = overview.build(uow, c.settings, who, c.services.clock.now(), c.points)
    return web.json_response(data, dumps=_dumps)


def _dumps(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", overview_page)
    app.router.add_get("/api/overview.json", overview_json)
