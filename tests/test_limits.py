"""Issue 21: `ladder_preset: beijing_12345` gives each ticket the time to a result of its kind (emergency 2 h,
utilities 24 h, general 7 days, complex 15 days); the ladder still escalates inside it, and a category's
`deadline_hours` still wins. The default preset keeps the ladder's own deadlines."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.core.settings import load_settings
from tests.chat import Chat
from tests.conftest import DATA, START, _chat
from tests.test_rating import DOG, ticket
from tests.test_urgent_reports import GAS

NO_WATER = "3栋停水两天了，一直没水用"


@pytest.fixture
async def preset_chat(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Chat]:
    """The test config under the Beijing preset, with the categories the test's parameter adds."""
    overrides: dict[str, Any] = {"ladder_preset": "beijing_12345", "data_dir": str(tmp_path)}
    overrides |= getattr(request, "param", {})
    settings = load_settings(DATA / "config.yaml", env={}, overrides=overrides)
    async for c in _chat(settings, f"sqlite:///{tmp_path}/limits.db"):
        yield c


def created_kind(chat: Chat, number: int) -> str:
    with chat.app.services.store.begin() as uow:
        created = uow.tickets.events(number)[0]
    return str(json.loads(created.data).get("limit_kind", ""))


async def test_each_kind_gets_its_time_to_a_result(preset_chat: Chat) -> None:
    chat = preset_chat
    await chat.say("周阿姨", DOG)
    await chat.say("刘大爷", NO_WATER)
    await chat.say("王奶奶", GAS)
    assert [(created_kind(chat, n), ticket(chat, n).result_due_at) for n in (1, 2, 3)] == [
        ("general", START + timedelta(days=7)),
        ("utilities", START + timedelta(hours=24)),
        ("emergency", START + timedelta(hours=2)),
    ]
    # a level's deadline never lies past the time to a result
    assert ticket(chat, 1).deadline_at == START + timedelta(hours=12)  # the grid worker's 12 hours, inside 7 days
    assert ticket(chat, 3).deadline_at == START + timedelta(hours=2)


async def test_the_ladder_escalates_inside_the_limit_and_the_top_keeps_the_limit(preset_chat: Chat) -> None:
    chat = preset_chat
    await chat.say("周阿姨", DOG)
    # 12 h, 12 h, 24 h up the ladder: at the street center (level 4) by Wednesday 09:00
    await chat.wait(timedelta(hours=48, minutes=30), step=timedelta(minutes=30))
    t = ticket(chat, 1)
    assert t.level == 4
    # the top's own deadline would be 2 working days; under the preset it is the 7 days' end
    assert (t.deadline_at, t.overdue_at) == (START + timedelta(days=7), None)
    await chat.wait(timedelta(days=5), step=timedelta(hours=1))
    assert ticket(chat, 1).overdue_at == START + timedelta(days=7)


KINDS = {"noise": {"name": "噪音扰民", "kind": "complex"}, "repairs": {"name": "设施报修", "deadline_hours": 48}}


@pytest.mark.parametrize("preset_chat", [{"categories": KINDS}], indirect=True)
async def test_a_categorys_kind_and_its_own_deadline_win(preset_chat: Chat) -> None:
    chat = preset_chat
    await chat.say("周阿姨", DOG)
    await chat.say("刘大爷", NO_WATER)  # utilities by its words, but repairs has its own 48 hours
    assert created_kind(chat, 1) == "complex"
    assert ticket(chat, 1).result_due_at == START + timedelta(days=15)
    assert ticket(chat, 2).result_due_at == START + timedelta(hours=48)


async def test_a_pause_moves_the_time_to_a_result(preset_chat: Chat) -> None:
    chat = preset_chat
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/挂起 1 住户出差", chat="private")
    await chat.wait(timedelta(hours=10), step=timedelta(hours=1))
    await chat.say("张燕", "/恢复 1", chat="private")
    assert ticket(chat, 1).result_due_at == START + timedelta(days=7, hours=10)


async def test_the_default_preset_sets_no_limit(chat: Chat) -> None:
    await chat.say("刘大爷", NO_WATER)
    assert ticket(chat, 1).result_due_at is None
    assert created_kind(chat, 1) == ""
