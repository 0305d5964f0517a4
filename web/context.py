"""What every view gets from the request: the deployment's context, the viewer, rendering, the session."""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jinja2
from aiohttp import web

from bot.core.settings import Settings
from handlers.deps import Services
from storage.point_cache import PastPoints
from storage.uow import UnitOfWork
from web import guard
from web.auth import SESSION_COOKIE, SESSION_SECONDS, Signer
from web.guard import Throttle
from web.reach import Viewer


@dataclass
class WebContext:
    services: Services
    signer: Signer
    throttle: Throttle
    templates: jinja2.Environment
    open311_keys: frozenset[str] = frozenset()
    wall: Callable[[], float] = time.time
    secure_cookies: bool = False
    on_change: Callable[[], None] = lambda: None  # the bot's dispatcher poke, when served inside the bot
    points: PastPoints = field(default_factory=PastPoints)  # the overview's 积分 of past days, remembered
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def binding_of(self, person_id: str) -> str:
        """What a session of theirs is bound to: their password hash and session epoch ("" without a password).
        Read on every request, so a logout in one browser ends the session in every other."""
        person = self.services.settings.people_by_id.get(person_id)
        if person is None or not person.password_hash:
            return ""
        with self.services.store.begin() as uow:
            epoch = uow.state.meta(EPOCH_KEY + person_id) or "0"
        return f"{person.password_hash}|{epoch}"


EPOCH_KEY = "web_session_epoch:"  # + person id, in the meta table


def end_sessions(uow: UnitOfWork, person_id: str) -> None:
    """Every session of this person ends: a new random epoch (logout, a new password)."""
    uow.state.set_meta(EPOCH_KEY + person_id, secrets.token_urlsafe(12))


CTX = web.AppKey("ctx", WebContext)
CSRF_VALUE: web.RequestKey[str] = web.RequestKey("csrf_cookie", str)
SESSION_VALUE: web.RequestKey[str] = web.RequestKey("session_cookie", str)  # "" unless a valid session
VIEWER: web.RequestKey[Viewer | None] = web.RequestKey("viewer")


def ctx(request: web.Request) -> WebContext:
    return request.app[CTX]


def viewer(request: web.Request) -> Viewer:
    found = request.get(VIEWER)
    if found is None:
        raise web.HTTPUnauthorized()
    return found


@functools.cache
def _trusted(entries: tuple[str, ...]) -> tuple[guard.Network, ...]:
    return guard.networks(entries)


def client_address(request: web.Request) -> str:
    """The client's address: the peer, or what a trusted proxy (`web.trusted_proxies`) says it forwarded."""
    trusted = _trusted(tuple(ctx(request).settings.web.trusted_proxies))
    return guard.client_address(request.remote, request.headers.get("X-Forwarded-For", ""), trusted)


def csrf_token(request: web.Request) -> str:
    return ctx(request).signer.csrf_token(request[CSRF_VALUE], request.get(SESSION_VALUE, ""))


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    page = (
        ctx(request)
        .templates.get_template(template)
        .render(viewer=request.get(VIEWER), csrf=csrf_token(request), path=request.path, **values)
    )
    return web.Response(text=page, content_type="text/html", charset="utf-8", status=status)


def set_session(request: web.Request, response: web.StreamResponse, person_id: str) -> None:
    c = ctx(request)
    value = c.signer.session_cookie(person_id, c.binding_of(person_id), c.wall())
    response.set_cookie(
        SESSION_COOKIE,
        value,
        httponly=True,
        samesite="Lax",
        secure=c.secure_cookies,
        max_age=SESSION_SECONDS,
        path="/",
    )
