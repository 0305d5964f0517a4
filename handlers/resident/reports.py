"""What a resident writes: a ticket, a duplicate of one, an answer to a question, a question about
their report (status.py), or nothing.

The pieces live in intake.py (opening tickets), followups.py (answers the bot asked for) and
media.py (voice, photos, recalls); this module decides which applies.
"""

from __future__ import annotations

import unicodedata

from bot.core.messages import MessageKind
from handlers.deps import Deps
from handlers.resident import contact, followups, media, status
from handlers.resident.intake import acknowledge, community_for, grid_of_chat, report
from handlers.resident.rating import handle_rating
from nlp.contact import asks_for_worker
from storage.records import StoredMessage

__all__ = ["acknowledge", "community_for", "grid_of_chat", "on_resident_message", "report"]


async def on_resident_message(msg: StoredMessage, deps: Deps) -> int | None:
    """Returns the ticket the message belongs to, if any (the router links it)."""
    if msg.kind == MessageKind.VOICE:
        media.voice(msg, deps)
        return None
    if msg.kind in (MessageKind.IMAGE, MessageKind.LOCATION):
        return media.evidence(msg, deps)
    if msg.kind == MessageKind.RECALLED:
        media.recall(msg, deps)
        return None
    if msg.kind != MessageKind.TEXT or not msg.text.strip():
        return None  # stickers, files, empty lines: nothing to do, nothing to say
    if handle_rating(msg, deps):
        return None
    if followups.is_not_same(msg.text):
        return followups.split(msg, deps)
    choice = followups.choice(unicodedata.normalize("NFKC", msg.text))
    if choice and (ticket_id := followups.clarified(msg, deps, int(choice.group(1)))) is not None:
        return ticket_id
    verdict = deps.classifier.classify(msg.text)
    if verdict.asks_status and verdict.urgency != "urgent" and status.answer(msg, deps, verdict):
        return None  # a question about a ticket is not part of it: purged like other talk
    if (
        verdict.clarify
        and verdict.urgency != "urgent"
        and followups.ask_to_clarify(msg, deps, list(verdict.candidates))
    ):
        return None  # unsure: the resident's answer (a number) opens the ticket
    if not verdict.is_ticket:
        if asks_for_worker(msg.text):
            contact.answer(msg, deps)  # "我想找一下网格员": who they are, and that the bot reaches them
        return None
    return report(msg, deps, verdict.category, verdict.urgency)
