"""Config reload without a restart, and open tickets following a grid's new worker."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli.main import main
from bot.core.settings import Settings, load_settings
from bot.runtime import pidfile
from bot.runtime.app import build_services
from bot.runtime.reload import apply_settings, read_outcome, reload_from_file
from bot.runtime.scheduler import build_scheduler
from handlers.jobs.staffing import Reassigned, reassign_changed_workers
from storage.store import Store
from tests import fixed_time
from tests.chat import Chat
from tests.conftest import DATA, _chat

ROOT = Path(__file__).resolve().parent.parent
NEW_WORKER = {"id": "wxid_zhao", "name": "赵新", "role": "grid_worker"}


def config(tmp_path: Path, g10_worker: Any = "wxid_zhangyan", name: str = "config.yaml", **extra: Any) -> Path:
    """tests/data/config.yaml with 赵新 on the staff, g10's worker set, and any top-level keys replaced."""
    data = yaml.safe_load((DATA / "config.yaml").read_text(encoding="utf-8"))
    data["people"].append(NEW_WORKER)
    data["grids"][0]["worker"] = g10_worker
    data["data_dir"] = str(tmp_path / "data")
    data.update(extra)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


async def _bot(settings: Settings, url: str, path: Path | None = None) -> AsyncIterator[Chat]:
    async for chat in _chat(settings, url):
        chat.app.config_path = path
        yield chat


@pytest.fixture
async def bot(tmp_path: Path, db_url: str) -> AsyncIterator[Chat]:
    path = config(tmp_path)
    async for chat in _bot(load_settings(path, env={}), db_url, path):
        yield chat


async def _three_tickets(chat: Chat) -> None:
    await chat.say("周阿姨", "楼下有人养狗，到晚上老叫唤，根本没法休息")  # #1 g10, open
    await chat.say("老李", "龙城1栋电梯又坏了，困了人", chat="room_longcheng_1")  # #2 g10, resolved below
    await chat.say("张燕", "/办结 2 已报修，电梯已恢复", chat="private")
    await chat.say("老王", "景园2栋门口的路灯坏了一个星期了", chat="room_jingyuan_2")  # #3 g11
    await chat.say("张燕", "/接单 1")


def holders(chat: Chat) -> dict[int, tuple[str, str]]:
    with chat.app.services.store.begin() as uow:
        return {t.id: (t.holder_id, t.state) for t in uow.tickets.find()}


async def test_reload_moves_open_tickets_of_a_replaced_worker_and_tells_the_new_one(bot: Chat, tmp_path: Path) -> None:
    await _three_tickets(bot)
    config(tmp_path, g10_worker="wxid_zhao")
    report = await reload_from_file(bot.app, env={})

    assert report.ok
    assert report.changes == ["grid g10: worker 'wxid_zhangyan' -> 'wxid_zhao'"]
    assert report.moved_tickets == 1
    assert holders(bot) == {1: ("wxid_zhao", "accepted"), 2: ("wxid_zhangyan", "resolved"), 3: ("wxid_li", "open")}
    told = bot.new()
    assert [(s.chat_id, s.mention_ids, s.text) for s in told] == [
        ("room_staff", ("wxid_zhao",), "第十网格的网格员已由张燕改为您，1 件未办结工单已转给您：#1。发送 /我的 查看。")
    ]
    with bot.app.services.store.begin() as uow:
        last = uow.tickets.events(1)[-1]
    assert (last.action, last.actor_id, last.note) == ("reassigned", "", "张燕 → 赵新")
    assert json.loads(last.data) == {"to": "wxid_zhao", "previous": "wxid_zhangyan", "grid": "g10"}

    # the handlers use the new settings: the next report in g10 goes to 赵新, who can work #1
    bot.settings = bot.app.settings
    ack = await bot.say("孙大爷", "天城3栋楼道里堆满了杂物，过不去人")
    assert "由赵新跟进" in ack[0].text
    detail = await bot.say("赵新", "/查询 1", chat="private")
    assert "网格助手 网格员变更转交：张燕 → 赵新" in detail[0].text
    assert (await bot.say("赵新", "/办结 1 已与养狗住户沟通", chat="private"))[-1].text == "#1 已办结，结果已发到原群。"

    again = await reload_from_file(bot.app, env={})  # the same file again: nothing changes, nothing moves
    assert (again.ok, again.changes, again.moved_tickets) == (True, [], 0)
    assert bot.new() == []
    outcome = read_outcome(bot.app.settings.data_dir, 0)
    assert outcome == again


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("people: [\n  - {id: x", "not valid YAML"),
        ("colour: red\n", "colour: unknown key"),
        ("grids:\n  - {id: g10, name: 第十网格, worker: wxid_nobody}\n", "wxid_nobody"),
    ],
)
async def test_a_bad_config_is_refused_with_a_log_line_and_the_old_settings_stay(
    bot: Chat, tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str, said: str
) -> None:
    before = bot.app.settings
    (tmp_path / "config.yaml").write_text(content, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="gridbot.reload"):
        report = await reload_from_file(bot.app, env={})
    assert not report.ok
    assert said in report.error
    assert bot.app.settings is before
    assert any("config reload refused, the bot keeps its current settings" in r.getMessage() for r in caplog.records)
    ack = await bot.say("周阿姨", "楼下有人养狗，到晚上老叫唤，根本没法休息")
    assert "由张燕跟进" in ack[0].text
    outcome = read_outcome(before.data_dir, 0)
    assert outcome is not None
    assert not outcome.ok


