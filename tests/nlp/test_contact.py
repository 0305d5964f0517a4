"""Asking who the grid worker is (nlp/contact.py): the questions residents write, and what only names the worker."""

from __future__ import annotations

import pytest

from nlp.contact import asks_for_worker


@pytest.mark.parametrize(
    "text",
    [
        "你好，我想找一下网格员",
        "请问我们这里的网格员是谁？",
        "网格员怎么联系",
        "我们的网格员是谁",
        "网格员电话多少",
        "谁是我们的网格员",
        "找网格员",
        "请问网格长是哪位",
        "网格员的联系方式发我一下",
    ],
)
def test_asks(text: str) -> None:
    assert asks_for_worker(text)


@pytest.mark.parametrize(
    "text",
    [
        "网格员一直不来处理，楼道灯还是坏的",
        "谢谢网格员",
        "今天天气不错",
        "楼下有人养狗，到晚上老叫唤",
        "我找了网格员好几次了，电梯到现在还是坏的，每天爬十几层楼，老人根本受不了，希望尽快解决",
    ],
)
def test_does_not_ask(text: str) -> None:
    assert not asks_for_worker(text)
