"""Issue 20: /征求意见 — residents vote with an option (A, 2, 方案一), one vote each and changeable until the
deadline; the tally is posted at the deadline and on /结果 N; comments go to the organiser by option."""

from __future__ import annotations

from datetime import timedelta

from storage.states import ItemKind
from tests.chat import Chat

TIANCHENG, LONGCHENG, JINGYUAN = "room_tiancheng_3", "room_longcheng_1", "room_jingyuan_2"
BOSS = "wxid_wanghuan"
DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
PARK = "/征求意见 口袋公园设计方案 选项 方案一/方案二/方案三 截止 11-25 18:00"


def votes(chat: Chat, number: int) -> int:
    with chat.app.services.store.begin() as uow:
        item = uow.board.get(ItemKind.POLL, number)
        assert item is not None
        return uow.board.count(item.id)


def tickets(chat: Chat) -> int:
    with chat.app.services.store.begin() as uow:
        return uow.counts()["tickets"]


async def test_a_poll_counts_one_changeable_vote_per_resident_and_posts_the_tally_at_its_deadline(chat: Chat) -> None:
    sent = await chat.say("王欢", PARK, chat="private")
    assert [s.chat_id for s in sent] == [TIANCHENG, LONGCHENG, JINGYUAN, BOSS]
    assert sent[0].text == (
        "【议题1】征求意见：口袋公园设计方案\nA. 方案一\nB. 方案二\nC. 方案三\n截止：11-25 18:00\n"
        "回复选项（如“A”）投票，可附意见（如“A 希望加装座椅”）；截止前可以改。"
    )
    assert sent[-1].text == "议题1 已发往 3 个群，截止 11-25 18:00，到时公布结果（/结果 1 可随时查看）。"
    for who, text, where in (
        ("周阿姨", "A 建议加装座椅", TIANCHENG),
        ("刘先生", "2", TIANCHENG),
        ("刘先生", "方案一", TIANCHENG),  # changed his mind: still one vote
        ("王奶奶", "c", LONGCHENG),
        ("张燕", "B", TIANCHENG),  # staff do not vote
    ):
        assert await chat.say(who, text, chat=where) == []
    assert await chat.say("赵阿姨", "D", chat=JINGYUAN) == []  # no option D: not a vote
    assert votes(chat, 1) == 3
    sent = await chat.say("王欢", "/结果 1", chat="private")
    tally = "A. 方案一：2 票（67%）\nB. 方案二：0 票（0%）\nC. 方案三：1 票（33%）\n共 3 人投票。"
    assert [s.text for s in sent] == [f"【议题1】口袋公园设计方案 目前投票情况：\n{tally}"]
    sent = await chat.wait(timedelta(hours=57), step=timedelta(hours=1))  # to 11-25 18:00
    final = f"【议题1】口袋公园设计方案 投票结果：\n{tally}"
    assert [(s.chat_id, s.text) for s in sent] == [
        (TIANCHENG, final),
        (LONGCHENG, final),
        (JINGYUAN, final),
        (BOSS, final + "\n意见（按选项）：\nA. 周阿姨：建议加装座椅"),
    ]
    assert await chat.say("赵阿姨", "B", chat=JINGYUAN) == []  # closed
    assert votes(chat, 1) == 3
    assert tickets(chat) == 0
    assert chat.app.services.store.next_due_time() is None


async def test_a_complaint_during_a_poll_still_opens_a_ticket(chat: Chat) -> None:
    await chat.say("张燕", "/征求意见 是否同意楼道加装声控灯")
    assert await chat.say("周阿姨", "同意") == []
    assert await chat.say("刘先生", "不同意，晚上太亮") == []
    sent = await chat.say("王奶奶", f"A，{DOG}")  # a vote with a complaint: the complaint comes first
    assert any("#1" in s.text for s in sent)
    assert tickets(chat) == 1
    assert votes(chat, 1) == 2
    sent = await chat.say("张燕", "/结果 1", chat="private")
    assert sent[0].text.endswith("A. 同意：1 票（50%）\nB. 不同意：1 票（50%）\n共 2 人投票。")


async def test_bad_polls_get_a_clear_answer_and_change_nothing(chat: Chat) -> None:
    for who, text, answer in (
        ("王欢", "/征求意见 加装电梯 选项 同意", "选项最多 9 个"),
        ("王欢", "/征求意见", "格式：/征求意见 [范围] 议题"),
        ("王欢", "/结果 5", "没有找到议题5。"),
        ("王欢", "/结果 五", "格式：/结果 3"),
        ("杨海霞", "/征求意见 加装电梯", "只有社区书记和网格员可以发起征求意见"),
        ("李网格", "/征求意见 第十网格 加装电梯", "“第十网格”不在您负责的范围内"),
    ):
        sent = await chat.say(who, text, chat="private")
        assert len(sent) == 1
        assert sent[0].text.startswith(answer)
    with chat.app.services.store.begin() as uow:
        assert uow.board.get(ItemKind.POLL, 1) is None
