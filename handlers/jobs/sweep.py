"""The deadline sweep: derive what is due from ticket rows and act on it once.

Runs every minute (apscheduler in `gridbot run`, simulated minutes in replay).
Each due ticket is handled in its own turn under a row lock (SKIP LOCKED on
PostgreSQL), and every action clears the timer that caused it, so running the
sweep twice at one instant, or from two processes, does each thing once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from handlers.deps import Deps, Services
from handlers.domain import pauses, standins, tickets, transfers
from handlers.domain.outbound import announce, to_staff
from handlers.domain.people import name_of
from handlers.jobs import board, likely_batch
from storage import records as r
from storage.media import MediaStore, stored_name
from storage.retry import transient
from storage.states import TicketState

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(hours=1)
SCHEDULE_WARNING_EVERY = timedelta(days=7)


def _late(deps: Deps, due: datetime) -> str:
    """How late an action is, if the bot was down when it was due ("" when on time)."""
    late = deps.now - due
    if late <= timedelta(seconds=deps.settings.sweep_interval_seconds * 2):
        return ""
    hours, rest = divmod(int(late.total_seconds()) // 60, 60)
    return f"{hours}小时{rest}分钟" if hours else f"{rest}分钟"


def handle_due(deps: Deps, ticket: r.Ticket) -> None:
    now, texts = deps.now, deps.texts
    ticket = pauses.resume_when_due(deps, ticket)
    if ticket.paused_at is not None:
        return  # the clock stands still: nothing else is due until it resumes
    community = tickets.community_of(deps, ticket)
    category = tickets.category_name(deps, ticket)
    escalating = ticket.deadline_at is not None and ticket.deadline_at <= now and ticket.level < deps.settings.top_level
    if ticket.promise_at is not None and ticket.promise_at <= now and escalating:
        ticket = tickets.update(deps, ticket, promise_at=None)  # the escalation's status line keeps the promise
    if ticket.promise_at is not None and ticket.promise_at <= now:
        # the 12-hour promise: the group hears where its report stands
        for chat_id, mentions in tickets.reporter_chats(deps, ticket).items():
            announce(
                deps,
                chat_id,
                texts.status_line.format(ticket=ticket.id, category=category, holder=tickets.holder_name(deps, ticket)),
                mentions,
                ticket_id=ticket.id,
                dedupe_key=f"promise:{ticket.id}:{chat_id}",
            )
        tickets.event(deps, ticket, "status", note="12小时进度告知")
        ticket = tickets.update(deps, ticket, promise_at=None)
    if ticket.ack_due_at is not None and ticket.ack_due_at <= now:
        if ticket.state == TicketState.OPEN:
            to_staff(
                deps,
                community.staff_chat,
                texts.remind_accept.format(ticket=ticket.id, category=category, chat=ticket.chat_topic or "私聊"),
                [ticket.holder_id],
                ticket_id=ticket.id,
            )
            tickets.event(deps, ticket, "reminded", note="接单提醒")
        ticket = tickets.update(deps, ticket, ack_due_at=None)
    if ticket.remind_at is not None and ticket.remind_at <= now:
        if ticket.deadline_at is not None and ticket.deadline_at > now:
            deadline = ticket.deadline_at.astimezone(deps.settings.tz).strftime("%m-%d %H:%M")
            to_staff(
                deps,
                community.staff_chat,
                texts.remind_deadline.format(ticket=ticket.id, category=category, deadline=deadline),
                [ticket.holder_id],
                ticket_id=ticket.id,
            )
            tickets.event(deps, ticket, "reminded", note=f"到期提醒 {deadline}")
        ticket = tickets.update(deps, ticket, remind_at=None)
    if ticket.deadline_at is not None and ticket.deadline_at <= now:
        _deadline_passed(deps, ticket)


def _deadline_passed(deps: Deps, ticket: r.Ticket) -> None:
    assert ticket.deadline_at is not None
    settings, texts = deps.settings, deps.texts
    late = _late(deps, ticket.deadline_at)
    hours = (ticket.deadline_at - ticket.level_since).total_seconds() / 3600
    reason = texts.escalation_reason.format(hours=f"{hours:.0f}")
    if late:
        reason += texts.escalated_staff_late.format(late=late)
    if ticket.level < settings.top_level:
        transfers.escalate(deps, ticket, "", reason, automatic=True)
        return
    # the top of the ladder: nobody left to pass it to; name it to the street center and supervisors
    community = tickets.community_of(deps, ticket)
    supervisors = [p.id for p in community.people if p.role == "supervisor"]
    to_staff(
        deps,
        community.staff_chat,
        texts.overdue_top.format(
            ticket=ticket.id,
            category=tickets.category_name(deps, ticket),
            level_name=tickets.level_name(deps, ticket.level),
            holder=name_of(settings, ticket.holder_id),
        ),
        [ticket.holder_id, *supervisors],
        ticket_id=ticket.id,
    )
    tickets.event(deps, ticket, "overdue", note=reason)
    tickets.update(deps, ticket, overdue_at=ticket.deadline_at, deadline_at=None, remind_at=None)


def _close_unrated(deps: Deps) -> None:
    """A rating window that ran out counts as "no rating", not as satisfied."""
    deps.uow.followups.drop_expired("reopen_watch", deps.now)
    for pending in deps.uow.followups.expired("rating", deps.now):
        deps.uow.followups.drop(pending.id)
        if pending.ticket_id is None:
            continue
        ticket = deps.uow.tickets.get(pending.ticket_id, lock=True)
        if (
            ticket is not None
            and ticket.state == TicketState.RESOLVED
            and not deps.uow.followups.for_ticket(ticket.id, "rating", deps.now)
        ):
            tickets.update(deps, ticket, state=TicketState.CLOSED, closed_at=deps.now)
            tickets.event(deps, ticket, "closed", note="评价期已过，未评价")


def _warn_schedule(deps: Deps) -> None:
    """From 30 days before the known holiday schedule runs out, the staff chat is told once a week.

    The last warning's time is stored, so a restart does not repeat it; the per-day notice key
    keeps two processes sweeping the same day from both sending it.
    """
    today = deps.now.astimezone(deps.settings.tz).date()
    if not deps.calendar.needs_schedule_warning(today):
        return
    last = deps.uow.state.meta("schedule_warned_at")
    if last is not None and timedelta(0) <= deps.now - datetime.fromisoformat(last) < SCHEDULE_WARNING_EVERY:
        return
    if not deps.uow.state.claim_notice(f"schedule-warning:{today.isoformat()}", deps.now):
        return
    deps.uow.state.set_meta("schedule_warned_at", deps.now.isoformat())
    until = deps.calendar.known_until().isoformat()
    log.warning("the holiday schedule is known only until %s: add next year's dates under holidays:", until)
    for community in deps.settings.all_communities:
        if community.staff_chat:
            to_staff(deps, community.staff_chat, deps.texts.schedule_warning.format(until=until))


async def run_sweep(services: Services, *, limit: int = 500) -> int:
    """One tick. Returns how many tickets had something due."""
    now = services.clock.now()
    with services.store.begin() as uow:
        due = uow.tickets.due_ids(now, limit=limit)
    handled = 0
    for ticket_id in due:
        try:
            with services.turn() as deps:
                ticket = deps.uow.tickets.lock_due(ticket_id, deps.now)
                if ticket is None:
                    continue  # another process has it, or it is no longer due
                handle_due(deps, ticket)
                handled += 1
        except Exception as exc:
            if transient(exc):
                raise  # the database went away: the caller waits for it (storage/retry.py)
            log.exception("sweep: ticket #%s could not be handled; it stays due for the next tick", ticket_id)
    with services.turn() as deps:
        _close_unrated(deps)
        likely_batch.run(deps)
        board.run(deps)
        standins.end_expired(deps)
        _warn_schedule(deps)
        last = deps.uow.state.meta("purged_at")
        if last is None or datetime.fromisoformat(last) + PURGE_EVERY <= deps.now:
            pictures = [stored_name(ref) for ref in deps.uow.messages.purgeable_refs(deps.now)]
            purged = deps.uow.messages.purge(deps.now)
            deps.uow.likely.forget_text(deps.now - timedelta(days=deps.settings.limits.retention_days))
            deps.uow.board.forget_values(deps.now)
            MediaStore(deps.settings.data_dir).remove([name for name in pictures if name])
            deps.uow.state.set_meta("purged_at", deps.now.isoformat())
            if purged:
                log.info("retention: purged %d messages that opened no ticket", purged)
    return handled