async def test_keys_that_need_a_restart_are_kept_and_said(bot: Chat, tmp_path: Path) -> None:
    before = bot.app.settings
    config(tmp_path, database="sqlite:////elsewhere/gridbot.db", timezone="Asia/Urumqi", promise_hours=6)
    report = await reload_from_file(bot.app, env={})
    assert report.ok
    assert report.changes == [
        "promise_hours changed",
        "database changed: takes effect at the next restart",
        "timezone changed: takes effect at the next restart",
    ]
    now = bot.app.settings
    assert (now.database, now.timezone, now.promise_hours) == (before.database, before.timezone, 6)
    ack = await bot.say("周阿姨", "楼下有人养狗，到晚上老叫唤，根本没法休息")
    assert "6小时内给您回复" in ack[0].text


async def test_a_worker_changed_while_the_bot_was_down_gets_the_tickets_at_start_up(
    tmp_path: Path, db_url: str
) -> None:
    first = config(tmp_path, name="before.yaml")
    async for chat in _bot(load_settings(first, env={}), db_url):
        await _three_tickets(chat)
    after = config(tmp_path, g10_worker="wxid_zhao", name="after.yaml")
    async for chat in _bot(load_settings(after, env={}), db_url):
        assert holders(chat)[1] == ("wxid_zhao", "accepted")
        assert [s.text for s in chat.adapter.sent] == [
            "第十网格的网格员已由张燕改为您，1 件未办结工单已转给您：#1。发送 /我的 查看。"
        ]
    async for chat in _bot(load_settings(after, env={}), db_url):  # a second start moves nothing again
        assert chat.adapter.sent == []
        with chat.app.services.store.begin() as uow:
            assert [e.action for e in uow.tickets.events(1)].count("reassigned") == 1


async def test_a_worker_still_listed_for_the_grid_keeps_their_tickets(bot: Chat, tmp_path: Path) -> None:
    await _three_tickets(bot)
    config(tmp_path, g10_worker=["wxid_zhao", "wxid_zhangyan"])
    report = await reload_from_file(bot.app, env={})
    assert (report.ok, report.moved_tickets) == (True, 0)
    assert holders(bot)[1] == ("wxid_zhangyan", "accepted")
    bot.settings = bot.app.settings
    assert "由赵新跟进" in (await bot.say("孙大爷", "天城3栋楼道里堆满了杂物，过不去人"))[0].text


async def test_reload_reschedules_the_digests_and_the_sweep(bot: Chat, tmp_path: Path) -> None:
    app = bot.app
    app.scheduler = build_scheduler(app, app.scheduled_jobs)  # as run() makes it (not started here)
    digests = {"day": "0 6 * * *", "week": "", "month": "0 8 1 * *"}
    new = load_settings(config(tmp_path, digests=digests, sweep_interval_seconds=30), env={})
    report = await apply_settings(app, new)
    assert report.changes == ["sweep_interval_seconds changed", "digests changed"]
    jobs = {job.id: str(job.trigger) for job in app.scheduler.get_jobs()}
    assert set(jobs) == {"sweep", "digest-day", "digest-month"}
    assert "hour='6', minute='0'" in jobs["digest-day"]
    assert "0:00:30" in jobs["sweep"]


