"""办结's three outcomes, as the 12345 hotline grades a result (#21): 已解决, 部分解决 and 无法解决.

`/办结 N 结果` is 已解决. `/办结 N 部分解决：已办的 剩余：未办的` closes what was done and carries what is
left on as a follow-up ticket (its own number, deadlines and rating), so nothing left over is lost
in a closed ticket. `/办结 N 无法解决：原因 转交：单位` closes the ticket with why and the body it was
referred to. Residents are asked to rate every outcome: an honest 无法解决 can still be 满意.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from handlers.deps import Deps
from handlers.domain.tickets import TicketError
from storage.records import Ticket
from storage.states import Outcome

_SEP = " \t\n:：,，;；。"
_LABELS = {Outcome.SOLVED: "已解决", Outcome.PARTIAL: "部分解决", Outcome.UNSOLVED: "无法解决"}
# where the part still to do, or the body it was referred to, begins
_LEFT = re.compile(r"(剩余|未解决部分|未办部分|还需)[:：]?")
_REFERRED = re.compile(r"(转交|移交|已转至|已转到|已转给|已转)[:：]?")


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    text: str  # what was done (已解决, 部分解决) or why not (无法解决)
    note: str = ""  # 部分解决: what is left; 无法解决: the body it was referred to


def parse(deps: Deps, ticket_id: int, text: str) -> Result:
    """The outcome `/办结 N …` states; an outcome without its parts is a clear answer, not a guess."""
    outcome = next((o for o, name in _LABELS.items() if text.startswith(name)), None)
    if outcome is None:
        return Result(Outcome.SOLVED, text)
    rest = text.removeprefix(_LABELS[outcome]).strip(_SEP)
    if outcome == Outcome.SOLVED:
        if not rest:
            raise TicketError(
                deps.texts.err_need_text.format(what="办理结果", example=f"/办结 {ticket_id} 已解决：灯已修好")
            )
        return Result(outcome, rest)
    marker = _LEFT if outcome == Outcome.PARTIAL else _REFERRED
    head, found, tail = _split(marker, rest)
    if outcome == Outcome.PARTIAL and (not head or not tail):
        raise TicketError(deps.texts.err_partial_parts.format(ticket=ticket_id))
    if outcome == Outcome.UNSOLVED and not head:
        raise TicketError(deps.texts.err_unsolved_reason.format(ticket=ticket_id))
    if found and not tail:
        raise TicketError(deps.texts.err_unsolved_reason.format(ticket=ticket_id))
    return Result(outcome, head, tail)


def _split(marker: re.Pattern[str], text: str) -> tuple[str, bool, str]:
    match = marker.search(text)
    if match is None:
        return text.strip(_SEP), False, ""
    return text[: match.start()].strip(_SEP), True, text[match.end() :].strip(_SEP)


def label(outcome: str) -> str:
    return _LABELS.get(Outcome(outcome), "") if outcome else ""


def followup_of(deps: Deps, ticket: Ticket) -> int | None:
    """The ticket carrying on with what a 部分解决 left (its latest resolution's `followup`)."""
    for e in reversed(deps.uow.tickets.events(ticket.id)):
        if e.action == "resolved":
            found = json.loads(e.data).get("followup") if e.data else None
            return int(found) if found else None
    return None


def summary(deps: Deps, ticket: Ticket) -> str:
    """The result in one line, outcome first when it is not plainly 已解决 (status answers, 核查, timeline)."""
    result = ticket.result.rstrip("。.！!")
    if ticket.outcome == Outcome.PARTIAL:
        return deps.texts.outcome_partial_summary.format(result=result, left=ticket.outcome_note)
    if ticket.outcome == Outcome.UNSOLVED:
        referred = deps.texts.outcome_referred.format(body=ticket.outcome_note) if ticket.outcome_note else ""
        return deps.texts.outcome_unsolved_summary.format(result=result, referred=referred)
    return result
