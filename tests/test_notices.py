"""Issue 20: /通知 posts a notice in every group of a scope through the outbox, counts 收到 per group, tells the
sender how the sends went, and is never a ticket."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.core.messages import MessageKind
from bot.core.settings import Settings
from handlers.jobs import digest
from storage.states import ItemKind
from tests.chat import Chat
from tests.conftest import START, _chat

TIANCHENG, LONGCHENG, JINGYUAN = "room_tiancheng_3", "room_longcheng_1", "room_jingyuan_2"
WATER = "明天9点至12点停水，请提前储水。"
BOSS = "wxid_wanghuan"


def tickets(chat: Chat) -> int:
    with chat.app.services.store.begin() as uow:
        return uow.counts()["tickets"]


async def test_a_notice_reaches_its_grids_groups_and_counts_each_groups_replies(chat: Chat) -> None:
    sent = await chat.say("王欢", f"/通知 第十网格 {WATER}", chat="private")
    assert [(s.chat_id, s.text) for s in sent] == [
        (TIANCHENG, f"【通知1】{WATER}\n（已阅请回复“收到”）"),
        (LONGCHENG, f"【通知1】{WATER}\n（已阅请回复“收到”）"),
        (BOSS, "通知1 已排队发往 2 个群，发完后告诉您送达情况。"),
    ]
    # the replies: counted once per resident, never a ticket, never a reply in the group
    assert await chat.say("周阿姨", "收到") == []
    assert await chat.say("周阿姨", "收到了，谢谢") == []
    assert await chat.say("刘先生", "已阅👌") == []
    assert await chat.say("王奶奶", "好的收到", chat=LONGCHENG) == []
    assert await chat.say("赵阿姨", "收到", chat=JINGYUAN) == []  # not a group the notice went to
    assert tickets(chat) == 0
    # once the sends are done, the sender hears how they went
    sent = await chat.wait(timedelta(minutes=1))
    assert [(s.chat_id, s.text) for s in sent] == [(BOSS, "通知1 已发送 2/2 个群。")]
    assert await chat.wait(timedelta(minutes=10)) == []  # once
    sent = await chat.say("王欢", "/通知 查看 1", chat="private")
    assert [s.text for s in sent] == [
        "通知1（11-23 09:00 王欢，范围：第十网格）明天9点至12点停水，请提前储水。\n"
        "· 美景天城3栋：已发送，收到 2\n"
        "· 美景龙城1栋：已发送，收到 1\n"
        "合计：已发送 2/2 个群，收到 3 人"
    ]


async def test_a_complaint_during_a_notices_window_is_still_a_ticket(chat: Chat) -> None:
    await chat.say("王欢", f"/通知 美景天城3栋 {WATER}", chat="private")
    await chat.say("周阿姨", "收到")
    sent = await chat.say("刘先生", "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。")
    assert tickets(chat) == 1
    assert any("#1" in s.text for s in sent)


async def test_who_may_send_to_which_scope(chat: Chat) -> None:
    for who, text, answer in (
        ("张燕", f"/通知 第十一网格 {WATER}", "“第十一网格”不在您负责的范围内：网格员只能发到本网格的群。"),
        ("张燕", f"/通知 美景社区 {WATER}", "“美景社区”不在您负责的范围内：网格员只能发到本网格的群。"),
        ("张燕", f"/通知 美景景园2栋 {WATER}", "“美景景园2栋”不在您负责的范围内：网格员只能发到本网格的群。"),
        ("杨海霞", f"/通知 第十网格 {WATER}", "只有社区书记和网格员可以发通知（网格员限本网格的群）。"),
        (
            "王欢",
            f"/通知 第九网格 {WATER}",
            "没有找到范围“第九网格”：请写网格名、社区名、“全部”或群名（多个用“、”隔开）。",
        ),
        ("王欢", "/通知 第十网格", None),
        ("王欢", "/通知 查看 7", "没有找到通知7。"),
    ):
        sent = await chat.say(who, text, chat="private")
        assert [s.chat_id for s in sent] == [chat.id_of(who)]
        if answer is not None:
            assert sent[0].text == answer
        else:
            assert sent[0].text.startswith("格式：/通知 范围 正文")
    with chat.app.services.store.begin() as uow:
        assert uow.board.get(ItemKind.NOTICE, 1) is None  # nothing stored by a refusal
    # a grid worker within their own grid, 全部 being their grid
    sent = await chat.say("李网格", f"/通知 全部 {WATER}", chat="private")
    assert [s.chat_id for s in sent] == [JINGYUAN, "wxid_li"]
    # a secretary: the community, or several names
    sent = await chat.say("王欢", f"/通知 第十一网格、美景龙城1栋 {WATER}", chat="private")
    assert [s.chat_id for s in sent] == [JINGYUAN, LONGCHENG, BOSS]
    assert sent[0].text.startswith("【通知2】")


async def test_quiet_hours_hold_a_notice_unless_urgent_and_the_report_waits_for_the_sends(chat: Chat) -> None:
    await chat.wait(timedelta(hours=14), step=timedelta(hours=1))  # 23:00
    sent = await chat.say("王欢", f"/通知 第十网格 {WATER}", chat="private")
    assert [(s.chat_id, s.text) for s in sent] == [
        (BOSS, "通知1 已排队发往 2 个群（现在是免打扰时段，07:30 起发送；紧急通知请加“紧急”），发完后告诉您送达情况。")
    ]
    morning = (START + timedelta(days=1)).replace(hour=7, minute=30)
    assert chat.app.services.store.next_due_time() == morning  # stored timers: the held posts and the report
    sent = await chat.say("王欢", "/通知 紧急 美景景园2栋 今晚23:30起紧急停水抢修。", chat="private")
    assert [s.chat_id for s in sent] == [JINGYUAN, BOSS]
    assert sent[0].text.startswith("【紧急通知2】今晚23:30起")
    sent = await chat.wait(timedelta(hours=9), step=timedelta(minutes=30))
    assert [(s.chat_id, s.text[:10]) for s in sent] == [
        (BOSS, "通知2 已发送 1/"),
        (TIANCHENG, "【通知1】明天9点至"),
        (LONGCHENG, "【通知1】明天9点至"),
        (BOSS, "通知1 已发送 2/"),
    ]
    assert chat.to(sent, BOSS)[1].at > morning


async def test_the_report_waits_for_a_retry(chat: Chat) -> None:
    chat.adapter.fail_next = 1
    sent = await chat.say("王欢", f"/通知 第十网格 {WATER}", chat="private")
    assert [s.chat_id for s in sent] == [LONGCHENG, BOSS]  # the first send failed: retried after a back-off
    sent = await chat.wait(timedelta(minutes=2))
    assert [(s.chat_id, s.text) for s in sent] == [
        (TIANCHENG, f"【通知1】{WATER}\n（已阅请回复“收到”）"),
        (BOSS, "通知1 已发送 2/2 个群。"),
    ]


async def test_the_report_names_the_groups_it_could_not_reach(settings: Settings, db_url: str) -> None:
    once = settings.model_copy(update={"outbox": settings.outbox.model_copy(update={"max_attempts": 1})})
    async for chat in _chat(once, db_url):
        chat.adapter.fail_next = 1
        await chat.say("王欢", f"/通知 第十网格 {WATER}", chat="private")
        sent = await chat.wait(timedelta(minutes=1))
        assert [(s.chat_id, s.text) for s in sent] == [(BOSS, "通知1 已发送 1/2 个群，1 个群发送失败：美景天城3栋。")]


async def test_more_than_the_threshold_of_groups_waits_for_confirmation(settings: Settings, db_url: str) -> None:
    few = settings.model_copy(update={"notices": settings.notices.model_copy(update={"confirm_over_groups": 2})})
    async for chat in _chat(few, db_url):
        sent = await chat.say("王欢", f"/通知 全部 {WATER}", chat="private")
        assert [s.text for s in sent] == [
            "通知1 将发到 3 个群：美景天城3栋、美景龙城1栋、美景景园2栋。"
            "回复“确认”发送，回复“取消”作废（30分钟内有效）。"
        ]
        sent = await chat.say("王欢", "确认", chat="private")
        assert [s.chat_id for s in sent] == [TIANCHENG, LONGCHENG, JINGYUAN, BOSS]
        assert await chat.say("王欢", "确认", chat="private") == []  # nothing waits any more
        await chat.say("王欢", f"/通知 全部 {WATER}", chat="private")
        sent = await chat.say("王欢", "取消", chat="private")
        assert [s.text for s in sent] == ["通知2 已作废，没有发送。"]
        sent = await chat.wait(timedelta(minutes=5))  # the first one's report; the dropped one goes nowhere
        assert [(s.chat_id, s.text) for s in sent] == [(BOSS, "通知1 已发送 3/3 个群。")]


async def test_recall_withdraws_what_is_held_and_says_where_the_platform_cannot(chat: Chat) -> None:
    await chat.say("王欢", f"/通知 第十网格 {WATER}", chat="private")
    sent = await chat.say("王欢", "/通知 撤回 1", chat="private")
    assert [(s.chat_id, s.text) for s in sent] == [
        (TIANCHENG, "【通知1】已撤回，请以后续通知为准。"),
        (LONGCHENG, "【通知1】已撤回，请以后续通知为准。"),
        (
            BOSS,
            "通知1 已撤回。已发出的 2 个群平台无法撤回（美景天城3栋、美景龙城1栋），"
            "已在这些群发布撤回说明，如需删除请群主在群内手动撤回。",
        ),
    ]
    assert await chat.say("周阿姨", "收到") == []
    assert await chat.wait(timedelta(minutes=5)) == []  # no delivery report for a recalled notice
    # held by the quiet hours: withdrawn before it goes out
    await chat.wait(timedelta(hours=14), step=timedelta(hours=1))
    await chat.say("王欢", f"/通知 美景景园2栋 {WATER}", chat="private")
    sent = await chat.say("王欢", "/通知 撤回 2", chat="private")
    assert [s.text for s in sent] == ["通知2 已撤回。未发出的 1 个群已取消发送。"]
    assert await chat.wait(timedelta(hours=10), step=timedelta(hours=1)) == []
    sent = await chat.say("张燕", "/通知 撤回 2", chat="private")
    assert [s.text for s in sent] == ["通知2 不在您负责的范围内。"]


async def test_the_digest_lists_the_periods_notices_with_their_reach_and_counts_no_ticket(chat: Chat) -> None:
    await chat.say("王欢", f"/通知 第十网格 {WATER}", chat="private")
    await chat.say("周阿姨", "收到")
    await chat.wait(timedelta(hours=1))
    with chat.app.services.store.begin() as uow:
        text = digest.compose(uow, chat.settings, chat.settings.all_communities[0], "day", chat.clock.now()).text
    assert "通知 1 条：\n· 通知1 明天9点至12点停水，请提前储水。：送达 2/2 个群，收到 1 人" in text
    assert "新增 0 ·" in text
    assert tickets(chat) == 0


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def test_a_notice_carries_the_picture_sent_just_before_it(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    async for chat in _chat(settings.model_copy(update={"data_dir": tmp_path}), db_url):  # the bot writes pictures
        await _picture_notice(chat)


async def _picture_notice(chat: Chat) -> None:
    sent = await chat.say("王欢", f"/通知 第十网格 附图 {WATER}", chat="private")
    assert [s.text for s in sent] == ["没有找到您 10 分钟内发给我的图片：请先把图片发给我，再发 /通知 范围 附图 正文。"]
    assert await chat.say("王欢", "", chat="private", kind=MessageKind.IMAGE, media=PNG) == []
    await chat.wait(timedelta(minutes=3))
    sent = await chat.say("王欢", f"/通知 第十网格 附图 {WATER}", chat="private")
    post = f"【通知1】{WATER}\n（已阅请回复“收到”）"
    assert [(s.chat_id, s.text, bool(s.image_path)) for s in sent] == [
        (TIANCHENG, post, False),
        (TIANCHENG, "", True),  # the picture, right after the text
        (LONGCHENG, post, False),
        (LONGCHENG, "", True),
        (BOSS, "通知1 已排队发往 2 个群，发完后告诉您送达情况。", False),
    ]
    picture = Path(sent[1].image_path)
    assert picture.parent == chat.app.services.settings.data_dir / "media"
    assert await asyncio.to_thread(picture.read_bytes) == PNG
    assert sent[3].image_path == sent[1].image_path
    sent = await chat.wait(timedelta(minutes=1))
    assert [(s.chat_id, s.text) for s in sent] == [(BOSS, "通知1 已发送 2/2 个群。")]
    # the picture is the notice's own copy: the message's file may go with its retention, the notice's stays
    with chat.app.services.store.begin() as uow:
        notice = uow.board.get(ItemKind.NOTICE, 1)
        [message] = [m for m in uow.messages.recent(BOSS, BOSS, START) if m.kind == MessageKind.IMAGE]
    assert notice is not None
    assert notice.picture == picture.name
    assert message.ref != f"media:{picture.name}"
    # ten minutes on, the picture is no longer taken for a new notice
    await chat.wait(timedelta(minutes=10))
    sent = await chat.say("王欢", f"/通知 第十网格 附图 {WATER}", chat="private")
    assert sent[0].text.startswith("没有找到您 10 分钟内发给我的图片")
