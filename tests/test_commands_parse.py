"""Command parsing: the forms people type on a phone."""

import pytest

from handlers.commands.registry import parse_command
from nlp.commands import looks_like_command

CASES = [
    ("/办结 12 已与宠物主人沟通", "resolve", 12, "已与宠物主人沟通"),
    ("／办结 12 已与宠物主人沟通", "resolve", 12, "已与宠物主人沟通"),
    ("/办结 #12 已沟通", "resolve", 12, "已沟通"),
    ("/办结 ＃１２ 已沟通", "resolve", 12, "已沟通"),
    ("@网格助手 /接单 1024", "accept", 1024, ""),
    ("@网格助手\u3000/接单 1024", "accept", 1024, ""),
    ("/接单1024", "accept", 1024, ""),
    ("/我的", "mine", None, ""),
    ("/查询 1024", "show", 1024, ""),
    ("/转办 1024 第十一网格", "transfer", 1024, "第十一网格"),
    ("/上报 3栋楼道堆放杂物", "report", None, "3栋楼道堆放杂物"),
    ("/进展 7 公开 已联系物业", "progress", 7, "公开 已联系物业"),
    ("/飞 2", "", 2, ""),
]


@pytest.mark.parametrize(("text", "action", "ticket", "rest"), CASES)
def test_parse(text: str, action: str, ticket: int | None, rest: str) -> None:
    cmd = parse_command(text)
    assert cmd is not None
    assert (cmd.action, cmd.ticket, cmd.text) == (action, ticket, rest)


def test_merge_takes_every_number() -> None:
    cmd = parse_command("/合并 1024 #1031 1032")
    assert cmd is not None
    assert cmd.numbers == (1024, 1031, 1032)


@pytest.mark.parametrize("text", ["楼下狗叫", "谢谢 /", "http://example.com/a", "1/2 的人同意", ""])
def test_not_commands(text: str) -> None:
    assert parse_command(text) is None
    assert not looks_like_command(text)


def test_every_declared_verb_parses_to_its_command_and_help_shows_each_once() -> None:
    from handlers.commands.registry import COMMANDS

    for spec in COMMANDS:
        for verb in spec.verbs:
            cmd = parse_command(f"/{verb} 12 文字")
            assert cmd is not None
            assert cmd.action == spec.action
            assert (cmd.ticket == 12) is (spec.number != "none")
    shown = [s.help.split(" ")[0] for s in COMMANDS if s.help]
    assert len(shown) == len(set(shown))
    assert {s.action for s in COMMANDS} >= {"accept", "resolve", "help", "digest_week"}
    assert parse_command("/重载").action == ""  # type: ignore[union-attr]  # a verb nobody declared is unknown


@pytest.mark.parametrize(
    ("text", "ticket", "malformed"),
    [
        ("/进展 7.5 已上门", None, True),
        ("/接单 1.5", None, True),
        ("/接单 1; DROP TABLE tickets;--", None, True),
        ("/办结 12abc 已修好", None, True),
        ("/接单 99999999999999999999", 99999999999999999999, False),  # a number, just not a ticket's
        ("/办结 1024，已修好", 1024, False),
        ("/办结 1024：已修好", 1024, False),
        ("/接单 1024", 1024, False),
        ("/上报 3.5米高的树枝挂在电线上", None, False),  # free text: no number is read
    ],
)
def test_a_ticket_number_is_digits_alone(text: str, ticket: int | None, malformed: bool) -> None:
    cmd = parse_command(text)
    assert cmd is not None
    assert (cmd.ticket, cmd.malformed) == (ticket, malformed)
