"""The page on a phone (390 × 844, as grid workers use it) in headless Chromium: nothing scrolls sideways, the
ticket list is a stack of cards, every tap target is at least 44 × 44 px, chart text is legible.

Skipped locally when Playwright or Chromium is missing; under CI=true that is a failure instead
(tests/web/test_browser.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.seed import Seeded
from tests.web.test_browser import _log_in, chromium_page, site

pytestmark = pytest.mark.browser
__all__ = ["site"]  # the fixture, shared with test_browser.py

PHONE = {"width": 390, "height": 844}
TAP = 44  # px: the smallest comfortable target for a thumb (WCAG 2.5.5, Apple's HIG)
# what a finger taps on each page
TARGETS = (
    "header.top nav a, header.top button, #tickets a, #overdue a, .pager a, #export-csv, #export-xlsx, "
    "form.filters a, p.back a, main button, main select, main textarea, "
    "main input:not([type=checkbox]), main label:has(> input[type=checkbox])"
)


@pytest.fixture
async def phone() -> AsyncIterator[Any]:
    async with chromium_page(viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True) as page:
        yield page


async def _sideways(page: Any) -> int:
    """How many px the page, or any box in it (a table in a scrolling panel), scrolls sideways; 0: it fits."""
    return int(
        await page.evaluate(
            """() => Math.max(document.documentElement.scrollWidth - window.innerWidth,
                 ...Array.from(document.querySelectorAll('main *'))
                   .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
                   .map(e => e.scrollWidth - e.clientWidth))"""
        )
    )


async def _small_targets(page: Any) -> list[str]:
    return list(
        await page.evaluate(
            """([selector, tap]) => Array.from(document.querySelectorAll(selector))
                 .filter(e => e.type !== 'hidden' && e.getClientRects().length)
                 .map(e => [e, e.getBoundingClientRect()])
                 .filter(([e, r]) => r.width < tap || r.height < tap)
                 .map(([e, r]) => `${e.tagName.toLowerCase()} "${(e.textContent || e.name || '').trim().slice(0, 12)}"`
                                  + ` ${Math.round(r.width)}×${Math.round(r.height)}`)""",
            [TARGETS, TAP],
        )
    )


async def test_the_ticket_list_on_a_phone(phone: Any, site: str, seeded: Seeded, tmp_path: Path) -> None:
    page = phone
    await _log_in(page, site, "wxid_zhangyan")
    await page.goto(site + "/tickets")
    assert await _sideways(page) == 0
    # cards: each ticket is one block as wide as the screen allows, its fields one under another
    cards = await page.eval_on_selector_all(
        "#tickets tbody tr",
        "rows => rows.map(r => { const b = r.getBoundingClientRect(); return [b.left, b.right, b.height]; })",
    )
    assert len(cards) == 4  # 张燕's grid: A C D F
    assert all(left >= 0 and right <= PHONE["width"] for left, right, _ in cards)
    assert all(height > 100 for _, _, height in cards)  # stacked fields, not one squeezed line
    labels = await page.eval_on_selector_all(
        "#tickets tbody tr:first-child td", "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert '"状态"' in labels  # each field is named on the card, since the header row is not shown
    assert await page.locator("#tickets thead").is_hidden()
    assert await _small_targets(page) == []
    await page.screenshot(path=str(tmp_path / "phone-tickets.png"), full_page=True)


async def test_overview_and_ticket_pages_on_a_phone(phone: Any, site: str, seeded: Seeded, tmp_path: Path) -> None:
    page = phone
    await _log_in(page, site, "wxid_wanghuan")
    assert await _sideways(page) == 0
    assert await _small_targets(page) == []
    nav = await page.eval_on_selector_all(
        "header.top nav a", "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
    )
    assert len(nav) == 6  # 总览, 工单, 通知, 接龙, 公约, 管理
    assert all(w >= TAP and h >= TAP for w, h in nav)
    # chart text as shown: its font size times the chart's scale on this screen
    sizes = await page.eval_on_selector_all(
        "svg.chart text", "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"
    )
    assert len(sizes) > 20
    assert min(sizes) >= 12, f"chart text as small as {min(sizes):.1f} px"
    await page.screenshot(path=str(tmp_path / "phone-overview.png"), full_page=True)
    # the self-refresh redraws the tables' rows: they stay labelled cards
    await page.evaluate("window.gridbotRefresh()")
    await page.wait_for_selector("body[data-refreshed]", state="attached")  # a selector: no eval, which the CSP refuses
    labels = await page.eval_on_selector_all(
        "#grids tbody tr:last-child td", "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels == ['"网格"', '"在办"', '"超期"', '"办结"', '"按期办结率"', '"评价数"', '"满意率"']
    assert await _sideways(page) == 0
    for letter in ("F", "C"):  # one that can be acted on, one resolved
        await page.goto(f"{site}/tickets/{seeded.ids[letter]}")
        assert await _sideways(page) == 0, letter
        assert await _small_targets(page) == [], letter
    await page.screenshot(path=str(tmp_path / "phone-ticket.png"), full_page=True)
    # the 通知 page: the compose form and the list of groups to choose from fit and can be tapped
    await page.goto(f"{site}/notices")
    assert await _sideways(page) == 0
    assert await _small_targets(page) == []
    await page.screenshot(path=str(tmp_path / "phone-notices.png"), full_page=True)
