"""Issue 20: 楼门公约 — `/征求意见 公约 …` puts a covenant's text to the vote (同意/不同意); at its deadline it is
adopted when 同意 is at least two thirds of the votes cast and at least `notices.covenant_min_votes` (3)
residents voted; adopted, /公约 in its groups shows it, a later adoption is in force and the earlier kept."""

from __future__ import annotations

from datetime import timedelta

from handlers.jobs import digest
from storage.states import ItemKind, ItemState
from tests.chat import Chat

TIANCHENG, LONGCHENG, JINGYUAN = "room_tiancheng_3", "room_longcheng_1", "room_jingyuan_2"
BOSS = "wxid_wanghuan"
RULES = "楼道不堆放杂物，电动车不进楼道充电，晚上十点后不在楼道喧哗。"
RULES_2 = "楼道不堆放杂物，电动车一律到车棚充电。"


async def consult(chat: Chat, text: str, votes: list[tuple[str, str]]) -> list[str]:
    """The consultation typed in the group, the votes, and what the bot posted at its deadline (in a day)."""
    sent = await chat.say("张燕", f"/征求意见 公约 {text} 截止 明天18点")
    assert [s.chat_id for s in sent] == [TIANCHENG]  # typed in the one group it is for: the post answers
    assert sent[0].text.startswith("【公约议题")
    assert f"楼门公约征求意见：\n{text}\nA. 同意\nB. 不同意\n截止：" in sent[0].text
    for who, vote in votes:
        assert await chat.say(who, vote) == []
    return [s.text for s in await chat.wait(timedelta(days=2), step=timedelta(hours=1)) if s.chat_id == TIANCHENG]


def covenants(chat: Chat) -> list[tuple[str, ItemState]]:
    with chat.app.services.store.begin() as uow:
        return [(i.body, i.state) for i in uow.board.covenants(TIANCHENG)]


async def test_an_adopted_covenant_is_shown_by_slash_covenant_and_a_later_one_keeps_the_first_as_history(
    chat: Chat,
) -> None:
    assert [s.text for s in await chat.say("周阿姨", "/公约")] == ["本群还没有楼门公约。"]
    tally = await consult(chat, RULES, [("周阿姨", "同意"), ("刘先生", "A"), ("孙大爷", "不同意 车没地方充")])
    assert len(tally) == 1
    assert tally[0].endswith(
        "A. 同意：2 票（67%）\nB. 不同意：1 票（33%）\n共 3 人投票。\n已通过，即日起为楼门公约（群里发 /公约 查看）。"
    )
    assert covenants(chat) == [(RULES, ItemState.ADOPTED)]
    shown = [s.text for s in await chat.say("刘先生", "/公约")]  # a resident may ask
    assert len(shown) == 1
    assert shown[0].startswith(f"【{chat.topic(TIANCHENG)} 楼门公约】\n{RULES}\n（")
    assert shown[0].endswith("通过，同意 2 票、不同意 1 票，共 3 人投票）")
    assert [s.text for s in await chat.say("王奶奶", "/公约", chat=LONGCHENG)] == ["本群还没有楼门公约。"]

    tally = await consult(chat, RULES_2, [("周阿姨", "同意"), ("刘先生", "同意"), ("孙大爷", "同意")])
    assert tally[0].endswith("已通过，即日起为楼门公约（群里发 /公约 查看）。")
    assert covenants(chat) == [(RULES_2, ItemState.ADOPTED), (RULES, ItemState.ADOPTED)]
    shown = [s.text for s in await chat.say("周阿姨", "/公约")]
    assert shown[0].startswith(f"【{chat.topic(TIANCHENG)} 楼门公约】\n{RULES_2}\n（")
    assert shown[0].endswith("同意 3 票、不同意 0 票，共 3 人投票；此前的 1 个版本已存档）")


async def test_a_rejected_covenant_and_one_short_of_the_quorum_are_not_stored_as_the_covenant(chat: Chat) -> None:
    tally = await consult(chat, RULES, [("周阿姨", "同意"), ("刘先生", "不同意"), ("孙大爷", "不同意")])
    assert tally[0].endswith("共 3 人投票。\n未通过：同意票不足三分之二。")
    tally = await consult(chat, RULES_2, [("周阿姨", "同意"), ("刘先生", "同意")])  # unanimous but only 2
    assert tally[0].endswith("共 2 人投票。\n未通过：投票不足 3 人。")
    assert covenants(chat) == []
    with chat.app.services.store.begin() as uow:
        states = [uow.board.get(ItemKind.COVENANT, n) for n in (1, 2)]
        assert [i.state if i else None for i in states] == [ItemState.REJECTED, ItemState.REJECTED]
    assert [s.text for s in await chat.say("周阿姨", "/公约")] == ["本群还没有楼门公约。"]
    sent = await chat.say("张燕", "/结果 公约2", chat="private")
    assert [s.text for s in sent] == [
        f"【公约议题2】{RULES_2} 投票结果：\nA. 同意：2 票（100%）\nB. 不同意：0 票（0%）\n共 2 人投票。"
    ]


