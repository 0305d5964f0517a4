"""Web fixtures: the seeded street, an aiohttp test client on it, and a login helper."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.web.seed import NOW, Seeded, password, seed, web_settings
from web.app import make_app

SECRET_ENV = {"GRIDBOT_WEB_SECRET": "test-secret-not-for-production", "GRIDBOT_OPEN311_KEYS": "machine-key-1"}


class Sleeps:
    """Records the waits the login throttle asks for, instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    settings = web_settings(tmp_path)
    data = seed(settings, f"sqlite:///{tmp_path / 'web.db'}")
    assert data.clock.now() == NOW
    return data


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(seeded: Seeded, sleeps: Sleeps) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = make_app(seeded.services, SECRET_ENV, sleep=sleeps)
    async with TestClient(TestServer(app)) as c:
        yield c
    seeded.services.store.dispose()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def login(client: TestClient, person_id: str, pw: str | None = None) -> int:  # type: ignore[type-arg]
    """Log in through the form (a fresh cookie jar first); returns the status of the form's answer."""
    client.session.cookie_jar.clear()
    page = await (await client.get("/login")).text()
    resp = await client.post(
        "/login",
        data={"login": person_id, "password": pw if pw is not None else password(person_id), "csrf": csrf_of(page)},
        allow_redirects=False,
    )
    return resp.status


@asynccontextmanager
async def from_address(client: TestClient, local: str) -> AsyncIterator[aiohttp.ClientSession]:  # type: ignore[type-arg]
    """A browser on another loopback address (127.0.0.x): a genuinely different peer, with its own cookies."""
    connector = aiohttp.TCPConnector(local_addr=(local, 0))
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for a bare IP address
    async with aiohttp.ClientSession(base_url=str(client.make_url("/")), connector=connector, cookie_jar=jar) as s:
        yield s
