"""What a resident writes in a group: a ticket, a duplicate of one, an answer to a question, or nothing."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import timedelta

from bot.messages import MessageKind
from bot.settings import Community, Grid
from handlers import tickets
from handlers.deps import Deps
from handlers.groups import note_unknown_group
from handlers.outbound import private, reply, to_staff
from handlers.people import name_of
from handlers.rating import handle_rating
from nlp.similarity import similarity
from storage import records as r
from storage.records import StoredMessage

_NOT_SAME = re.compile(r"不是同一(件|个)?事|不是一回事|不是一件事|说的不是这个")
_CHOICE = re.compile(r"^\s*([0-9])\s*$")
EVIDENCE_WINDOW = timedelta(minutes=30)


def grid_of_chat(deps: Deps, chat_id: str) -> Grid | None:
    grid = deps.settings.grid_of_group.get(chat_id)
    if grid is not None:
        return grid
    bound = deps.repo.group(chat_id)
    if bound is not None and bound.grid_id:
        return deps.settings.grids_by_id.get(bound.grid_id)
    return None


def community_for(deps: Deps, grid: Grid | None) -> Community | None:
    if grid is not None:
        return deps.settings.community_of_grid[grid.id]
    comms = deps.settings.all_communities
    return comms[0] if len(comms) == 1 else None


async def on_resident_message(msg: StoredMessage, deps: Deps) -> int | None:
    """Returns the ticket the message belongs to, if any (the router links it)."""
    if msg.kind == MessageKind.VOICE:
        _voice(msg, deps)
        return None
    if msg.kind in (MessageKind.IMAGE, MessageKind.LOCATION):
        return _evidence(msg, deps)
    if msg.kind == MessageKind.RECALLED:
        _recall(msg, deps)
        return None
    if msg.kind != MessageKind.TEXT or not msg.text.strip():
        return None  # stickers, files, empty lines: nothing to do, nothing to say
    if handle_rating(msg, deps):
        return None
    if _NOT_SAME.search(msg.text):
        return _split(msg, deps)
    choice = _CHOICE.match(unicodedata.normalize("NFKC", msg.text))
    if choice and (ticket_id := _clarified(msg, deps, int(choice.group(1)))) is not None:
        return ticket_id
    verdict = deps.classifier.classify(msg.text)
    if verdict.clarify and verdict.urgency != "urgent" and _ask_to_clarify(msg, deps, list(verdict.candidates)):
        return None  # unsure: the resident's answer (a number) opens the ticket
    if not verdict.is_ticket:
        return None
    return report(msg, deps, verdict.category, verdict.urgency)


def report(msg: StoredMessage, deps: Deps, category: str, urgency: str) -> int | None:
    grid = grid_of_chat(deps, msg.chat_id)
    if grid is None and msg.chat_id != msg.sender_id:
        note_unknown_group(deps, msg.chat_id, msg.chat_topic)
    community = community_for(deps, grid)
    if community is None:
        return None  # a group of an unknown community in a street deployment: nobody to give it to
    if msg.chat_id != msg.sender_id and urgency != "urgent":
        joined = _join_duplicate(msg, deps, category)
        if joined is not None:
            return joined
    ticket = tickets.open_ticket(
        deps,
        msg=msg,
        chat_id=msg.chat_id,
        chat_topic=msg.chat_topic,
        reporter_id=msg.sender_id,
        reporter_name=msg.sender_name,
        text=msg.text,
        category=category,
        urgency=urgency,
        grid=grid,
        community=community,
    )
    acknowledge(deps, ticket, community)
    return ticket.id


def acknowledge(deps: Deps, ticket: r.Ticket, community: Community) -> None:
    settings, texts = deps.settings, deps.texts
    cat = settings.categories.get(ticket.category)
    holder = tickets.holder_name(deps, ticket)
    fields = {
        "ticket": ticket.id,
        "category": tickets.category_name(deps, ticket),
        "holder": holder,
        "promise_hours": f"{settings.promise_hours:g}",
    }
    if ticket.urgency == "urgent":
        grid = settings.grids_by_id.get(ticket.grid_id)
        alerted = [ticket.holder_id, *(grid.workers if grid else []), grid.area_cadre if grid else ""]
        if deps.calendar.is_off_duty(deps.now):
            alerted += on_duty(deps)  # nights, weekends and holidays: the duty roster too
        alerted = [tickets.covering(deps, a) for a in dict.fromkeys(alerted) if a]
        alerted = list(dict.fromkeys(alerted))
        names = "、".join(name_of(settings, a) for a in alerted)
        reply(
            deps,
            ticket.chat_id,
            texts.ack_urgent.format(**fields, holders=names, advice=settings.emergency_advice),
            [ticket.reporter_id, *alerted],
            ticket_id=ticket.id,
        )
        to_staff(
            deps,
            community.staff_chat,
            texts.new_ticket_private.format(
                ticket=ticket.id,
                category=fields["category"],
                chat=ticket.chat_topic,
                reporter=ticket.reporter_name,
                text=ticket.text,
            ),
            alerted,
            ticket_id=ticket.id,
        )
        return
    if cat is not None and cat.sensitive:
        private(deps, ticket.reporter_id, texts.ack_private_sensitive.format(**fields), ticket_id=ticket.id)
        private(
            deps,
            ticket.holder_id,
            texts.new_ticket_private.format(
                ticket=ticket.id,
                category=fields["category"],
                chat=ticket.chat_topic,
                reporter=ticket.reporter_name,
                text=ticket.text,
            ),
            ticket_id=ticket.id,
            unmasked=True,
        )
        return
    answer = _faq_answer(deps, ticket.text) if ticket.category == "permits" else None
    if answer:
        reply(
            deps,
            ticket.chat_id,
            texts.faq_answer.format(**fields, answer=answer),
            [ticket.reporter_id, ticket.holder_id],
            ticket_id=ticket.id,
        )
        tickets.event(deps, ticket, "faq", note=answer)
        return
    if ticket.chat_id == ticket.reporter_id:
        reply(deps, ticket.chat_id, texts.ack.format(**fields), ticket_id=ticket.id)
        private(
            deps,
            ticket.holder_id,
            texts.new_ticket_private.format(
                ticket=ticket.id,
                category=fields["category"],
                chat="私聊",
                reporter=ticket.reporter_name,
                text=ticket.text,
            ),
            ticket_id=ticket.id,
            unmasked=True,
        )
        return
    mentions = [ticket.reporter_id, ticket.holder_id]
    grid = settings.grids_by_id.get(ticket.grid_id)
    if grid is not None and ticket.holder_id not in grid.workers:
        # routed past the grid worker (safety to the area cadre, repairs to the property company):
        # the worker is @-mentioned too and stays answerable for the 12-hour promise
        mentions.append(tickets.covering(deps, grid.workers[0]))
    reply(deps, ticket.chat_id, texts.ack.format(**fields), mentions, ticket_id=ticket.id)


def on_duty(deps: Deps) -> list[str]:
    """The duty roster (值班表): named dates first, then weekdays, then the default."""
    local = deps.now.astimezone(deps.settings.tz)
    day, weekday = local.date(), local.isoweekday()
    roster = deps.settings.duty_roster
    for match in (
        [e.person for e in roster if day in e.dates],
        [e.person for e in roster if weekday in e.weekdays],
        [e.person for e in roster if e.default],
    ):
        if match:
            return match
    return []


def _faq_answer(deps: Deps, text: str) -> str | None:
    for entry in deps.settings.faq:
        if any(k in text for k in entry.keywords):
            return entry.answer
    return None


def _join_duplicate(msg: StoredMessage, deps: Deps, category: str) -> int | None:
    """Same group, same category and similar words within the window: one ticket, two reporters."""
    window = timedelta(hours=deps.settings.dedupe.window_hours)
    candidates = deps.repo.tickets(
        states=r.ACTIVE_STATES, chat_id=msg.chat_id, category=category, since=deps.now - window
    )
    best: tuple[float, r.Ticket] | None = None
    for ticket in candidates:
        score = similarity(ticket.text, msg.text)
        if score >= deps.settings.dedupe.similarity and (best is None or score > best[0]):
            best = (score, ticket)
    if best is None:
        return None
    ticket = best[1]
    if any(rep.reporter_id == msg.sender_id for rep in deps.repo.reporters(ticket.id)):
        return ticket.id  # the same person saying it again: quietly part of the same ticket
    deps.repo.add_reporter(ticket.id, msg, kind="joined", at=deps.now)
    tickets.event(
        deps,
        ticket,
        "joined",
        msg.sender_id,
        actor_name=msg.sender_name,
        note=msg.text[:200],
        similarity=round(best[0], 2),
    )
    deps.repo.set_pending(
        msg.chat_id,
        msg.sender_id,
        "split",
        at=deps.now,
        ticket_id=ticket.id,
        expires_at=deps.now + timedelta(hours=deps.settings.dedupe.split_window_hours),
        data={"message": msg.pk},
    )
    reply(
        deps,
        msg.chat_id,
        deps.texts.joined.format(
            ticket=ticket.id, category=tickets.category_name(deps, ticket), holder=tickets.holder_name(deps, ticket)
        ),
        [msg.sender_id],
        ticket_id=ticket.id,
    )
    return ticket.id


def _split(msg: StoredMessage, deps: Deps) -> int | None:
    """不是同一件事: the resident's earlier message becomes a ticket of its own."""
    pending = deps.repo.pending(msg.chat_id, msg.sender_id, "split", deps.now)
    if pending is None or pending.ticket_id is None:
        reply(deps, msg.chat_id, deps.texts.split_nothing, [msg.sender_id])
        return None
    deps.repo.drop_pending(pending.id)
    joined = deps.repo.ticket(pending.ticket_id)
    original_pk = int(json.loads(pending.data or "{}").get("message", 0))
    original = next((m for m in deps.repo.messages_of_ticket(pending.ticket_id) if m.pk == original_pk), None)
    if joined is None or original is None:
        reply(deps, msg.chat_id, deps.texts.split_nothing, [msg.sender_id])
        return None
    deps.repo.remove_reporter(joined.id, msg.sender_id)
    tickets.event(deps, joined, "split", msg.sender_id, actor_name=msg.sender_name, note="反映人说明不是同一件事")
    grid = grid_of_chat(deps, msg.chat_id)
    community = community_for(deps, grid)
    if community is None:
        return None
    ticket = tickets.open_ticket(
        deps,
        msg=original,
        chat_id=original.chat_id,
        chat_topic=original.chat_topic,
        reporter_id=original.sender_id,
        reporter_name=original.sender_name,
        text=original.text,
        category=joined.category,
        urgency="normal",
        grid=grid,
        community=community,
    )
    deps.repo.link_message(original.pk, ticket.id)
    reply(
        deps,
        msg.chat_id,
        deps.texts.split.format(
            ticket=ticket.id,
            category=tickets.category_name(deps, ticket),
            holder=tickets.holder_name(deps, ticket),
            promise_hours=f"{deps.settings.promise_hours:g}",
        ),
        [msg.sender_id, ticket.holder_id],
        ticket_id=ticket.id,
    )
    return ticket.id


