"""Issue 20: the 通知 page in headless Chromium (as tests/web/test_browser.py starts it): choose groups on the
list, preview, send, pass the confirm step (the threshold set to 1 group here) and read the delivery report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from storage.states import ItemKind, OutboxState
from tests.web.conftest import SECRET_ENV, Sleeps
from tests.web.seed import NOW, Seeded, seed, web_settings
from tests.web.test_browser import _log_in, browser_page  # noqa: F401 (a fixture)
from web.app import make_app

pytestmark = pytest.mark.browser
WATER = "明天9点至12点停水，请提前储水。"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a6a5ad8e0000000049454e44ae426082"
)


@pytest.fixture
async def strict_site(tmp_path: Path) -> AsyncIterator[tuple[str, Seeded]]:
    seeded = seed(web_settings(tmp_path, notices={"confirm_over_groups": 1}), f"sqlite:///{tmp_path / 'web.db'}")
    server = TestServer(make_app(seeded.services, SECRET_ENV, sleep=Sleeps()), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/")).rstrip("/"), seeded
    finally:
        await server.close()
        seeded.services.store.dispose()


async def _cells(page: Any) -> list[list[str]]:
    return await page.eval_on_selector_all(
        "#deliveries tbody tr", "trs => trs.map(tr => Array.from(tr.cells).map(td => td.textContent.trim()))"
    )


async def test_compose_preview_confirm_and_report_in_the_browser(
    browser_page: Any,  # noqa: F811
    strict_site: tuple[str, Seeded],
    tmp_path: Path,
) -> None:
    page, (site, seeded) = browser_page, strict_site
    await _log_in(page, site, "wxid_wanghuan")
    await page.click("nav >> text=通知")
    await page.wait_for_url(site + "/notices")
    await page.fill("textarea[name=body]", WATER)
    await page.check("input[name=grid][value=g10]")
    await page.check("input[name=group][value=room_jingyuan_2]")
    await page.set_input_files("input[name=upload]", {"name": "通知.png", "mimeType": "image/png", "buffer": PNG})
    await page.click("#do-preview")
    await page.wait_for_selector("#preview")
    assert (await page.text_content("#preview-text")) == f"【通知1】{WATER}\n（已阅请回复“收到”）"
    assert (await page.text_content("#preview-groups")) == "美景天城3栋、美景景园2栋"
    assert "再确认一次" in (await page.text_content("#preview-confirm") or "")
    assert await page.eval_on_selector("#preview-picture", "img => img.naturalWidth") == 1  # served to its uploader
    # the compose form keeps what was chosen, for a change before sending
    assert await page.is_checked("#compose-form input[name=grid][value=g10]")
    await page.screenshot(path=str(tmp_path / "notice-preview.png"), full_page=True)

    await page.click("#do-send")
    await page.wait_for_url(site + "/notices/1")
    assert "将发到 2 个群" in (await page.text_content("#question") or "")
    with seeded.services.store.begin() as uow:
        assert [o for o in uow.outbox.items() if (o.dedupe_key or "").startswith("board:")] == []
    await page.click("#do-confirm")
    await page.wait_for_selector("#flash")
    assert (await page.text_content("#flash") or "").strip() == "通知1 已排队发往 2 个群，发完后告诉您送达情况。"
    assert await _cells(page) == [["美景天城3栋", "待发送", "待发送", "0"], ["美景景园2栋", "待发送", "待发送", "0"]]

    with seeded.services.store.begin() as uow:
        posts = [o for o in uow.outbox.items() if (o.dedupe_key or "").startswith("board:")]
        assert [bool(o.image_path) for o in posts] == [False, True, False, True]  # each text, then its picture
        for o in posts[:3]:
            uow.outbox.finish(o.id, state=OutboxState.SENT, at=NOW)
        uow.outbox.finish(posts[3].id, state=OutboxState.FAILED, at=NOW, error="file refused")
        item = uow.board.get(ItemKind.NOTICE, 1)
        assert item is not None
        uow.board.answer(item.id, "room_jingyuan_2", "wxid_res_9", "居民", "收到", NOW, NOW)
    await page.click("#report >> text=刷新")
    await page.wait_for_selector("#deliveries")
    assert await _cells(page) == [["美景天城3栋", "已发送", "已发送", "0"], ["美景景园2栋", "已发送", "发送失败", "1"]]
    assert " ".join((await page.text_content("#totals") or "").split()) == "已发送 2/2 个群，收到 1 人"
    await page.screenshot(path=str(tmp_path / "notice-report.png"), full_page=True)
    assert (tmp_path / "notice-report.png").stat().st_size > 10_000
