"""`gridbot replay`: the full pipeline in simulated time, from a JSONL chat log."""

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import DATA

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"


def line(
    i: int, ts: str, text: str, sender: str = "wxid_zhou", name: str = "周阿姨", chat: str = "room_tiancheng_3"
) -> str:
    return json.dumps(
        {
            "id": f"r{i}",
            "chat_id": chat,
            "chat_topic": "美景天城3栋",
            "sender_id": sender,
            "sender_name": name,
            "text": text,
            "ts": ts,
            "mentions": [],
        },
        ensure_ascii=False,
    )


def run(tmp_path: Path, log_lines: list[str], capsys: pytest.CaptureFixture[str], db: str) -> tuple[dict, list[dict]]:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(log_lines) + "\n", encoding="utf-8")
    sent = tmp_path / "sent.jsonl"
    sent.unlink(missing_ok=True)
    code = main(["replay", str(log), "--config", str(DATA / "config.yaml"), "--db", db, "--sent", str(sent)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    records = [json.loads(x) for x in sent.read_text(encoding="utf-8").splitlines()] if sent.exists() else []
    return summary, records


def test_replay_report_at_night_shows_every_timed_post(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    summary, sent = run(
        tmp_path,
        [
            line(1, "2026-11-23T21:00:00+08:00", DOG),
            line(2, "2026-11-24T20:00:00+08:00", "早上好", sender="wxid_liu", name="刘大爷"),
        ],
        capsys,
        db,
    )
    assert summary["messages"] == 2
    assert summary["tickets"] == 1
    assert summary["sent"] == len(sent)
    assert set(summary) >= {"messages", "tickets", "sent", "seconds"}
    ack = sent[0]
    assert ack["ts"] == "2026-11-23T21:00:00+08:00"
    assert ack["mention_ids"] == ["wxid_zhou", "wxid_zhangyan"]
    assert not ack["text"].startswith("@")
    # the 12-hour mark (09:00) is outside quiet hours; it is also the deadline, so the group's one
    # post then is the escalation's status line
    group = [s for s in sent[1:] if s["chat_id"] == "room_tiancheng_3"]
    assert [(s["ts"], "已转交片区负责人" in s["text"]) for s in group] == [("2026-11-24T09:00:00+08:00", True)]
    # the 12-hour deadline passes at 09:00 → escalated to the area cadre at that simulated minute
    escalations = [s for s in sent if s["chat_id"] == "room_staff" and "已转交您处理" in s["text"]]
    assert escalations[0]["ts"] == "2026-11-24T09:00:00+08:00"
    assert escalations[0]["mention_ids"] == ["wxid_yanghx"]
    assert all(s["ts"] <= "2026-11-24T20:00:00+08:00" for s in sent)


def test_replay_skips_malformed_lines_with_their_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    log = tmp_path / "log.jsonl"
    log.write_text(
        "\n".join(
            [
                line(1, "2026-11-23T10:00:00+08:00", DOG),
                "{not json",
                json.dumps({"id": "x", "chat_id": "c"}),
                line(4, "2026-11-23T10:01:00", "没有时区"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    assert main(["replay", str(log), "--config", str(DATA / "config.yaml"), "--db", db]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out.strip().splitlines()[-1])["messages"] == 1
    assert ":2: skipped: not JSON" in err
    assert ":3: skipped: missing" in err
    assert ":4: skipped: ts needs a UTC offset" in err


def test_second_replay_continues_from_the_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    first, _ = run(tmp_path, [line(1, "2026-11-23T10:00:00+08:00", DOG)], capsys, db)
    assert first["tickets"] == 1
    second, sent = run(
        tmp_path,
        [
            line(1, "2026-11-23T10:00:00+08:00", DOG),  # delivered again: nothing new
            line(
                2,
                "2026-11-23T10:05:00+08:00",
                "/办结 1 已沟通",
                sender="wxid_zhangyan",
                name="张燕",
                chat="wxid_zhangyan",
            ),
        ],
        capsys,
        db,
    )
    assert second["tickets"] == 0
    assert [s["chat_id"] for s in sent] == ["room_tiancheng_3", "wxid_zhangyan"]
    assert sent[0]["text"].startswith("#1 已办结：已沟通")


def test_missing_log_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / "nope.jsonl"), "--config", str(DATA / "config.yaml")]) == 2
    assert "replay log not found" in capsys.readouterr().err


def scripted_day() -> list[str]:
    lines = [
        line(1, "2026-11-23T08:10:00+08:00", DOG),
        line(2, "2026-11-23T08:30:00+08:00", "楼下的狗一到晚上就叫唤,吵得我也没法休息", "wxid_liu", "刘大爷"),
        line(3, "2026-11-23T09:00:00+08:00", "小区东门的垃圾好几天没人清运,臭气熏天", "wxid_chen", "老陈"),
        line(4, "2026-11-23T09:05:00+08:00", "/接单 2", "wxid_zhangyan", "张燕", "wxid_zhangyan"),
        line(5, "2026-11-23T15:00:00+08:00", "3栋电梯坏了,老人下不了楼", "wxid_wu", "吴奶奶"),
        line(6, "2026-11-23T16:00:00+08:00", "/办结 2 垃圾已清运", "wxid_zhangyan", "张燕", "wxid_zhangyan"),
        line(7, "2026-11-23T16:05:00+08:00", "满意", "wxid_chen", "老陈"),
        line(8, "2026-11-24T10:00:00+08:00", "谢谢大家", "wxid_wu", "吴奶奶"),
        line(9, "2026-11-25T12:00:00+08:00", "/我的", "wxid_yanghx", "杨海霞", "wxid_yanghx"),
    ]
    return lines


def tickets_of(db: str) -> list[tuple]:
    from storage.store import Store

    store = Store(db)
    with store.begin() as uow:
        rows = [(t.id, t.category, t.level, t.holder_id, t.state, t.deadline_at) for t in uow.tickets.find()]
        escalations = [(e.ticket_id, e.action, e.at) for t in uow.tickets.find() for e in uow.tickets.events(t.id)]
    store.dispose()
    return rows + escalations


def test_interrupted_replay_matches_an_uninterrupted_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = scripted_day()
    whole_db = f"sqlite:///{tmp_path / 'whole.db'}"
    _, whole_sent = run(tmp_path, lines, capsys, whole_db)
    split_db = f"sqlite:///{tmp_path / 'split.db'}"
    _, first = run(tmp_path, lines[:5], capsys, split_db)
    # the process stops here; a new one picks up the rest (and one line delivered again)
    _, second = run(tmp_path, lines[4:], capsys, split_db)
    assert first + second == whole_sent
    assert tickets_of(split_db) == tickets_of(whole_db)
    assert any("已转交您处理" in s["text"] for s in whole_sent)  # the day did include escalations


def test_out_of_range_and_mistyped_lines_are_skipped_and_the_rest_replayed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    good = json.loads(line(1, "2026-11-23T10:00:00+08:00", DOG))
    bad = [
        {**good, "id": "y", "ts": "9999-12-31T23:00:00+08:00"},  # ended the replay with an OverflowError
        {**good, "id": "n", "text": None},  # was stored as the text 'None'
        {**good, "id": "i", "text": 42},
        {**good, "id": "t", "ts": 1732327200},
        {**good, "id": "o", "ts": "0001-01-01T00:00:00+08:00"},
        {**good, "id": None},
        {**good, "id": "c", "chat_id": ["room"]},
        {**good, "id": "m", "mentions": [1, 2]},
        {**good, "id": "b", "mentions_bot": "yes"},
        {**good, "id": "s", "sender_name": {"x": 1}},
    ]
    log = tmp_path / "log.jsonl"
    rows = [*(json.dumps(b, ensure_ascii=False) for b in bad), line(2, "2026-11-23T10:05:00+08:00", DOG, "wxid_liu")]
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["replay", str(log), "--config", str(DATA / "config.yaml"), "--db", db]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["skipped"], summary["messages"], summary["tickets"]) == (len(bad), 1, 1)
    reasons = [
        "ts out of range",
        "text must be a string, not null",
        "text must be a string, not int",
        "ts must be a string",
        "ts out of range",
        "id must be a string, not null",
        "chat_id must be a string, not list",
        "mentions must be a list of ids",
        "mentions_bot must be true or false",
        "sender_name must be a string",
    ]
    for number, reason in enumerate(reasons, start=1):
        assert f"log.jsonl:{number}: skipped: {reason}" in err, err
    assert "Traceback" not in err
