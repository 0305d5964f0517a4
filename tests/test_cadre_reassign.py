"""A grid's area cadre (片区负责人) is replaced: the tickets the old cadre holds at that level follow the new one.

On SQLite and PostgreSQL (`db_url`), by a config reload, a restart and the 管理 page, as a new worker's do;
two bots starting together on one PostgreSQL database move them once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.settings import load_settings
from bot.runtime.reload import reload_from_file
from storage.store import Store
from tests.chat import Chat
from tests.test_reload import _bot, config, moved_by_two_bots_starting_together

NEW_CADRE = {"id": "wxid_sun", "name": "孙片长", "role": "area_cadre"}
MOVED = "第十网格的片区负责人已由杨海霞改为您，1 件未办结工单已转给您：#1。发送 /我的 查看。"


def cadre_config(tmp_path: Path, g10_cadre: str = "wxid_yanghx", name: str = "config.yaml") -> Path:
    """tests/data/config.yaml (via test_reload's config) with 孙片长 on the staff and g10's area cadre set."""
    path = config(tmp_path, name=name)
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["people"].append(NEW_CADRE)
    data["grids"][0]["area_cadre"] = g10_cadre
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
async def bot(tmp_path: Path, db_url: str) -> AsyncIterator[Chat]:
    path = cadre_config(tmp_path)
    async for chat in _bot(load_settings(path, env={}), db_url, path):
        yield chat


async def _tickets_at_every_level(chat: Chat) -> None:
    """#1 g10 at the area cadre, #2 g11 at the same cadre, #3 g10 with the worker, #4 g10 at the secretary."""
    await chat.say("周阿姨", "楼下有人养狗，到晚上老叫唤，根本没法休息")
    await chat.say("张燕", "/转办 1 需要协调物业", chat="private")
    await chat.say("老王", "景园2栋门口的路灯坏了一个星期了", chat="room_jingyuan_2")
    await chat.say("李网格", "/转办 2 需要协调", chat="private")
    await chat.say("孙大爷", "天城3栋楼道里堆满了杂物，过不去人")
    await chat.say("老李", "龙城1栋门口的下水道堵了，污水漫到路上", chat="room_longcheng_1")
    await chat.say("张燕", "/转办 4 需要协调", chat="private")
    await chat.say("杨海霞", "/转办 4 需要书记协调", chat="private")
    chat.new()


def held(chat: Chat) -> dict[int, tuple[str, int]]:
    with chat.app.services.store.begin() as uow:
        return {t.id: (t.holder_id, t.level) for t in uow.tickets.find()}


BEFORE = {1: ("wxid_yanghx", 2), 2: ("wxid_yanghx", 2), 3: ("wxid_zhangyan", 1), 4: ("wxid_wanghuan", 3)}


async def test_reload_moves_the_old_cadres_tickets_of_that_grid_to_the_new_cadre(bot: Chat, tmp_path: Path) -> None:
    await _tickets_at_every_level(bot)
    assert held(bot) == BEFORE
    cadre_config(tmp_path, g10_cadre="wxid_sun")
    report = await reload_from_file(bot.app, env={})

    assert report.ok
    assert report.changes == ["grid g10: area_cadre 'wxid_yanghx' -> 'wxid_sun'"]
    assert report.moved_tickets == 1
    # only g10's ticket at the cadre's level moves: 杨海霞 keeps g11's, the worker and the secretary theirs
    assert held(bot) == {**BEFORE, 1: ("wxid_sun", 2)}
    told = bot.new()
    assert [(s.chat_id, s.mention_ids, s.text) for s in told] == [("room_staff", ("wxid_sun",), MOVED)]
    with bot.app.services.store.begin() as uow:
        last = uow.tickets.events(1)[-1]
    assert (last.action, last.actor_id, last.note, last.level) == ("cadre_reassigned", "", "杨海霞 → 孙片长", 2)
    assert json.loads(last.data) == {"to": "wxid_sun", "previous": "wxid_yanghx", "grid": "g10"}

    bot.settings = bot.app.settings
    detail = await bot.say("孙片长", "/查询 1", chat="private")
    assert "网格助手 片区负责人变更转交：杨海霞 → 孙片长" in detail[0].text
    assert (await bot.say("孙片长", "/办结 1 已与养狗住户沟通", chat="private"))[
        -1
    ].text == "#1 已办结，结果已发到原群。"

    again = await reload_from_file(bot.app, env={})  # the same file again: nothing changes, nothing moves
    assert (again.ok, again.changes, again.moved_tickets) == (True, [], 0)
    assert bot.new() == []
    with bot.app.services.store.begin() as uow:
        assert [e.action for e in uow.tickets.events(1)].count("cadre_reassigned") == 1


async def test_a_grid_left_without_a_cadre_sends_them_up_the_ladder(bot: Chat, tmp_path: Path) -> None:
    await _tickets_at_every_level(bot)
    cadre_config(tmp_path, g10_cadre="")
    report = await reload_from_file(bot.app, env={})
    assert (report.ok, report.moved_tickets) == (True, 1)
    assert held(bot) == {**BEFORE, 1: ("wxid_wanghuan", 3)}  # as a new ticket at level 2 would be held
    assert [(s.mention_ids, s.text) for s in bot.new()] == [
        (("wxid_wanghuan",), "第十网格不再设片区负责人，杨海霞手上 1 件未办结工单已转给您：#1。发送 /我的 查看。")
    ]
    with bot.app.services.store.begin() as uow:
        last = uow.tickets.events(1)[-1]
    assert (last.action, last.note, last.level) == ("cadre_reassigned", "杨海霞 → 王欢", 3)


async def test_a_cadre_changed_while_the_bot_was_down_gets_the_tickets_at_start_up(tmp_path: Path, db_url: str) -> None:
    first = cadre_config(tmp_path, name="before.yaml")
    async for chat in _bot(load_settings(first, env={}), db_url):
        await _tickets_at_every_level(chat)
    after = cadre_config(tmp_path, g10_cadre="wxid_sun", name="after.yaml")
    async for chat in _bot(load_settings(after, env={}), db_url):
        assert held(chat) == {**BEFORE, 1: ("wxid_sun", 2)}
        assert [s.text for s in chat.adapter.sent] == [MOVED]
    async for chat in _bot(load_settings(after, env={}), db_url):  # a second start moves nothing again
        assert chat.adapter.sent == []
        with chat.app.services.store.begin() as uow:
            assert [e.action for e in uow.tickets.events(1)].count("cadre_reassigned") == 1


async def test_a_cadre_changed_on_the_administration_page_gets_the_tickets(bot: Chat) -> None:
    from web.admin_forms import grid_record

    await _tickets_at_every_level(bot)
    record = grid_record(bot.app.settings, bot.app.settings.grids_by_id["g10"])
    assert record is not None
    with bot.app.services.store.begin() as uow:  # what the 管理 page stores (web/admin_forms.py)
        uow.directory.save(
            "grid",
            "g10",
            {**record, "area_cadre": "wxid_sun"},
            before=record,
            at=bot.clock.now(),
            actor_id="wxid_wanghuan",
            actor_name="王欢",
        )
    sent = await bot.say("孙大爷", "天城3栋的楼道灯坏了，晚上黑漆漆的")  # the bot's next turn sees the change
    assert [s.text for s in sent if s.chat_id == "room_staff" and s.mention_ids == ("wxid_sun",)] == [MOVED]
    assert held(bot)[1] == ("wxid_sun", 2)
    report = await reload_from_file(bot.app, env={})  # the file still names 杨海霞: the page's change stays
    assert (report.ok, report.moved_tickets) == (True, 0)
    assert held(bot)[1] == ("wxid_sun", 2)


@pytest.mark.postgres
async def test_two_processes_starting_together_move_the_cadres_tickets_once(tmp_path: Path, pg_schema_url: str) -> None:
    async for chat in _bot(load_settings(cadre_config(tmp_path, name="before.yaml"), env={}), pg_schema_url):
        await _tickets_at_every_level(chat)
    after = load_settings(cadre_config(tmp_path, g10_cadre="wxid_sun", name="after.yaml"), env={})
    moved = await moved_by_two_bots_starting_together(after, pg_schema_url)
    assert sorted(sum(len(m.ticket_ids) for m in found if m.role == "area_cadre") for found in moved) == [0, 1]
    store = Store(pg_schema_url)
    try:
        with store.begin() as uow:
            assert {t.id: (t.holder_id, t.level) for t in uow.tickets.find()} == {**BEFORE, 1: ("wxid_sun", 2)}
            assert [e.action for e in uow.tickets.events(1)].count("cadre_reassigned") == 1
            assert [o.text for o in uow.outbox.items() if "片区负责人已由" in o.text] == [MOVED]
    finally:
        store.dispose()
