"""Supervisors' digests (日报 / 周报 / 月报): one community's numbers, compact enough for a phone.

A digest made at moment `end` covers [end − period, end): the preceding 24 hours, 7 days, or
month (the same local time one month earlier); open and overdue work are counted as they stand at
`end`. The numbers come from storage/stats.py (aggregated in SQL); this module only words them.
Residents' words appear only as a short excerpt of an overdue ticket, masked, and never for a
sensitive category. Weekly and monthly digests come with a chart (handlers/jobs/chart.py).
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from bot.core.messages import OutgoingMessage
from bot.core.settings import Community, Settings
from handlers.deps import Deps
from handlers.domain import points, rates
from handlers.domain.people import communities_of, name_of, name_with_title
from handlers.domain.privacy import mask
from handlers.jobs import digest_board
from nlp.commands import Command
from storage import stats
from storage.records import StoredMessage
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
EXCERPT = 20


@dataclass(frozen=True)
class Digest:
    community: Community
    period: Period
    start: datetime
    end: datetime
    text: str
    chart: Path | None = None


def period_start(period: Period, end: datetime) -> datetime:
    if period == "day":
        return end - timedelta(days=1)
    if period == "week":
        return end - timedelta(days=7)
    year, month = (end.year, end.month - 1) if end.month > 1 else (end.year - 1, 12)
    day = min(end.day, calendar.monthrange(year, month)[1])
    return end.replace(year=year, month=month, day=day)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = round(seconds) / 60  # julianday() arithmetic in SQLite is off by microseconds
    if minutes < 60:
        return f"{minutes:.0f}分钟"
    hours = minutes / 60
    return f"{hours:.1f}小时" if hours < 48 else f"{hours / 24:.1f}天"


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


def _rate(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%（{part}/{whole}）" if whole else "-"


def _level_or_department(settings: Settings, level: int, holder: str) -> str:
    person = settings.people_by_id.get(holder)
    if person is not None and person.role in ("department", "property"):
        return person.name
    try:
        return settings.level(level).name
    except KeyError:
        return f"第{level}级"


def compose(uow: UnitOfWork, settings: Settings, community: Community, period: Period, end: datetime) -> Digest:
    """The digest of one community at `end` (text only; see `build` for the chart)."""
    return _compose(uow, settings, community, period, end)[0]


def _compose(
    uow: UnitOfWork, settings: Settings, community: Community, period: Period, end: datetime
) -> tuple[Digest, stats.DigestFigures]:
    texts, tz = settings.texts, settings.tz
    start = period_start(period, end.astimezone(tz))
    fig = stats.digest_figures(uow, community.id, start, end, overdue_limit=settings.digests.overdue_listed)
    earned = points.totals(uow, settings, community.id, start, end)
    total = fig.total
    nothing = texts.digest_nothing
    lines = [
        texts.digest_title.format(
            community=community.name,
            period=texts.digest_periods[period],
            start=f"{start.astimezone(tz):%m-%d %H:%M}",
            end=f"{end.astimezone(tz):%m-%d %H:%M}",
        ),
        texts.digest_counts.format(new=fig.new, closed=total.closed, open=total.open, overdue=total.overdue),
        texts.digest_rates.format(
            on_time=_rate(total.on_time, total.closed),
            satisfied=_rate(total.satisfied, total.rated),
            response=duration(total.median_response_s),
            resolution=duration(total.median_resolution_s),
        ),
    ]
    if period != "day":  # the weekly and monthly digests speak the 12345 hotline's language (#21)
        lines.append(
            texts.digest_outcomes.format(
                partial=total.partial, unsolved=total.unsolved, paused=total.paused, referred=total.referred
            )
        )
    by_category = sorted(fig.new_by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    items = "、".join(f"{settings.category_name(c)} {n}" for c, n in by_category)
    lines.append(texts.digest_categories.format(items=items or nothing))
    waiting = uow.likely.waiting_in(community.id)
    if waiting:
        lines.append(texts.digest_likely.format(count=waiting))
    lines += digest_board.lines(uow, settings, community, start, end)
    lines.append(texts.digest_grids)
    for grid in community.grids:
        g = fig.grids.get(grid.id, stats.GridFigures(grid.id))
        lines.append(
            texts.digest_grid_line.format(
                grid=grid.name,
                workers="、".join(name_of(settings, w) for w in grid.workers),
                open=g.open,
                overdue=g.overdue,
                on_time=ratio(g.on_time, g.closed),
                satisfied=ratio(g.satisfied, g.rated),
                response=duration(g.median_response_s),
                resolution=duration(g.median_resolution_s),
                points=sum(earned.get(w, 0) for w in grid.workers),
            )
        )
    if period != "day":
        lines += _rate_lines(uow, settings, community, start, end)
    if total.overdue:
        lines.append(texts.digest_overdue)
        for t in fig.overdue_list:
            cat = settings.categories.get(t.category)
            excerpt = "" if cat is not None and cat.sensitive else f"：{mask(t.text)[:EXCERPT]}"
            holder, title = name_of(settings, t.holder_id), _level_or_department(settings, t.level, t.holder_id)
            lines.append(
                texts.digest_overdue_line.format(
                    ticket=t.ticket_id,
                    category=settings.category_name(t.category),
                    holder=holder,
                    level=title,
                    who=name_with_title(holder, title),
                    late=duration((end - t.late_since).total_seconds()),
                    chat=t.chat_topic or "私聊",
                    text=excerpt,
                )
            )
        if total.overdue > len(fig.overdue_list):
            lines.append(texts.digest_overdue_more.format(count=total.overdue - len(fig.overdue_list)))
        ranked: dict[str, int] = {}
        for (level, holder), n in fig.overdue_by_holder.items():
            key = _level_or_department(settings, level, holder)
            ranked[key] = ranked.get(key, 0) + n
        items = "、".join(f"{k} {n}" for k, n in sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(texts.digest_overdue_ranking.format(items=items))
    board = sorted(earned.items(), key=lambda kv: (-kv[1], name_of(settings, kv[0])))[:5]
    items = "、".join(f"{name_of(settings, who)} {n}" for who, n in board)
    lines.append(texts.digest_points.format(items=items or nothing))
    return Digest(community, period, start, end, mask("\n".join(lines))), fig


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "-"


def _rate_lines(uow: UnitOfWork, settings: Settings, community: Community, start: datetime, end: datetime) -> list[str]:
    """响应率 / 解决率 / 满意率 · 综合 of the community, each grid and each grid worker (handlers/domain/rates.py)."""
    texts = settings.texts
    fig = stats.community_rates(uow, community.id, start, end, timedelta(hours=settings.promise_hours))

    def line(name: str, r: stats.Rates) -> str:
        total = rates.score(settings, r)
        return texts.digest_rates3_line.format(
            name=name,
            response=_percent(r.responded, r.due),
            solved=_percent(r.solved, r.closed),
            satisfied=_percent(r.satisfied, r.rated),
            score="-" if total is None else f"{total:.0f}",
        )

    out = [texts.digest_rates3_title, line(community.name, fig.community)]
    out += [line(grid.name, fig.grids.get(grid.id, stats.Rates())) for grid in community.grids]
    workers = dict.fromkeys(w for grid in community.grids for w in grid.workers)
    out += [line(name_of(settings, w), fig.workers.get(w, stats.Rates())) for w in workers]
    return out


def build(uow: UnitOfWork, settings: Settings, community: Community, period: Period, end: datetime) -> Digest:
    """The digest with its chart for weekly and monthly briefings (when `digests.chart` is on)."""
    digest, fig = _compose(uow, settings, community, period, end)
    if period == "day" or not settings.digests.chart:
        return digest
    from handlers.jobs.chart import draw

    path = (
        settings.data_dir / "charts" / f"digest-{community.id}-{period}-{end.astimezone(settings.tz):%Y%m%d-%H%M}.png"
    )
    try:
        draw(settings, community, fig, path, title=digest.text.split("\n", 1)[0])
    except Exception:  # a chart that cannot be drawn must not cost the supervisors their digest
        log.exception("digest chart for %s could not be drawn; sending the text alone", community.id)
        return digest
    return Digest(community, period, digest.start, end, digest.text, path)


def send(deps: Deps, digest: Digest, chat_id: str, *, dedupe: str | None = None) -> None:
    """The digest text, then its chart as an image, to one chat (each once per dedupe key)."""
    deps.uow.outbox.enqueue(OutgoingMessage(chat_id=chat_id, text=digest.text), at=deps.now, dedupe_key=dedupe)
    if digest.chart is not None:
        caption = deps.texts.digest_chart_caption.format(
            community=digest.community.name, period=deps.texts.digest_periods[digest.period]
        )
        deps.uow.outbox.enqueue(
            OutgoingMessage(chat_id=chat_id, text=caption, image_path=str(digest.chart)),
            at=deps.now,
            dedupe_key=f"{dedupe}:chart" if dedupe else None,
        )


def recipients(settings: Settings, community: Community) -> list[str]:
    out = []
    if settings.digests.to_staff_chat and community.staff_chat:
        out.append(community.staff_chat)
    if settings.digests.to_supervisors or not out:
        out += [p.id for p in community.people if p.role == "supervisor"]
    return out


def scheduled(deps: Deps, period: Period) -> int:
    """The cron job's work: every community's digest to its staff chat and/or supervisors, once."""
    sent = 0
    for community in deps.settings.all_communities:
        digest = build(deps.uow, deps.settings, community, period, deps.now)
        stamp = f"{deps.now.astimezone(deps.settings.tz):%Y%m%d%H%M}"
        for chat_id in recipients(deps.settings, community):
            send(deps, digest, chat_id, dedupe=f"digest:{period}:{community.id}:{stamp}:{chat_id}")
            sent += 1
    return sent


async def cmd_digest(msg: StoredMessage, cmd: Command, deps: Deps) -> None:
    """/日报 /周报 /月报 for secretaries, street centers and supervisors: their communities' digests now.

    Asked in a residents' group, the digest goes to the person privately: it is staff business.
    """
    period: Period = {"digest_week": "week", "digest_month": "month"}.get(cmd.action, "day")  # type: ignore[assignment]
    staff_chats = {c.staff_chat for c in deps.settings.all_communities if c.staff_chat}
    where = msg.chat_id if msg.is_private or msg.chat_id in staff_chats else msg.sender_id
    for community in communities_of(deps.settings, msg.sender_id):
        send(deps, build(deps.uow, deps.settings, community, period, deps.now), where)
