"""The states a stored row can be in. Each member's value is the string the database holds, so a
member compares, hashes, formats and stores exactly as that string did (no schema change)."""

from __future__ import annotations

from enum import StrEnum


class TicketState(StrEnum):
    # `open` and `accepted` are active: the ladder's clock runs on them
    OPEN = "open"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"  # result posted; waiting for the resident's rating
    VERIFYING = "verifying"  # resolved in a category with 核查: waiting for a verifier before the result is posted
    CLOSED = "closed"
    REJECTED = "rejected"  # 退回: not a ticket
    CANCELLED = "cancelled"  # the resident withdrew the message before anyone acted
    MERGED = "merged"  # folded into another ticket (合并)
    REFERRED = "referred"  # /转12345: handed to the city hotline, outside the community's power (#21)


ACTIVE_STATES: tuple[TicketState, ...] = (TicketState.OPEN, TicketState.ACCEPTED)
# a ticket waiting for 核查 still belongs to its holder: a rework (返工) goes back to them
HELD_STATES: tuple[TicketState, ...] = (*ACTIVE_STATES, TicketState.VERIFYING)
FINAL_STATES: tuple[TicketState, ...] = (
    TicketState.CLOSED,
    TicketState.REJECTED,
    TicketState.CANCELLED,
    TicketState.MERGED,
    TicketState.REFERRED,
)


class Outcome(StrEnum):
    """What 办结 achieved, as the 12345 hotline grades it (#21)."""

    SOLVED = "solved"  # 已解决: plain /办结
    PARTIAL = "partial"  # 部分解决: what is left goes on as a follow-up ticket
    UNSOLVED = "unsolved"  # 无法解决: why, and the body it was referred to


class OutboxState(StrEnum):
    PENDING = "pending"  # waiting for its time (quiet hours, a retry's back-off)
    SENDING = "sending"  # marked before the platform call: a crash leaves it visible
    SENT = "sent"
    FAILED = "failed"  # certainly not sent, and out of attempts
    UNKNOWN = "unknown"  # may have gone out: never resent, staff asked to check
    CANCELLED = "cancelled"  # withdrawn before it was sent (/通知 撤回): never sent


class ReporterKind(StrEnum):
    """How a person came to be among a ticket's reporters."""

    ORIGIN = "origin"  # the first report
    JOINED = "joined"  # a duplicate report joined to the open ticket
    MERGED = "merged"  # a reporter of a ticket merged into this one (合并)


class LikelyState(StrEnum):
    """A message that is likely a request, waiting for its grid worker's decision (#16)."""

    WAITING = "waiting"  # stored; goes out in the worker's next batch
    NOTIFIED = "notified"  # in a batch the worker was sent; waiting for /登记 or /忽略
    REGISTERED = "registered"  # /登记: it became a ticket
    DISMISSED = "dismissed"  # /忽略: not a request
    LAPSED = "lapsed"  # nobody decided within the lapse time


OPEN_LIKELY: tuple[LikelyState, ...] = (LikelyState.WAITING, LikelyState.NOTIFIED)


class ItemKind(StrEnum):
    """What is posted in residents' groups besides tickets (#20)."""

    NOTICE = "notice"  # 通知
    SIGNUP = "signup"  # 接龙
    POLL = "poll"  # 征求意见
    COVENANT = "covenant"  # 楼门公约: a poll on a covenant's text; adopted, it is its groups' covenant


class ItemState(StrEnum):
    CONFIRMING = "confirming"  # more than the threshold of groups: waiting for the author's 确认
    OPEN = "open"  # posted (a notice) or taking entries (a sign-up)
    CLOSED = "closed"  # a sign-up past its deadline or limit
    ADOPTED = "adopted"  # a covenant consultation that passed: its text is its groups' covenant
    REJECTED = "rejected"  # a covenant consultation that did not pass (or had too few votes)
    RECALLED = "recalled"  # /通知 撤回
    DROPPED = "dropped"  # never confirmed, or 取消 instead of 确认
