"""Notices, sign-ups and polls in residents' groups (#20): whose groups a scope names, posting an item in
them through the outbox, and where its posts stand.

A scope is what follows the verb: a grid name, a community name, `全部`, or group names, several joined
by `、` (or `,`). A secretary (and the street center, supervisors) may name anything in their communities;
a grid worker only their own grids and their groups. Items are never tickets: they live in their own
tables (storage/repos/board.py) and nothing that counts tickets sees them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.settings import Community, Grid
from handlers.deps import Deps
from handlers.domain.outbound import announce, private
from handlers.domain.people import COMMUNITY_WIDE, name_of
from handlers.domain.tickets import TicketError
from storage.media import MediaStore
from storage.records import BoardGroup, BoardItem, PostState, StoredMessage
from storage.states import ItemKind, ItemState, OutboxState
from storage.uow import UnitOfWork

ALL = "全部"
URGENT = "紧急"
_SEPARATORS = re.compile(r"[、,，;；+]")
DONE = (OutboxState.SENT, OutboxState.FAILED, OutboxState.UNKNOWN, OutboxState.CANCELLED)


@dataclass(frozen=True)
class Target:
    chat_id: str
    topic: str
    community_id: str


def label(deps: Deps, item: BoardItem) -> str:
    return label_of(deps, item.kind, item.number)


def label_of(deps: Deps, kind: ItemKind, number: int) -> str:
    texts = deps.texts
    labels = {ItemKind.NOTICE: texts.notice_label, ItemKind.SIGNUP: texts.signup_label}
    template = {**labels, ItemKind.COVENANT: texts.covenant_label}.get(kind, texts.poll_label)
    return template.format(number=number)


def topic_of(deps: Deps, chat_id: str) -> str:
    group = deps.uow.chats.get(chat_id)
    return (group.topic if group else "") or deps.settings.group_names.get(chat_id, "") or chat_id


@dataclass(frozen=True)
class _Groups:
    """The stored groups, read once for a whole scope (a district's 全部 names hundreds of groups)."""

    bound: dict[str, list[str]]  # grid id → groups bound to it with /绑定 that the bot is still in
    topics: dict[str, str]
    names: dict[str, str]  # config's group_names

    @classmethod
    def read(cls, deps: Deps) -> _Groups:
        rows = deps.uow.chats.all()
        bound: dict[str, list[str]] = {}
        for g in rows:
            if g.grid_id and g.active:
                bound.setdefault(g.grid_id, []).append(g.chat_id)
        return cls(bound, {g.chat_id: g.topic for g in rows if g.topic}, deps.settings.group_names)

    def of_grid(self, grid: Grid) -> list[str]:
        """The grid's groups: config's, then those bound to it with /绑定."""
        return list(dict.fromkeys([*grid.groups, *self.bound.get(grid.id, [])]))

    def topic(self, chat_id: str) -> str:
        """As topic_of says, from what was read."""
        return self.topics.get(chat_id) or self.names.get(chat_id, "") or chat_id


def _own_grids(deps: Deps, sender_id: str) -> tuple[list[Community], list[Grid]]:
    """The communities the sender may post in, and within them the grids they may name."""
    person = deps.settings.people_by_id[sender_id]
    communities = deps.settings.community_of_person(sender_id)
    if person.role in COMMUNITY_WIDE:
        return communities, [g for c in communities for g in c.grids]
    return communities, [g for c in communities for g in c.grids if sender_id in g.workers]


def resolve(deps: Deps, sender_id: str, scope: str) -> list[Target]:
    """Every group the scope names, each once, in the order named; a name the sender may not use, or
    that names nothing, is the answer they get (TicketError)."""
    communities, mine = _own_grids(deps, sender_id)
    wide = deps.settings.people_by_id[sender_id].role in COMMUNITY_WIDE
    community_of = {g.id: c for c in communities for g in c.grids}
    every_grid = {g.id: g for c in communities for g in c.grids}
    groups = _Groups.read(deps)
    grid_of_group = {chat: g for g in every_grid.values() for chat in groups.of_grid(g)}
    by_topic = {groups.topic(chat): chat for chat in grid_of_group}
    found: dict[str, Target] = {}

    def add(grid: Grid) -> None:
        for chat in groups.of_grid(grid):
            found.setdefault(chat, Target(chat, groups.topic(chat), community_of[grid.id].id))

    names = [n.strip() for n in _SEPARATORS.split(scope) if n.strip()]
    for name in names:
        community = next((c for c in communities if c.name == name), None)
        grid = next((g for g in every_grid.values() if g.name == name), None)
        if name == ALL:
            for g in mine:
                add(g)
        elif community is not None:
            if not wide:
                raise TicketError(deps.texts.err_scope_not_yours.format(name=name))
            for g in community.grids:
                add(g)
        elif grid is not None:
            if grid not in mine:
                raise TicketError(deps.texts.err_scope_not_yours.format(name=name))
            add(grid)
        elif name in by_topic:
            chat = by_topic[name]
            owner = grid_of_group[chat]
            if owner not in mine:
                raise TicketError(deps.texts.err_scope_not_yours.format(name=name))
            found.setdefault(chat, Target(chat, name, community_of[owner.id].id))
        else:
            raise TicketError(deps.texts.err_scope_unknown.format(name=name[:20]))
    if not found:
        raise TicketError(deps.texts.err_scope_empty.format(scope=scope[:40]))
    return list(found.values())


@dataclass(frozen=True)
class GridChoice:
    grid: Grid
    groups: tuple[Target, ...]


def choices(deps: Deps, sender_id: str) -> list[GridChoice]:
    """The grids the sender may name and their groups (the page's list to choose a scope from): the same
    reach as a typed scope (`resolve`)."""
    communities, mine = _own_grids(deps, sender_id)
    community_of = {g.id: c for c in communities for g in c.grids}
    groups = _Groups.read(deps)
    return [
        GridChoice(g, tuple(Target(chat, groups.topic(chat), community_of[g.id].id) for chat in groups.of_grid(g)))
        for g in mine
    ]


def resolve_chosen(deps: Deps, sender_id: str, grid_ids: list[str], chat_ids: list[str]) -> tuple[str, list[Target]]:
    """A scope chosen on the page (whole grids, single groups) as (the scope in words, its groups), with
    `resolve`'s rules: a grid or group outside the sender's reach is refused by name, an unknown one too."""
    mine = {c.grid.id: c for c in choices(deps, sender_id)}
    reachable = {t.chat_id: t for c in mine.values() for t in c.groups}
    found: dict[str, Target] = {}
    names: list[str] = []
    for grid_id in dict.fromkeys(grid_ids):
        grid = deps.settings.grids_by_id.get(grid_id)
        if grid is None:
            raise TicketError(deps.texts.err_scope_unknown.format(name=grid_id[:20]))
        if grid_id not in mine:
            raise TicketError(deps.texts.err_scope_not_yours.format(name=grid.name))
        names.append(grid.name)
        for t in mine[grid_id].groups:
            found.setdefault(t.chat_id, t)
    for chat_id in dict.fromkeys(chat_ids):
        if chat_id in found:
            continue
        if chat_id not in reachable:
            known = deps.settings.grid_of_group.get(chat_id) or deps.uow.chats.get(chat_id)
            if known is None:
                raise TicketError(deps.texts.err_scope_unknown.format(name=chat_id[:20]))
            raise TicketError(deps.texts.err_scope_not_yours.format(name=topic_of(deps, chat_id)))
        found[chat_id] = reachable[chat_id]
        names.append(reachable[chat_id].topic)
    if not found:
        raise TicketError(deps.texts.err_scope_none_chosen)
    return "、".join(names), list(found.values())


def names_scope(deps: Deps, word: str) -> bool:
    """Whether a word reads as a scope (every part a grid, community, group name or 全部), whoever may use it."""
    settings = deps.settings
    known = {ALL, *(c.name for c in settings.all_communities), *(g.name for g in settings.grids_by_id.values())}
    groups = _Groups.read(deps)
    known |= {groups.topic(chat) for g in settings.grids_by_id.values() for chat in groups.of_grid(g)}
    parts = [n.strip() for n in _SEPARATORS.split(word) if n.strip()]
    return bool(parts) and all(p in known for p in parts)


def place(deps: Deps, sender_id: str, chat_id: str, private_chat: bool, text: str) -> tuple[str, str, list[Target]]:
    """A sign-up's or poll's (scope, title, groups): the first word when it names a scope; else the group it
    was typed in, or privately every group in the sender's reach (`全部`)."""
    first, _, rest = text.partition(" ")
    if rest.strip() and names_scope(deps, first):
        scope, title = first, rest.strip()
    elif not private_chat:
        scope, title = topic_of(deps, chat_id), text
    else:
        scope, title = ALL, text
    return scope, title, resolve(deps, sender_id, scope) if title else []


def split_urgent(text: str) -> tuple[bool, str]:
    """`紧急` written before or after the scope: (urgent, the text without it)."""
    words = text.split(maxsplit=2)
    if words and words[0] == URGENT:
        return True, text.split(maxsplit=1)[1] if len(words) > 1 else ""
    if len(words) > 1 and words[1] == URGENT:
        return True, " ".join([words[0], *words[2:]])
    return False, text


def post_key(item: BoardItem, chat_id: str) -> str:
    return f"board:{item.id}:{chat_id}"


def store_groups(deps: Deps, item: BoardItem, targets: list[Target]) -> None:
    deps.uow.board.add_groups(item.id, [(t.chat_id, t.topic, post_key(item, t.chat_id)) for t in targets])


def picture_key(group: BoardGroup) -> str:
    """The outbox key of the item's picture in this group (posted after its text)."""
    return f"{group.post_key}:picture"


def post(deps: Deps, item: BoardItem, text: str) -> datetime:
    """The item's post in each of its groups, through the outbox: the dispatcher paces them across groups and
    the quiet hours hold them unless the item is urgent; its picture, if any, right after the text (queued
    after it, due at the same time). When the last of them is due to go out."""
    last = deps.now
    picture = str(MediaStore(deps.settings.data_dir).root / item.picture) if item.picture else ""
    for group in deps.uow.board.groups(item.id):
        due = deps.now
        if not item.urgent and deps.calendar.in_quiet_hours(due):
            due = deps.calendar.quiet_end(due)
        announce(deps, group.chat_id, text, urgent=item.urgent, dedupe_key=group.post_key)
        if picture:
            announce(deps, group.chat_id, "", urgent=item.urgent, dedupe_key=picture_key(group), image_path=picture)
        last = max(last, due)
    return last


def delivery(uow: UnitOfWork, groups: list[BoardGroup]) -> dict[str, PostState]:
    """chat id → where that group's post stands."""
    states = uow.outbox.states_of([g.post_key for g in groups])
    return {g.chat_id: states[g.post_key] for g in groups if g.post_key in states}


@dataclass(frozen=True)
class Reach:
    groups: int
    sent: int
    acks: int
    failed: tuple[str, ...]  # the topics of the groups it could not reach


def reach_of(uow: UnitOfWork, item: BoardItem) -> Reach:
    groups = uow.board.groups(item.id)
    states = delivery(uow, groups)
    sent = [g for g in groups if g.chat_id in states and states[g.chat_id].state == OutboxState.SENT]
    failed = [
        g.chat_topic
        for g in groups
        if g.chat_id in states and states[g.chat_id].state in (OutboxState.FAILED, OutboxState.UNKNOWN)
    ]
    return Reach(len(groups), len(sent), uow.board.count(item.id), tuple(failed))


def report_due(deps: Deps, item: BoardItem) -> None:
    """The delivery report's timer came due: once every post is done, the author hears how it went;
    until then the timer moves to when the last one is due (quiet hours, a retry's back-off)."""
    groups = deps.uow.board.groups(item.id)
    states = [
        *delivery(deps.uow, groups).values(),
        *deps.uow.outbox.states_of([picture_key(g) for g in groups]).values(),
    ]
    waiting = [s.not_before for s in states if s.state not in DONE]
    if waiting:
        step = timedelta(seconds=deps.settings.sweep_interval_seconds)
        deps.uow.board.update(item.id, report_at=max(deps.now + step, *waiting))
        return
    r = reach_of(deps.uow, item)
    failed = deps.texts.notice_report_failed.format(count=len(r.failed), names="、".join(r.failed)) if r.failed else ""
    private(
        deps,
        item.author_id,
        deps.texts.notice_report.format(label=label(deps, item), sent=r.sent, groups=r.groups, failed=failed),
    )
    deps.uow.board.update(item.id, report_at=None)


def keep_for(deps: Deps) -> timedelta:
    """How long what residents wrote into an item is kept after it closes (retention)."""
    return timedelta(days=deps.settings.notices.entry_retention_days)


def author_name(deps: Deps, item: BoardItem) -> str:
    return name_of(deps.settings, item.author_id)


def may_manage(deps: Deps, sender_id: str, item: BoardItem) -> bool:
    """The author, or someone community-wide in the item's community."""
    if sender_id == item.author_id:
        return True
    role = deps.settings.people_by_id[sender_id].role
    return role in COMMUNITY_WIDE and any(
        c.id == item.community_id for c in deps.settings.community_of_person(sender_id)
    )


def open_item(
    deps: Deps,
    msg: StoredMessage,
    kind: ItemKind,
    text: str,
    given_deadline: datetime | None,
    text_of: Callable[[Deps, BoardItem], str],
    *,
    usage: str,
    fields: str = "",
    capacity: int = 0,
) -> str | None:
    """A sign-up or poll placed (`place`), stored, open until its deadline (a stored timer; none given:
    `notices.signup_days`), and posted in its groups; the answer to its organiser (None when it was typed in
    the one group it is for: the post itself answers). No title: `usage` is the answer."""
    scope, title, targets = place(deps, msg.sender_id, msg.chat_id, msg.is_private, text)
    if not title:
        raise TicketError(usage)
    deadline = given_deadline or deps.now + timedelta(days=deps.settings.notices.signup_days)
    item = deps.uow.board.add(
        kind,
        {
            "community_id": targets[0].community_id,
            "author_id": msg.sender_id,
            "origin_chat": msg.chat_id,
            "title": title[:60],
            "body": title,
            "scope": scope,
            "state": ItemState.OPEN,
            "fields": fields,
            "capacity": capacity,
            "created_at": deps.now,
            "deadline_at": deadline,
            "window_until": deadline,
        },
    )
    store_groups(deps, item, targets)
    last = post(deps, item, text_of(deps, item))
    if not msg.is_private and [t.chat_id for t in targets] == [msg.chat_id]:
        return None
    texts, tz = deps.texts, deps.settings.tz
    held = texts.notice_held.format(at=f"{last.astimezone(tz):%H:%M}") if last > deps.now else ""
    queued = {ItemKind.SIGNUP: texts.signup_queued, ItemKind.COVENANT: texts.covenant_queued}
    template = queued.get(kind, texts.poll_queued)
    return template.format(
        label=label(deps, item),
        groups=len(targets),
        held=held,
        deadline=f"{deadline.astimezone(tz):%m-%d %H:%M}",
        number=item.number,
    )
