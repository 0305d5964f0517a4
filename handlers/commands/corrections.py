"""Staff teach the classifier: /改类 fixes a ticket's category, /补单 turns a missed message into a ticket
(and /登记 a likely request, handlers/commands/likely.py).

Both are stored as event rows (`recategorized`, `missed`) whose data carries the text and the right
category; `gridbot nlp train` reads them back through `uow.tickets.corrections()`.
"""

from __future__ import annotations

from handlers.commands.base import need_text, ticket_in_reach
from handlers.deps import Deps
from handlers.domain import tickets
from handlers.domain.tickets import TicketError
from handlers.resident.intake import acknowledge, community_for, grid_of_chat, grid_of_person
from nlp.commands import Command
from storage.records import StoredMessage, Ticket
from storage.states import LikelyState


def category_key(deps: Deps, word: str) -> str | None:
    """A category by its key or its Chinese name, or a unique prefix of the name (停车 → 停车问题)."""
    cats = deps.settings.categories
    if word in cats:
        return word
    exact = [k for k, c in cats.items() if c.name == word]
    if exact:
        return exact[0]
    partial = [k for k, c in cats.items() if word and (c.name.startswith(word) or word in c.name)]
    return partial[0] if len(partial) == 1 else None


def category_menu(deps: Deps) -> str:
    return "、".join(c.name for c in deps.settings.categories.values())


async def cmd_recategorize(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = ticket_in_reach(cmd, msg, deps)
    word = need_text(cmd, deps, "正确的类别", f"/改类 {ticket.id} 停车")
    key = category_key(deps, word.split()[0])
    if key is None:
        raise TicketError(deps.texts.err_unknown_category.format(word=word, menu=category_menu(deps)))
    if key == ticket.category:
        return deps.texts.recategorized.format(ticket=ticket.id, category=deps.settings.category_name(key))
    previous = ticket.category
    ticket = tickets.update(deps, ticket, category=key)
    tickets.event(
        deps,
        ticket,
        "recategorized",
        msg.sender_id,
        note=f"{deps.settings.category_name(previous)} → {deps.settings.category_name(key)}",
        text=ticket.text,
        was=previous,
        category=key,
    )
    return deps.texts.recategorized.format(ticket=ticket.id, category=deps.settings.category_name(key))


async def cmd_missed(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    """/补单 [类别], quoting the resident's message the bot did not pick up."""
    quoted = deps.uow.messages.by_platform_id(msg.quoted_id) if msg.quoted_id else None
    if quoted is None:
        raise TicketError(deps.texts.err_missed_quote)
    if quoted.ticket_id is not None:
        raise TicketError(deps.texts.err_missed_already.format(ticket=quoted.ticket_id))
    word = cmd.text.split()[0] if cmd.text else ""
    key = category_key(deps, word) if word else None
    if word and key is None:
        raise TicketError(deps.texts.err_unknown_category.format(word=word, menu=category_menu(deps)))
    if key is None:
        verdict = deps.classifier.classify(quoted.text)
        key = verdict.category if verdict.category != "none" else "other"
    ticket = register_missed(deps, quoted, key, msg.sender_id)
    if msg.chat_id == quoted.chat_id:
        return None  # the acknowledgement in this group is the answer
    return deps.texts.reported.format(
        ticket=ticket.id, category=deps.settings.category_name(key), holder=tickets.holder_name(deps, ticket)
    )


def register_missed(deps: Deps, quoted: StoredMessage, key: str, actor_id: str, urgency: str = "normal") -> Ticket:
    """A resident's message the bot did not register on its own becomes their ticket (/补单, /登记): the
    usual acknowledgement and deadline, and a `missed` event that teaches the classifier."""
    grid = grid_of_chat(deps, quoted.chat_id)
    if grid is None and quoted.is_private:
        grid = grid_of_person(deps, quoted.sender_id)
    community = community_for(deps, grid)
    if community is None:
        raise TicketError(deps.texts.err_no_grid.format(grid=quoted.chat_topic or quoted.chat_id))
    ticket = tickets.open_ticket(
        deps,
        msg=quoted,
        chat_id=quoted.chat_id,
        chat_topic=quoted.chat_topic,
        reporter_id=quoted.sender_id,
        reporter_name=quoted.sender_name,
        text=quoted.text,
        category=key,
        urgency=urgency,
        grid=grid,
        community=community,
        actor_id=actor_id,
    )
    deps.uow.messages.link(quoted.pk, ticket.id)
    tickets.event(deps, ticket, "missed", actor_id, note="补登记", text=quoted.text, category=key)
    held = deps.uow.likely.of_message(quoted.pk)
    if held is not None and held.is_open:  # /补单 on a message that waits as a likely request: decided too
        deps.uow.likely.decide(held.id, LikelyState.REGISTERED, by=actor_id, at=deps.now, ticket_id=ticket.id)
    acknowledge(deps, ticket, community, lang=deps.classifier.classify(quoted.text).lang)
    return ticket
