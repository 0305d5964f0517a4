"""Issue 17: the permission matrix. One table (REACH, the README's reach table) says which tickets each role
reaches; every chat command that names a ticket, and every page, export, evidence file, Open311 route and
POST action, is tried by every role on a ticket of every column, and must do exactly what the table says.

One world per role: three communities (A: the person's own; B: shared only by the street center; C: nobody's
but its own people), and for that role three people in A: P (the one tried), Q (who is away, P covers for
them) and Q2 (whose stand-in by P has ended). Every command gets its own tickets, so no command's effect
decides another's outcome; tickets carry no deadlines, so the sweep moves nothing but the stand-in.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook

from bot.adapters.memory import MemoryAdapter
from bot.core.clock import FakeClock
from bot.core.settings import Settings, load_settings
from bot.core.texts import Texts
from bot.runtime.app import build_app
from handlers.domain import tickets
from tests.chat import Chat
from tests.conftest import START, TZ
from tests.web.conftest import SECRET_ENV, csrf_of, login
from tests.web.seed import _person
from web.app import make_app

README = Path(__file__).resolve().parents[1] / "README.md"
ROLES = ("grid_worker", "area_cadre", "property", "department", "secretary", "street_center", "supervisor", "verifier")
COLUMNS = ("own grid", "other grid", "other community", "routed to them", "held", "stand-in", "stand-in ended")
# The README's reach table, cell by cell (Y: in reach, N: not, -: nothing is routed to that role).
REACH = {
    "grid_worker": "YNN-YYN",
    "area_cadre": "YNN-YYN",
    "property": "NNNYYYN",
    "department": "NNNYYYN",
    "secretary": "YYN-YYN",
    "street_center": "YYN-YYN",
    "supervisor": "YYN-YYN",
    "verifier": "NNN-YYN",
}
COMMUNITY_WIDE = {"secretary", "street_center", "supervisor"}
VERIFIERS = COMMUNITY_WIDE | {"verifier"}
IN_COMMUNITY_A = {"own grid", "other grid", "routed to them"}  # the other columns' tickets are in C
ADMINS = COMMUNITY_WIDE
# every command that names a ticket, in the order tried (转办 last: it gives the ticket to someone else)
COMMANDS = (
    ("接单", "/接单 {n}"),
    ("进展", "/进展 {n} 已联系"),
    ("查询", "/查询 {n}"),
    ("改类", "/改类 {n} 停车"),
    ("延期", "/延期 {n} 2天 等配件"),
    ("同意延期", "/同意延期 {n}"),
    ("不同意延期", "/不同意延期 {n} 不行"),
    ("核查", "/核查 {n}"),
    ("返工", "/返工 {n} 灯还不亮"),
    ("办结", "/办结 {n} 已处理"),
    ("退回", "/退回 {n} 不归我管"),
    ("合并", "/合并 {m} {n}"),  # {m}: a ticket P holds; the one tried is merged into it
    ("转办", "/转办 {n} 需要配合"),
)


def expected(role: str, column: str, verb: str = "") -> bool | None:
    """In reach (True), not (False), or not applicable (None) — from REACH alone, and for /核查 /返工 the
    README's community rule."""
    cell = REACH[role][COLUMNS.index(column)]
    if cell == "-":
        return None
    if verb in ("核查", "返工"):
        return column in IN_COMMUNITY_A
    return cell == "Y"


