"""Issue 20: a reply that quotes an item's post is routed to that item even when other items are open in the
same group — by the platform's quote (`quoted_id`, the bot's own post as stored) or by the quote WeChat folds
into the text — and a complaint that quotes a post still opens its ticket."""

from __future__ import annotations

from datetime import timedelta

from bot.core.messages import IncomingMessage
from storage.states import ItemKind
from tests.chat import Chat

TIANCHENG = "room_tiancheng_3"
RULE = "- - - - - - - - - - - - - - -"


async def posted(chat: Chat, who: str, command: str, message_id: str) -> str:
    """`command` typed in the group; the bot's post there comes back as its own message (as WeChat echoes it)."""
    sent = await chat.say(who, command, chat=TIANCHENG)
    [post] = [s for s in sent if s.chat_id == TIANCHENG and s.text.startswith("【")]
    own = IncomingMessage(
        message_id=message_id,
        chat_id=TIANCHENG,
        chat_topic=chat.topic(TIANCHENG),
        sender_id=chat.settings.bot.id,
        sender_name=chat.settings.bot.name,
        text=post.text,
        timestamp=chat.clock.now(),
    )
    assert await chat.deliver(own) == []
    return post.text


def answers(chat: Chat, kind: ItemKind, number: int) -> list[tuple[str, str]]:
    with chat.app.services.store.begin() as uow:
        item = uow.board.get(kind, number)
        assert item is not None
        return [(e.person_name, e.value) for e in uow.board.entries(item.id)]


def tickets(chat: Chat) -> int:
    with chat.app.services.store.begin() as uow:
        return uow.counts()["tickets"]


async def test_a_quoted_post_decides_which_open_item_a_reply_is_for(chat: Chat) -> None:
    first = await posted(chat, "张燕", "/征求意见 口袋公园设计 选项 方案一/方案二 截止 明天18点", "wx-poll-1")
    await posted(chat, "张燕", "/征求意见 停车收费调整 截止 明天18点", "wx-poll-2")
    await posted(chat, "张燕", "/接龙 义诊报名 截止 明天18点", "wx-signup-1")
    await posted(chat, "张燕", "/接龙 志愿者报名 截止 明天18点", "wx-signup-2")
    # unquoted, a vote goes to the newest poll it fits, a +1 to the newest sign-up
    assert await chat.say("周阿姨", "A") == []
    assert await chat.say("周阿姨", "+1") == []
    assert [v for _, v in answers(chat, ItemKind.POLL, 2)] == ['{"option": 0, "comment": ""}']
    assert answers(chat, ItemKind.SIGNUP, 2) == [("周阿姨", '{"line": "周阿姨", "phone": ""}')]
    # quoting the older ones' posts: the answer is theirs
    assert await chat.say("刘先生", "B 希望多种树", quoted_id="wx-poll-1") == []
    assert await chat.say("刘先生", "+1 5栋", quoted_id="wx-signup-1") == []
    assert answers(chat, ItemKind.POLL, 1) == [("刘先生", '{"option": 1, "comment": "希望多种树"}')]
    assert answers(chat, ItemKind.POLL, 2) == [("周阿姨", '{"option": 0, "comment": ""}')]
    assert answers(chat, ItemKind.SIGNUP, 1) == [("刘先生", '{"line": "5栋", "phone": ""}')]
    # the quote WeChat folds into the text works alike
    folded = f"「网格助手：{first}」\n{RULE}\nA"
    assert await chat.say("孙大爷", folded) == []
    assert [(who, v[:13]) for who, v in answers(chat, ItemKind.POLL, 1)] == [
        ("刘先生", '{"option": 1,'),
        ("孙大爷", '{"option": 0,'),
    ]
    # quoting a post with something that is no answer to it: not counted anywhere; a complaint opens its ticket
    assert await chat.say("王奶奶", "+1", quoted_id="wx-poll-1") == []
    assert len(answers(chat, ItemKind.SIGNUP, 2)) == 1
    sent = await chat.say("王奶奶", "楼道灯坏了好几天了，晚上黑乎乎的，老人容易摔倒", quoted_id="wx-poll-1")
    assert tickets(chat) == 1
    assert any("#1" in s.text for s in sent)
    # a quote of someone else's message (not the bot's post) is routed as if unquoted
    assert await chat.say("赵阿姨", "+1", quoted_id="m1") == []
    assert [who for who, _ in answers(chat, ItemKind.SIGNUP, 2)] == ["周阿姨", "赵阿姨"]


async def test_two_notices_open_in_one_group_each_counts_the_收到_that_quote_it(chat: Chat) -> None:
    await posted(chat, "王欢", "/通知 美景天城3栋 明天9点至12点停水，请提前储水。", "wx-notice-1")
    second = await posted(chat, "王欢", "/通知 美景天城3栋 周六上午电梯检修。", "wx-notice-2")
    assert await chat.say("周阿姨", "收到", quoted_id="wx-notice-1") == []
    assert await chat.say("刘先生", "收到") == []  # unquoted: the newest
    assert await chat.say("孙大爷", f"「网格助手：{second}」\n{RULE}\n好的收到") == []
    assert [who for who, _ in answers(chat, ItemKind.NOTICE, 1)] == ["周阿姨"]
    assert [who for who, _ in answers(chat, ItemKind.NOTICE, 2)] == ["刘先生", "孙大爷"]
    await chat.wait(timedelta(minutes=1))
    assert tickets(chat) == 0
