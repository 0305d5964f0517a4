"""Log in, log out, and the overview (the big screen) with its JSON for self-refresh."""

from __future__ import annotations

import asyncio

from aiohttp import web

from web import overview
from web.auth import SESSION_COOKIE, dummy_hash, verify_password
from web.context import ctx, render, set_session, viewer


def _safe_next(target: str) -> str:
    """Only paths on this site: `//evil.example` or `https://…` fall back to the overview."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", error="", login="", next=_safe_next(request.query.get("next", "/")))


async def login(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    form = await request.post()
    login_name = str(form.get("login", "")).strip()[:64]
    password = str(form.get("password", ""))[:256]
    target = _safe_next(str(form.get("next", "/")))
    keys = (f"name:{login_name}", f"addr:{request.remote or ''}")
    if c.throttle.locked(*keys):
        return render(
            request, "login.html", status=429, error="密码错误次数过多，请15分钟后再试。", login=login_name, next=target
        )
    person = next(
        (p for p in c.settings.people_by_id.values() if login_name and login_name in (p.id, p.name)),
        None,
    )
    stored = person.password_hash if person and person.password_hash else ""
    ok = await asyncio.to_thread(verify_password, password, stored or dummy_hash())
    if person is None or not stored or not ok:
        await c.throttle.failed(*keys)
        return render(request, "login.html", status=401, error="账号或密码不对。", login=login_name, next=target)
    c.throttle.succeeded(keys[0])
    response = web.HTTPFound(target)
    set_session(request, response, person.id)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
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
