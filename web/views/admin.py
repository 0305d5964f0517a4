"""管理: people, grids, group bindings, the duty roster and holidays, changed on the page.

The changes are stored in the database (storage/repos/directory.py) and win over config.yaml; the bot
picks them up at its next message or tick (handlers/domain/directory.py). Every change is an admin event row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.core import login_state
from bot.core.settings import Settings
from handlers.domain import directory
from storage.repos.directory import Override, dumps
from storage.uow import UnitOfWork
from web import admin_forms as f
from web.context import ctx, end_sessions, render, viewer
from web.reach import ROLE_NAMES, Viewer
from web.views.tickets import FLASH, read_flash

KIND_NAMES = {"person": "人员", "grid": "网格", "group": "群", "duty": "值班表", "holidays": "节假日"}


def _admin(request: web.Request) -> Viewer:
    who = viewer(request)
    if not f.can_administer(who):
        raise web.HTTPForbidden(text="只有社区书记、街道网格中心和督导可以管理人员与网格。")
    return who


def _known_groups(settings: Settings, uow: UnitOfWork) -> dict[str, str]:
    """chat id → topic: the groups config names and the ones the bot has been added to."""
    out = {chat: settings.group_names.get(chat, "") for chat in settings.grid_of_group}
    for g in uow.chats.all():
        if g.active or g.chat_id in out:
            out[g.chat_id] = g.topic or out.get(g.chat_id, "") or settings.group_names.get(g.chat_id, "")
    staff = {c.staff_chat for c in settings.all_communities}
    return {k: v for k, v in sorted(out.items()) if k not in staff}


def _page_data(settings: Settings, who: Viewer, uow: UnitOfWork) -> dict[str, Any]:
    mine = {c.id for c in who.communities}
    names = {p.id: p.name for p in settings.people_by_id.values()}
    listed = {p.id: p for c in who.communities for p in c.people}  # a street-level person is in several
    people = [
        {
            "id": p.id,
            "name": p.name,
            "role": p.role,
            "role_name": ROLE_NAMES.get(p.role, p.role),
            "communities": f.communities_of(settings, p.id),
            "grids": [g.name for g in settings.grids_by_id.values() if p.id in (*g.workers, g.area_cadre)],
            "editable": f.may_edit_person(settings, who, p),
        }
        for p in listed.values()
    ]
    grids = [
        {"grid": g, "community": c, "workers": [names.get(w, w) for w in g.workers]}
        for c in who.communities
        for g in c.grids
    ]
    groups = []
    for chat_id, topic in _known_groups(settings, uow).items():
        grid = settings.grid_of_group.get(chat_id)
        if grid is None or settings.community_of_grid[grid.id].id in mine:
            groups.append({"chat_id": chat_id, "topic": topic, "grid": grid})
    changes = [
        {
            "at": e.at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
            "actor": e.actor_name or e.actor_id,
            "what": f"{KIND_NAMES.get(e.kind, e.kind)} {e.key}",
            "before": dumps(e.before),
            "after": dumps(e.after),
        }
        for e in uow.directory.events(tuple(mine), limit=50)
    ]
    roles = {k: v for k, v in ROLE_NAMES.items() if f.rank(k) <= f.rank(who.person.role)}
    return {
        "people": people,
        "grids": grids,
        "groups": groups,
        "changes": changes,
        "roles": roles,
        "communities": who.communities,
        "roster": settings.duty_roster,
        "holidays": settings.holidays,
        "all_people": sorted(names.items(), key=lambda kv: kv[1]),
        "person_names": names,
        "street_wide": f.covers_everything(settings, who),
        "weekdays": f.WEEKDAYS,
    }


async def admin_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    c, who = ctx(request), _admin(request)
    with c.services.store.begin() as uow:
        data = _page_data(c.settings, who, uow)
    flash = None if error else read_flash(request.cookies.get(FLASH, ""))
    response = render(
        request,
        "admin.html",
        status=status,
        title="管理",
        error=error,
        flash=flash,
        names=ROLE_NAMES,
        login=_login_panel(c.settings),
        **data,
    )
    if request.cookies.get(FLASH):
        response.del_cookie(FLASH, path="/")
    return response


def _login_panel(settings: Settings) -> dict[str, Any]:
    """The bot account's login for the 登录 panel: the state said in English (as `gridbot health` says it)."""
    state = login_state.read_login(settings.data_dir)
    qr = state is not None and state.needs_scan and login_state.qr_png_path(settings.data_dir).is_file()
    return {"state": state, "said": state.said() if state else "", "qr": qr}


