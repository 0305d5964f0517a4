"""Ids that change (#18 §3), through the real gateway: the mock puppet logs the bot out and back in with a
new id for every room and contact (as wechat4u does at each login). Tickets, staff roles and /绑定 bindings
survive, the staff chat is told what was re-bound, and a resident's rating after the re-login reaches the
right ticket."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import World
from tests.e2e.peers import BOT_ID
from tests.e2e.test_wechaty_e2e import (
    GROUP,
    GROUP_11,
    LIGHT,
    RUBBISH,
    SECRETARY,
    STAFF,
    SUN,
    WORKER,
    WORKER_11,
    ZHOU,
    db_rows,
    last_seq,
    one,
    where,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

NEW_GROUP = "xinyuan1@chatroom"  # bound at run time with /绑定, not in config
PARKING = "楼下停车位总被外面的车占了，我们自己的车没地方停"


def new_id(old: str) -> str:
    room = old.endswith("@chatroom")
    return f"{old.removesuffix('@chatroom')}-2{'@chatroom' if room else ''}"


def test_a_relogin_with_new_ids_keeps_tickets_roles_bindings_and_the_rating(world: World) -> None:
    server = world.server
    people = [p["id"] for p in world.config["people"]]
    # a group bound at run time: the bot is added, the secretary binds it to 第十网格
    server.create_room(NEW_GROUP, "美景新苑1栋", [*people, ZHOU])
    server.add_to_room(NEW_GROUP, [BOT_ID], by=SECRETARY)
    one(world, where(STAFF, "美景新苑1栋"))
    server.say(SECRETARY, "/绑定 第十网格", room=NEW_GROUP)
    one(world, where(NEW_GROUP, "本群已绑定到第十网格"))
    # two residents, two results waiting for a rating
    server.say(ZHOU, LIGHT, room=GROUP)
    one(world, where(GROUP, "已登记 #1"))
    server.say(SUN, RUBBISH, room=GROUP_11)
    one(world, where(GROUP_11, "已登记 #2"))
    server.say(WORKER, "/办结 1 已换好灯泡")
    one(world, where(GROUP, "#1 已办结"))
    server.say(WORKER_11, "/办结 2 已清运")
    one(world, where(GROUP_11, "#2 已办结"))

    rooms = [GROUP, GROUP_11, STAFF, NEW_GROUP, "longcheng1@chatroom"]
    ids = {old: new_id(old) for old in [*rooms, *people, ZHOU, SUN, "wxid_wu"]}
    after = last_seq(world)
    server.relogin(ids)

    # the staff chat, under its new id, hears what was re-bound
    report = one(world, where(ids[STAFF], "已重新对应"), after=after, timeout=30)
    assert "群「美景天城3栋」" in report.text
    assert "群「美景新苑1栋」" in report.text
    assert "张燕" in report.text
    assert "居民 2 人" in report.text
    events = db_rows(world, "select kind, key from admin_events where kind like '%-id' order by key")
    assert ("group-id", GROUP) in events
    assert ("person-id", ZHOU) in events

    # 周阿姨, under her new id in the group's new id, is not satisfied: that reopens #1, not 孙大爷's #2
    after = last_seq(world)
    server.say(ids[ZHOU], "不满意，楼道还是黑的", room=ids[GROUP])
    reopened = one(world, where(ids[GROUP], "#1"), after=after)
    assert ids[ZHOU] in reopened.mention_ids
    assert db_rows(world, "select id, state, reporter_id from tickets order by id") == [
        (1, "accepted", ZHOU),  # reopened, back with its holder
        (2, "resolved", SUN),
    ]

    # the grid worker keeps her role under her new id
    after = last_seq(world)
    server.say(ids[WORKER], "/我的")
    mine = one(world, where(ids[WORKER]), after=after)
    assert "#1" in mine.text
    assert "此命令仅限" not in mine.text

    # the group bound with /绑定 still belongs to 第十网格: a report there goes to 张燕, @ her new id
    after = last_seq(world)
    server.say(ids[ZHOU], PARKING, room=ids[NEW_GROUP])
    reply = one(world, where(ids[NEW_GROUP], "已登记 #3"), after=after)
    assert "张燕" in reply.text
    assert reply.mention_ids == (ids[ZHOU], ids[WORKER])
    assert "Traceback" not in world.bot.log_text()
