"""Notices (通知, #20): composed in chat (/通知) or on the page, the same steps either way — stored with
their number, posted in each group through the outbox (paced by the dispatcher, held through quiet hours
unless urgent), more than `notices.confirm_over_groups` groups waiting for the sender's 确认 first, and
where each group's post stands (sent / failed / 收到) for /通知 查看 and the page's delivery report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.core.messages import MessageKind
from bot.core.settings import Settings
from handlers.deps import Deps
from handlers.domain import board
from handlers.domain.tickets import TicketError
from storage.media import MediaStore, kind_of, stored_name
from storage.records import BoardItem
from storage.states import ItemKind, ItemState, OutboxState

PICTURE_KINDS = ("jpg", "png", "gif")  # what WeChat shows as a picture everywhere (storage/media.py's magic bytes)
WEB_ORIGIN = "web"  # a notice composed on the page: a 确认 typed in some chat never answers it
SHOWN_IN_CONFIRM = 10


def needs_confirm(deps: Deps, groups: int) -> bool:
    return groups > deps.settings.notices.confirm_over_groups


def compose(
    deps: Deps,
    author_id: str,
    origin_chat: str,
    scope: str,
    body: str,
    targets: list[board.Target],
    *,
    urgent: bool,
    picture: str = "",
) -> tuple[BoardItem, str]:
    """The notice stored with its number; sent at once, or (more groups than the threshold) left waiting
    for the sender's 确认 (state CONFIRMING). With the answer to the sender: queued, or the question.
    Empty (or overlong) text is refused and stores nothing. `picture`: the name storage/media.py gave the
    notice's picture, posted in each group after the text."""
    body = checked_body(deps, body)
    many = needs_confirm(deps, len(targets))
    item = deps.uow.board.add(
        ItemKind.NOTICE,
        {
            "community_id": targets[0].community_id,
            "author_id": author_id,
            "origin_chat": origin_chat,
            "title": body.splitlines()[0][:30],
            "body": body,
            "scope": scope,
            "urgent": urgent,
            "state": ItemState.CONFIRMING if many else ItemState.OPEN,
            "created_at": deps.now,
            "picture": picture,
        },
    )
    board.store_groups(deps, item, targets)
    if many:
        return item, confirm_question(deps, item)
    answer = send(deps, item)
    return deps.uow.board.by_id(item.id) or item, answer


def store_picture(settings: Settings, data: bytes) -> str:
    """A notice's picture stored under data_dir/media/ (a name the bot made up); a file that is not a JPEG,
    PNG or GIF by its content, or larger than `notices.picture_max_kb`, is refused (TicketError)."""
    texts, limit = settings.texts, settings.notices.picture_max_kb
    if len(data) > limit * 1024:
        raise TicketError(texts.err_picture_size.format(kb=limit))
    if kind_of(data) not in PICTURE_KINDS:
        raise TicketError(texts.err_picture_type)
    name = MediaStore(settings.data_dir).put(data)
    if name is None:
        raise TicketError(texts.err_picture_type)
    return name


def picture_from_chat(deps: Deps, sender_id: str, chat_id: str) -> str:
    """`附图` in chat: the last picture the sender sent in this chat within `notices.picture_minutes`, copied
    for the notice (the message's own file goes when the message's retention ends; the notice's stays)."""
    since = deps.now - timedelta(minutes=deps.settings.notices.picture_minutes)
    media = MediaStore(deps.settings.data_dir)
    for msg in deps.uow.messages.recent(chat_id, sender_id, since):
        path = media.find(stored_name(msg.ref)) if msg.kind == MessageKind.IMAGE else None
        found = MediaStore.load(path, images_only=True) if path else None
        if found is not None:
            return store_picture(deps.settings, found[0])
    raise TicketError(deps.texts.err_notice_no_picture.format(minutes=deps.settings.notices.picture_minutes))