async def login_qr(request: web.Request) -> web.StreamResponse:
    """The login QR code (data_dir/login-qr.png), for admins only: whoever scans it holds the account."""
    c = ctx(request)
    _admin(request)
    path = login_state.qr_png_path(c.settings.data_dir)
    state = login_state.read_login(c.settings.data_dir)
    if state is None or not state.needs_scan or not path.is_file():
        raise web.HTTPNotFound(text="现在没有待扫的登录二维码。")
    return web.Response(body=path.read_bytes(), content_type="image/png", headers={"Cache-Control": "no-store"})


async def _submit(request: web.Request, build: Any, done: str) -> web.StreamResponse:
    """Validate the form, check the merged directory still holds together, store, and go back to the page."""
    c, who = ctx(request), _admin(request)
    form = await request.post()
    try:
        with c.services.store.begin() as uow:
            changes: list[f.Change] = build(c.settings, who, form, uow)
            if not changes:
                raise f.FormError("没有需要保存的修改。")
            now = c.services.clock.now()
            overrides = [Override(ch.kind, ch.key, ch.value, now, who.id) for ch in changes]
            try:
                directory.merge(c.settings, overrides)
            except directory.DirectoryError as exc:
                raise f.FormError(f"这样修改会使设置前后矛盾，未保存：{exc}") from exc
            for ch in changes:
                uow.directory.save(
                    ch.kind,
                    ch.key,
                    ch.value,
                    before=ch.before,
                    at=now,
                    actor_id=who.id,
                    actor_name=who.person.name,
                    community_id=ch.community_id,
                )
                if ch.kind == "group":  # /绑定's binding agrees with the page's
                    uow.chats.upsert(ch.key, now, grid_id=ch.value["grid"])
                if ch.kind == "person" and _password(ch.value) != _password(ch.before):
                    end_sessions(uow, ch.key)  # a new password (or none, or removed): their sessions end
    except f.FormError as exc:
        return await admin_page(request, error=str(exc), status=400)
    directory.refresh(c.services)
    c.on_change()
    response = web.HTTPSeeOther("/admin")
    response.set_cookie(FLASH, "ok:" + quote(done), httponly=True, samesite="Strict", path="/", max_age=60)
    raise response


def _password(record: Any) -> str:
    return str(record.get("password_hash", "")) if isinstance(record, dict) else ""


async def save_person(request: web.Request) -> web.StreamResponse:
    return await _submit(request, lambda s, w, form, uow: f.person_changes(s, w, form), "人员已保存。")


async def remove_person(request: web.Request) -> web.StreamResponse:
    def build(s: Settings, w: Viewer, form: Any, uow: UnitOfWork) -> list[f.Change]:
        return f.remove_person_changes(s, w, form, uow.tickets.count_held_by(str(form.get("id", ""))))

    return await _submit(request, build, "人员已删除。")


async def save_grid(request: web.Request) -> web.StreamResponse:
    return await _submit(request, lambda s, w, form, uow: f.grid_changes(s, w, form), "网格已保存。")


async def save_group(request: web.Request) -> web.StreamResponse:
    def build(s: Settings, w: Viewer, form: Any, uow: UnitOfWork) -> list[f.Change]:
        return f.group_changes(s, w, form, set(_known_groups(s, uow)))

    return await _submit(request, build, "群的网格已保存。")


async def save_duty(request: web.Request) -> web.StreamResponse:
    return await _submit(request, lambda s, w, form, uow: f.duty_changes(s, w, form), "值班表已保存。")


async def save_holidays(request: web.Request) -> web.StreamResponse:
    return await _submit(request, lambda s, w, form, uow: f.holiday_changes(s, w, form), "节假日安排已保存。")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin", admin_page)
    app.router.add_get("/admin/login-qr.png", login_qr)
    app.router.add_post("/admin/person", save_person)
    app.router.add_post("/admin/person/remove", remove_person)
    app.router.add_post("/admin/grid", save_grid)
    app.router.add_post("/admin/group", save_group)
    app.router.add_post("/admin/duty", save_duty)
    app.router.add_post("/admin/holidays", save_holidays)
