"""Property-based tests of the command parser and of refused commands (#17 "Keep it closed").

Whatever follows a verb, parsing never raises and never invents a ticket number; and a command whose
number is missing or malformed changes nothing in the database, whoever sends it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from bot.core.settings import Settings
from handlers.commands.registry import COMMANDS, GRAMMAR, parse_command
from tests.chat import Chat
from tests.conftest import _chat

NUMBERED = [s.verbs[0] for s in COMMANDS if s.number != "none"]
# what people's thumbs produce: digits, separators, punctuation of both widths, letters, CJK, emoji
JUNK = st.text(
    alphabet=st.sampled_from(
        list("0123456789０１２３４５６７８９.,;:#＃ /／-_+*'\"\\%\t\n") + list("已上门abcX😀\u3000\x00")
    ),
    max_size=30,
) | st.text(max_size=30)


@given(verb=st.sampled_from([s.verbs[0] for s in COMMANDS]), rest=JUNK)
@examples(max_examples=400, deadline=None)
def test_parsing_never_raises_and_a_number_is_digits_alone(verb: str, rest: str) -> None:
    cmd = parse_command(f"/{verb} {rest}")
    assert cmd is not None
    assert cmd.ticket is None or (isinstance(cmd.ticket, int) and cmd.ticket >= 0)
    assert all(isinstance(n, int) and n >= 0 for n in cmd.numbers)
    if cmd.ticket is not None:
        head = rest.strip().translate({0xFF10 + i: str(i) for i in range(10)}).lstrip("#＃")
        digits = re.match(r"[0-9]+", head)
        assert digits is not None, (rest, cmd)
        assert int(digits.group()) == cmd.ticket, (rest, cmd)
        # after a good first number only a later one of a many-number command can be malformed (/合并 0 0:):
        # the command then gets the format answer, whatever the first number was
        assert not cmd.malformed or cmd.action in GRAMMAR.many_numbers, (rest, cmd)


def _snapshot(chat: Chat) -> tuple[Any, ...]:
    with chat.app.services.store.begin() as uow:
        found = uow.tickets.find()
        events = [len(uow.tickets.events(t.id)) for t in found]
        return (
            [(t.id, t.state, t.holder_id, t.category, t.urgency, t.level, t.version) for t in found],
            events,
            uow.likely.waiting_for(["wxid_zhangyan"]),
        )


@pytest.fixture
def loop() -> Any:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_a_command_without_a_valid_number_changes_nothing(settings: Settings, tmp_path: Path, loop: Any) -> None:
    async def start() -> tuple[Chat, AsyncIterator[Chat]]:
        gen = _chat(settings, f"sqlite:///{tmp_path / 'fuzz.db'}")
        chat = await gen.__anext__()
        await chat.say("周阿姨", "3栋楼道灯坏了好几天了，晚上看不见路")
        return chat, gen

    chat, gen = loop.run_until_complete(start())
    before = _snapshot(chat)

    @given(verb=st.sampled_from(NUMBERED), rest=JUNK, who=st.sampled_from(["张燕", "李网格", "王欢", "周阿姨"]))
    @examples(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def refused(verb: str, rest: str, who: str) -> None:
        cmd = parse_command(f"/{verb} {rest}")
        assert cmd is not None
        if cmd.ticket is not None and not cmd.malformed:
            return  # a real number: what happens then is the commands' own tests' business
        sent = loop.run_until_complete(chat.say(who, f"/{verb} {rest}", chat="private"))
        assert len(sent) <= 1  # one answer at most (a resident: at most once a day)
        assert _snapshot(chat) == before

    refused()
    loop.run_until_complete(gen.aclose())


def test_a_malformed_later_number_of_a_merge_is_malformed_whatever_the_first() -> None:
    # found by the fuzz test above: /合并 0 0: has a good first number and a malformed second one
    for text in ("/合并 0 0:", "/合并 12 13.5"):
        cmd = parse_command(text)
        assert cmd is not None, text
        assert cmd.malformed, text