def _ask_to_clarify(msg: StoredMessage, deps: Deps, candidates: list[str]) -> bool:
    """The rules and the fallback disagree: ask, at most a few times per group per day."""
    if not candidates:
        return False
    day = deps.now.astimezone(deps.settings.tz).date().isoformat()
    limit = deps.settings.clarify_per_group_per_day
    if not any(deps.repo.claim_notice(f"clarify:{msg.chat_id}:{day}:{i}", deps.now) for i in range(limit)):
        return False
    options = candidates[:5]
    menu = " ".join(f"{i + 1} {deps.settings.category_name(c)}" for i, c in enumerate(options))
    deps.repo.set_pending(
        msg.chat_id,
        msg.sender_id,
        "clarify",
        at=deps.now,
        expires_at=deps.now + timedelta(hours=2),
        data={"message": msg.pk, "options": options},
    )
    reply(deps, msg.chat_id, deps.texts.clarify.format(menu=menu), [msg.sender_id])
    return True


def _clarified(msg: StoredMessage, deps: Deps, choice: int) -> int | None:
    pending = deps.repo.pending(msg.chat_id, msg.sender_id, "clarify", deps.now)
    if pending is None:
        return None
    data = json.loads(pending.data or "{}")
    options: list[str] = data.get("options", [])
    deps.repo.drop_pending(pending.id)
    if not 1 <= choice <= len(options):
        return None
    original = next(
        (
            m
            for m in deps.repo.recent_messages(msg.chat_id, msg.sender_id, pending.created_at)
            if m.pk == data.get("message")
        ),
        None,
    )
    source = original or msg
    ticket_id = report(source, deps, options[choice - 1], "normal")
    if original is not None and ticket_id is not None:
        deps.repo.link_message(original.pk, ticket_id)
    return ticket_id


