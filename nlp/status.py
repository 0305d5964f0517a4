"""Is a resident asking how their own report is going ("我反映的事怎么样了", "#12 修了没有")?

Two signs together: a reference to their report (the lexicon's `my_report` cues, or a ticket number)
and a progress question (`progress`). Either alone is ordinary talk ("今天天气怎么样了") or a complaint
("路灯坏了，什么时候来修"). The handler answers with the status of the tickets the resident reported, and
falls back to the ordinary verdict when they have none.
"""

from __future__ import annotations

import re

from nlp.evidence import Evidence

_TICKET_NUMBER = re.compile(r"#\s*\d{1,9}(?!\d)|(?<!\d)\d{1,9}\s*号?工单")


def asks_status(folded: str, ev: Evidence) -> bool:
    """`folded` is the normalised text the evidence was gathered from."""
    if not ev.cues.get("progress"):
        return False
    return bool(ev.cues.get("my_report")) or bool(_TICKET_NUMBER.search(folded))
