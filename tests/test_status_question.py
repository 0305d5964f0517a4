"""A resident asks how their report is going: the status of the tickets they reported, never a new ticket."""

from __future__ import annotations

from tests.chat import Chat

GROUP = "room_tiancheng_3"
DOG = "楼下有人养狗，到晚上老叫唤，我年纪大了，根本没法休息好。"
NONE_OPEN = "没有查到您反映的、还在办理中的事项。如有问题，请直接说明情况，我们会登记跟进。"


def ticket_count(chat: Chat) -> int:
    with chat.app.services.store.begin() as uow:
        return uow.counts()["tickets"]


async def test_the_reporter_asking_gets_one_status_line_naming_whoever_holds_it_now(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("周阿姨", "我反映的事怎么样了？")
    assert [(s.chat_id, s.mention_ids, s.text) for s in sent] == [
        (GROUP, (chat.id_of("周阿姨"),), "#1【噪音扰民】正在办理中，目前由张燕跟进。")
    ]
    assert ticket_count(chat) == 1
    await chat.say("张燕", "/转办 1 需要协调物业", chat="private")
    chat.new()
    sent = await chat.say("周阿姨", "请问我上次反映的问题有进展吗")
    assert [s.text for s in sent] == ["#1【噪音扰民】正在办理中，目前由杨海霞跟进。"]
    assert ticket_count(chat) == 1


async def test_a_neighbour_who_joined_the_ticket_asks_too(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    joined = await chat.say("老王", "楼下有人养狗，晚上老叫唤，吵得没法休息")
    assert joined[0].text.startswith("这件事已在 #1【噪音扰民】登记")
    sent = await chat.say("老王", "我们反映的事有进展吗")
    assert [(s.mention_ids, s.text) for s in sent] == [
        ((chat.id_of("老王"),), "#1【噪音扰民】正在办理中，目前由张燕跟进。")
    ]


async def test_nothing_open_is_said_and_nothing_is_opened(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    # someone else in the group: 周阿姨's ticket is not theirs to follow
    assert [s.text for s in await chat.say("小红", "我反映的事怎么样了")] == [NONE_OPEN]
    # 周阿姨 in another group: there she reported nothing; privately, the bot shows all of hers
    assert [s.text for s in await chat.say("周阿姨", "我反映的事怎么样了", chat="room_longcheng_1")] == [NONE_OPEN]
    private = await chat.say("周阿姨", "我反映的事怎么样了", chat="private")
    assert [s.text for s in private] == ["#1【噪音扰民】正在办理中，目前由张燕跟进。"]
    assert ticket_count(chat) == 1
    # resolved and waiting for her rating: the result, and how to say it is not solved
    await chat.say("张燕", "/办结 1 已与养狗住户沟通", chat="private")
    chat.new()
    assert [s.text for s in await chat.say("周阿姨", "我反映的事处理得怎么样了")] == [
        "#1【噪音扰民】已办结：已与养狗住户沟通。如仍有问题，请回复“不满意”。"
    ]
    # once she has rated it, it is closed: nothing open any more
    await chat.say("周阿姨", "满意")
    chat.new()
    assert [s.text for s in await chat.say("周阿姨", "我反映的事处理得怎么样了")] == [NONE_OPEN]
    assert ticket_count(chat) == 1


async def test_a_question_that_names_a_matter_nobody_has_yet_is_registered(chat: Chat) -> None:
    sent = await chat.say("孙大爷", "我上次反映的3栋门口路灯坏了，到现在还没人修")
    assert len(sent) == 1
    assert sent[0].text.startswith("已登记 #1【设施报修】")
    assert ticket_count(chat) == 1
    # and asked again, it is answered from that ticket
    again = await chat.say("孙大爷", "我上次反映的路灯修了没有")
    assert [s.text for s in again] == ["#1【设施报修】正在办理中，目前由张燕跟进。"]
