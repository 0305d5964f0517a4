"""The repository's own promises, on SQLite and PostgreSQL: what a second write of the same key does,
what an update returns, what a bulk insert does with rows that name different columns."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.messages import IncomingMessage, OutgoingMessage
from storage.states import TicketState
from storage.store import Store
from storage.writes import NewTicket, TicketUpdate
from tests.conftest import START


def _msg(platform_id: str, text: str = "楼道灯坏了") -> IncomingMessage:
    return IncomingMessage(
        message_id=platform_id,
        chat_id="room_1",
        chat_topic="1栋",
        sender_id="wxid_a",
        sender_name="甲",
        text=text,
        timestamp=START,
        mentions=("wxid_b", "wxid_c"),
    )


def _ticket(**extra: object) -> dict[str, object]:
    return {
        "community_id": "c1",
        "grid_id": "g1",
        "chat_id": "room_1",
        "category": "facilities",
        "state": "open",
        "holder_id": "wxid_w",
        "created_at": START,
        "updated_at": START,
        "level_since": START,
        **extra,
    }


def test_a_message_stored_twice_is_one_row_and_the_second_store_says_so(db_url: str) -> None:
    store = Store(db_url)
    with store.begin() as uow:
        first, new = uow.messages.add(_msg("m1"), purge_after=START + timedelta(days=7))
    assert new
    assert first.mentions == ("wxid_b", "wxid_c")
    assert first.processed_at is None
    with store.begin() as uow:
        uow.messages.mark_processed(first.pk, START)
        again, new_again = uow.messages.add(_msg("m1", text="别的字"), purge_after=None)
        assert uow.counts()["messages"] == 1
    assert not new_again
    assert (again.pk, again.text, again.processed_at) == (first.pk, "楼道灯坏了", START)


def test_the_flood_count_made_by_the_store_is_the_count_of_the_turn(db_url: str) -> None:
    # the insert that stores a message counts the sender's minute (one statement less per message); it must
    # agree with the count the turn made before, for every message: across chats, at the window's edges, in
    # one transaction (group commit) or one each, with another sender's messages between
    from dataclasses import replace

    seconds = [0, 10, 20, 59, 60, 60, 61, 119, 125, 200, 200, 230]
    store = Store(db_url)
    stored = []
    for first in range(0, len(seconds), 2):
        with store.begin() as uow:  # two of them (and two of another sender's) in each transaction
            for i in (first, first + 1):
                at = START + timedelta(seconds=seconds[i])
                msg = replace(_msg(f"f{i}"), timestamp=at, chat_id=f"room_{i % 3}", mentions=())
                stored.append(uow.messages.add(msg, purge_after=None)[0])
                uow.messages.add(replace(msg, message_id=f"o{i}", sender_id="wxid_other"), purge_after=None)
    with store.begin() as uow:
        turn = [
            uow.messages.count_since(m.sender_id, m.received_at - timedelta(minutes=1), m.received_at, m.pk)
            for m in stored
        ]
    assert [m.in_minute for m in stored] == turn
    assert turn == [1, 2, 3, 4, 5, 6, 6, 5, 2, 1, 2, 3]
    store.dispose()


def test_a_dedupe_key_or_notice_key_is_taken_once(db_url: str) -> None:
    store = Store(db_url)
    out = OutgoingMessage(chat_id="room_1", text="提醒")
    with store.begin() as uow:
        assert uow.outbox.enqueue(out, at=START, dedupe_key="k1")
        assert not uow.outbox.enqueue(out, at=START, dedupe_key="k1")
        assert uow.outbox.enqueue(out, at=START)  # no key: every enqueue is a message
        assert uow.state.claim_notice("n1", START)
        assert not uow.state.claim_notice("n1", START)
    with store.begin() as uow:
        assert len(uow.outbox.items()) == 2
        assert not uow.state.claim_notice("n1", START)


def test_a_ticket_update_returns_the_row_as_stored_and_counts_its_version(db_url: str) -> None:
    store = Store(db_url)
    with store.begin() as uow:
        ticket = uow.tickets.add(NewTicket(**_ticket()))
        assert (ticket.version, ticket.level, ticket.reporter_id) == (0, 1, "")
        changed = uow.tickets.update(ticket.id, TicketUpdate(state=TicketState.ACCEPTED, first_response_at=START))
        assert (changed.state, changed.first_response_at, changed.version) == ("accepted", START, 1)
        assert uow.tickets.get(ticket.id) == changed
        with pytest.raises(AttributeError, match="tickets has no column 'colour'"):
            uow.tickets.update(ticket.id, {"colour": "red"})  # type: ignore[typeddict-unknown-key]  # (mypy refuses it too)
        with pytest.raises(KeyError, match=str(ticket.id + 100)):
            uow.tickets.update(ticket.id + 100, TicketUpdate(state=TicketState.CLOSED))


def test_a_bulk_insert_takes_rows_that_name_different_columns(db_url: str) -> None:
    store = Store(db_url)
    with store.begin() as uow:
        uow.tickets.add_many(
            [
                _ticket(id=1, text="", result="", urgency="normal", level=1, rating="", version=0),
                _ticket(id=2, text="", result="", urgency="normal", level=1, rating="", version=0, closed_at=START),
            ]
        )
        first, second = uow.tickets.get(1), uow.tickets.get(2)
    assert first is not None
    assert second is not None
    assert (first.closed_at, second.closed_at) == (None, START)
