"""Sessions end for real: logging out (or a new password) ends every session of the person, a copied
cookie too; and a form's CSRF token is bound to the session it was shown in."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.web.conftest import csrf_of, login
from tests.web.seed import Seeded
from web.auth import CSRF_COOKIE, SESSION_COOKIE

Client = TestClient  # type: ignore[type-arg]


def _cookies(client: Client) -> dict[str, str]:
    return {c.key: c.value for c in client.session.cookie_jar}


async def _status_with(client: Client, cookies: dict[str, str], path: str = "/api/overview.json") -> int:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return (await client.get(path, headers={"Cookie": header}, allow_redirects=False)).status


async def _log_out(client: Client) -> None:
    page = await (await client.get("/tickets")).text()
    resp = await client.post("/logout", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert resp.status == 302


async def test_a_copied_cookie_stops_working_after_logout(client: Client) -> None:
    assert await login(client, "wxid_li") == 302
    copied = _cookies(client)
    assert await _status_with(client, copied) == 200
    await _log_out(client)
    client.session.cookie_jar.clear()
    assert await _status_with(client, copied) == 401
    assert await _status_with(client, copied, "/tickets") == 302  # to the login page


async def test_logging_out_ends_the_persons_other_sessions_only(client: Client) -> None:
    assert await login(client, "wxid_li") == 302
    other_browser = _cookies(client)
    assert await login(client, "wxid_zhangyan") == 302
    someone_else = _cookies(client)
    assert await login(client, "wxid_li") == 302
    await _log_out(client)
    client.session.cookie_jar.clear()
    assert await _status_with(client, other_browser) == 401
    assert await _status_with(client, someone_else) == 200
    assert await login(client, "wxid_li") == 302  # a new login works again
    assert (await client.get("/api/overview.json")).status == 200


async def test_a_new_password_ends_the_persons_sessions(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_li") == 302
    li = _cookies(client)
    assert await login(client, "wxid_wanghuan") == 302
    page = await (await client.get("/admin")).text()
    form = {
        "mode": "edit",
        "id": "wxid_li",
        "name": "李网格",
        "role": "grid_worker",
        "community": "meijing",
        "password": "a-new-password-1",
        "csrf": csrf_of(page),
    }
    resp = await client.post("/admin/person", data=form, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    client.session.cookie_jar.clear()
    assert await _status_with(client, li) == 401
    with seeded.services.store.begin() as uow:
        assert uow.state.meta("web_session_epoch:wxid_li")  # the epoch moved too, not only the hash
        assert uow.state.meta("web_session_epoch:wxid_wanghuan") is None
    assert await login(client, "wxid_li", "a-new-password-1") == 302


async def test_a_csrf_token_from_before_the_login_is_refused_after_it(client: Client, seeded: Seeded) -> None:
    ticket = seeded.ids["F"]
    anonymous_token = csrf_of(await (await client.get("/login")).text())
    cookie = _cookies(client)[CSRF_COOKIE]
    resp = await client.post(
        "/login",
        data={"login": "wxid_zhangyan", "password": "pw-wxid_zhangyan-ok", "csrf": anonymous_token},
        allow_redirects=False,
    )
    assert resp.status == 302
    assert _cookies(client)[CSRF_COOKIE] == cookie  # the same CSRF cookie …
    resp = await client.post(
        f"/tickets/{ticket}/action", data={"action": "accept", "csrf": anonymous_token}, allow_redirects=False
    )
    assert resp.status == 403  # … but the token was shown outside this session
    with seeded.services.store.begin() as uow:
        assert [e.action for e in uow.tickets.events(ticket)] == ["created"]


async def test_a_csrf_token_of_one_session_is_refused_in_another(client: Client, seeded: Seeded) -> None:
    ticket = seeded.ids["F"]
    assert await login(client, "wxid_li") == 302
    cookies = _cookies(client)
    li_token = csrf_of(await (await client.get("/tickets")).text())
    # the same CSRF cookie, now with 张燕's session: 李网格's token does not carry over
    page = await (await client.get("/login")).text()
    resp = await client.post(
        "/login",
        data={"login": "wxid_zhangyan", "password": "pw-wxid_zhangyan-ok", "csrf": csrf_of(page)},
        allow_redirects=False,
    )
    assert resp.status == 302
    assert _cookies(client)[CSRF_COOKIE] == cookies[CSRF_COOKIE]
    assert _cookies(client)[SESSION_COOKIE] != cookies[SESSION_COOKIE]
    resp = await client.post(
        f"/tickets/{ticket}/action", data={"action": "accept", "csrf": li_token}, allow_redirects=False
    )
    assert resp.status == 403
    own = csrf_of(await (await client.get(f"/tickets/{ticket}")).text())
    resp = await client.post(f"/tickets/{ticket}/action", data={"action": "accept", "csrf": own}, allow_redirects=False)
    assert resp.status == 303
