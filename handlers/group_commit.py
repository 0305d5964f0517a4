"""Group commit: the store and the turn of consecutive messages share one transaction.

A durable commit costs more than everything else a message needs (bench/storage_floor.py), so
`gridbot replay` stores and handles a run of messages in one transaction and commits once. The
promises stay: a message and what its turn decided commit together or not at all (the store is in the
same transaction as its turn, so nothing acts on a message that is not stored), and the dispatcher
drains only after the commit, so no reply leaves before the commit that queued it. Each message's
store and turn run in a SAVEPOINT: a handler that raises undoes only its own message, which is then
stored again and marked processed without a reply, as handlers/router.py's `process` leaves it.

PostgreSQL, several processes: a batch holds the locks of every turn in it until its commit, so two
batches could each wait for the other. They cannot: the batch takes the chat locks of all its messages
first, in one order every process uses (sorted chat ids), before it holds anything else; after that,
every lock it waits for is bounded by `lock_timeout`. A message that would wait longer is left out of
the batch (its store too, by a savepoint), the batch commits without it, and the caller handles that
message alone, the way a single turn always has, waiting as long as it must while holding only its
own locks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from bot.core.messages import IncomingMessage
from handlers.deps import Deps, Services
from handlers.router import route, store_in
from storage.repos.directory import VERSION_KEY
from storage.retry import transient, wait_for_db
from storage.uow import UnitOfWork

# how long a batched turn may wait for a lock another transaction holds (PostgreSQL) before its
# message is left to be handled alone: longer than a turn usually holds a lock, far below the
# deadlock detector's 1 s
LOCK_WAIT = "100ms"
_LOCK_NOT_AVAILABLE = "55P03"


class _LeftOut(Exception):
    """A message of the batch would have waited for a lock: it is handled alone, after the commit."""


def _lock_wait(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    return isinstance(exc, OperationalError) and getattr(orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE


@dataclass(frozen=True)
class Batch:
    """How a batch ended: `done` messages from the first were stored and handled in its commit; `alone`:
    the next one would have waited for a lock (PostgreSQL) and is the caller's to handle by itself."""

    done: int
    alone: bool = False


async def handle_batch(
    msgs: Sequence[IncomingMessage], services: Services, at: Callable[[int], None] | None = None
) -> Batch:
    """Store and handle `msgs` in order, in one transaction. `at(i)` sets the clock for message i's turn
    (replay's simulated time). The batch ends early after a turn that moved the directory's version (a
    /绑定, an id learnt from a copy, a page edit): the messages after it must be translated with the new id
    map and routed with the new bindings, as a single commit's next message would be (the caller refreshes
    and goes on); and on PostgreSQL before a message that must be handled alone (see above).

    A transient database error rolls the whole batch back and does it again (storage/retry.py)."""

    async def once() -> Batch:
        done = 0
        with services.store.begin() as uow:
            if uow.postgres:
                for chat in sorted({m.chat_id for m in msgs}):
                    uow.chats.lock(chat)
                uow.lock_timeout(LOCK_WAIT)
            for i, msg in enumerate(msgs):
                if at is not None:
                    at(i)
                try:
                    await _one(uow, msg, services)
                except _LeftOut:
                    return Batch(done, alone=True)
                done += 1
                if VERSION_KEY in uow.state.written:
                    break
        return Batch(done)

    return await wait_for_db(once, f"{len(msgs)} messages")


async def _one(uow: UnitOfWork, msg: IncomingMessage, services: Services) -> None:
    """One message: its store and its turn in one SAVEPOINT (one round trip each way, not two)."""
    try:
        with uow.savepoint():
            await _store_and_turn(uow, msg, services)
    except _HandlerFailed as failed:
        # one bad message neither blocks the batch nor reaches a user as a traceback: its turn is undone
        # (its store with it), and it is stored again, processed without a reply, as handlers/router.py does
        stored, _ = store_in(uow, msg, services)
        uow.messages.mark_processed(stored.pk, services.clock.now())
        services.on_handler_error(stored.pk, failed.exc)
    except OperationalError as exc:
        if _lock_wait(exc):
            raise _LeftOut from exc
        raise  # transient: the batch is done again (storage/retry.py)


class _HandlerFailed(Exception):
    """A handler raised (not the database): carried out of the savepoint, which rolls back on the way."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(str(exc))
        self.exc = exc


async def _store_and_turn(uow: UnitOfWork, msg: IncomingMessage, services: Services) -> None:
    stored, new = store_in(uow, msg, services)
    if not new and stored.processed_at is not None:
        return  # a second delivery of a message handled already
    try:
        now = services.clock.now()
        deps = Deps(services.settings, uow, services.classifier, services.clock, services.calendar, now)
        if not new:  # stored earlier (by another process, or before a crash): whoever claims it handles it
            claimed = uow.messages.claim(stored.pk)
            if claimed is None:
                return
            stored = claimed
            uow.chats.lock(stored.chat_id)  # (the batch's chats are locked already: a no-op then)
        ticket_id = await route(stored, deps)
        uow.messages.mark_processed(stored.pk, deps.now, ticket_id)
    except Exception as exc:
        if transient(exc) or _lock_wait(exc):
            raise
        raise _HandlerFailed(exc) from exc
