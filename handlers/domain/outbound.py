"""Everything the bot says goes into the outbox inside the turn that decided to say it.

Replies to something a person just did go out at once. Posts the bot makes on
its own in residents' groups wait out the quiet hours, unless urgent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.core.messages import OutgoingMessage
from handlers.deps import Deps
from handlers.domain.privacy import mask


def _unique(ids: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for i in ids:
        if i:
            seen.setdefault(i, None)
    return tuple(seen)


def _mentioned(chat_id: str, mentions: Iterable[str]) -> tuple[str, ...]:
    """Whom to @ in `chat_id`: nobody in a private chat (its id is the person's own, IncomingMessage.is_private),
    where an "@赵女士" in front of the answer only reads oddly."""
    ids = _unique(mentions)
    return () if chat_id in ids else ids


def reply(
    deps: Deps,
    chat_id: str,
    text: str,
    mentions: Iterable[str] = (),
    *,
    ticket_id: int | None = None,
    dedupe_key: str | None = None,
    unmasked: bool = False,
) -> None:
    """An answer to what a person just did: sent now, whatever the hour.

    `unmasked`: the text carries no resident's words, only what config publishes (a work phone line)."""
    deps.uow.outbox.enqueue(
        OutgoingMessage(
            chat_id=chat_id, text=text if unmasked else mask(text), mention_ids=_mentioned(chat_id, mentions)
        ),
        at=deps.now,
        ticket_id=ticket_id,
        dedupe_key=dedupe_key,
    )


def private(deps: Deps, person_id: str, text: str, *, ticket_id: int | None = None, unmasked: bool = False) -> None:
    """A private message to one person (staff get the detail; only the holder sees numbers)."""
    deps.uow.outbox.enqueue(
        OutgoingMessage(chat_id=person_id, text=text if unmasked else mask(text)),
        at=deps.now,
        ticket_id=ticket_id,
    )


def announce(
    deps: Deps,
    chat_id: str,
    text: str,
    mentions: Iterable[str] = (),
    *,
    ticket_id: int | None = None,
    urgent: bool = False,
    due: datetime | None = None,
    dedupe_key: str | None = None,
    image_path: str = "",
) -> None:
    """A post the bot makes on its own in a residents' group: held through quiet hours. `image_path`: a
    picture the bot stored, sent as an image (the text, if any, its caption)."""
    when = due or deps.now
    if not urgent and deps.calendar.in_quiet_hours(when):
        when = deps.calendar.quiet_end(when)
    deps.uow.outbox.enqueue(
        OutgoingMessage(
            chat_id=chat_id, text=mask(text), mention_ids=_mentioned(chat_id, mentions), image_path=image_path
        ),
        at=deps.now,
        not_before=when,
        ticket_id=ticket_id,
        dedupe_key=dedupe_key,
    )


def to_staff(
    deps: Deps,
    staff_chat: str,
    text: str,
    mentions: Iterable[str] = (),
    *,
    ticket_id: int | None = None,
    dedupe_key: str | None = None,
) -> None:
    """A notice to the community's staff chat, or to each mentioned person privately without one."""
    if staff_chat:
        deps.uow.outbox.enqueue(
            OutgoingMessage(chat_id=staff_chat, text=mask(text), mention_ids=_unique(mentions)),
            at=deps.now,
            ticket_id=ticket_id,
            dedupe_key=dedupe_key,
        )
        return
    for who in _unique(mentions):
        # a private notice follows the person's own setting: most staff want nights left alone
        person = deps.settings.people_by_id.get(who)
        when = deps.now
        if person is not None and person.private_quiet_hours and deps.calendar.in_quiet_hours(when):
            when = deps.calendar.quiet_end(when)
        deps.uow.outbox.enqueue(
            OutgoingMessage(chat_id=who, text=mask(text)),
            at=deps.now,
            not_before=when,
            ticket_id=ticket_id,
            dedupe_key=f"{dedupe_key}:{who}" if dedupe_key else None,
        )
