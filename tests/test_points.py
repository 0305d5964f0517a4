"""积分 from event rows: /积分 and /排行, and the same rows give new totals under new weights."""

from __future__ import annotations

from datetime import timedelta

from bot.core.settings import Points
from handlers.domain import points
from tests.chat import Chat
from tests.conftest import START

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
PARKING = "楼下停车位总被外面的车占了，我们自己的车没地方停"
LAMP = "3栋楼道灯坏了，晚上黑乎乎的"


async def scripted_month(chat: Chat) -> None:
    """张燕: on time + 满意 (7); on time, 不满意 → reopened, on time again (2 + 5); late (2). 李网格: nothing."""
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/办结 1 已沟通", chat="private")
    await chat.say("周阿姨", "满意")
    await chat.say("刘大爷", PARKING)
    await chat.say("张燕", "/办结 2 已挪车", chat="private")
    await chat.say("刘大爷", "不满意，车还在")
    await chat.say("张燕", "/办结 2 已联系物业贴条", chat="private")
    await chat.say("王奶奶", "楼下垃圾桶满了好几天没人清，臭得很")
    chat.clock.advance(timedelta(hours=13))  # past the 12-hour deadline, before a sweep has escalated it
    await chat.say("张燕", "/办结 3 已清运", chat="private")


async def test_points_and_ranking_from_event_rows(chat: Chat) -> None:
    await scripted_month(chat)
    sent = await chat.say("张燕", "/积分", chat="private")
    assert [s.text for s in sent] == [
        "张燕 本月积分 16 分（累计 16 分）。\n按时办结 3 次 +15\n超时办结 1 次 +2\n居民满意 1 次 +2\n"
        "居民不满意 1 次 +0\n被重新打开 1 次 -3"
    ]
    sent = await chat.say("王欢", "/积分 李网格", chat="private")
    assert [s.text for s in sent] == ["李网格 本月还没有积分记录（累计 0 分）。"]
    sent = await chat.say("王欢", "/排行", chat="private")
    assert [s.text for s in sent] == ["美景社区 本月积分排行：\n1. 张燕 16 分"]
    bad = await chat.say("王欢", "/积分 没这个人", chat="private")
    assert [s.text for s in bad] == ["您的社区里没有叫“没这个人”的工作人员。例如：/积分 张燕"]


async def test_points_are_recomputed_from_rows_under_new_weights(any_chat: Chat) -> None:
    chat = any_chat
    await scripted_month(chat)
    strict = chat.settings.model_copy(update={"points": Points(resolved_on_time=10, resolved_late=-5, reopened=-10)})
    end = START + timedelta(days=2)
    with chat.app.services.store.begin() as uow:
        assert points.totals(uow, chat.settings, "default", None, end) == {"wxid_zhangyan": 16}
        # 3 × 10 − 5 + 2 (满意) + 0 − 10
        assert points.totals(uow, strict, "default", None, end) == {"wxid_zhangyan": 17}
        # a window before anything happened has no points
        assert points.totals(uow, chat.settings, "default", None, START) == {}


async def test_rework_costs_the_resolver_points(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/办结 1 已沟通", chat="private")
    await chat.say("王欢", "/返工 1 住户说狗还在叫", chat="private")
    sent = await chat.say("张燕", "/积分", chat="private")
    assert sent[0].text.startswith("张燕 本月积分 3 分")
    assert "返工 1 次 -2" in sent[0].text
