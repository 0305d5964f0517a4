"""Is a resident asking who their grid worker is, or how to reach them ("我想找一下网格员", "网格员是谁")?

A word for the grid worker and a sign of looking for them. A complaint that names the worker ("网格员一直不来，
楼道灯还是坏的") is not a question about who they are: it is long, or it says what is wrong, and is left to the
ordinary intake (the caller asks only when the classifier found no matter in it).
"""

from __future__ import annotations

import re
import unicodedata

_WORKER = r"(?:网格员|网格长|网格管理员|社区网格)"
_ASKS = re.compile(
    rf"(?:找|联系|认识|见|请|叫){_WORKER}|找一下{_WORKER}|找下{_WORKER}|联系一下{_WORKER}"
    rf"|{_WORKER}(?:是谁|是哪位|叫什么|在哪|怎么联系|如何联系|的?(?:电话|手机|联系方式|微信|号码))"
    rf"|(?:谁是|哪位是)(?:我们|咱们|本楼|这里|这边)?的?{_WORKER}"
    rf"|(?:我们|咱们|这里|这边|本楼|我家|小区)(?:这里|这边|的|这儿)*{_WORKER}(?:是|呢|在)"
)
LONGEST = 40  # characters: a longer message is telling something, not asking for a person


def asks_for_worker(text: str) -> bool:
    folded = unicodedata.normalize("NFKC", text).strip()
    return len(folded) <= LONGEST and bool(_ASKS.search(folded))
