"""Shared test setup."""

import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.core.clock import FakeClock
from bot.core.settings import Settings, load_settings
from bot.runtime.app import build_app
from storage.store import Store
from tests import fixed_time
from tests.chat import Chat

pytest_plugins = ["tests.pg_fixture"]

DATA = Path(__file__).parent / "data"
TZ = ZoneInfo("Asia/Shanghai")
# a Monday morning outside any holiday
START = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


@pytest.fixture
def settings() -> Settings:
    return load_settings(DATA / "config.yaml", env={})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that stores something runs on SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gridbot.db'}"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def another_db_url(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Callable[[], str]:
    """A second fresh database on the same backend as `db_url`."""

    def make() -> str:
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / f'other-{uuid.uuid4().hex[:8]}.db'}"
        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_template")
        return str(server.create_database(f"t_{uuid.uuid4().hex[:12]}", template=template))

    return make


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _handlers_never_crash(request: pytest.FixtureRequest) -> Iterator[None]:
    """A handler that raises is logged and its message marked processed with no reply: right in
    production, but in a test it would pass for "correctly ignored". So an ERROR from handlers/
    fails the test, unless the test is about that very crash (`@pytest.mark.handler_errors`)."""
    errors = _Errors()
    logger = logging.getLogger("handlers")
    logger.addHandler(errors)
    try:
        yield
    finally:
        logger.removeHandler(errors)
    if errors.records and request.node.get_closest_marker("handler_errors") is None:
        first = errors.records[0]
        pytest.fail(f"a handler logged an ERROR: {first.name}: {first.getMessage()}\n{first.exc_text or ''}")


@pytest.fixture(autouse=True)
def _pinned_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test starts without a clock of its own (`main([...])` in-process, a subprocess that
    inherits the environment) runs on the session's pinned timeline, never on today's date."""
    monkeypatch.setenv("GRIDBOT_NOW", fixed_time.now().isoformat())


@pytest.fixture(autouse=True)
def _dispose_stores(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every connection pool a test opened (a PostgreSQL connection left open is a warning, an error here)."""
    opened: list[Store] = []
    original = Store.__init__

    def tracking(self: Store, *args: Any, **kwargs: Any) -> None:
        opened.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "__init__", tracking)
    yield
    for store in opened:
        if hasattr(store, "engine"):
            store.dispose()


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


@pytest.fixture
async def any_chat(settings: Settings, db_url: str) -> AsyncIterator[Chat]:
    """The same conversation harness on SQLite and on a real PostgreSQL server (`db_url` runs both)."""
    async for c in _chat(settings, db_url):
        yield c


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
