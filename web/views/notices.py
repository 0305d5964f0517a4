"""通知 on the page (#20): compose a notice, choose its groups on the list of the viewer's grids, preview it
as the groups will read it, send it, confirm it (more than `notices.confirm_over_groups` groups), and read
its delivery report (per group: sent / failed / 收到).

Everything goes through handlers/domain/notices.py in one turn, exactly like /通知: the same scope rules
(`board.resolve_chosen` is `board.resolve` for ids), quiet hours and pacing (the outbox), the same
stored notice with its number. Secretaries (and the street center, supervisors) for their communities,
grid workers for their own grids; everyone else gets 403.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from aiohttp import web

from handlers.deps import Deps
from handlers.domain import board, notices
from handlers.domain.people import POSTERS, name_of
from handlers.domain.privacy import mask
from handlers.domain.tickets import TicketError
from storage.media import MediaStore
from storage.records import BoardItem
from storage.states import ItemKind, ItemState, OutboxState
from web import params
from web.context import ctx, render, viewer
from web.reach import Viewer
from web.views.tickets import FLASH, read_flash

NUMBER_DIGITS = 9
SHOWN = 50  # notices listed on the page


@dataclass(frozen=True)
class Draft:
    """The compose form as posted (nothing in it trusted yet)."""

    body: str
    urgent: bool
    grids: list[str]
    groups: list[str]
    picture: str = ""  # a picture uploaded at the preview: its stored name, signed for this viewer
    picture_sig: str = ""

    @classmethod
    def of(cls, form: Any) -> Draft:
        many = [str(v) for v in form.getall("grid", [])], [str(v) for v in form.getall("group", [])]
        picture = str(form.get("picture", ""))[:64], str(form.get("picture_sig", ""))[:64]
        # a body far beyond any limit is cut here: the domain's own limit says so in words
        return cls(str(form.get("body", ""))[:100_000], form.get("urgent") in ("1", "on"), *many, *picture)


def _signed(request: web.Request, who: Viewer, name: str) -> str:
    return ctx(request).signer.sign(f"notice-picture|{who.id}|{name}")


async def _picture(request: web.Request, who: Viewer, form: Any, draft: Draft) -> Draft:
    """The draft with its picture: a new upload (checked and stored, storage/media.py), or the one uploaded at
    the preview (its name signed for this viewer, so a form can never name another file), or none."""
    settings = ctx(request).settings
    upload = form.get("upload")
    data = upload.file.read() if isinstance(upload, web.FileField) else b""
    if data:
        name = await asyncio.to_thread(notices.store_picture, settings, data)
    elif draft.picture:
        valid = hmac.compare_digest(_signed(request, who, draft.picture), draft.picture_sig)
        if not valid or MediaStore(settings.data_dir).find(draft.picture) is None:
            raise TicketError(settings.texts.err_picture_gone)
        name = draft.picture
    else:
        return draft
    return replace(draft, picture=name, picture_sig=_signed(request, who, name))


def poster(request: web.Request, refusal: str = "") -> Viewer:
    """The viewer, if they may post notices and sign-ups (POSTERS, as in chat); else 403 with `refusal`."""
    who = viewer(request)
    if who.person.role not in POSTERS:
        raise web.HTTPForbidden(text=refusal or ctx(request).settings.texts.err_notice_role)
    return who


def item_number(request: web.Request, label: str = "通知") -> int:
    found = params.ascii_int(request.match_info["number"], NUMBER_DIGITS)
    if found is None:
        raise params.bad_request(request, f"{label}编号应为不超过 {NUMBER_DIGITS} 位的数字（0-9）。")
    return found


def _listed(deps: Deps, who: Viewer) -> list[dict[str, Any]]:
    """The notices the viewer may manage (their own; community-wide: their communities'), newest first."""
    found = deps.uow.board.recent(ItemKind.NOTICE, [c.id for c in who.communities], SHOWN * 4)
    out = []
    for item in found:
        if item.state == ItemState.DROPPED or not board.may_manage(deps, who.id, item):
            continue
        r = board.reach_of(deps.uow, item)
        out.append(
            {
                "number": item.number,
                "label": board.label(deps, item),
                "at": f"{item.created_at.astimezone(deps.settings.tz):%m-%d %H:%M}",
                "author": board.author_name(deps, item),
                "title": item.title,
                "confirming": notices.awaits_confirmation(deps, item),
                "expired": item.state == ItemState.CONFIRMING and not notices.awaits_confirmation(deps, item),
                "recalled": item.state == ItemState.RECALLED,
                "sent": r.sent,
                "groups": r.groups,
                "acks": r.acks,
            }
        )
    return out[:SHOWN]


def _compose_page(
    request: web.Request, who: Viewer, draft: Draft | None = None, error: str = "", preview: Any = None
) -> web.Response:
    c = ctx(request)
    with c.services.turn() as deps:
        grids = board.choices(deps, who.id)
        listed = _listed(deps, who)
    flash = None if error else read_flash(request.cookies.get(FLASH, ""))
    response = render(
        request,
        "notices.html",
        status=400 if error else 200,
        title="通知",
        choices=grids,
        draft=draft or Draft("", False, [], []),
        error=error,
        flash=flash,
        preview=preview,
        notices=listed,
        confirm_over=c.settings.notices.confirm_over_groups,
        picture_kb=c.settings.notices.picture_max_kb,
    )
    if request.cookies.get(FLASH):
        response.del_cookie(FLASH, path="/")
    return response


async def notices_page(request: web.Request) -> web.Response:
    return _compose_page(request, poster(request))


# what a valid draft leads to, decided in the turn; the response is made once the turn has committed
Then = Callable[[], web.StreamResponse]
Act = Callable[[Deps, Viewer, Draft, str, list[board.Target]], Then]


async def _drafted(request: web.Request, act: Act) -> web.StreamResponse:
    """The posted draft checked (text, then scope) and acted on in one turn; bad input is the compose page
    again with its sentence (400), nothing stored."""
    c, who = ctx(request), poster(request)
    form = await request.post()
    draft = Draft.of(form)
    try:
        draft = await _picture(request, who, form, draft)
        with c.services.turn() as deps:
            notices.checked_body(deps, draft.body)
            scope, targets = board.resolve_chosen(deps, who.id, draft.grids, draft.groups)
            then = act(deps, who, draft, scope, targets)
    except TicketError as exc:
        return _compose_page(request, who, draft, error=str(exc))
    return then()


async def preview_notice(request: web.Request) -> web.StreamResponse:
    """The notice as each group will read it, where it goes, and when: nothing is stored."""

    def act(deps: Deps, who: Viewer, draft: Draft, scope: str, targets: list[board.Target]) -> Then:
        number = deps.uow.board.next_number(ItemKind.NOTICE)
        held = not draft.urgent and deps.calendar.in_quiet_hours(deps.now)
        preview = {
            "text": mask(notices.text_for(deps, number, draft.body.strip(), urgent=draft.urgent)),
            "scope": scope,
            "groups": [t.topic for t in targets],
            "confirm": notices.needs_confirm(deps, len(targets)),
            "held": f"{deps.calendar.quiet_end(deps.now).astimezone(deps.settings.tz):%H:%M}" if held else "",
        }
        return lambda: _compose_page(request, who, draft, preview=preview)

    return await _drafted(request, act)


def _flash_to(location: str, text: str, kind: str = "ok") -> web.HTTPSeeOther:
    response = web.HTTPSeeOther(location)
    response.set_cookie(FLASH, f"{kind}:{quote(text)}", httponly=True, samesite="Strict", path="/", max_age=60)
    return response


async def send_notice(request: web.Request) -> web.StreamResponse:
    """Stored and queued like /通知; more groups than the threshold wait for the confirm step on its page."""

    def act(deps: Deps, who: Viewer, draft: Draft, scope: str, targets: list[board.Target]) -> Then:
        origin = notices.WEB_ORIGIN
        item, answer = notices.compose(
            deps, who.id, origin, scope, draft.body, targets, urgent=draft.urgent, picture=draft.picture
        )

        def then() -> web.StreamResponse:
            ctx(request).on_change()
            raise _flash_to(f"/notices/{item.number}", answer)

        return then

    return await _drafted(request, act)


def _item(deps: Deps, who: Viewer, number: int) -> BoardItem:
    """The notice, if the viewer may manage it (else 404: another community's notice is not there for them)."""
    item = deps.uow.board.get(ItemKind.NOTICE, number, lock=True)
    if item is None or item.state == ItemState.DROPPED or not board.may_manage(deps, who.id, item):
        raise web.HTTPNotFound(text=deps.texts.err_no_item.format(label=deps.texts.notice_label.format(number=number)))
    return item


async def notice_page(request: web.Request) -> web.Response:
    c, who = ctx(request), poster(request)
    number = item_number(request)
    with c.services.turn() as deps:
        item = _item(deps, who, number)
        rows = notices.deliveries(deps, item)
        reach = board.reach_of(deps.uow, item)
        waiting = notices.awaits_confirmation(deps, item) and item.author_id == who.id
        question = notices.confirm_question(deps, item) if waiting else ""
        facts = {
            "label": board.label(deps, item),
            "at": f"{item.created_at.astimezone(deps.settings.tz):%Y-%m-%d %H:%M}",
            "author": name_of(deps.settings, item.author_id),
            "scope": item.scope,
            "text": mask(notices.post_text(deps, item)),
            "state": item.state,
            "picture": bool(item.picture),
        }
    flash = read_flash(request.cookies.get(FLASH, ""))
    response = render(
        request,
        "notice.html",
        title=facts["label"],
        n=facts,
        number=number,
        rows=rows,
        reach=reach,
        failed=sum(1 for r in rows if r.state in (OutboxState.FAILED, OutboxState.UNKNOWN)),
        waiting=waiting,
        question=question,
        expired=item.state == ItemState.CONFIRMING and not waiting,
        flash=flash,
    )
    if flash:
        response.del_cookie(FLASH, path="/")
    return response


async def confirm_notice(request: web.Request) -> web.StreamResponse:
    """The page's confirm step: 确认发送 or 作废, by the notice's author, within `notices.confirm_minutes`."""
    c, who = ctx(request), poster(request)
    number = item_number(request)
    go = str((await request.post()).get("action", "")) == "send"
    with c.services.turn() as deps:
        item = _item(deps, who, number)
        if item.author_id != who.id or not notices.awaits_confirmation(deps, item):
            raise _flash_to(f"/notices/{number}", deps.texts.err_nothing_to_confirm, "error")
        answer = notices.decide(deps, item, go)
    c.on_change()
    raise _flash_to(f"/notices/{number}" if go else "/notices", answer)


async def _image(settings: Any, name: str) -> web.Response:
    path = MediaStore(settings.data_dir).find(name)
    found = await asyncio.to_thread(MediaStore.load, path, images_only=True) if path else None
    if found is None:
        raise web.HTTPNotFound(text="找不到这张图片。")
    body, content_type = found
    return web.Response(body=body, content_type=content_type)


async def draft_picture(request: web.Request) -> web.Response:
    """The picture uploaded at a preview, for the viewer who uploaded it (the signature says so)."""
    who = poster(request)
    name, sig = request.match_info["name"], request.query.get("sig", "")
    if not hmac.compare_digest(_signed(request, who, name), sig):
        raise web.HTTPNotFound(text="找不到这张图片。")
    return await _image(ctx(request).settings, name)


async def notice_picture(request: web.Request) -> web.Response:
    c, who = ctx(request), poster(request)
    number = item_number(request)
    with c.services.turn() as deps:
        picture = _item(deps, who, number).picture
    if not picture:
        raise web.HTTPNotFound(text="这条通知没有附图。")
    return await _image(c.settings, picture)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/notices", notices_page)
    app.router.add_post("/notices", send_notice)
    app.router.add_post("/notices/preview", preview_notice)
    app.router.add_get("/notices/picture/{name}", draft_picture)
    app.router.add_get("/notices/{number}", notice_page)
    app.router.add_get("/notices/{number}/picture", notice_picture)
    app.router.add_post("/notices/{number}/confirm", confirm_notice)
