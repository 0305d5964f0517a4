"""The covenants page (楼门公约, #20): per group in the viewer's communities, the covenant in force and the
earlier versions it replaced, each with when it was adopted and its tally (handlers/domain/covenants.py)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from handlers.domain.covenants import outcome_of
from web.context import ctx, render, viewer


@dataclass(frozen=True)
class Version:
    label: str
    body: str
    adopted: str  # YYYY-MM-DD HH:MM, local time
    yes: int
    no: int
    cast: int


@dataclass(frozen=True)
class GroupCovenants:
    topic: str
    versions: list[Version]  # newest first: the first is in force


async def covenants_page(request: web.Request) -> web.Response:
    c, who = ctx(request), viewer(request)
    tz, texts = c.settings.tz, c.settings.texts
    with c.services.store.begin() as uow:
        rows = uow.board.covenants_of(who.scope.community_ids)
    groups: dict[str, GroupCovenants] = {}
    for chat_id, topic, item in rows:
        o = outcome_of(item)
        adopted = f"{item.closed_at.astimezone(tz):%Y-%m-%d %H:%M}" if item.closed_at else ""
        label = texts.covenant_label.format(number=item.number)
        group = groups.setdefault(chat_id, GroupCovenants(topic or chat_id, []))
        group.versions.append(Version(label, item.body, adopted, o.yes, o.no, o.cast))
    return render(request, "covenants.html", groups=list(groups.values()), title="楼门公约")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/covenants", covenants_page)
