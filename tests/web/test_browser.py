"""The page in headless Chromium (Debian's, driven by Playwright): log in, read the big screen, filter,
export, open a ticket and accept it. Screenshots go to the test's tmp folder.

Skipped locally when Playwright or Chromium is missing; under CI=true that is a failure instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from aiohttp.test_utils import TestServer

from handlers.domain import tickets
from tests.web.conftest import SECRET_ENV, Sleeps
from tests.web.seed import SECRETARY_NUMBERS, Seeded, password
from tests.web.test_overview_figures import RATES
from web.app import make_app

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the browser tests need {reason}", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else "")
    if not found:
        _unavailable("Debian's chromium (apt-get install chromium); Playwright's own browser download is not used")
    return found


@contextlib.asynccontextmanager
async def chromium_page(**context_options: Any) -> AsyncIterator[Any]:
    """A page in Debian's headless Chromium, in a browser context made with `context_options`."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright Python package (pip install -e '.[dev]')")
    executable = _chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        context = await browser.new_context(locale="zh-CN", **context_options)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        # the Content-Security-Policy is on: anything it blocks is a page bug, reported on the console
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            yield page
        finally:
            await context.close()
            await browser.close()
        assert blocked == []


@pytest.fixture
async def browser_page() -> AsyncIterator[Any]:
    async with chromium_page(accept_downloads=True, viewport={"width": 1280, "height": 900}) as page:
        yield page


