"""Asking for more time (/延期) and covering for a colleague on leave (/代班)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta

from handlers.commands.base import need_text, ticket_in_reach
from handlers.deps import Deps
from handlers.domain import standins, tickets
from handlers.domain.outbound import private, to_staff
from handlers.domain.people import name_of
from handlers.domain.tickets import TicketError
from nlp.commands import Command
from storage import records as r
from storage.records import StoredMessage

_AMOUNT = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>个?工作日|天|日|d|个?小时|h)\s*(?P<reason>.*)$", re.S | re.I)
_UNTIL = re.compile(r"^(?P<name>\S+)\s+(?:(?P<md>\d{1,2}[-/.月]\d{1,2}日?)|(?P<days>\d+)\s*天)\s*$")


def _hours(n: float, unit: str) -> float:
    return n * 24 if unit in ("天", "日", "d", "D") or unit.endswith("工作日") else n


def approver_of(deps: Deps, ticket: r.Ticket) -> str:
    """The level above decides; at the top of the ladder, the community secretary."""
    community = tickets.community_of(deps, ticket)
    grid = deps.settings.grids_by_id.get(ticket.grid_id)
    if ticket.level < deps.settings.top_level:
        _, who = tickets.assign(deps, grid, community, ticket.level + 1, ticket.category)
        if who and who != ticket.holder_id:
            return who
    return community.secretary


async def cmd_extend(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = ticket_in_reach(cmd, msg, deps)
    tickets.require_active(deps, ticket, "延期")
    text = need_text(cmd, deps, "延期时长和原因", f"/延期 {ticket.id} 2天 等配件")
    m = _AMOUNT.match(text)
    if m is None or not m.group("reason").strip():
        raise TicketError(
            deps.texts.err_need_text.format(what="延期时长和原因", example=f"/延期 {ticket.id} 2天 等配件")
        )
    hours = _hours(float(m.group("n")), m.group("unit"))
    if not 0 < hours <= 24 * 30:
        raise TicketError(deps.texts.err_extension_range)
    reason = m.group("reason").strip()
    approver = approver_of(deps, ticket)
    deps.uow.followups.set(
        approver,
        approver,
        f"extension:{ticket.id}",
        at=deps.now,
        ticket_id=ticket.id,
        expires_at=deps.now + timedelta(days=3),
        data={"hours": hours, "reason": reason, "by": msg.sender_id},
    )
    tickets.event(deps, ticket, "extension_requested", msg.sender_id, note=f"{text}", hours=hours)
    to_staff(
        deps,
        tickets.community_of(deps, ticket).staff_chat,
        deps.texts.extension_asked.format(
            ticket=ticket.id,
            category=tickets.category_name(deps, ticket),
            who=name_of(deps.settings, msg.sender_id),
            amount=m.group("n") + m.group("unit"),
            reason=reason,
        ),
        [approver],
        ticket_id=ticket.id,
    )
    return deps.texts.extension_sent.format(ticket=ticket.id, approver=name_of(deps.settings, approver))


def _pending_extension(deps: Deps, ticket: r.Ticket, approver: str) -> r.Pending:
    pending = deps.uow.followups.get(approver, approver, f"extension:{ticket.id}", deps.now)
    if pending is None:
        raise TicketError(deps.texts.err_no_extension.format(ticket=ticket.id))
    return pending


async def cmd_approve_extension(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = ticket_in_reach(cmd, msg, deps)
    tickets.require_active(deps, ticket, "延期")
    pending = _pending_extension(deps, ticket, msg.sender_id)
    data = json.loads(pending.data or "{}")
    hours = float(data.get("hours", 0))
    deps.uow.followups.drop(pending.id)
    base = ticket.deadline_at or deps.now
    deadline = base + timedelta(hours=hours)
    lv = deps.settings.level(ticket.level)
    remind = deadline - timedelta(hours=lv.remind_before)
    ticket = tickets.update(deps, ticket, deadline_at=deadline, remind_at=remind if remind > deps.now else None)
    tickets.event(
        deps, ticket, "extended", msg.sender_id, note=data.get("reason", ""), hours=hours, deadline=deadline.isoformat()
    )
    stamp = deadline.astimezone(deps.settings.tz).strftime("%m-%d %H:%M")
    private(
        deps,
        str(data.get("by") or ticket.holder_id),
        deps.texts.extension_approved.format(ticket=ticket.id, deadline=stamp),
        ticket_id=ticket.id,
    )
    return deps.texts.extension_approved.format(ticket=ticket.id, deadline=stamp)


async def cmd_refuse_extension(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = ticket_in_reach(cmd, msg, deps)
    pending = _pending_extension(deps, ticket, msg.sender_id)
    data = json.loads(pending.data or "{}")
    deps.uow.followups.drop(pending.id)
    reason = cmd.text or "未说明"
    tickets.event(deps, ticket, "extension_refused", msg.sender_id, note=reason)
    private(
        deps,
        str(data.get("by") or ticket.holder_id),
        deps.texts.extension_refused.format(ticket=ticket.id, reason=reason),
        ticket_id=ticket.id,
    )
    return deps.texts.extension_refused.format(ticket=ticket.id, reason=reason)


def _parse_until(deps: Deps, md: str | None, days: str | None) -> datetime:
    """The end (exclusive) of `/代班 X 11-30` or `/代班 X 3天`; beyond standins.MAX_DAYS is the format answer."""
    today = deps.now.astimezone(deps.settings.tz).date()
    if days is not None:
        if len(days) > 3 or not 1 <= int(days) <= standins.MAX_DAYS:
            raise TicketError(deps.texts.err_standin_format)
        last = today + timedelta(days=int(days) - 1)
    else:
        assert md is not None
        month, day = (int(x) for x in re.split(r"[-/.月]", md.rstrip("日")))
        try:
            last = date(today.year, month, day)
            if last < today:
                last = date(today.year + 1, month, day)
        except ValueError as exc:
            raise TicketError(deps.texts.err_standin_format) from exc
        if (last - today).days >= standins.MAX_DAYS:
            raise TicketError(deps.texts.err_standin_format)
    return datetime.combine(last + timedelta(days=1), time(0), deps.settings.tz)


async def cmd_standin(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    """`/代班 李网格 11-30`: 李网格 covers for me until the end of 30 Nov; my open tickets move to them."""
    m = _UNTIL.match(cmd.text.strip())
    if m is None:
        raise TicketError(deps.texts.err_standin_format)
    by = next((p.id for p in deps.settings.people_by_id.values() if m.group("name") in (p.name, p.id)), None)
    if by is None:
        raise TicketError(deps.texts.err_standin_format)
    why = standins.refusal(deps, msg.sender_id, by)
    if why:
        raise TicketError(why)
    until = _parse_until(deps, m.group("md"), m.group("days"))
    moved = standins.start(deps, msg.sender_id, by, until)
    return deps.texts.standin_set.format(
        by=name_of(deps.settings, by), count=moved, until=(until - timedelta(days=1)).strftime("%m-%d")
    )