def test_readme_reach_table_is_this_table() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- reach-table:")
    lines = text[start:].splitlines()[1:]
    rows = lines[: next(i for i, line in enumerate(lines) if not line.startswith("|"))]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    assert header == ["role", *COLUMNS]
    table = {}
    for line in rows[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        role = re.match(r"`(\w+)`", cells[0])
        assert role is not None, line
        table[role.group(1)] = "".join({"yes": "Y", "no": "N", "–": "-"}[c] for c in cells[1:])
    assert table == REACH


# -- the world ------------------------------------------------------------------------------------------


def pid(role: str, who: str) -> str:
    return f"wx_{role}_{who}"


def _config(tmp: Path) -> dict[str, Any]:
    people_a = [_person(pid(r, w), f"{r}-{w}", r) for r in ROLES for w in ("p", "q", "q2")]
    grids_a = [
        {
            "id": f"g{w}",
            "name": f"网格{w.upper()}",
            "worker": pid("grid_worker", w),
            "area_cadre": pid("area_cadre", w),
            "property_company": pid("property", w),
            "groups": [f"room_{w}"],
        }
        for w in ("p", "q", "q2")
    ]
    street = [p for p in people_a if p["role"] == "street_center"]
    return {
        "adapter": "memory",
        "data_dir": str(tmp / "data"),
        "categories": {"permits": {"name": "证明办理", "route_to": "department", "department": pid("department", "p")}},
        "communities": [
            {
                "id": "A",
                "name": "甲社区",
                "secretary": pid("secretary", "p"),
                "street_center": pid("street_center", "p"),
                "staff_chat": "room_staff_a",
                "people": people_a,
                "grids": grids_a,
            },
            {
                "id": "B",
                "name": "乙社区",
                "street_center": pid("street_center", "p"),
                "people": [*street, _person("wx_b_worker", "乙网格员", "grid_worker")],
                "grids": [{"id": "gB", "name": "乙网格", "worker": "wx_b_worker", "groups": ["room_b"]}],
            },
            {
                "id": "C",
                "name": "丙社区",
                "secretary": "wx_c_secretary",
                "people": [
                    _person("wx_c_worker", "丙网格员", "grid_worker"),
                    _person("wx_c_secretary", "丙书记", "secretary"),
                ],
                "grids": [{"id": "gC", "name": "丙网格", "worker": "wx_c_worker", "groups": ["room_c"]}],
            },
        ],
    }


@dataclass
class World:
    role: str
    chat: Chat
    tried: dict[tuple[str, str], int] = field(default_factory=dict)  # (verb, column) → ticket
    partner: dict[str, int] = field(default_factory=dict)  # column → a ticket P holds, for 合并
    web: dict[str, int] = field(default_factory=dict)  # column → the ticket the page is tried on
    evidence: dict[int, int] = field(default_factory=dict)  # ticket → its evidence event

    @property
    def p(self) -> str:
        return pid(self.role, "p")


def _open(chat: Chat, grid_id: str, category: str, holder: str) -> int:
    """A ticket in `grid_id` held by `holder`, without deadlines (the sweep must not move it)."""
    settings = chat.app.services.settings
    with chat.app.services.turn() as deps:
        grid = settings.grids_by_id[grid_id]
        t = tickets.open_ticket(
            deps,
            msg=None,
            chat_id=grid.groups[0],
            chat_topic=grid.name,
            reporter_id="wxid_resident",
            reporter_name="周阿姨",
            text="楼下路灯坏了",
            category=category,
            urgency="normal",
            grid=grid,
            community=settings.community_of_grid[grid_id],
        )
        tickets.update(deps, t, holder_id=holder, **tickets.NO_DEADLINES)
        return t.id


def _placement(role: str, column: str) -> tuple[str, str, str]:
    """(grid, category, holder) of a ticket that stands to P as `column` says (before any stand-in)."""
    routed = {"property": "repairs", "department": "permits"}.get(role, "repairs")
    return {
        "own grid": ("gp", "noise", "wx_c_worker"),
        "other grid": ("gq", "noise", "wx_c_worker"),
        "other community": ("gC", "noise", "wx_c_worker"),
        "routed to them": ("gp", routed, "wx_c_worker"),
        "held": ("gC", "noise", pid(role, "p")),
        "stand-in": ("gC", "noise", pid(role, "q")),
        "stand-in ended": ("gC", "noise", pid(role, "q2")),
    }[column]


def _photo(world: World, ticket_id: int, data_dir: Path) -> None:
    """A photo attached to the ticket as the bot records it (an `evidence` row naming the stored file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    name = f"photo-{ticket_id}.jpg"
    (data_dir / name).write_bytes(b"\xff\xd8\xff photo")
    with world.chat.app.services.turn() as deps:
        t = deps.uow.tickets.get(ticket_id)
        assert t is not None
        tickets.event(deps, t, "evidence", "wxid_resident", note=name, kind="image")
        world.evidence[ticket_id] = deps.uow.tickets.events(ticket_id)[-1].id


async def _world(role: str, tmp: Path) -> AsyncIterator[World]:
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(_config(tmp), allow_unicode=True), encoding="utf-8")
    settings: Settings = load_settings(path, env={})
    clock = FakeClock(START, TZ)
    adapter = MemoryAdapter(clock.now)
    app = build_app(settings, adapter, db_url=f"sqlite:///{tmp / 'matrix.db'}", clock=clock)
    await app.start()
    world = World(role, Chat(app=app, adapter=adapter, clock=clock, settings=settings))
    chat = world.chat

    def place(column: str) -> int:
        return _open(chat, *_placement(role, column))

    # Q2's stand-in by P comes and goes first: the tickets it moved must be back with Q2 afterwards
    for verb, _ in COMMANDS:
        world.tried[verb, "stand-in ended"] = place("stand-in ended")
    world.web["stand-in ended"] = place("stand-in ended")
    answer = await chat.say(pid(role, "q2"), f"/代班 {role}-p 1天", chat="private")
    assert answer[-1].text.startswith("已设置："), answer[-1].text
    await chat.wait(timedelta(days=2), step=timedelta(hours=6))
    with app.services.store.begin() as uow:
        back = {t.id for t in uow.tickets.find(holder_id=pid(role, "q2"))}
    assert {world.web["stand-in ended"], *(world.tried[v, "stand-in ended"] for v, _ in COMMANDS)} <= back

    for column in COLUMNS:
        if column == "stand-in ended" or expected(role, column) is None:
            continue
        for verb, _ in COMMANDS:
            world.tried[verb, column] = place(column)
        world.web[column] = place(column)
    for column in COLUMNS:
        world.partner[column] = _open(chat, "gC", "noise", world.p)
    answer = await chat.say(pid(role, "q"), f"/代班 {role}-p 3天", chat="private")
    assert answer[-1].text.startswith("已设置："), answer[-1].text
    for ticket_id in world.web.values():
        _photo(world, ticket_id, settings.data_dir)
    chat.new()
    try:
        yield world
    finally:
        app.services.store.dispose()


@pytest.fixture(params=ROLES)
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    async for w in _world(request.param, tmp_path):
        yield w


def _snapshot(chat: Chat, ticket_id: int) -> tuple[Any, ...]:
    with chat.app.services.store.begin() as uow:
        return (uow.tickets.get(ticket_id), [(e.action, e.actor_id) for e in uow.tickets.events(ticket_id)])


# -- chat commands --------------------------------------------------------------------------------------


async def test_every_command_on_every_column_does_what_the_table_says(world: World) -> None:
    chat, texts, role = world.chat, Texts(), world.role
    # /我的 lists what they hold, through a stand-in too, and nothing they merely reach
    held = [n for (_, column), n in world.tried.items() if column in ("held", "stand-in")]
    held += [n for column, n in world.web.items() if column in ("held", "stand-in")]
    mine = await chat.say(world.p, "/我的", chat="private")
    assert mine[0].text.startswith(texts.my_tickets_header.format(count=len(held) + len(world.partner))), mine
    # the commands for the community level alone
    for text, refusal in (("/日报", texts.err_digest_role), ("/绑定 网格P", texts.err_bind_role)):
        chat.clock.advance(timedelta(seconds=10))
        answers = [s.text for s in await chat.say(world.p, text, chat="room_q2")]
        assert (answers == [refusal]) == (role not in COMMUNITY_WIDE), (role, text, answers)
    tried = 0
    for verb, template in COMMANDS:
        for column in COLUMNS:
            reach = expected(role, column, verb)
            if reach is None:
                continue
            n = world.tried[verb, column]
            before = _snapshot(chat, n)
            chat.clock.advance(timedelta(seconds=10))  # a person typing, not a flood (limits.flood_per_minute)
            sent = await chat.say(world.p, template.format(n=n, m=world.partner[column]), chat="private")
            answers = [s.text for s in sent if s.chat_id == world.p]
            case = (role, verb, column, answers)
            if verb in ("核查", "返工") and role not in VERIFIERS:
                assert answers == [texts.err_not_verifier], case
                assert _snapshot(chat, n) == before, case
            elif reach:
                assert texts.err_not_in_reach.format(ticket=n) not in answers, case
            else:
                assert answers == [texts.err_not_in_reach.format(ticket=n)], case
                assert [s for s in sent if s.chat_id != world.p] == [], case
                assert _snapshot(chat, n) == before, case
            tried += 1
    assert tried >= len(COMMANDS) * 6


# -- the page -------------------------------------------------------------------------------------------


@pytest.fixture
async def client(world: World) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = make_app(world.chat.app.services, SECRET_ENV)
    async with TestClient(TestServer(app)) as c:
        yield c


def _csv_ids(body: bytes) -> set[int]:
    return {int(row["工单号"]) for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))}


def _xlsx_ids(body: bytes) -> set[int]:
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    column = list(rows[0]).index("工单号")
    return {int(str(row[column])) for row in rows[1:]}


async def test_every_page_export_file_and_action_does_what_the_table_says(
    world: World,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    role = world.role
    assert await login(client, world.p) == 302
    csv_ids = _csv_ids(await (await client.get("/tickets.csv")).read())
    xlsx_ids = _xlsx_ids(await (await client.get("/tickets.xlsx")).read())
    open311_ids = {int(r["service_request_id"]) for r in await (await client.get("/open311/v2/requests.json")).json()}
    for column, n in world.web.items():
        reach = expected(role, column)
        case = (role, column, n)
        assert (n in csv_ids, n in xlsx_ids, n in open311_ids) == (reach, reach, reach), case
        listed = await (await client.get(f"/tickets?q=%23{n}")).text()
        assert (f'data-id="{n}"' in listed) == reach, case
        assert (await client.get(f"/tickets/{n}")).status == (200 if reach else 404), case
        assert (await client.get(f"/open311/v2/requests/{n}.json")).status == (200 if reach else 404), case
        photo = await client.get(f"/tickets/{n}/evidence/{world.evidence[n]}")
        assert photo.status == (200 if reach else 404), case
        before = _snapshot(world.chat, n)
        csrf = csrf_of(await (await client.get("/tickets")).text())
        # outside reach every action is refused; inside, 接单 is tried (the others would end the ticket)
        for action in ("accept",) if reach else ("progress", "resolve", "transfer", "reject", "accept"):
            form = {"action": action, "text": "已处理", "csrf": csrf}
            resp = await client.post(f"/tickets/{n}/action", data=form, allow_redirects=False)
            assert resp.status == 303, (*case, action)
        if reach:
            assert [a for a, _ in _snapshot(world.chat, n)[1]][-1] == "accepted", case
        else:
            assert _snapshot(world.chat, n) == before, case
    for path in ("/", "/tickets", "/api/overview.json"):
        assert (await client.get(path)).status == 200, (role, path)
    admin = await client.get("/admin")
    assert admin.status == (200 if role in ADMINS else 403), role
    csrf = csrf_of(await (await client.get("/tickets")).text())
    # the 管理 forms: 403 for everyone below the community level; C's group is nobody's here to rebind
    forms = {
        "/admin/group": {"chat_id": "room_c", "grid": "gp"},
        "/admin/person": {"mode": "new", "id": "wx_new", "name": "新人", "role": "grid_worker", "communities": "A"},
        "/admin/grid": {"mode": "new", "id": "gnew", "name": "新网格", "community": "A"},
        "/admin/duty": {"rows": "0"},
        "/admin/holidays": {"holidays": "2027-01-01"},
    }
    with world.chat.app.services.store.begin() as uow:
        overrides = uow.directory.overrides()
    for path, form in forms.items():
        resp = await client.post(path, data={**form, "csrf": csrf}, allow_redirects=False)
        if role not in ADMINS:
            assert resp.status == 403, (role, path, resp.status)
    assert world.chat.app.services.settings.grid_of_group["room_c"].id == "gC"
    if role not in ADMINS:
        with world.chat.app.services.store.begin() as uow:
            assert uow.directory.overrides() == overrides, role
