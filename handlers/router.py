"""The explicit, ordered router: store first, then the first matching route handles the message."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.identity import IdentityMap
from bot.core.messages import IncomingMessage, MessageKind
from handlers.commands.dispatch import on_command
from handlers.commands.notices import is_confirmation, on_confirm
from handlers.deps import Deps, Services
from handlers.domain.identity import learn_from_copy
from handlers.domain.outbound import reply
from handlers.domain.people import is_staff
from handlers.resident.reports import on_resident_message
from nlp.commands import looks_like_command
from storage.media import REF_PREFIX as MEDIA_REF
from storage.media import MediaStore
from storage.records import FLOOD_WINDOW, StoredMessage
from storage.retry import transient, wait_for_db
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
# what a NUL byte in a message is stored as: the symbol for NUL (␀), which nobody types, so a platform's
# own U+FFFD (a garbled emoji) still reaches the handlers as text
NUL_SYMBOL = "\u2400"

Route = Callable[[StoredMessage, Deps], Awaitable[int | None]]
Filter = Callable[[StoredMessage, Deps], bool]
# replay's simulated clock: set to a message's received time (True), or False for a message from this
# replay's future, which it handles when its log reaches it (or another running replay already does)
OwnTime = Callable[[datetime], Awaitable[bool]]


async def _ignore(msg: StoredMessage, deps: Deps) -> int | None:
    return None


def _once_a_day(msg: StoredMessage, deps: Deps, what: str, text: str) -> None:
    """Tell the sender what is wrong with the message, once a day per kind of problem (no reply storms)."""
    day = deps.now.astimezone(deps.settings.tz).date().isoformat()
    if deps.uow.state.claim_notice(f"{what}:{msg.sender_id}:{day}", deps.now):
        reply(deps, msg.chat_id, text, [] if msg.is_private else [msg.sender_id])


async def _too_long(msg: StoredMessage, deps: Deps) -> int | None:
    _once_a_day(msg, deps, "toolong", deps.texts.err_too_long.format(limit=deps.settings.limits.max_text_chars))
    return None


async def _nul_char(msg: StoredMessage, deps: Deps) -> int | None:
    _once_a_day(msg, deps, "nulchar", deps.texts.err_nul_char)
    return None


def _from_bot(msg: StoredMessage, deps: Deps) -> bool:
    # the other bot account in the same groups (#18) posts what this one would: never a resident's words
    peer = not msg.is_private and msg.sender_name in deps.settings.account.peer_names
    return msg.sender_id == deps.settings.bot.id or peer


def _flooding(msg: StoredMessage, deps: Deps) -> bool:
    limit = deps.settings.limits.flood_per_minute
    if msg.in_minute is not None:  # counted by the insert that stored it (a message handled as it came)
        return msg.in_minute > limit
    t = msg.received_at
    return deps.uow.messages.count_since(msg.sender_id, t - FLOOD_WINDOW, t, msg.pk) > limit


def _oversized(msg: StoredMessage, deps: Deps) -> bool:
    return len(msg.text) > deps.settings.limits.max_text_chars


def _has_nul(msg: StoredMessage, deps: Deps) -> bool:
    # a NUL byte (stored as ␀, see store()) is never text a person meant: say so, not "too long"
    return NUL_SYMBOL in msg.text


def _command(msg: StoredMessage, deps: Deps) -> bool:
    return msg.kind == MessageKind.TEXT and looks_like_command(msg.text)


def _from_staff(msg: StoredMessage, deps: Deps) -> bool:
    # staff talk in groups all day; what they say never opens a ticket (they use /上报)
    return is_staff(deps.settings, msg.sender_id)


def _staff_confirms(msg: StoredMessage, deps: Deps) -> bool:
    # `确认` / `取消` from staff: the answer to a notice that waits for it (#20); otherwise chatter as before
    return msg.kind == MessageKind.TEXT and is_staff(deps.settings, msg.sender_id) and is_confirmation(msg.text)


def _anything(msg: StoredMessage, deps: Deps) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    name: str
    when: Filter
    then: Route


# first match wins
ROUTES: tuple[Rule, ...] = (
    Rule("own message", _from_bot, _ignore),
    Rule("flood", _flooding, _ignore),
    Rule("oversized", _oversized, _too_long),
    Rule("nul character", _has_nul, _nul_char),
    Rule("command", _command, on_command),
    Rule("confirmation", _staff_confirms, on_confirm),
    Rule("staff chatter", _from_staff, _ignore),
    Rule("resident", _anything, on_resident_message),
)


async def route(msg: StoredMessage, deps: Deps) -> int | None:
    for rule in ROUTES:
        if rule.when(msg, deps):
            return await rule.then(msg, deps)
    return None


def store(msg: IncomingMessage, services: Services) -> tuple[StoredMessage, bool]:
    """Store before act: the message is committed before anything is decided about it."""
    with services.store.begin() as uow:
        return store_in(uow, msg, services)


def store_in(uow: UnitOfWork, msg: IncomingMessage, services: Services) -> tuple[StoredMessage, bool]:
    """The message as a row in `uow`'s transaction (committed with it: handlers/group_commit.py).

    A picture or voice note that came with its content is written to the media folder first and the
    message keeps only the name the bot gave it (`media:<name>`); a second delivery writes nothing."""
    keep = services.settings.limits.retention_days
    if "\x00" in msg.text:  # PostgreSQL refuses NUL in text
        msg = replace(msg, text=msg.text.replace("\x00", NUL_SYMBOL))
    if msg.media and msg.kind in (MessageKind.IMAGE, MessageKind.VOICE):
        media = MediaStore(services.settings.data_dir)
        name = None if uow.messages.by_platform_id(msg.message_id) else media.put(msg.media)
        if name is not None:
            written = name
            uow.on_rollback(lambda: media.remove([written]))  # the row goes: the file goes with it
        msg = replace(msg, ref=f"{MEDIA_REF}{name}" if name else msg.ref, media=b"")
    account = services.settings.account
    stored, new = uow.messages.add(
        msg, purge_after=msg.timestamp + timedelta(days=keep), account=account.id, paired=account.paired
    )
    original = uow.messages.original_of(msg.message_id) if not new and account.paired else None
    # the other account's message: its writer is, for this account, the sender id of this copy
    if original is not None and learn_from_copy(
        uow, account.id, services.identity, msg, original, services.clock.now()
    ):
        # at once (in a batch, before its commit: the next message of the batch reads the same transaction):
        # her next message through this account is hers already
        services.identity = IdentityMap(uow.identities.all(account.id))
    return stored, new


async def process(pk: int, services: Services, fresh: StoredMessage | None = None) -> bool:
    """Handle one stored message in one transaction; a message is processed exactly once.
    False: it was done already, or another bot process holds it.

    `fresh`: the message as this process just stored it. On SQLite (one process) nobody else can have
    handled it, so it is not read again; on PostgreSQL the row lock still decides who handles it, and the
    flood count its insert made is kept (the claim reads the row, which has no count: a query again)."""
    try:
        with services.turn() as deps:
            stored = fresh if fresh is not None and not deps.uow.postgres else deps.uow.messages.claim(pk)
            if stored is None:
                return False  # done already, or another bot process holds it
            if fresh is not None and stored is not fresh:
                stored = replace(stored, in_minute=fresh.in_minute)
            deps.uow.chats.lock(stored.chat_id)  # one turn per chat at a time across bot processes
            ticket_id = await route(stored, deps)
            deps.uow.messages.mark_processed(pk, deps.now, ticket_id)
    except Exception as exc:
        if transient(exc):
            raise  # the database went away: the turn rolled back whole and is done again (storage/retry.py)
        # never let one bad message block the queue or reach a user as a traceback
        services.on_handler_error(pk, exc)
        with services.store.begin() as uow:
            uow.messages.mark_processed(pk, services.clock.now())
    return True


async def handle_incoming(msg: IncomingMessage, services: Services) -> bool:
    """Store, then process. False for a duplicate delivery of a message already handled.

    While the database is unreachable this waits and tries again: the message is not lost.
    """

    async def once() -> bool:
        stored, new = store(msg, services)
        if not new and stored.processed_at is not None:
            return False
        await process(stored.pk, services, stored if new else None)
        return True

    return await wait_for_db(once, f"message {msg.message_id}")


async def repair_unprocessed(services: Services, at_own_time: OwnTime | None = None) -> int:
    """At start-up: messages stored but never handled (a crash between the two) are handled now.

    `at_own_time` (replay's simulated clock) sets the clock to each message's received time first, so it is
    handled as it would have been had the process not stopped; a message it declines is left alone.
    How many this process handled (a message another process is holding is left to that process)."""
    seen: set[int] = set()
    handled = 0
    while True:
        with services.store.begin() as uow:
            pending = [m for m in uow.messages.unprocessed(limit=200) if m.pk not in seen]
        if not pending:
            return handled
        for msg in pending:
            seen.add(msg.pk)
            if at_own_time is not None and not await at_own_time(msg.received_at):
                continue
            handled += await process(msg.pk, services)
