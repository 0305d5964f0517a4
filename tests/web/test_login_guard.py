"""The lock after wrong passwords holds against parallel guesses, aliases and a spoofed X-Forwarded-For;
and the address to land on after logging in is always on this site."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.web.conftest import SECRET_ENV, Sleeps, csrf_of, from_address
from tests.web.seed import Seeded, password
from web import guard
from web.app import make_app
from web.views import overview

Client = TestClient  # type: ignore[type-arg]


class Gate:
    """A login throttle sleep that holds every failed check until the test opens it."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.waiting = 0
        self.most_waiting = 0

    async def __call__(self, seconds: float) -> None:
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        try:
            await self.opened.wait()
        finally:
            self.waiting -= 1


@pytest.fixture
async def gated(seeded: Seeded) -> AsyncIterator[tuple[Client, Gate]]:
    gate = Gate()
    async with TestClient(TestServer(make_app(seeded.services, SECRET_ENV, sleep=gate))) as c:
        yield c, gate
    seeded.services.store.dispose()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the login view actually checks."""
    seen: list[str] = []
    real = overview.verify_password

    def counting(pw: str, stored: str) -> bool:
        seen.append(pw)
        return real(pw, stored)

    monkeypatch.setattr(overview, "verify_password", counting)
    return seen


async def _form(client: Client) -> str:
    return csrf_of(await (await client.get("/login")).text())


async def _try(client: Client, csrf: str, login: str, pw: str, **headers: str) -> int:
    resp = await client.post(
        "/login", data={"login": login, "password": pw, "csrf": csrf}, headers=headers, allow_redirects=False
    )
    return resp.status


async def test_parallel_guesses_are_counted_before_the_check(
    gated: tuple[Client, Gate], checks: list[str], seeded: Seeded
) -> None:
    client, gate = gated
    csrf = await _form(client)
    wrong = [asyncio.ensure_future(_try(client, csrf, "wxid_li", f"guess-{i}")) for i in range(40)]
    # the checked guesses hang in their slowdown; everything else has been answered already
    for _ in range(500):
        if sum(t.done() for t in wrong) >= 38:
            break
        await asyncio.sleep(0.01)
    right = await _try(client, csrf, "wxid_li", password("wxid_li"))
    gate.opened.set()
    statuses = await asyncio.gather(*wrong)
    assert right == 429  # sent in the same batch, after the lock: refused, not checked
    assert password("wxid_li") not in checks
    assert len(checks) <= 2  # at most two checks ran for the account at once, and no more were started
    assert gate.most_waiting <= 2
    assert statuses.count(401) == len(checks)
    assert statuses.count(429) == 40 - len(checks)
    assert await _try(client, csrf, "李网格", password("wxid_li")) == 429  # still locked, under either name
    assert (await client.get("/api/overview.json")).status == 401


async def test_without_a_gate_forty_parallel_guesses_check_at_most_ten(client: Client, checks: list[str]) -> None:
    csrf = await _form(client)
    statuses = await asyncio.gather(*(_try(client, csrf, "wxid_li", f"guess-{i}") for i in range(40)))
    assert len(checks) <= 10
    assert statuses.count(401) == len(checks)
    assert await _try(client, csrf, "wxid_li", password("wxid_li")) == 429


async def _try_from(client: Client, local: str, login: str, pw: str) -> int:
    async with from_address(client, local) as session:
        page = await (await session.get("/login")).text()
        data = {"login": login, "password": pw, "csrf": csrf_of(page)}
        return (await session.post("/login", data=data, allow_redirects=False)).status


async def test_every_alias_of_a_person_shares_one_lock(client: Client, checks: list[str]) -> None:
    # ten peers, one guess each under each alias: no address reaches the lock, the person does
    for i in range(5):
        assert await _try_from(client, f"127.0.0.{10 + i}", "张燕", f"guess-{i}") == 401
        assert await _try_from(client, f"127.0.0.{20 + i}", "wxid_zhangyan", f"guess-{i}") == 401
    assert await _try_from(client, "127.0.0.30", "张燕", password("wxid_zhangyan")) == 429
    assert await _try_from(client, "127.0.0.31", "wxid_zhangyan", password("wxid_zhangyan")) == 429
    assert len(checks) == 10
    assert await _try_from(client, "127.0.0.32", "wxid_li", password("wxid_li")) == 302  # others are not locked


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(client: Client, checks: list[str]) -> None:
    csrf = await _form(client)
    # a different made-up address on every guess: without trusted proxies the peer is what counts
    for i in range(10):
        assert await _try(client, csrf, f"nobody-{i}", "x", **{"X-Forwarded-For": f"198.51.100.{i}"}) == 401
    assert await _try(client, csrf, "wxid_li", password("wxid_li"), **{"X-Forwarded-For": "198.51.100.77"}) == 429


@pytest.fixture
async def proxied(seeded: Seeded, tmp_path: Path) -> AsyncIterator[Client]:
    services = seeded.services
    web_page = services.settings.web.model_copy(update={"trusted_proxies": ["127.0.0.0/8"]})
    services.settings = services.settings.model_copy(update={"web": web_page})
    if services.file_settings is not None:
        services.file_settings = services.file_settings.model_copy(update={"web": web_page})
    async with TestClient(TestServer(make_app(seeded.services, SECRET_ENV, sleep=Sleeps()))) as c:
        yield c
    seeded.services.store.dispose()


async def test_behind_a_trusted_proxy_one_client_does_not_lock_out_the_others(proxied: Client) -> None:
    csrf = await _form(proxied)
    for i in range(10):  # one client behind the proxy guesses names
        assert await _try(proxied, csrf, f"nobody-{i}", "x", **{"X-Forwarded-For": "203.0.113.5"}) == 401
    assert await _try(proxied, csrf, "nobody-x", "x", **{"X-Forwarded-For": "203.0.113.5"}) == 429
    # a left-most hop the client wrote itself changes nothing: the proxy's own hop is on the right
    assert await _try(proxied, csrf, "nobody-y", "x", **{"X-Forwarded-For": "10.9.9.9, 203.0.113.5"}) == 429
    # another client behind the same proxy still logs in
    assert await _try(proxied, csrf, "wxid_li", password("wxid_li"), **{"X-Forwarded-For": "203.0.113.6"}) == 302


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("127.0.0.1", "203.0.113.5", [], "127.0.0.1"),
        ("192.0.2.1", "203.0.113.5", ["127.0.0.1"], "192.0.2.1"),
        ("127.0.0.1", "203.0.113.5", ["127.0.0.1"], "203.0.113.5"),
        ("127.0.0.1", "1.1.1.1, 203.0.113.5", ["127.0.0.1"], "203.0.113.5"),
        ("127.0.0.1", "203.0.113.5, 10.0.0.2", ["127.0.0.1", "10.0.0.0/8"], "203.0.113.5"),
        ("127.0.0.1", "junk", ["127.0.0.1"], "127.0.0.1"),
        ("127.0.0.1", "203.0.113.5, junk", ["127.0.0.1"], "127.0.0.1"),
        ("127.0.0.1", "[2001:db8::1]:443", ["127.0.0.1"], "2001:db8::1"),
        ("::1", "203.0.113.5:5555", ["::1"], "203.0.113.5"),
        (None, "203.0.113.5", ["127.0.0.1"], ""),
    ],
)
def test_client_address(peer: str | None, forwarded: str, trusted: list[str], expected: str) -> None:
    assert guard.client_address(peer, forwarded, guard.networks(trusted)) == expected


def test_trusted_proxies_must_be_addresses(tmp_path: Path) -> None:
    from bot.core.settings import load_settings
    from bot.core.settings_base import ConfigError
    from bot.core.settings_platform import WebPage

    assert WebPage().trusted_proxies == []  # by default X-Forwarded-For is never believed
    assert WebPage(trusted_proxies=[" 10.0.0.0/8", "::1"]).trusted_proxies == ["10.0.0.0/8", "::1"]
    config = tmp_path / "config.yaml"
    config.write_text(
        "adapter: memory\nweb: {trusted_proxies: [proxy.local]}\ncommunities:\n"
        "  - {id: a, name: A社区, people: [{id: wxid_a, name: 甲, role: grid_worker}],"
        " grids: [{id: g1, name: 一网格, worker: wxid_a}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"web\.trusted_proxies: .*'proxy.local' is not an IP address"):
        load_settings(config, env={})


NEXT_TABLE = [
    ("/tickets", "/tickets"),
    ("/tickets?state=open&q=%E5%99%AA", "/tickets?state=open&q=%E5%99%AA"),
    ("/tickets/3", "/tickets/3"),
    ("//evil.example/x", "/"),
    ("/\t/evil.example", "/"),
    ("/\n/evil.example", "/"),
    ("/\r/evil.example", "/"),
    ("/%09/evil.example", "/"),
    ("/%0a/evil.example", "/"),
    ("/%0d/evil.example", "/"),
    ("/%2f/evil.example", "/"),
    ("/%5c/evil.example", "/"),
    ("/\\evil.example", "/"),
    ("\\\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
    ("http:/evil.example", "/"),
    ("/ /evil.example", "/"),
    ("/\u3000/evil.example", "/"),
    ("/\x00/evil.example", "/"),
    ("/\u200b/evil.example", "/"),
    ("evil.example", "/"),
    ("", "/"),
    ("/" + "a" * 3000, "/"),
]


@pytest.mark.parametrize(("target", "lands"), NEXT_TABLE)
async def test_a_bad_next_is_ignored_and_the_login_lands_on_the_overview(
    client: Client, target: str, lands: str
) -> None:
    csrf = await _form(client)
    resp = await client.post(
        "/login",
        data={"login": "wxid_li", "password": password("wxid_li"), "csrf": csrf, "next": target},
        allow_redirects=False,
    )
    assert resp.status == 302
    assert resp.headers["Location"] == lands
    assert (await client.get("/api/overview.json")).status == 200


async def test_the_login_page_carries_only_a_safe_next(client: Client) -> None:
    page = await (await client.get("/login?next=/%09/evil.example")).text()
    assert 'name="next" value="/"' in page
    resp = await client.get("/tickets?state=open&q=x", allow_redirects=False)
    assert resp.headers["Location"].startswith("/login?next=")  # the whole query string kept, not cut at "&"
    page = await (await client.get(resp.headers["Location"])).text()
    assert 'name="next" value="/tickets?state=open&amp;q=x"' in page


@settings(max_examples=400, deadline=None, database=None)
@given(target=st.one_of(st.text(max_size=40), st.from_regex(r"\A[/\\%0-9a-fA-F\t\n\r .:@a-z]{0,20}\Z")))
def test_safe_next_never_leaves_the_site(target: str) -> None:
    from urllib.parse import unquote, urlsplit

    landed = overview.safe_next(target)
    # what a browser does with it: drops tabs and newlines, reads backslashes as slashes
    seen = landed.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    assert seen.startswith("/")
    assert not seen.startswith("//")
    assert not unquote(seen).startswith("//")
    assert not urlsplit(seen).netloc


def test_secure_cookies_without_trusted_proxies_warn(seeded: Seeded, caplog: pytest.LogCaptureFixture) -> None:
    make_app(seeded.services, {**SECRET_ENV, "GRIDBOT_WEB_SECURE_COOKIES": "1"}, sleep=Sleeps())
    assert "web.trusted_proxies is empty" in caplog.text
    caplog.clear()
    make_app(seeded.services, SECRET_ENV, sleep=Sleeps())
    assert "trusted_proxies" not in caplog.text
    seeded.services.store.dispose()
