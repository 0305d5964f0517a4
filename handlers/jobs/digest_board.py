"""The digest's lines on notices, consultations and covenants of the period (#20). None of them is a ticket:
they count in no figure of the digest, they are listed beside them.

Notices: those sent in the period, with their reach. Polls and covenants: those posted or closed in the
period, the closed ones with their result (a covenant's from its stored outcome: its votes are emptied after
retention), the open ones with their deadline and the votes so far."""

from __future__ import annotations

from datetime import datetime

from bot.core.settings import Community, Settings
from handlers.domain import polls
from handlers.domain.board import reach_of
from handlers.domain.covenants import outcome_of
from storage.records import BoardItem
from storage.states import ItemKind, ItemState
from storage.uow import UnitOfWork


def lines(uow: UnitOfWork, settings: Settings, community: Community, start: datetime, end: datetime) -> list[str]:
    return [
        *_notices(uow, settings, community, start, end),
        *_consultations(uow, settings, community, start, end, ItemKind.POLL),
        *_consultations(uow, settings, community, start, end, ItemKind.COVENANT),
    ]


def _notices(uow: UnitOfWork, settings: Settings, community: Community, start: datetime, end: datetime) -> list[str]:
    texts = settings.texts
    notices = uow.board.of_period(ItemKind.NOTICE, community.id, start, end)
    if not notices:
        return []
    out = [texts.digest_notices.format(count=len(notices))]
    for item in notices:
        r = reach_of(uow, item)
        label = texts.notice_label.format(number=item.number)
        out.append(
            texts.digest_notice_line.format(label=label, title=item.title, sent=r.sent, groups=r.groups, acks=r.acks)
        )
    return out


def _open_line(uow: UnitOfWork, settings: Settings, item: BoardItem, label: str) -> str:
    until = item.deadline_at or item.created_at
    return settings.texts.digest_poll_open.format(
        label=label,
        title=item.title,
        deadline=f"{until.astimezone(settings.tz):%m-%d %H:%M}",
        cast=sum(polls.counts_in(uow, item)),
    )


def _closed_poll(uow: UnitOfWork, settings: Settings, item: BoardItem, label: str) -> str:
    texts = settings.texts
    per_option = polls.counts_in(uow, item)
    options = "，".join(
        texts.digest_poll_option.format(letter=polls.letter(i), name=name, votes=n)
        for i, (name, n) in enumerate(zip(polls.options_of(item), per_option, strict=True))
    )
    return texts.digest_poll_closed.format(label=label, title=item.title, cast=sum(per_option), options=options)


def _closed_covenant(uow: UnitOfWork, settings: Settings, item: BoardItem, label: str) -> str:
    texts, o = settings.texts, outcome_of(item)
    verdict = texts.digest_covenant_adopted if item.state == ItemState.ADOPTED else texts.digest_covenant_rejected
    return texts.digest_covenant_closed.format(
        label=label, title=item.title, verdict=verdict, yes=o.yes, no=o.no, cast=o.cast
    )


def _consultations(
    uow: UnitOfWork, settings: Settings, community: Community, start: datetime, end: datetime, kind: ItemKind
) -> list[str]:
    texts = settings.texts
    found = uow.board.opened_or_closed(kind, community.id, start, end)
    if not found:
        return []
    header, closed = (
        (texts.digest_covenants, _closed_covenant) if kind == ItemKind.COVENANT else (texts.digest_polls, _closed_poll)
    )
    out = [header.format(count=len(found))]
    for item in found:
        label = _label(settings, kind, item.number)
        line = _open_line if item.state == ItemState.OPEN else closed
        out.append(line(uow, settings, item, label))
    return out


def _label(settings: Settings, kind: ItemKind, number: int) -> str:
    texts = settings.texts
    return (texts.covenant_label if kind == ItemKind.COVENANT else texts.poll_label).format(number=number)