async def test_bad_covenant_commands_get_a_clear_answer_and_change_nothing(chat: Chat) -> None:
    for who, text, where, answer in (
        ("张燕", "/征求意见 公约", TIANCHENG, "格式：/征求意见 公约 [范围] 公约正文"),
        ("张燕", f"/征求意见 公约 {RULES} 选项 同意/反对/弃权", TIANCHENG, "格式：/征求意见 公约"),
        ("张燕", f"/征求意见 公约 {RULES} 截止 13-40 25:00", TIANCHENG, "截止时间“13-40 25:00”看不懂"),
        ("杨海霞", f"/征求意见 公约 {RULES}", "private", "只有社区书记和网格员可以发起征求意见"),
        ("张燕", "/公约", "private", "请在群里发送 /公约"),
        ("周阿姨", "/公约", "private", "请在群里发送 /公约"),
    ):
        sent = await chat.say(who, text, chat=where)
        assert len(sent) == 1
        assert sent[0].text.startswith(answer), sent[0].text
    with chat.app.services.store.begin() as uow:
        assert uow.board.get(ItemKind.COVENANT, 1) is None


async def test_a_covenant_for_several_groups_counts_their_votes_together_and_is_the_covenant_of_each(
    chat: Chat,
) -> None:
    sent = await chat.say("王欢", f"/征求意见 公约 {RULES} 截止 明天18点", chat="private")
    assert [s.chat_id for s in sent] == [TIANCHENG, LONGCHENG, JINGYUAN, BOSS]
    assert sent[-1].text.startswith("公约议题1 已发往 3 个群，截止 ")
    assert sent[-1].text.endswith("到时公布结果（/结果 公约1 可随时查看）。")
    for who, vote, where in (
        ("周阿姨", "同意", TIANCHENG),
        ("刘先生", "A", TIANCHENG),
        ("王奶奶", "同意", LONGCHENG),
        ("赵阿姨", "不同意", JINGYUAN),
    ):
        assert await chat.say(who, vote, chat=where) == []
    sent = await chat.wait(timedelta(days=2), step=timedelta(hours=1))
    verdicts = {s.chat_id: s.text.rsplit("\n", 1)[-1] for s in sent}
    assert set(verdicts) == {TIANCHENG, LONGCHENG, JINGYUAN, BOSS}
    assert set(verdicts.values()) == {"已通过，即日起为楼门公约（群里发 /公约 查看）。"}
    for where, who in ((TIANCHENG, "周阿姨"), (LONGCHENG, "王奶奶"), (JINGYUAN, "赵阿姨")):
        shown = [s.text for s in await chat.say(who, "/公约", chat=where)]
        assert shown[0].startswith(f"【{chat.topic(where)} 楼门公约】\n{RULES}\n（")
        assert shown[0].endswith("同意 3 票、不同意 1 票，共 4 人投票）")
    assert chat.app.services.store.next_due_time() is None


async def test_the_digest_lists_the_periods_polls_and_covenants_beside_the_notices(chat: Chat) -> None:
    await chat.say("王欢", "/征求意见 口袋公园设计方案 选项 方案一/方案二 截止 11-25 18:00", chat="private")
    for who, vote in (("周阿姨", "A"), ("刘先生", "1"), ("孙大爷", "B")):
        await chat.say(who, vote)
    await consult(chat, RULES, [("周阿姨", "同意"), ("刘先生", "A"), ("孙大爷", "同意")])  # adopted
    await consult(chat, RULES_2, [("周阿姨", "同意"), ("刘先生", "不同意"), ("孙大爷", "不同意")])  # rejected
    await chat.say("王欢", "/征求意见 停车收费调整 截止 12-20 18:00", chat="private")  # still open
    await chat.say("周阿姨", "同意")
    await chat.wait(timedelta(minutes=1))  # the digest's period ends before its own moment
    with chat.app.services.store.begin() as uow:
        text = digest.compose(uow, chat.settings, chat.settings.all_communities[0], "week", chat.clock.now()).text
    assert (
        "征求意见 2 项：\n"
        "· 议题1 口袋公园设计方案：已截止，3 人投票（A. 方案一 2 票，B. 方案二 1 票）\n"
        "· 议题2 停车收费调整：进行中（12-20 18:00 截止），已有 1 人投票\n"
        "楼门公约 2 项：\n"
        f"· 公约议题1 {RULES}：已通过（同意 3、不同意 0，共 3 人投票）\n"
        f"· 公约议题2 {RULES_2}：未通过（同意 1、不同意 2，共 3 人投票）\n"
    ) in text
    assert "新增 0 ·" in text  # none of them is a ticket
