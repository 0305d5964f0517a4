"""接龙 on the page (#20): the sign-ups the viewer may manage (their own; community-wide staff: their
communities'), each exported as CSV or XLSX (handlers/domain/signups.py `export_rows`, the CLI's table).

Phones are as residents wrote them for the organiser alone: the list is theirs. Anyone else with reach gets
the phone column masked, as the bot masks numbers everywhere but for the person who owns the list.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from handlers.deps import Deps
from handlers.domain import board
from handlers.domain.privacy import mask
from handlers.domain.signups import PHONE_FIELD, export_rows
from storage.states import ItemKind, ItemState
from web import export
from web.context import ctx, render
from web.reach import Viewer
from web.views.notices import item_number, poster
from web.views.tickets import attachment

SHOWN = 100
STATES = {ItemState.OPEN: "进行中", ItemState.CLOSED: "已截止"}


def _poster(request: web.Request) -> Viewer:
    return poster(request, ctx(request).settings.texts.err_signup_role)


async def signups_page(request: web.Request) -> web.Response:
    c, who = ctx(request), _poster(request)
    tz = c.settings.tz
    rows: list[dict[str, Any]] = []
    with c.services.turn() as deps:
        for item in deps.uow.board.recent(ItemKind.SIGNUP, [x.id for x in who.communities], SHOWN * 4):
            if not board.may_manage(deps, who.id, item):
                continue
            until = item.deadline_at or item.closed_at
            rows.append(
                {
                    "number": item.number,
                    "label": board.label(deps, item),
                    "title": item.title,
                    "author": board.author_name(deps, item),
                    "state": STATES.get(item.state, item.state),
                    "count": deps.uow.board.count(item.id),
                    "capacity": item.capacity,
                    "until": f"{until.astimezone(tz):%m-%d %H:%M}" if until else "",
                }
            )
    return render(request, "signups.html", title="接龙", signups=rows[:SHOWN])


def _table(deps: Deps, who: Viewer, number: int) -> list[list[str]]:
    item = deps.uow.board.get(ItemKind.SIGNUP, number)
    if item is None or not board.may_manage(deps, who.id, item):
        raise web.HTTPNotFound(text=deps.texts.err_no_item.format(label=deps.texts.signup_label.format(number=number)))
    topics = {g.chat_id: g.chat_topic for g in deps.uow.board.groups(item.id)}
    rows = export_rows(item, deps.uow.board.entries(item.id), topics, deps.settings.tz)
    if who.id != item.author_id:
        phone = rows[0].index(PHONE_FIELD)
        rows = [rows[0], *[[*r[:phone], mask(r[phone]), *r[phone + 1 :]] for r in rows[1:]]]
    return rows


async def _export(request: web.Request) -> tuple[list[list[str]], str]:
    c, who = ctx(request), _poster(request)
    number = item_number(request, "接龙")
    with c.services.turn() as deps:
        rows = _table(deps, who, number)
    return rows, c.settings.texts.signup_label.format(number=number)


async def export_csv(request: web.Request) -> web.Response:
    rows, name = await _export(request)
    response = attachment(export.table_csv(rows), f"{name}.csv", "text/csv")
    response.charset = "utf-8"
    return response


async def export_xlsx(request: web.Request) -> web.Response:
    rows, name = await _export(request)
    body = export.table_xlsx(rows, name)
    return attachment(body, f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/signups", signups_page)
    app.router.add_get("/signups/{number}.csv", export_csv)
    app.router.add_get("/signups/{number}.xlsx", export_xlsx)
