"""The ticket list (filters, paging, CSV/XLSX), one ticket with its timeline, and the actions on it.

Actions go through handlers/domain/tickets.py in one turn, exactly like the chat commands: same checks,
same events, same messages queued for the groups.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, unquote

from aiohttp import web

from bot.core.settings import Settings
from handlers.deps import Deps
from handlers.domain import results, tickets, transfers
from handlers.domain.people import can_act_on, name_of
from handlers.domain.privacy import mask
from handlers.domain.tickets import TicketError
from handlers.domain.timeline import ACTION_NAMES
from storage import web_queries as q
from storage.media import MediaStore
from storage.records import Event, Ticket
from storage.states import TicketState
from web import export, filters, params
from web.context import ctx, render, viewer

EXPORT_LIMIT = 100_000
FLASH = "gridbot_flash"
ACTIONS = {
    "accept": "接单",
    "progress": "记录进展",
    "resolve": "办结",
    "transfer": "转办",
    "reject": "退回",
}


def _ticket_id(request: web.Request) -> int:
    found = params.ascii_int(request.match_info["id"])
    if found is None:
        raise params.bad_request(request, f"工单号应为不超过 {params.ID_DIGITS} 位的数字（0-9）。")
    return found


async def ticket_list(request: web.Request) -> web.Response:
    c, who = ctx(request), viewer(request)
    query = filters.parse(request.query, c.settings)
    now = c.services.clock.now()
    with c.services.store.begin() as uow:
        found, total = q.list_tickets(
            uow, who.scope, query.filter, now, offset=(query.page - 1) * filters.PER_PAGE, limit=filters.PER_PAGE
        )
        holders = q.holders(uow, who.scope, states=[s for _, states in filters.STATE_CHOICES.values() for s in states])
    pages = max(1, -(-total // filters.PER_PAGE))
    return render(
        request,
        "tickets.html",
        status=400 if query.errors else 200,  # the bad values are named on the page and were not applied
        title="工单",
        rows=[export.row(c.settings, t, now) for t in found],
        total=total,
        page=query.page,
        pages=pages,
        query=query,
        errors=query.errors,
        states={k: v[0] for k, v in filters.STATE_CHOICES.items()},
        categories={k: v.name for k, v in c.settings.categories.items()},
        grids=who.grids,
        holders=[(h, name_of(c.settings, h)) for h, _ in holders],
        ladder=c.settings.ladder,
    )


async def _export(request: web.Request) -> tuple[list[Ticket], str]:
    c, who = ctx(request), viewer(request)
    query = filters.parse(request.query, c.settings)
    if query.errors:
        raise params.bad_request(request, " ".join(query.errors))
    now = c.services.clock.now()
    with c.services.store.begin() as uow:
        found, _ = q.list_tickets(uow, who.scope, query.filter, now, limit=EXPORT_LIMIT, newest_first=False)
    return found, now.astimezone(c.settings.tz).strftime("%Y%m%d-%H%M")


def attachment(body: bytes, filename: str, content_type: str) -> web.Response:
    return web.Response(
        body=body,
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename.encode("ascii", "ignore").decode()}"; '
            f"filename*=UTF-8''{quote(filename)}"
        },
    )


async def export_csv(request: web.Request) -> web.Response:
    found, stamp = await _export(request)
    body = export.to_csv(ctx(request).settings, found, ctx(request).services.clock.now())
    response = attachment(body, f"工单-{stamp}.csv", "text/csv")
    response.charset = "utf-8"
    return response


async def export_xlsx(request: web.Request) -> web.Response:
    found, stamp = await _export(request)
    body = export.to_xlsx(ctx(request).settings, found, ctx(request).services.clock.now())
    return attachment(body, f"工单-{stamp}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


async def ticket_page(request: web.Request) -> web.Response:
    c, who = ctx(request), viewer(request)
    ticket_id = _ticket_id(request)
    now = c.services.clock.now()
    with c.services.store.begin() as uow:
        ticket = q.ticket_in_scope(uow, who.scope, ticket_id)
        if ticket is None:
            raise web.HTTPNotFound(text=f"没有找到工单 #{ticket_id}，或它不在您的范围内。")
        events = uow.tickets.events(ticket_id)
        reporters = uow.tickets.reporters(ticket_id)
        messages = uow.messages.of_ticket(ticket_id)
    reveal = ticket.holder_id == who.id  # like /查询: only the holder sees phone and ID numbers
    show = (lambda text: text) if reveal else mask
    tz = c.settings.tz
    timeline = [
        {
            "at": ev.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "actor": show(ev.actor_name) or "网格助手",
            "action": ACTION_NAMES.get(ev.action, ev.action),
            "code": ev.action,
            "note": show(ev.note),
        }
        for ev in events
    ]
    evidence = [
        {
            "id": ev.id,
            "ref": show(ev.note),
            "kind": json.loads(ev.data or "{}").get("kind", ""),
            "file": _is_picture(c.settings, ev),
        }
        for ev in events
        if ev.action == "evidence"
    ]
    flash = request.cookies.get(FLASH, "")
    response = render(
        request,
        "ticket.html",
        title=f"#{ticket.id}",
        t=export.row(c.settings, ticket, now),
        ticket=ticket,
        text=show(ticket.text),
        result=show(ticket.result),
        timeline=timeline,
        evidence=evidence,
        # a WeChat name often carries a phone number (张阿姨13812345678): names are masked like texts
        reporter=show(ticket.reporter_name),
        reporters=[replace(rep, reporter_name=show(rep.reporter_name)) for rep in reporters],
        messages=[
            (m.received_at.astimezone(tz).strftime("%m-%d %H:%M"), show(m.sender_name), show(m.text)) for m in messages
        ],
        may_act=can_act_on(c.settings, who.id, ticket) and ticket.is_active,
        # 接单 is for a ticket waiting for someone: on one already 办理中 it would only take it from its holder
        may_accept=ticket.state == TicketState.OPEN,
        flash=read_flash(flash),
    )
    if flash:
        response.del_cookie(FLASH, path="/")
    return response


def _evidence_file(settings: Settings, event: Event) -> Path | None:
    """The picture the bot stored for this evidence event (storage/media.py), never a path a message named.

    A location's text stays text. Rows from before the media folder name their picture by a path under
    data_dir: only a plain relative path to a picture is still found."""
    media = MediaStore(settings.data_dir)
    data = json.loads(event.data or "{}")
    if data.get("file"):
        return media.find(str(data["file"]))
    return media.find_legacy(event.note) if data.get("kind") == "image" else None


def _is_picture(settings: Settings, event: Event) -> bool:
    path = _evidence_file(settings, event)
    return path is not None and MediaStore.is_picture(path)


async def evidence_file(request: web.Request) -> web.StreamResponse:
    c, who = ctx(request), viewer(request)
    ticket_id = _ticket_id(request)
    event_id = request.match_info["event"]
    with c.services.store.begin() as uow:
        if q.ticket_in_scope(uow, who.scope, ticket_id) is None:
            raise web.HTTPNotFound()
        event = next(
            (e for e in uow.tickets.events(ticket_id) if str(e.id) == event_id and e.action == "evidence"), None
        )
    path = _evidence_file(c.settings, event) if event else None
    found = await asyncio.to_thread(MediaStore.load, path, images_only=True) if path else None
    if found is None:
        raise web.HTTPNotFound(text="找不到这张图片。")
    body, content_type = found
    return web.Response(body=body, content_type=content_type, headers={"X-Content-Type-Options": "nosniff"})


def read_flash(value: str) -> tuple[str, str] | None:
    kind, _, text = value.partition(":")
    return (kind, unquote(text)) if kind in ("ok", "error") and text else None


async def ticket_action(request: web.Request) -> web.StreamResponse:
    """接单 / 进展 / 办结 / 转办 / 退回 from the page, through the same handler code as the chat commands."""
    c, who = ctx(request), viewer(request)
    ticket_id = _ticket_id(request)
    form = await request.post()
    action = str(form.get("action", ""))
    text = str(form.get("text", "")).strip()[:1000]
    public = form.get("public") in ("1", "on")
    try:
        if action not in ACTIONS:
            raise TicketError("没有这个操作。")
        with c.services.turn() as deps:
            ticket = deps.uow.tickets.get(ticket_id, lock=True)
            if ticket is None or q.ticket_in_scope(deps.uow, who.scope, ticket_id) is None:
                raise TicketError(deps.texts.err_no_ticket.format(ticket=ticket_id))
            if not can_act_on(deps.settings, who.id, ticket):
                raise TicketError(deps.texts.err_not_in_reach.format(ticket=ticket_id))
            message = _apply(deps, ticket, who.id, action, text, public)
        c.on_change()
        flash = "ok:" + quote(message)
    except TicketError as exc:
        flash = "error:" + quote(str(exc))
    response = web.HTTPSeeOther(f"/tickets/{ticket_id}")
    response.set_cookie(FLASH, flash, httponly=True, samesite="Strict", path="/", max_age=60)
    raise response


def _apply(deps: Deps, ticket: Ticket, actor: str, action: str, text: str, public: bool) -> str:
    texts = deps.texts
    if action == "accept":
        ticket = tickets.accept(deps, ticket, actor)
        return texts.accepted.format(ticket=ticket.id, holder=tickets.holder_name(deps, ticket))
    if action != "accept" and not text:
        what = {"progress": "进展", "resolve": "办理结果", "transfer": "转办原因", "reject": "退回原因"}[action]
        raise TicketError(f"请写明{what}。")
    if action == "progress":
        ticket = tickets.progress(deps, ticket, actor, text, public=public)
        return texts.progress_saved.format(ticket=ticket.id)
    if action == "resolve":
        ticket = results.resolve(deps, ticket, actor, text)
        return texts.resolved_ack.format(ticket=ticket.id)
    if action == "transfer":
        ticket = transfers.escalate(deps, ticket, actor, text, automatic=False)
        return transfers.transferred_text(deps, ticket)
    ticket = results.reject(deps, ticket, actor, text)
    return texts.rejected_ack.format(ticket=ticket.id)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/tickets", ticket_list)
    app.router.add_get("/tickets.csv", export_csv)
    app.router.add_get("/tickets.xlsx", export_xlsx)
    app.router.add_get("/tickets/{id}", ticket_page)
    app.router.add_post("/tickets/{id}/action", ticket_action)
    app.router.add_get("/tickets/{id}/evidence/{event}", evidence_file)
