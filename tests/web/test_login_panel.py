"""The 登录 panel of 管理: the bot account's login state and, while a scan is waited for, the QR code,
for administrators only (whoever scans the code holds the account)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.core import login_state
from bot.core.login_state import LoginState
from tests.web.conftest import login
from tests.web.seed import NOW, Seeded

Client = TestClient  # type: ignore[type-arg]
QR = "https://login.weixin.qq.com/l/panel-test"


async def _panel(client: Client) -> str:
    page = await (await client.get("/admin")).text()
    return page[page.index('<section class="panel" id="login">') : page.index('<section class="panel" id="people">')]


async def test_the_panel_follows_the_login_and_only_administrators_get_the_code(client: Client, seeded: Seeded) -> None:
    data_dir = seeded.services.settings.data_dir
    assert await login(client, "wxid_wanghuan") == 302  # a community secretary
    assert "还没有报告微信登录状态" in await _panel(client)

    login_state.write_login(data_dir, LoginState(login_state.WAITING, NOW.isoformat(), qrcode=QR))
    png = login_state.write_qr_png(data_dir, QR)
    panel = await _panel(client)
    assert "等待扫码登录" in panel
    assert f"waiting for scan (QR code since {NOW:%Y-%m-%d %H:%M})" in panel
    assert 'src="/admin/login-qr.png"' in panel
    resp = await client.get("/admin/login-qr.png")
    assert (resp.status, resp.content_type, resp.headers["Cache-Control"]) == (200, "image/png", "no-store")
    assert await resp.read() == png.read_bytes()

    assert await login(client, "wxid_zhangyan") == 302  # a grid worker: neither the panel nor the code
    assert (await client.get("/admin/login-qr.png")).status == 403
    client.session.cookie_jar.clear()
    assert (await client.get("/admin/login-qr.png", allow_redirects=False)).status == 302  # to the login form

    assert await login(client, "wxid_wanghuan") == 302
    login_state.write_login(data_dir, LoginState(login_state.LOGGED_IN, NOW.isoformat(), account="网格助手 (wxid_bot)"))
    assert not png.exists()  # a used code is not left lying around
    panel = await _panel(client)
    assert "已登录：网格助手 (wxid_bot)" in panel
    assert "login-qr.png" not in panel
    assert (await client.get("/admin/login-qr.png")).status == 404

    login_state.write_login(data_dir, LoginState(login_state.LOGGED_OUT, NOW.isoformat()))
    assert f"已退出登录</strong>（logged out at {NOW:%Y-%m-%d %H:%M}）" in await _panel(client)
