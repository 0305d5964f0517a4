"""Logging in, sessions, CSRF, the slowdown after wrong passwords, and each role's reach."""

from __future__ import annotations

import base64
import csv
import io

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import Sleeps, csrf_of, login
from tests.web.seed import REACH, Seeded
from web.auth import SESSION_COOKIE

Client = TestClient  # type: ignore[type-arg]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 302),
        ("/tickets", 302),
        ("/tickets/1", 302),
        ("/api/overview.json", 401),
        ("/tickets.csv", 401),
        ("/tickets.xlsx", 401),
        ("/open311/v2/requests.json", 401),
        ("/open311/v2/services.json", 401),
    ],
)
async def test_anonymous_is_refused(client: Client, path: str, status: int) -> None:
    resp = await client.get(path, allow_redirects=False)
    assert resp.status == status
    if status == 302:
        assert resp.headers["Location"].startswith("/login")
    body = await resp.text()
    assert "美景天城" not in body
    assert "周阿姨" not in body


async def test_login_sets_a_protected_session_cookie(client: Client) -> None:
    page = await (await client.get("/login")).text()
    resp = await client.post(
        "/login",
        data={"login": "王欢", "password": "pw-wxid_wanghuan-ok", "csrf": csrf_of(page), "next": "/tickets"},
        allow_redirects=False,
    )
    assert resp.status == 302
    assert resp.headers["Location"] == "/tickets"
    cookie = next(v for k, v in resp.headers.items() if k == "Set-Cookie" and v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    home = await client.get("/")
    assert home.status == 200
    assert "王欢（社区书记）" in await home.text()


async def test_login_refuses_a_foreign_next_address(client: Client) -> None:
    page = await (await client.get("/login")).text()
    resp = await client.post(
        "/login",
        data={"login": "wxid_li", "password": "pw-wxid_li-ok", "csrf": csrf_of(page), "next": "//evil.example/x"},
        allow_redirects=False,
    )
    assert resp.headers["Location"] == "/"


async def test_wrong_passwords_are_slowed_down_then_locked(client: Client, sleeps: Sleeps) -> None:
    statuses = [await login(client, "wxid_li", "wrong-password") for _ in range(10)]
    assert statuses == [401] * 10
    # each failure waits twice as long as the one before, up to the cap
    assert sleeps.waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    # locked: even the right password is refused now, without another check
    assert await login(client, "wxid_li") == 429
    page = await (await client.get("/")).text()
    assert "登录" in page
    assert "李网格（网格员）" not in page


async def test_unknown_names_and_people_without_password_cannot_log_in(client: Client, sleeps: Sleeps) -> None:
    assert await login(client, "nobody", "whatever-pass") == 401
    assert await login(client, "wxid_nopass", "") == 401
    assert sleeps.waits
    assert all(w > 0 for w in sleeps.waits)


async def test_a_right_password_after_a_wrong_one_logs_in(client: Client) -> None:
    assert await login(client, "wxid_li", "nope-nope") == 401
    assert await login(client, "wxid_li") == 302


async def test_a_forged_or_tampered_session_is_ignored(client: Client) -> None:
    assert await login(client, "wxid_li") == 302
    jar = {c.key: c.value for c in client.session.cookie_jar}
    value = jar[SESSION_COOKIE]
    _encoded, issued, bound, signature = value.split("|")
    other = base64.urlsafe_b64encode(b"wxid_center").decode().rstrip("=")
    client.session.cookie_jar.clear()
    genuine = await client.get("/api/overview.json", headers={"Cookie": f"{SESSION_COOKIE}={value}"})
    assert genuine.status == 200
    for forged in (f"{other}|{issued}|{bound}|{signature}", f"{value}x", "garbage", f"{other}|{issued}|{bound}|"):
        resp = await client.get("/api/overview.json", headers={"Cookie": f"{SESSION_COOKIE}={forged}"})
        assert resp.status == 401, forged


async def test_login_form_without_csrf_is_refused(client: Client) -> None:
    await client.get("/login")
    resp = await client.post("/login", data={"login": "wxid_li", "password": "pw-wxid_li-ok"}, allow_redirects=False)
    assert resp.status == 403
    assert (await client.get("/api/overview.json")).status == 401


async def test_actions_need_the_csrf_token(client: Client, seeded: Seeded) -> None:
    ticket = seeded.ids["F"]
    assert await login(client, "wxid_zhangyan") == 302
    for data in ({"action": "accept"}, {"action": "accept", "csrf": "forged"}):
        resp = await client.post(f"/tickets/{ticket}/action", data=data, allow_redirects=False)
        assert resp.status == 403
    with seeded.services.store.begin() as uow:
        assert [e.action for e in uow.tickets.events(ticket)] == ["created"]
    page = await (await client.get(f"/tickets/{ticket}")).text()
    resp = await client.post(
        f"/tickets/{ticket}/action", data={"action": "accept", "csrf": csrf_of(page)}, allow_redirects=False
    )
    assert resp.status == 303
    with seeded.services.store.begin() as uow:
        assert [e.action for e in uow.tickets.events(ticket)] == ["created", "accepted"]


async def _visible_ids(client: Client) -> set[int]:
    resp = await client.get("/tickets.csv")
    assert resp.status == 200
    rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    return {int(row["工单号"]) for row in rows}


@pytest.mark.parametrize("person", sorted(REACH))
async def test_each_role_sees_exactly_its_reach(client: Client, seeded: Seeded, person: str) -> None:
    assert await login(client, person) == 302
    expected = {seeded.ids[letter] for letter in REACH[person]}
    assert await _visible_ids(client) == expected
    listed = await (await client.get("/tickets")).text()
    for letter, number in seeded.ids.items():
        shown = f'data-id="{number}"' in listed
        assert shown == (letter in REACH[person]), (person, letter)
        status = (await client.get(f"/tickets/{number}")).status
        assert status == (200 if letter in REACH[person] else 404), (person, letter)
    api = await (await client.get("/open311/v2/requests.json")).json()
    assert {int(item["service_request_id"]) for item in api} == expected


async def test_actions_outside_reach_change_nothing(client: Client, seeded: Seeded) -> None:
    ticket = seeded.ids["H"]  # 龙城社区: not 张燕's
    assert await login(client, "wxid_zhangyan") == 302
    page = await (await client.get("/tickets")).text()
    resp = await client.post(
        f"/tickets/{ticket}/action", data={"action": "accept", "csrf": csrf_of(page)}, allow_redirects=False
    )
    assert resp.status == 303
    assert (await client.get(resp.headers["Location"])).status == 404
    with seeded.services.store.begin() as uow:
        assert [e.action for e in uow.tickets.events(ticket)] == ["created"]