def _voice(msg: StoredMessage, deps: Deps) -> None:
    if msg.chat_id == msg.sender_id:
        reply(deps, msg.chat_id, deps.texts.voice_reply)
        return None
    reply(deps, msg.chat_id, deps.texts.voice_reply, [msg.sender_id])
    grid = grid_of_chat(deps, msg.chat_id)
    if grid is not None:
        private(
            deps,
            grid.workers[0],
            deps.texts.voice_forward.format(
                chat=msg.chat_topic, reporter=msg.sender_name, ref=msg.ref or msg.platform_id
            ),
        )
    return None


def _evidence(msg: StoredMessage, deps: Deps) -> int | None:
    """A photo or location right after (or quoting) a complaint is attached to its ticket."""
    target: int | None = None
    if msg.quoted_id:
        quoted = deps.repo.message_by_platform_id(msg.quoted_id)
        target = quoted.ticket_id if quoted else None
    if target is None:
        for earlier in deps.repo.recent_messages(msg.chat_id, msg.sender_id, deps.now - EVIDENCE_WINDOW):
            if earlier.ticket_id is not None:
                target = earlier.ticket_id
                break
    if target is None:
        return None
    ticket = deps.repo.ticket(target)
    if ticket is None or ticket.state in r.FINAL_STATES:
        return None
    tickets.event(
        deps,
        ticket,
        "evidence",
        msg.sender_id,
        actor_name=msg.sender_name,
        note=msg.ref or msg.platform_id,
        kind=msg.kind,
    )
    return ticket.id


def _recall(msg: StoredMessage, deps: Deps) -> None:
    original = deps.repo.message_by_platform_id(msg.ref) if msg.ref else None
    if original is None or original.ticket_id is None:
        return None
    ticket = deps.repo.ticket(original.ticket_id, lock=True)
    if ticket is None or ticket.state in r.FINAL_STATES or ticket.source_message_id != original.pk:
        return None
    tickets.cancel_on_recall(deps, ticket, msg.sender_id)
    return None
