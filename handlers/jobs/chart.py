"""The weekly / monthly chart: new tickets per category and the on-time rate per grid, as a PNG.

matplotlib is imported here only, and only when a chart is drawn (the bot starts without it).
Chinese labels need a CJK font file: matplotlib has none of its own and shows empty boxes
without one, so a known font (fonts-wqy-microhei, Noto CJK, Source Han) is looked up through
matplotlib's font manager. Without any, the chart falls back to the categories' and grids' ids.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from bot.core.settings import Community, Settings
from storage.stats import DigestFigures

log = logging.getLogger(__name__)
CJK_NAMES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
CJK_FILES = ("wqy-microhei.ttc", "wqy-zenhei.ttc", "NotoSansCJK-Regular.ttc", "NotoSansSC-Regular.otf")
SIZE_INCHES, DPI = (7.0, 6.0), 100


@cache
def cjk_font() -> str | None:
    """The path of an installed CJK font, or None."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if entry.name in CJK_NAMES or Path(entry.fname).name in CJK_FILES:
            return str(entry.fname)
    for fname in font_manager.findSystemFonts():
        if Path(fname).name in CJK_FILES:
            return str(fname)
    log.warning("no CJK font found (install fonts-wqy-microhei): chart labels fall back to ids")
    return None


def draw(settings: Settings, community: Community, fig: DigestFigures, path: Path, *, title: str) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font_file = cjk_font()
    font: dict[str, Any] = {"fontproperties": FontProperties(fname=font_file)} if font_file else {}
    texts = settings.texts

    def label(key: str, name: str) -> str:
        return name if font_file else key

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1)
    cats = sorted(fig.new_by_category.items(), key=lambda kv: -kv[1])
    top.barh([label(c, settings.category_name(c)) for c, _ in cats][::-1], [n for _, n in cats][::-1], color="#4e79a7")
    top.xaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_title(texts.chart_categories if font_file else "new tickets per category", **font)
    grids = community.grids
    rates = []
    for grid in grids:
        g = fig.grids.get(grid.id)
        rates.append(100.0 * g.on_time / g.closed if g is not None and g.closed else 0.0)
    bottom.bar([label(g.id, g.name) for g in grids], rates, color="#59a14f")
    bottom.set_ylim(0, 100)
    bottom.set_ylabel("%")
    bottom.set_title(texts.chart_on_time if font_file else "on-time close rate per grid (%)", **font)
    for axis in (top, bottom):
        for tick in [*axis.get_xticklabels(), *axis.get_yticklabels()]:
            if font_file:
                tick.set_fontproperties(FontProperties(fname=font_file))
    figure.suptitle(title if font_file else community.id, **font)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
