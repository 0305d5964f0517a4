"""Not a ticket, decided on its own before any category: ads, announcements, questions to neighbours,
replies from owners and staff, apologies, thanks, and reports that the matter is solved."""

from __future__ import annotations

import re

from nlp.evidence import Evidence, clause_bounds

_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{3,4}-\d{7,8}(?!\d)")
_PRICE = re.compile(r"\d+\s*(?:元|块|万|/月|/小时|一小时|每月|起)|[¥￥$]\s*\d")
_STRONG_COMPLAINT = 4.0  # keyword weight that outweighs a polite opener such as "有人知道…"


def is_ad(text: str, ev: Evidence) -> bool:
    """Ads need two or more cues: a phone number, a price, 微信/私聊/加我, 招聘 …"""
    cues = {h.word for h in ev.cues.get("ad", [])}
    count = len(cues) + bool(_PHONE.search(text)) + bool(_PRICE.search(text))
    return count >= 2


def _is_question(text: str, start: int, end: int, ev: Evidence) -> bool:
    if end < len(text) and text[end] == "?":
        return True
    return any(start <= q.start < end for q in ev.cues.get("question", []))


def is_solved(text: str, ev: Evidence) -> bool:
    """A main-clause report that it is solved: not inside a question, not followed by 结果/但是/又 …"""
    contrasts = ev.cues.get("contrast", [])
    for hit in ev.cues.get("solved", []):
        start, end = clause_bounds(text, hit.start)
        if _is_question(text, start, end, ev):
            continue
        if any(c.start >= hit.end for c in contrasts):
            continue
        return True
    return False


def _asks_after_solved(ev: Evidence) -> bool:
    """ "…审批已经停了好几年了，请问什么时候能恢复": a request after the "solved" words outweighs them."""
    last_solved = max(h.start for h in ev.cues.get("solved", []))
    return any(h.start > last_solved for h in [*ev.cues.get("request", []), *ev.cues.get("question", [])])


def reason(text: str, ev: Evidence) -> str | None:
    """Why this message is not a ticket, or None if it may be one (emergencies never get here: nlp/emergency.py)."""
    _, strongest = ev.best()
    asks = bool(ev.cues.get("request"))
    if is_ad(text, ev):
        return "ad"
    if ev.cues.get("announcement"):
        return "announcement"
    if ev.cues.get("staff_reply") and not asks:
        return "reply"
    if is_solved(text, ev) and not _asks_after_solved(ev):
        return "solved"
    if ev.cues.get("apology") and not asks:
        return "apology"
    if ev.cues.get("neighbour_question") and not asks and strongest < _STRONG_COMPLAINT:
        return "neighbour_question"
    if ev.cues.get("thanks") and not asks and strongest < 3.0:
        return "thanks"
    return None
