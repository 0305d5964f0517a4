"""What one WeChat account may do before the platform restricts it (#18): messages sent per local day and
groups it is in (`account_limits` in config). Near a limit (`warn_at`) and at it the staff chat is told, once a
day per threshold; at the messages limit the dispatcher holds residents' group posts that are not urgent until
the next local day (bot/runtime/dispatcher.py), so nothing is dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.core.settings import Settings
from handlers.deps import Deps
from handlers.domain.outbound import to_staff
from storage.records import OutboxItem
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Usage:
    sent_today: int
    groups: int


def day_start(now: datetime, settings: Settings) -> datetime:
    """Local midnight of `now`'s day in the settings' time zone."""
    local = now.astimezone(settings.tz)
    return datetime.combine(local.date(), time(0), tzinfo=settings.tz)


def next_day(now: datetime, settings: Settings) -> datetime:
    """The next local midnight (a held post's new time)."""
    local = day_start(now, settings).date() + timedelta(days=1)
    return datetime.combine(local, time(0), tzinfo=settings.tz)


def sent_today(uow: UnitOfWork, now: datetime, settings: Settings) -> int:
    """What this process's account sent today (a standby account on the same database counts its own)."""
    return uow.outbox.sent_since(day_start(now, settings), settings.account.id)


def groups_in(uow: UnitOfWork, settings: Settings) -> int:
    """Groups the account is in: those recorded active, and config's groups and staff chats it never left."""
    recorded = {g.chat_id: g.active for g in uow.chats.all()}
    configured = set(settings.grid_of_group) | {c.staff_chat for c in settings.all_communities if c.staff_chat}
    return sum(recorded.values()) + len(configured - recorded.keys())


def usage(uow: UnitOfWork, now: datetime, settings: Settings) -> Usage:
    return Usage(sent_today(uow, now, settings), groups_in(uow, settings))


def is_held_at_limit(uow: UnitOfWork, settings: Settings, item: OutboxItem) -> bool:
    """A post that waits for the next day once the day's messages are used up: one in a residents' group
    that is not urgent. Staff chats and private messages (staff notices, answers to one person) still go."""
    staff = {c.staff_chat for c in settings.all_communities if c.staff_chat}
    if item.chat_id in staff:
        return False
    if item.chat_id not in settings.grid_of_group and uow.chats.get(item.chat_id) is None:
        return False  # a private chat
    if item.ticket_id is not None:
        ticket = uow.tickets.get(item.ticket_id)
        if ticket is not None and ticket.urgency == "urgent":
            return False
    key = item.dedupe_key or ""
    if key.startswith("board:"):
        board_id = key.split(":")[1]
        board_item = uow.board.by_id(int(board_id)) if board_id.isdigit() else None
        if board_item is not None and board_item.urgent:
            return False
    return True


def warn(deps: Deps) -> Usage:
    """Tell each staff chat when a limit is near or reached: once per local day per limit and threshold."""
    limits = deps.settings.account_limits
    now = usage(deps.uow, deps.now, deps.settings)
    day = deps.now.astimezone(deps.settings.tz).strftime("%Y%m%d")
    texts = deps.texts
    checks = (
        ("messages", now.sent_today, limits.messages_per_day, texts.limit_messages_near, texts.limit_messages_reached),
        ("groups", now.groups, limits.groups, texts.limit_groups_near, texts.limit_groups_reached),
    )
    account = deps.settings.account.id
    for kind, count, limit, near, reached in checks:
        if count >= limit:
            level, text = "reached", reached
        elif count >= limits.warn_level(limit):
            level, text = "near", near
        else:
            continue
        for community in deps.settings.all_communities:
            if community.staff_chat and deps.uow.state.claim_notice(
                f"limit:{kind}:{level}:{day}:{community.id}:{account}", deps.now
            ):
                to_staff(deps, community.staff_chat, text.format(count=count, limit=limit))
    return now
