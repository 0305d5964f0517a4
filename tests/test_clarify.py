"""When the classifier is unsure, the resident is asked (a few times per group per day), and a number opens the ticket.

The classifier's own decisions are tested in tests/nlp; here a fixed verdict isolates the handler.
"""

from dataclasses import replace

from handlers.deps import Services
from nlp.classifier import Classification
from tests.chat import Chat

# the real verdict type, so a field added to it cannot be missing here
UNSURE = Classification("none", False, "normal", clarify=True, candidates=("parking", "occupation"), confidence=0.4)


class UnsureClassifier:
    def classify(self, text: str) -> Classification:
        return UNSURE


def unsure(chat: Chat) -> None:
    services: Services = chat.app.services
    chat.app.services = replace(services, classifier=UnsureClassifier())  # type: ignore[arg-type]


async def test_unsure_message_gets_a_numbered_question_and_the_answer_opens_it(chat: Chat) -> None:
    unsure(chat)
    sent = await chat.say("周阿姨", "门口那个东西一直在那儿,挡着大家走路")
    assert [s.text for s in sent] == ["您是要反映问题吗？请回复数字：1 停车问题 2 占道堆物"]
    answered = await chat.say("周阿姨", "2")
    assert answered[0].text.startswith("已登记 #1【占道堆物】")
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
    assert ticket is not None
    assert ticket.text == "门口那个东西一直在那儿,挡着大家走路"


async def test_at_most_three_questions_per_group_per_day(chat: Chat) -> None:
    unsure(chat)
    asked = [await chat.say(f"居民{i}", f"这个事情怎么弄{i}") for i in range(5)]
    assert [len(a) for a in asked] == [1, 1, 1, 0, 0]


async def test_a_number_without_a_question_is_just_a_number(chat: Chat) -> None:
    assert await chat.say("周阿姨", "2") == []
