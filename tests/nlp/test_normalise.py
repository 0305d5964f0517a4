"""Normalising for matching: one spelling for what residents type in many ways."""

import pytest

from nlp.normalise import normalise


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("樓上半夜一直有人走來走去，根本睡不著", "楼上半夜一直有人走来走去,根本睡不着"),  # tw2s, not t2s
        ("電梯壞了", "电梯坏了"),
        ("ＡＢＣ１２３", "abc123"),  # full-width → half-width, lower-case
        ("楼 上 太 吵 了", "楼上太吵了"),  # voice input spacing
        ("吵死了！！！！", "吵死了!"),  # repeated punctuation
        ("垃圾没人收[发怒][发怒]😡😡", "垃圾没人收"),  # WeChat stickers and emoji
        ("noise  from   upstairs 楼上", "noise from upstairs 楼上"),  # spaces between Latin words kept, once
        ("   ", ""),
    ],
)
def test_normalise(raw: str, folded: str) -> None:
    assert normalise(raw) == folded
