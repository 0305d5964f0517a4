"""The big screen's figures for one viewer: read in SQL (storage/overview_queries.py), shaped here for HTML and JSON."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.core.settings import Settings
from handlers.domain import rates
from handlers.domain.people import name_of
from handlers.domain.points import score
from handlers.domain.privacy import mask
from storage import overview_queries as q
from storage import stats
from storage.point_cache import PastPoints
from storage.uow import UnitOfWork
from web import charts
from web.reach import Viewer

DAYS = 30


def lateness(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{mins}分"
    return f"{mins}分钟"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def windows(settings: Settings, now: datetime) -> tuple[datetime, datetime, datetime]:
    """Local midnight today, Monday's midnight, and the first of the last 30 days."""
    local = now.astimezone(settings.tz)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = day_start - timedelta(days=local.weekday())
    return day_start, week_start, day_start - timedelta(days=DAYS - 1)


def points_rules(settings: Settings) -> str:
    """How 积分 are earned, in words (按时办结 +5、…): what the ranking counts, as configured."""
    reasons = settings.texts.point_reasons
    weights = settings.points.model_dump()
    return "、".join(f"{reasons.get(k, k)} {v:+d}" for k, v in weights.items() if v)


def points_ranking(
    uow: UnitOfWork, settings: Settings, viewer: Viewer, now: datetime, past: PastPoints | None = None, limit: int = 10
) -> list[Any]:
    """This month's 积分 (handlers/domain/points.py, from the event rows) in the viewer's communities, best first;
    with `past`, the days of the month that have ended are remembered (storage/point_cache.py)."""
    local = now.astimezone(settings.tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    communities, end = [c.id for c in viewer.communities], now + timedelta(seconds=1)
    if past is None:
        counts = stats.point_counts(uow, communities, start, end)
    else:
        counts = past.counts(uow, communities, start, local.replace(hour=0, minute=0, second=0, microsecond=0), end)
    board = {who: score(settings, reasons) for who, reasons in counts.items()}
    ordered = sorted(board.items(), key=lambda item: (-item[1], name_of(settings, item[0])))[:limit]
    return [
        {"rank": i, "name": name_of(settings, who), "points": points}
        for i, (who, points) in enumerate(ordered, start=1)
    ]


def grid_rows(
    settings: Settings, viewer: Viewer, figures: dict[str, q.GridFigures]
) -> tuple[list[dict[str, Any]], list[tuple[str, float | None]]]:
    """The 各网格 table and the on-time chart's bars: every grid in the viewer's reach in the community's
    order (a grid with nothing closed yet too: its open work is what matters), then any other grid of a
    ticket they hold. A grid without closures has no on-time rate (None: no bar), not 0%."""
    order = [g.id for g in viewer.grids]
    order += sorted(gid for gid in figures if gid not in order)
    rows: list[dict[str, Any]] = []
    bars: list[tuple[str, float | None]] = []
    for gid in order:
        g = figures.get(gid, q.GridFigures(gid))
        name = settings.grids_by_id[gid].name if gid in settings.grids_by_id else "—"
        rows.append(
            {
                "grid": name,
                "open": g.open,
                "overdue": g.overdue,
                "resolved": g.resolved,
                "on_time_rate": percent(g.on_time_rate),
                "rated": g.rated,
                "satisfaction": percent(g.satisfaction),
            }
        )
        bars.append((name, None if g.on_time_rate is None else round(100 * g.on_time_rate)))
    return rows, bars


def rate_rows(uow: UnitOfWork, settings: Settings, viewer: Viewer, since: datetime, now: datetime) -> list[Any]:
    """响应率 / 解决率 / 满意率 and 综合 (handlers/domain/rates.py) in the viewer's reach: their communities as a
    whole (for community-wide roles), the grids they see, and those grids' workers; the digests' figures."""
    end, promise = now + timedelta(microseconds=1), timedelta(hours=settings.promise_hours)
    seen = {g.id for g in viewer.grids}
    out: list[Any] = []

    def row(kind: str, name: str, r: stats.Rates) -> dict[str, Any]:
        response, solved, satisfied = rates.three(r)
        total = rates.score(settings, r)
        return {
            "kind": kind,
            "name": name,
            "response": percent(response),
            "solved": percent(solved),
            "satisfied": percent(satisfied),
            "score": "—" if total is None else f"{total:.0f}",
        }

    for community in viewer.communities:
        fig = stats.community_rates(uow, community.id, since, end, promise)
        grids = [g for g in community.grids if g.id in seen]
        if viewer.wide:
            out.append(row("社区", community.name, fig.community))
        out += [row("网格", g.name, fig.grids.get(g.id, stats.Rates())) for g in grids]
        for w in dict.fromkeys(w for g in grids for w in g.workers):
            out.append(row("网格员", name_of(settings, w), fig.workers.get(w, stats.Rates())))
    return out


def build(
    uow: UnitOfWork, settings: Settings, viewer: Viewer, now: datetime, past: PastPoints | None = None
) -> dict[str, Any]:
    scope = viewer.scope
    day_start, week_start, month_start = windows(settings, now)
    head = q.headline(uow, scope, now, day_start, week_start)
    level_rows = [(f"L{lv.level} {lv.name}", head.levels.get(lv.level, (0, 0))[0]) for lv in settings.ladder]
    overdue = [
        {
            "id": t.id,
            "category": settings.category_name(t.category),
            "grid": settings.grids_by_id[t.grid_id].name if t.grid_id in settings.grids_by_id else "",
            "holder": name_of(settings, t.holder_id),
            "level": t.level,
            "late": lateness(now - (t.deadline_at or t.overdue_at or now)),
            "text": mask(t.text)[:40],
        }
        for t in q.overdue_tickets(uow, scope, now)
    ]
    categories = [(settings.category_name(c), n, o) for c, n, o in q.per_category(uow, scope, month_start)]
    grids, on_time_bars = grid_rows(settings, viewer, q.per_grid(uow, scope, month_start, now))
    ranking = points_ranking(uow, settings, viewer, now, past)
    offset = month_start.utcoffset() or timedelta(0)
    new_by_day, done_by_day = q.daily_new_closed(uow, scope, month_start, offset)
    days = [(month_start + timedelta(days=i)).date() for i in range(DAYS)]
    new_series = [new_by_day.get(d, 0) for d in days]
    done_series = [done_by_day.get(d, 0) for d in days]
    return {
        "generated_at": now.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M:%S"),
        "numbers": {
            "new_today": head.new_today,
            "new_week": head.new_week,
            "closed_today": head.closed_today,
            "closed_week": head.closed_week,
            "open": head.open,
            "overdue": head.overdue,
        },
        "levels": [{"name": name, "count": n} for name, n in level_rows],
        "overdue": overdue,
        "categories": [{"name": c, "count": n, "open": o} for c, n, o in categories],
        "grids": grids,
        "rates": rate_rows(uow, settings, viewer, month_start, now),
        "ranking": ranking,
        "points_rules": points_rules(settings),
        "promise_hours": f"{settings.promise_hours:g}",
        "score_weights": "/".join(f"{w:g}" for w in settings.digests.score_weights.model_dump().values()),
        "daily": {
            "days": [d.isoformat() for d in days],
            "new": new_series,
            "closed": done_series,
        },
        "charts": {
            "levels": charts.bar_chart(level_rows, chart_id="chart-levels", color=charts.PALETTE[3]),
            "categories": charts.bar_chart([(c, n) for c, n, _ in categories], chart_id="chart-categories"),
            "ontime": charts.bar_chart(
                on_time_bars,
                chart_id="chart-ontime",
                unit="%",
                color=charts.PALETTE[1],
            ),
            "ranking": charts.bar_chart(
                [(f"{p['rank']}. {p['name']}", p["points"]) for p in ranking],
                chart_id="chart-ranking",
                color=charts.PALETTE[4],
            ),
            "daily": charts.line_chart(
                [d.strftime("%m-%d") for d in days],
                [("新增", new_series), ("办结", done_series)],
                chart_id="chart-daily",
            ),
        },
    }
