"""积分: points recomputed from event rows with the weights in config (`points:`); /积分 and /排行."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.settings import Community, Settings
from handlers.deps import Deps
from handlers.domain.people import communities_of, name_of
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage import stats
from storage.records import StoredMessage
from storage.uow import UnitOfWork


def score(settings: Settings, counts: dict[str, int]) -> int:
    weights = settings.points
    return sum(int(getattr(weights, reason)) * n for reason, n in counts.items())


def totals(
    uow: UnitOfWork, settings: Settings, community_id: str, start: datetime | None, end: datetime
) -> dict[str, int]:
    """person id → points earned in [start, end) in one community."""
    return {who: score(settings, counts) for who, counts in stats.point_counts(uow, community_id, start, end).items()}


def until_now(deps: Deps) -> datetime:
    """Periods are half-open [start, end): what happened at this very instant is included."""
    return deps.now + timedelta(seconds=1)


def month_start(deps: Deps) -> datetime:
    local = deps.now.astimezone(deps.settings.tz)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _counts(deps: Deps, person_id: str, start: datetime | None) -> dict[str, int]:
    merged: dict[str, int] = {}
    for community in communities_of(deps.settings, person_id):
        counts = stats.point_counts(deps.uow, community.id, start, until_now(deps)).get(person_id, {})
        for reason, n in counts.items():
            merged[reason] = merged.get(reason, 0) + n
    return merged


async def cmd_points(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    """`/积分` (mine) or `/积分 张燕` (a colleague's)."""
    target = msg.sender_id
    if cmd.text:
        name = cmd.text.strip()
        colleagues = (p for c in communities_of(deps.settings, msg.sender_id) for p in c.people)
        found = next((p.id for p in colleagues if name in (p.name, p.id)), None)
        if found is None:  # another community's people are not named, not even as existing
            raise TicketError(deps.texts.err_no_colleague.format(name=name[:20]))
        target = found
    month = _counts(deps, target, month_start(deps))
    total = score(deps.settings, _counts(deps, target, None))
    name = name_of(deps.settings, target)
    if not month:
        return deps.texts.points_none.format(name=name, total=total)
    weights = deps.settings.points
    lines = [
        deps.texts.points_line.format(
            reason=deps.texts.point_reasons.get(reason, reason), count=n, points=int(getattr(weights, reason)) * n
        )
        for reason, n in sorted(month.items(), key=lambda item: stats.REASON_ORDER.index(item[0]))
    ]
    return deps.texts.points_mine.format(
        name=name, month=score(deps.settings, month), total=total, lines="\n".join(lines)
    )


def ranking_lines(deps: Deps, community: Community, start: datetime, limit: int = 10) -> list[str]:
    board = totals(deps.uow, deps.settings, community.id, start, until_now(deps))
    ordered = sorted(board.items(), key=lambda item: (-item[1], name_of(deps.settings, item[0])))
    return [
        deps.texts.ranking_line.format(rank=i, name=name_of(deps.settings, who), points=points)
        for i, (who, points) in enumerate(ordered[:limit], start=1)
    ]


async def cmd_ranking(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    """`/排行`: this month's points in each community the sender belongs to."""
    blocks = []
    for community in communities_of(deps.settings, msg.sender_id):
        lines = ranking_lines(deps, community, month_start(deps))
        if lines:
            blocks.append("\n".join([deps.texts.ranking_header.format(community=community.name), *lines]))
        else:
            blocks.append(deps.texts.ranking_none.format(community=community.name))
    return "\n\n".join(blocks)
