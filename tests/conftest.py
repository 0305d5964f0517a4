"""Shared test setup."""

import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_app
from bot.clock import FakeClock
from bot.memory_adapter import MemoryAdapter
from bot.settings import Settings, load_settings
from tests.chat import Chat

pytest_plugins = ["tests.pg_fixture"]

DATA = Path(__file__).parent / "data"
TZ = ZoneInfo("Asia/Shanghai")
# a Monday morning outside any holiday
START = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


@pytest.fixture
def settings() -> Settings:
    return load_settings(DATA / "config.yaml", env={})


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gridbot.db'}"


async def _chat(settings: Settings, url: str) -> AsyncIterator[Chat]:
    clock = FakeClock(START, TZ)
    adapter = MemoryAdapter(clock.now)
    app = build_app(settings, adapter, db_url=url, clock=clock)
    await app.start()
    yield Chat(app=app, adapter=adapter, clock=clock, settings=settings)
    app.services.store.dispose()


@pytest.fixture
async def chat(settings: Settings, db_url: str) -> AsyncIterator[Chat]:
    async for c in _chat(settings, db_url):
        yield c


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_chat(request: pytest.FixtureRequest, settings: Settings, db_url: str) -> AsyncIterator[Chat]:
    """The same conversation harness on SQLite and on a real PostgreSQL server."""
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else db_url
    async for c in _chat(settings, url):
        yield c


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