def test_gridbot_reload_without_a_running_bot_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path)
    assert main(["reload", "--config", str(path)]) == 1
    assert "no running gridbot found for data_dir" in capsys.readouterr().err
    path.write_text("colour: red\n", encoding="utf-8")
    assert main(["reload", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "colour: unknown key" in err
    assert "the running bot keeps its current settings" in err


# -- a real process -------------------------------------------------------------------------------


async def _line(stream: asyncio.StreamReader, wanted: str) -> str:
    while True:
        line = (await asyncio.wait_for(stream.readline(), 30)).decode()
        assert line, f"the bot ended before saying {wanted!r}"
        if wanted in line:
            return line


async def _cli(*args: str) -> tuple[int, str, str]:
    env = fixed_time.env(PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return int(proc.returncode or 0), out.decode(), err.decode()


@pytest.mark.slow
async def test_a_running_shell_reloads_on_sighup_and_gridbot_reload(tmp_path: Path) -> None:
    path = config(tmp_path)
    data = tmp_path / "data"
    env = fixed_time.env(PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "shell", "--config", str(path), env=env, cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None

    async def say(line: str) -> None:
        assert proc.stdin is not None
        proc.stdin.write((line + "\n").encode())
        await proc.stdin.drain()

    try:
        await say("[美景天城3栋] 周阿姨: 楼下有人养狗，到晚上老叫唤，根本没法休息")
        assert "由张燕跟进" in await _line(proc.stdout, "已登记 #1")
        running = pidfile.running(data)
        assert running is not None
        assert running.pid == proc.pid

        # a broken file sent straight with SIGHUP: refused, logged, the bot carries on as before
        path.write_text("grids: [\n", encoding="utf-8")
        os.kill(proc.pid, signal.SIGHUP)
        assert "not valid YAML" in await _line(proc.stderr, "config reload refused")
        await say("[美景天城3栋] 老李: 三楼楼道灯不亮了，晚上很黑")
        assert "由张燕跟进" in await _line(proc.stdout, "已登记 #2")

        # g10 gets 赵新; `gridbot reload` finds the bot by its pid file and prints what it did
        config(tmp_path, g10_worker="wxid_zhao")
        code, out, err = await _cli("reload", "--config", str(path))
        assert code == 0, err
        assert f"pid {proc.pid} reloaded" in out
        assert "grid g10: worker 'wxid_zhangyan' -> 'wxid_zhao'" in out
        assert "2 open tickets moved to new grid workers" in out
        notice = await _line(proc.stdout, "[美景社区工作群]")
        assert "@赵新 第十网格的网格员已由张燕改为您，2 件未办结工单已转给您：#1、#2。" in notice
        await say("[美景天城3栋] 孙大爷: 天城3栋楼道里堆满了杂物，过不去人")
        assert "由赵新跟进" in await _line(proc.stdout, "已登记 #3")

        # while it runs: a backup can be taken, a restore over its database is refused
        code, out, err = await _cli("backup", "--config", str(path), "--out", str(tmp_path / "b.db"))
        assert (code, "3 tickets" in out) == (0, True), err
        code, out, err = await _cli("restore", str(tmp_path / "b.db"), "--config", str(path), "--force")
        assert code == 1
        assert f"a gridbot (pid {proc.pid}) is running" in err
    finally:
        proc.stdin.close()
        code = await asyncio.wait_for(proc.wait(), 30)
    assert code == 0
    assert not pidfile.pid_path(data).exists()
    code, out, err = await _cli("reload", "--config", str(path))
    assert code == 1
    assert "no running gridbot found" in err


async def test_a_worker_changed_on_the_administration_page_gets_the_tickets_and_a_reload_keeps_it(
    bot: Chat,
) -> None:

    await _three_tickets(bot)
    with bot.app.services.store.begin() as uow:  # what the 管理 page stores (web/views/admin.py)
        uow.directory.save(
            "grid",
            "g10",
            {"worker": ["wxid_zhao"], "community": "default"},
            before={"worker": ["wxid_zhangyan"]},
            at=bot.clock.now(),
            actor_id="wxid_wanghuan",
            actor_name="王欢",
        )
    sent = await bot.say("孙大爷", "天城3栋楼道里堆满了杂物，过不去人")  # the bot's next turn sees the change
    assert next(s.text for s in sent if s.chat_id == "room_staff" and s.mention_ids == ("wxid_zhao",)) == (
        "第十网格的网格员已由张燕改为您，1 件未办结工单已转给您：#1。发送 /我的 查看。"
    )
    assert holders(bot)[1] == ("wxid_zhao", "accepted")
    assert "由赵新跟进" in next(s.text for s in sent if s.chat_id == "room_tiancheng_3")
    # config.yaml still names 张燕: a reload keeps the page's change on top and moves nothing back
    report = await reload_from_file(bot.app, env={})
    assert (report.ok, report.changes, report.moved_tickets) == (True, [], 0)
    assert bot.app.settings.grids_by_id["g10"].workers == ["wxid_zhao"]
    assert holders(bot)[1] == ("wxid_zhao", "accepted")


async def moved_by_two_bots_starting_together(settings: Settings, url: str) -> list[list[Reassigned]]:
    """Two bots on one database, each with its own connections, run the start-up handover at the same moment.

    The first holds its transaction open a while: the other must wait for it, then find nothing to move.
    """
    both = [build_services(settings, db_url=url) for _ in range(2)]
    start = threading.Barrier(2)
    moved: list[list[Reassigned]] = []

    def starting(services: Any) -> None:
        start.wait()
        with services.turn() as deps:
            moved.append(reassign_changed_workers(deps))
            time.sleep(0.3)

    try:
        await asyncio.gather(*(asyncio.to_thread(starting, s) for s in both))
    finally:
        for services in both:
            services.store.dispose()
    return moved


@pytest.mark.postgres
async def test_two_processes_starting_together_move_the_tickets_once(tmp_path: Path, pg_schema_url: str) -> None:
    async for chat in _bot(load_settings(config(tmp_path, name="before.yaml"), env={}), pg_schema_url):
        await _three_tickets(chat)
    after = load_settings(config(tmp_path, g10_worker="wxid_zhao", name="after.yaml"), env={})
    moved = await moved_by_two_bots_starting_together(after, pg_schema_url)
    assert sorted(sum(len(m.ticket_ids) for m in found) for found in moved) == [0, 1]
    store = Store(pg_schema_url)
    try:
        with store.begin() as uow:
            assert [e.action for e in uow.tickets.events(1)].count("reassigned") == 1
            assert len([o for o in uow.outbox.items() if "改为您" in o.text]) == 1
    finally:
        store.dispose()