@pytest.fixture
async def site(seeded: Seeded) -> AsyncIterator[str]:
    server = TestServer(make_app(seeded.services, SECRET_ENV, sleep=Sleeps()), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/")).rstrip("/")
    finally:
        await server.close()
        seeded.services.store.dispose()


async def _log_in(page: Any, site: str, person_id: str) -> None:
    await page.goto(site + "/")
    assert page.url.startswith(site + "/login")
    await page.fill("input[name=login]", person_id)
    await page.fill("input[name=password]", password(person_id))
    await page.click("button[type=submit]")
    await page.wait_for_url(site + "/")


async def test_overview_in_the_browser(browser_page: Any, site: str, seeded: Seeded, tmp_path: Path) -> None:
    page = browser_page
    await _log_in(page, site, "wxid_wanghuan")
    for key, value in SECRETARY_NUMBERS.items():
        assert (await page.text_content(f"#n-{key}")).strip() == str(value), key
    # the charts are drawn: bars with width, lines with points
    widths = await page.eval_on_selector_all(
        "#chart-categories rect.bar", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert len(widths) == 4
    assert all(w > 0 for w in widths)
    points = await page.eval_on_selector_all("#chart-daily polyline", "els => els.map(e => e.points.numberOfItems)")
    assert points == [30, 30]
    level_bars = await page.eval_on_selector_all("#chart-levels rect.bar", "els => els.map(e => +e.dataset.value)")
    assert level_bars == [4, 1, 0, 0]
    assert "没有超期工单" not in (await page.text_content("#overdue"))
    rates = await page.eval_on_selector_all(
        "#rates tbody tr", "trs => trs.map(tr => Array.from(tr.cells).map(td => td.textContent.trim()))"
    )
    assert rates == RATES  # 响应率 / 解决率 / 满意率 · 综合, as the JSON test works them out
    await page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert (tmp_path / "overview.png").stat().st_size > 10_000

    # a new report arrives; the page picks it up without a reload
    with seeded.services.turn() as deps:
        settings = deps.settings
        tickets.open_ticket(
            deps,
            msg=None,
            chat_id="room_tiancheng_3",
            chat_topic="美景天城3栋",
            reporter_id="wxid_res_x",
            reporter_name="新居民",
            text="电梯停了",
            category="repairs",
            urgency="normal",
            grid=settings.grids_by_id["g10"],
            community=settings.community_of_grid["g10"],
        )
    await page.evaluate("window.gridbotRefresh()")
    # polled from here: a predicate for wait_for_function is evaluated as a string, which the CSP refuses
    for _ in range(200):
        if (await page.text_content("#n-new_today") or "").strip() == "3":
            break
        await asyncio.sleep(0.05)
    assert (await page.text_content("#n-new_today") or "").strip() == "3"
    assert (await page.text_content("#n-open")).strip() == "6"


async def test_list_export_and_accept_in_the_browser(
    browser_page: Any, site: str, seeded: Seeded, tmp_path: Path
) -> None:
    page = browser_page
    await _log_in(page, site, "wxid_wanghuan")
    await page.click("nav >> text=工单")
    await page.wait_for_url(site + "/tickets")
    assert await page.locator("#tickets tbody tr").count() == 7
    await page.select_option("select[name=category]", "noise")
    await page.click("#filters button[type=submit]")
    await page.wait_for_url("**/tickets?*category=noise*")
    shown = await page.eval_on_selector_all("#tickets tbody tr", "rows => rows.map(r => +r.dataset.id)")
    assert sorted(shown) == sorted(seeded.ids[x] for x in "ADG")

    async with page.expect_download() as info:
        await page.click("#export-csv")
    download = await info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(str(saved))
    raw = saved.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert sorted(int(r["工单号"]) for r in rows) == sorted(seeded.ids[x] for x in "ADG")
    assert {r["类别"] for r in rows} == {"噪音扰民"}

    ticket = seeded.ids["G"]
    await page.click(f"#tickets a[href='/tickets/{ticket}']")
    await page.wait_for_url(f"{site}/tickets/{ticket}")
    assert [await li.get_attribute("data-action") for li in await page.query_selector_all("#timeline li")] == [
        "created"
    ]
    await page.click("#do-accept")
    await page.wait_for_selector("#flash")
    assert (await page.text_content("#flash")).strip() == f"#{ticket} 已由王欢接单。"
    actions = [await li.get_attribute("data-action") for li in await page.query_selector_all("#timeline li")]
    assert actions == ["created", "accepted"]
    assert "王欢 接单" in " ".join((await page.text_content("#timeline")).split())
    assert (await page.text_content("#state")).strip() == "办理中"
    await page.screenshot(path=str(tmp_path / "ticket.png"), full_page=True)
    with seeded.services.store.begin() as uow:
        assert [(e.action, e.actor_id) for e in uow.tickets.events(ticket)] == [
            ("created", ""),
            ("accepted", "wxid_wanghuan"),
        ]


async def test_change_a_grids_worker_on_the_admin_page(
    browser_page: Any, site: str, seeded: Seeded, tmp_path: Path
) -> None:
    page = browser_page
    await _log_in(page, site, "wxid_wanghuan")
    await page.click("nav >> text=管理")
    await page.wait_for_url(site + "/admin")
    assert "优先于 config.yaml" in (await page.text_content("#overrides-note"))
    row = page.locator("tr[data-grid=g10]")
    assert (await row.locator("td.workers").text_content()).strip() == "张燕"
    await row.locator("summary").click()
    await page.select_option("#grid-form-g10 select[name=worker]", "wxid_li")
    await page.click("#grid-form-g10 button[type=submit]")
    await page.wait_for_selector("#flash")
    assert (await page.text_content("#flash")).strip() == "网格已保存。"
    assert (await page.locator("tr[data-grid=g10] td.workers").text_content()).strip() == "李网格"
    assert "王欢" in (await page.text_content("#changes"))
    assert seeded.services.settings.grids_by_id["g10"].workers == ["wxid_li"]
    await page.screenshot(path=str(tmp_path / "admin.png"), full_page=True)


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/%5C/evil.example"])
async def test_a_foreign_next_stays_on_the_site_in_the_browser(browser_page: Any, site: str, target: str) -> None:
    page = browser_page
    await page.goto(f"{site}/login?next={target}")
    await page.fill("input[name=login]", "wxid_li")
    await page.fill("input[name=password]", password("wxid_li"))
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    assert page.url == site + "/"
