"""Issue 21: a scripted month with every outcome, a pause, a lunch break and a referral; the monthly digest's
figures are checked exactly, as tests/test_digest.py does for a week.

The month (test config; `work_hours: 08:30-12:00, 14:00-17:30`; 2026-11-02 is a Monday):
  #1 Mon 2 09:00 noise, 天城3栋     张燕 接单 09:30, 办结 15:00 (已解决), 满意 15:10
  #2 Mon 2 11:00 parking, 景园2栋   the accept reminder is due 2 work hours on, across lunch: 15:00, not 13:00;
                                    李网格 办结 16:00 部分解决 → #3 for what is left; 基本满意 16:10
  #3 Mon 2 16:00 parking (#2's rest) 李网格's at once; 办结 17:00 (已解决), 满意 17:10
  #4 Tue 3 10:00 noise, 景园2栋     李网格 挂起 10:30, 恢复 Thu 5 10:30 (its 接单 reminder moved to 12:00);
                                    办结 15:00 无法解决 (转交 物业); never rated
  #5 Wed 4 09:00 parking, 天城3栋   张燕 转12345 09:30
  #6 Thu 5 09:00 sanitation, 龙城1栋 untouched: escalated 21:00 to 杨海霞, who 办结 Fri 6 08:00 (late); 满意 08:10

How the figures come about: 6 new (a referral is reported work too), 5 办结 (#5 was handed over, not 办结), #6 late.
First answers: #3 at once, #1, #4 and #5 30 min (the pause line told the group why #4 waits: an answer, as a
转12345 is), #2 5 h, #6 23 h: median 30 min.
Results: #3 1 h, #2 5 h, #1 6 h, #6 23 h, #4 53 h: median 6 h. 响应率 counts answers within the 12-hour promise
(#6 missed it): 5/6; 解决率 已解决 of 办结: #1, #3, #6 of five; 满意率 4 ratings of 4 (#4 never rated:
no rating). 综合 = 30×5/6 + 35×3/5 + 35×1 = 81. 第十网格 (#1, #5, #6): 2/3, 2/2, 2/2 → 90; 第十一网格 and
李网格 (#2, #3, #4): 3/3, 1/3, 2/2 → 76.7; 张燕 holds #1 and #5 (#6 is 杨海霞's now): 100.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.settings import load_settings
from handlers.jobs import digest
from tests.chat import Chat
from tests.conftest import DATA, TZ
from tests.test_ladder import make_chat
from tests.test_rating import DOG, PARKING

TIANCHENG, LONGCHENG, JINGYUAN = "room_tiancheng_3", "room_longcheng_1", "room_jingyuan_2"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


MONTH: list[tuple[datetime, str, str, str]] = [
    (at(11, 2, 9), "周阿姨", DOG, TIANCHENG),
    (at(11, 2, 9, 30), "张燕", "/接单 1", "private"),
    (at(11, 2, 11), "刘大爷", PARKING, JINGYUAN),
    (at(11, 2, 15), "张燕", "/办结 1 已与养狗住户沟通", "private"),
    (at(11, 2, 15, 10), "周阿姨", "满意", TIANCHENG),
    (at(11, 2, 16), "李网格", "/办结 2 部分解决：已联系车主挪车 剩余：需物业加装地锁", "private"),
    (at(11, 2, 16, 10), "刘大爷", "基本满意", JINGYUAN),
    (at(11, 2, 17), "李网格", "/办结 3 物业已加装地锁", "private"),
    (at(11, 2, 17, 10), "刘大爷", "满意", JINGYUAN),
    (at(11, 3, 10), "赵阿姨", "楼上装修电钻声太吵了，中午都不让人休息", JINGYUAN),
    (at(11, 3, 10, 30), "李网格", "/挂起 4 住户不在家，约好周四上门", "private"),
    (at(11, 4, 9), "钱先生", "小区门口总有人乱停车，堵着出不去", TIANCHENG),
    (at(11, 4, 9, 30), "张燕", "/转12345 5 属于市政道路违停，归交管部门", "private"),
    (at(11, 5, 9), "王奶奶", "楼下垃圾桶满了没人清，臭得很", LONGCHENG),
    (at(11, 5, 10, 30), "李网格", "/恢复 4", "private"),
    (at(11, 5, 15), "李网格", "/办结 4 无法解决：装修在允许时段内，社区无权禁止 转交：物业", "private"),
    (at(11, 6, 8), "杨海霞", "/办结 6 已联系保洁清运", "private"),
    (at(11, 6, 8, 10), "王奶奶", "满意", LONGCHENG),
]

MONTHLY = """【美景社区月报】11-01 09:00 至 12-01 09:00
新增 6 · 办结 5 · 在办 0 · 超期 0
按时办结 80%（4/5） · 满意 100%（4/4）
首次响应中位 30分钟 · 办结用时中位 6.0小时
部分解决 1 · 无法解决 1 · 挂起 1 · 转12345 1
分类：停车问题 3、噪音扰民 2、环境卫生 1
各网格：
第十网格·张燕：在办0 超期0 按时1/2 满意2/2 响应30分钟 办结14.5小时 积分7
第十一网格·李网格：在办0 超期0 按时3/3 满意2/2 响应30分钟 办结5.0小时 积分18
三率（响应率 / 解决率 / 满意率 · 综合）：
美景社区：83% / 60% / 100% · 81
第十网格：67% / 100% / 100% · 90
第十一网格：100% / 33% / 100% · 77
张燕：100% / 100% / 100% · 100
李网格：100% / 33% / 100% · 77
积分：李网格 18、张燕 7、杨海霞 7"""


async def test_a_scripted_month_and_its_digest(db_url: str) -> None:
    settings = load_settings(DATA / "config.yaml", env={}, overrides={"work_hours": "08:30-12:00, 14:00-17:30"})
    chat: Chat = await make_chat(settings, db_url, at(11, 2, 8, 30))
    for when, who, text, where in MONTH:
        await chat.wait(when - chat.clock.now(), step=timedelta(minutes=30))
        await chat.say(who, text, where)
    await chat.wait(at(12, 1, 9) - chat.clock.now(), step=timedelta(hours=6))
    with chat.app.services.store.begin() as uow:
        reminders = [(n, e.at) for n in (2, 4) for e in uow.tickets.events(n) if e.action == "reminded"]
        made = digest.build(uow, settings, settings.all_communities[0], "month", at(12, 1, 9))
        earned = digest.points.totals(uow, settings, "default", at(11, 1, 9), at(12, 1, 9))
        states = [(t, uow.tickets.get(t).state) for t in range(1, 7)]  # type: ignore[union-attr]
    # the lunch break: two work hours from 11:00 end at 15:00; #4's reminder moved by its 48-hour pause
    assert reminders == [(2, at(11, 2, 15)), (4, at(11, 5, 12))]
    assert states == [(1, "closed"), (2, "closed"), (3, "closed"), (4, "closed"), (5, "referred"), (6, "closed")]
    # points (packaged weights): 张燕 #1 on time 5 + 满意 2; 李网格 #2, #3, #4 on time 3×5 + 基本满意 1 + 满意 2;
    # 杨海霞 #6 within her own level's deadline 5 + 满意 2 (the ticket is still late in 按时: it was escalated)
    assert earned == {"wxid_zhangyan": 7, "wxid_li": 18, "wxid_yanghx": 7}
    assert made.text == MONTHLY
    assert made.chart is not None
