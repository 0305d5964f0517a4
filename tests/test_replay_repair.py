"""`gridbot replay` killed with -9 and run again: start-up repair and the `--sent` file lose nothing.

Real subprocesses. Nothing here waits a fixed time: a kill is sent once the `--sent` file has
reached a given number of lines (wherever the process then is), and every assertion holds
wherever the kill lands. Simulated time comes from the log; GRIDBOT_NOW pins the rest.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.core.messages import IncomingMessage
from storage.store import Store
from tests import fixed_time
from tests.conftest import DATA
from tests.genlog import START, chat_log, district, write_log

ROOT = Path(__file__).resolve().parent.parent
GAS = "1单元4楼闻到很浓的煤气味"
DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"


def start(config: Path, log: Path, db: str, sent: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "bot.cli", "replay", str(log), "--config", str(config), "--db", db]
    env = fixed_time.env(PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [*cmd, "--sent", str(sent)], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    summary: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return summary


def sent_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def kill_after(proc: subprocess.Popen[str], sent: Path, lines: int) -> None:
    """SIGKILL once the file has `lines` lines; the process must still have been running."""
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        if sent.exists() and sent.read_bytes().count(b"\n") >= lines:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the replay ended before it could be killed"


def line(i: int, hhmm: str, text: str, sender: str, name: str) -> dict[str, Any]:
    return {
        "id": f"p{i}",
        "chat_id": "room_tiancheng_3",
        "chat_topic": "美景天城3栋",
        "sender_id": sender,
        "sender_name": name,
        "text": text,
        "ts": f"2026-11-23T{hhmm}:00+08:00",
    }


def incoming(obj: dict[str, Any]) -> IncomingMessage:
    from bot.runtime.replay import parse_line

    return parse_line(json.dumps(obj, ensure_ascii=False))


def test_repair_handles_each_stored_message_at_its_own_time(tmp_path: Path) -> None:
    # a low flood limit: the old repair, run at the log's first minute and counting everything stored
    # after it, took these three messages of one resident for a flood and dropped the gas leak
    config = yaml.safe_load((DATA / "config.yaml").read_text(encoding="utf-8"))
    config["limits"] = {"flood_per_minute": 2}
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    lines = [
        line(1, "09:00", "早上好", "wxid_chen", "老陈"),
        line(2, "09:10", "早上好", "wxid_zhou", "周阿姨"),
        line(3, "09:15", DOG, "wxid_liu", "刘大爷"),
        line(4, "09:20", "谢谢大家", "wxid_zhou", "周阿姨"),
        line(5, "09:30", GAS, "wxid_zhou", "周阿姨"),
        line(6, "10:00", "今天菜市场的菜真新鲜", "wxid_chen", "老陈"),
    ]
    whole, whole_sent = f"sqlite:///{tmp_path / 'whole.db'}", tmp_path / "whole.jsonl"
    finish(start(cfg, write_log(lines, tmp_path / "all.jsonl"), whole, whole_sent))

    # a replay that handled line 1, stored lines 2–5 and died before handling them
    db, sent = f"sqlite:///{tmp_path / 'crashed.db'}", tmp_path / "sent.jsonl"
    finish(start(cfg, write_log(lines[:1], tmp_path / "first.jsonl"), db, sent))
    store = Store(db)
    with store.begin() as uow:
        for obj in lines[1:5]:
            uow.messages.add(incoming(obj), purge_after=None)
    store.dispose()

    finish(start(cfg, tmp_path / "all.jsonl", db, sent))
    store = Store(db)
    with store.begin() as uow:
        assert uow.messages.unprocessed() == []
        stored = [uow.messages.by_platform_id(obj["id"]) for obj in lines[1:5]]
    store.dispose()
    for m in stored:  # each one handled at the minute it arrived, not at the log's first
        assert m is not None
        assert m.processed_at == m.received_at, m
    got = sent_lines(sent)
    gas = [s for s in got if s["chat_id"] == "room_tiancheng_3" and "wxid_zhou" in s["mention_ids"]]
    assert [s["ts"] for s in gas] == ["2026-11-23T09:30:00+08:00"]
    alarm = [s for s in got if s["chat_id"] == "room_staff" and s["ts"] == "2026-11-23T09:30:00+08:00"]
    assert alarm, got  # the grid's staff are alarmed at the minute it was reported
    assert any(s["ts"] == "2026-11-23T09:15:00+08:00" and "wxid_liu" in s["mention_ids"] for s in got)
    assert got == sent_lines(whole_sent)  # as if the replay had never stopped


def test_kill_9_mid_replay_then_rerun_loses_no_reply(tmp_path: Path) -> None:
    d = district(1, grids=3, groups_per_grid=2)
    config = d.write(tmp_path / "district.yaml")
    lines = list(chat_log(d, 150, numbered_commands=False, span=timedelta(hours=20)))
    lines.append(
        {"id": "tail", "chat_id": d.groups[0], "sender_id": "wxid_tail", "text": "早上好",
         "ts": (START + timedelta(days=3)).isoformat()}
    )  # fmt: skip
    log = write_log(lines, tmp_path / "log.jsonl")
    whole_sent = tmp_path / "whole.jsonl"
    reference = finish(start(config, log, f"sqlite:///{tmp_path / 'whole.db'}", whole_sent))
    expected = sent_lines(whole_sent)
    assert reference["sent"] == len(expected) > 60

    db, sent = f"sqlite:///{tmp_path / 'killed.db'}", tmp_path / "sent.jsonl"
    for at in (8, len(expected) // 3):  # killed twice, each time wherever it then is
        kill_after(start(config, log, db, sent), sent, at)
        assert len(sent_lines(sent)) < len(expected)
    finish(start(config, log, db, sent))
    got = sent_lines(sent)
    assert [(s["chat_id"], s["ts"]) for s in got] == [(s["chat_id"], s["ts"]) for s in expected]
    assert got == expected


def test_repair_leaves_a_message_from_the_replays_future_to_its_own_replay(tmp_path: Path) -> None:
    # another replay on the same database stored the gas leak (09:30) a moment ago and is about to
    # handle it; this replay's log starts at 09:00. Taking it at start-up ran this replay's clock to
    # 09:30, and every one of its own messages was then handled at 09:30 instead of its own minute.
    cfg = DATA / "config.yaml"
    db, sent = f"sqlite:///{tmp_path / 'shared.db'}", tmp_path / "sent.jsonl"
    lines = [
        line(1, "09:00", "早上好", "wxid_chen", "老陈"),
        line(2, "09:10", "早上好", "wxid_zhou", "周阿姨"),
        line(3, "09:15", DOG, "wxid_liu", "刘大爷"),
        line(4, "09:20", "谢谢大家", "wxid_zhou", "周阿姨"),
    ]
    gas = line(5, "09:30", GAS, "wxid_zhou", "周阿姨")
    finish(start(cfg, write_log([], tmp_path / "empty.jsonl"), db, sent))  # the schema only
    store = Store(db)
    with store.begin() as uow:
        uow.messages.add(incoming(gas), purge_after=None)
    store.dispose()

    finish(start(cfg, write_log(lines, tmp_path / "mine.jsonl"), db, sent))
    store = Store(db)
    with store.begin() as uow:
        mine = [uow.messages.by_platform_id(obj["id"]) for obj in lines]
        left = [m.platform_id for m in uow.messages.unprocessed()]
    store.dispose()
    for m in mine:
        assert m is not None
        assert m.processed_at == m.received_at, m
    assert left == ["p5"]  # not this replay's to take
    dog = [s for s in sent_lines(sent) if "wxid_liu" in s["mention_ids"]]
    assert [s["ts"] for s in dog] == ["2026-11-23T09:15:00+08:00"]

    # its own replay (here restarted on its log) handles it at its minute
    finish(start(cfg, write_log([gas], tmp_path / "theirs.jsonl"), db, sent))
    store = Store(db)
    with store.begin() as uow:
        handled = uow.messages.by_platform_id("p5")
        assert uow.messages.unprocessed() == []
    store.dispose()
    assert handled is not None
    assert handled.processed_at == handled.received_at
    alarms = [s for s in sent_lines(sent) if s["chat_id"] == "room_tiancheng_3" and "wxid_zhou" in s["mention_ids"]]
    assert [s["ts"] for s in alarms] == ["2026-11-23T09:30:00+08:00"]
