"""What a resident writes: a ticket, a duplicate of one, an answer to a question, a question about
their report (status.py), likely a request (held for the grid worker, likely.py), or nothing.

The pieces live in intake.py (opening tickets), followups.py (answers the bot asked for), likely.py
and media.py (voice, photos, recalls); this module decides which applies. A private message is never
met with silence: what is not a ticket is passed to a person and the resident is told so.
"""

from __future__ import annotations

from bot.core.messages import MessageKind
from handlers.deps import Deps
from handlers.domain.outbound import reply
from handlers.domain.people import name_of
from handlers.resident import answers, contact, followups, likely, media, status
from handlers.resident.intake import acknowledge, community_for, grid_of_chat, report, unplaced
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
    if answers.answer(msg, deps):
        return None  # a 收到 to a notice, a sign-up line: counted for it, never a ticket (#20)
    if followups.is_not_same(msg.text):
        return followups.split(msg, deps)
    verdict = deps.classifier.classify(msg.text)
    if verdict.asks_status and verdict.urgency != "urgent" and status.answer(msg, deps, verdict):
        return None  # a question about a ticket is not part of it: purged like other talk
    if verdict.is_ticket:
        return report(msg, deps, verdict.category, verdict.urgency, verdict.lang)
    if asks_for_worker(msg.text):
        contact.answer(msg, deps)  # "我想找一下网格员": who they are, and that the bot reaches them
        return None
    if verdict.likely or msg.is_private:
        # unsure (or said to the bot alone): the group hears nothing, the grid worker decides
        worker = likely.hold(msg, deps, verdict.category, verdict.urgency)
        if msg.is_private:
            _tell_passed_on(msg, deps, worker, verdict.urgency, verdict.lang)
    return None


def _tell_passed_on(msg: StoredMessage, deps: Deps, worker: str | None, urgency: str, lang: str) -> None:
    if worker is None:
        unplaced(msg, deps, urgency, lang)  # nobody to hold it for: every community's staff see it
        return
    text = deps.texts.private_ack_en if lang == "en" else deps.texts.private_ack
    reply(deps, msg.chat_id, text.format(worker=name_of(deps.settings, worker)))
