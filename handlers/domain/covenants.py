"""楼门公约 (#20): a poll of kind covenant on a covenant's text, options fixed to 同意/不同意. At its deadline it
is adopted when 同意 is at least two thirds of the votes cast and at least `notices.covenant_min_votes`
residents voted; adopted, its text is the covenant of each group it was posted in, the newest adopted one
in force and the earlier ones kept as history (nothing is overwritten: each is its own board item, its
tally kept in `outcome` since the votes themselves are emptied after retention).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from handlers.deps import Deps
from handlers.domain import board, polls
from storage.records import BoardItem
from storage.states import ItemState

KEYWORD = "公约"  # `/征求意见 公约 …`


@dataclass(frozen=True)
class Outcome:
    yes: int
    no: int

    @property
    def cast(self) -> int:
        return self.yes + self.no


def passes(outcome: Outcome, least: int) -> bool:
    """At least `least` votes cast, and 同意 at least two thirds of them."""
    return outcome.cast >= least and 3 * outcome.yes >= 2 * outcome.cast


def outcome_of(item: BoardItem) -> Outcome:
    try:
        value = json.loads(item.outcome) if item.outcome else {}
    except ValueError:
        value = {}
    return Outcome(int(value.get("yes", 0)), int(value.get("no", 0)))


def post_text(deps: Deps, item: BoardItem) -> str:
    texts = deps.texts
    assert item.deadline_at is not None
    options = "\n".join(
        texts.poll_option.format(letter=polls.letter(i), name=o) for i, o in enumerate(polls.options_of(item))
    )
    return texts.covenant_post.format(
        label=board.label(deps, item),
        body=item.body,
        options=options,
        deadline=f"{item.deadline_at.astimezone(deps.settings.tz):%m-%d %H:%M}",
        least=deps.settings.notices.covenant_min_votes,
    )


def close(deps: Deps, item: BoardItem) -> None:
    """The deadline: the poll's tally with 已通过/未通过; adopted, the item is its groups' covenant from now."""
    texts, least = deps.texts, deps.settings.notices.covenant_min_votes
    yes, no = polls.counts(deps, item)[:2]  # the options are texts.poll_default_options: 同意/不同意
    outcome = Outcome(yes, no)
    if passes(outcome, least):
        verdict, state = texts.covenant_adopted, ItemState.ADOPTED
    else:
        why = texts.covenant_why_quorum.format(least=least) if outcome.cast < least else texts.covenant_why_share
        verdict, state = texts.covenant_rejected.format(why=why), ItemState.REJECTED
    stored = json.dumps({"yes": yes, "no": no}, ensure_ascii=False)
    polls.close(deps, item, verdict=verdict, state=state, outcome=stored)


def show(deps: Deps, chat_id: str) -> str:
    """/公约 in a group: the covenant in force (its text, when adopted, its tally), or that there is none."""
    texts = deps.texts
    adopted = deps.uow.board.covenants(chat_id)
    if not adopted:
        return texts.covenant_none
    current, o = adopted[0], outcome_of(adopted[0])
    assert current.closed_at is not None
    history = texts.covenant_history.format(count=len(adopted) - 1) if len(adopted) > 1 else ""
    return texts.covenant_show.format(
        topic=board.topic_of(deps, chat_id),
        body=current.body,
        date=f"{current.closed_at.astimezone(deps.settings.tz):%Y-%m-%d}",
        yes=o.yes,
        no=o.no,
        cast=o.cast,
        history=history,
    )