def checked_body(deps: Deps, body: str) -> str:
    """The notice's text, stripped; empty or longer than a message may be is refused (TicketError)."""
    body, limit = body.strip(), deps.settings.limits.max_text_chars
    if not body:
        raise TicketError(deps.texts.err_notice_empty)
    if len(body) > limit:
        raise TicketError(deps.texts.err_notice_too_long.format(limit=limit))
    return body


def post_text(deps: Deps, item: BoardItem) -> str:
    """The notice as each group reads it."""
    return text_for(deps, item.number, item.body, urgent=item.urgent)


def text_for(deps: Deps, number: int, body: str, *, urgent: bool) -> str:
    """A notice's post from its parts (the page's preview shows it before there is a notice)."""
    template = deps.texts.notice_post_urgent if urgent else deps.texts.notice_post
    return template.format(label=board.label_of(deps, ItemKind.NOTICE, number), body=body)


def send(deps: Deps, item: BoardItem) -> str:
    """Posted in every group; the delivery report's timer set for when the last post is due. The answer to
    the sender (`通知1 已排队发往 2 个群…`)."""
    texts = deps.texts
    last = board.post(deps, item, post_text(deps, item))
    window = timedelta(hours=deps.settings.notices.window_hours)
    deps.uow.board.update(item.id, state=ItemState.OPEN, report_at=last, window_until=last + window)
    held = texts.notice_held.format(at=f"{last.astimezone(deps.settings.tz):%H:%M}") if last > deps.now else ""
    groups = len(deps.uow.board.groups(item.id))
    return texts.notice_queued.format(label=board.label(deps, item), groups=groups, held=held)


def confirm_question(deps: Deps, item: BoardItem) -> str:
    groups = deps.uow.board.groups(item.id)
    more = "等" if len(groups) > SHOWN_IN_CONFIRM else ""
    names = "、".join(g.chat_topic for g in groups[:SHOWN_IN_CONFIRM]) + more
    return deps.texts.notice_confirm.format(
        label=board.label(deps, item), groups=len(groups), names=names, minutes=deps.settings.notices.confirm_minutes
    )


def awaits_confirmation(deps: Deps, item: BoardItem) -> bool:
    """Still waiting for 确认: asked for within `notices.confirm_minutes`."""
    since = deps.now - timedelta(minutes=deps.settings.notices.confirm_minutes)
    return item.state == ItemState.CONFIRMING and item.created_at > since


def decide(deps: Deps, item: BoardItem, go: bool) -> str:
    """The sender's 确认 (sent) or 取消 (dropped, nothing posted) of a notice waiting for it."""
    if go:
        return send(deps, item)
    deps.uow.board.update(item.id, state=ItemState.DROPPED)
    return deps.texts.notice_dropped.format(label=board.label(deps, item))


@dataclass(frozen=True)
class GroupDelivery:
    chat_id: str
    topic: str
    state: OutboxState  # the post's (pending until the outbox has it)
    said: str  # the state in words (texts.notice_delivery)
    error: str  # the platform's last error, for a failed post
    acks: int  # 收到 counted in this group
    picture: str = ""  # the picture's post in words ("" for a notice without one)


def deliveries(deps: Deps, item: BoardItem) -> list[GroupDelivery]:
    """Each group of the notice, in the order it was named, with its post's state and its 收到 count."""
    texts = deps.texts
    groups = deps.uow.board.groups(item.id)
    states = board.delivery(deps.uow, groups)
    pictures = deps.uow.outbox.states_of([board.picture_key(g) for g in groups]) if item.picture else {}
    acks = deps.uow.board.counts_by_group([item.id])
    out = []
    for g in groups:
        shown = pictures.get(board.picture_key(g))
        picture = texts.notice_delivery.get(shown.state if shown else OutboxState.PENDING, "") if item.picture else ""
        found = states.get(g.chat_id)
        state = found.state if found else OutboxState.PENDING
        error = found.error if found and state in (OutboxState.FAILED, OutboxState.UNKNOWN) else ""
        said = texts.notice_delivery.get(state, state)
        count = acks.get((item.id, g.chat_id), 0)
        out.append(GroupDelivery(g.chat_id, g.chat_topic, state, said, error, count, picture))
    return out
