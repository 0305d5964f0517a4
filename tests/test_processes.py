"""Several real `gridbot replay` processes on one PostgreSQL database; kill -9; a database restart.

Each test compares with one uninterrupted process replaying the same log into another database.
Ticket numbers come from a sequence and may have gaps (a killed transaction used one), so tickets
are compared by the message that opened them and texts with their numbers blanked.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.genlog import START, District, chat_log, district, split_by_account, write_log
from tests.pgserver import PgServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def replay(config: Path, log: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "bot.cli", "replay", str(log), "--config", str(config), "--db", url, *extra]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"replay exited {proc.returncode}:\n{out}\n{err[-3000:]}"
    assert "Traceback" not in err, err[-3000:]
    return err


def rows(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(_dsn(url)) as conn:
        return list(conn.execute(query).fetchall())


def scenario(
    tmp_path: Path, messages: int, *, grids: int = 6, span: timedelta = timedelta(hours=30, seconds=77)
) -> tuple[District, Path, list[dict[str, Any]]]:
    d = district(1, grids=grids, groups_per_grid=2)
    config = d.write(tmp_path / "district.yaml")
    lines = list(chat_log(d, messages, numbered_commands=False, span=span))
    # ten days later: every open ticket has climbed the whole ladder by then, whoever swept it
    tail = START + timedelta(days=10)
    for k, chat in enumerate((d.groups[0], d.groups[-1])):
        lines.append(
            {"id": f"tail{k}", "chat_id": chat, "sender_id": "wxid_tail", "text": "早上好", "ts": tail.isoformat()}
        )
    return d, config, lines


def outcome(url: str) -> dict[str, Any]:
    """What must not depend on how many processes did the work."""
    tickets = rows(
        url,
        "SELECT t.id, m.platform_id, t.category, t.grid_id, t.reporter_id, t.level, t.state"
        " FROM tickets t LEFT JOIN messages m ON m.id = t.source_message_id",
    )
    pid_of = {t[0]: t[1] for t in tickets}
    levels: dict[str, list[int]] = {}
    for ticket_id, level in rows(url, "SELECT ticket_id, level FROM events WHERE action = 'escalated' ORDER BY id"):
        levels.setdefault(pid_of[ticket_id], []).append(level)
    joined = Counter((pid_of[t], who) for t, who in rows(url, "SELECT ticket_id, reporter_id FROM ticket_reporters"))
    received = {r[0] for r in rows(url, "SELECT received_at FROM messages")}
    # Who holds a ticket when a neighbour joins it depends on the sweeps: a second process's
    # simulated clock may run ahead and escalate a ticket earlier than the first's time would
    # (escalations themselves are compared below), so holder names are blanked too.
    replies = Counter(
        (chat, re.sub(r"由[^，。]+跟进", "由…跟进", re.sub(r"#\d+", "#N", text)))
        for chat, text, created in rows(url, "SELECT chat_id, text, created_at FROM outbox")
        if created in received  # answers to messages (sweep posts depend on which process swept when)
        # `/我的` lists a worker's tickets across all chats as they stand at that moment: turns of
        # different chats in two processes run in no fixed order, so that list is not compared
        and not text.startswith(("您有 ", "您目前没有未办结"))
    )
    return {
        "tickets": sorted(t[1:] for t in tickets),
        "escalations": levels,
        "overdue": Counter(pid_of[t] for (t,) in rows(url, "SELECT ticket_id FROM events WHERE action = 'overdue'")),
        "reporters": joined,
        "replies": replies,
    }


def no_duplicates(url: str, reference: str) -> None:
    """Every message stored once and processed; what the reference keeps is kept.

    Chatter is purged after its retention by whichever process sweeps when the hour comes round,
    and the time of the last purge is shared through the database: with two processes on their
    own simulated clocks, a chatter message one of them stored after the other's purge may stay
    until the next one. So the kept set may be larger than the reference's, by messages that
    opened nothing, never smaller.
    """
    kept = {pid for (pid,) in rows(reference, "SELECT platform_id FROM messages")}
    here = {pid for (pid,) in rows(url, "SELECT platform_id FROM messages")}
    assert kept <= here
    extra = here - kept
    if extra:
        referenced = {
            pid
            for (pid,) in rows(
                url,
                "SELECT m.platform_id FROM messages m WHERE m.id IN (SELECT source_message_id FROM tickets)"
                " OR m.id IN (SELECT message_id FROM ticket_reporters WHERE message_id IS NOT NULL)",
            )
        }
        assert not extra & referenced, "a message that opened or joined a ticket is missing from the reference"
    assert rows(url, "SELECT count(*), count(processed_at) FROM messages") == [(len(here), len(here))]
    assert rows(url, "SELECT platform_id FROM messages GROUP BY 1 HAVING count(*) > 1") == []
    assert (
        rows(url, "SELECT ticket_id, level FROM events WHERE action = 'escalated' GROUP BY 1, 2 HAVING count(*) > 1")
        == []
    )
    assert rows(url, "SELECT ticket_id FROM events WHERE action = 'created' GROUP BY 1 HAVING count(*) > 1") == []
    assert rows(url, "SELECT count(DISTINCT ticket_id) FROM events WHERE action = 'created'") == rows(
        url, "SELECT count(*) FROM tickets"
    )
    assert rows(url, "SELECT source_message_id FROM tickets GROUP BY 1 HAVING count(*) > 1") == []


def same_outcome(url: str, reference: str, *, at_least: int) -> None:
    """What the processes on `url` did is what one process did on `reference`: the same tickets (more than
    `at_least`, so that the comparison says something), escalations, overdue marks, reporters and replies."""
    one, many = outcome(reference), outcome(url)
    assert len(one["tickets"]) > at_least
    assert sum(map(len, one["escalations"].values())) > at_least
    for part in ("tickets", "escalations", "overdue", "reporters", "replies"):
        assert many[part] == one[part], part


def test_two_processes_on_interleaved_logs_do_what_one_does(tmp_path: Path, pg_server: PgServer, pg_url: str) -> None:
    d, config, lines = scenario(tmp_path, 240)
    full = write_log(lines, tmp_path / "full.jsonl")
    # two WeChat accounts: one is in the even grids' groups, the other in the odd ones'
    grids = sorted(set(d.grid_of_group.values()))
    mine = {g for g in grids if grids.index(g) % 2 == 0}
    workers = {w: g for g, w in d.worker_of_grid.items()}

    def first(line: dict[str, Any]) -> bool:
        chat = line["chat_id"]
        return (d.grid_of_group.get(chat) or workers.get(chat)) in mine

    half_a = write_log([x for x in lines if first(x)], tmp_path / "a.jsonl")
    half_b = write_log([x for x in lines if not first(x)], tmp_path / "b.jsonl")

    reference = pg_server.create_database("ref_" + make_url(pg_url).database[2:])  # type: ignore[index]
    finish(replay(config, full, reference))
    a, b = replay(config, half_a, pg_url), replay(config, half_b, pg_url)
    finish(a)
    finish(b)

    no_duplicates(pg_url, reference)
    same_outcome(pg_url, reference, at_least=30)
    # numbers from one sequence: unique, and each process got some
    numbers = [n for (n,) in rows(pg_url, "SELECT id FROM tickets ORDER BY id")]
    assert len(numbers) == len(set(numbers))


def test_kill_9_mid_replay_then_restart_processes_everything_once(
    tmp_path: Path, pg_server: PgServer, pg_url: str
) -> None:
    _, config, lines = scenario(tmp_path, 160)
    log = write_log(lines, tmp_path / "log.jsonl")
    reference = pg_server.create_database("ref_" + make_url(pg_url).database[2:])  # type: ignore[index]
    finish(replay(config, log, reference))

    # each send takes 50 ms (a platform's latency), so the process is nearly always inside one
    proc = replay(config, log, pg_url, "--send-delay", "0.05")
    under_way: list[tuple[Any, ...]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        sent = rows(pg_url, "SELECT count(*) FROM outbox WHERE state = 'sent'") if _has_tables(pg_url) else [(0,)]
        if sent[0][0] >= 40:
            # frozen while we look, so the send we see under way cannot finish before the kill lands
            os.kill(proc.pid, signal.SIGSTOP)
            under_way = rows(pg_url, "SELECT id, chat_id, text FROM outbox WHERE state = 'sending'")
            if under_way:
                os.kill(proc.pid, signal.SIGKILL)
                break
            os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.005)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the replay ended before it could be killed mid-send"
    stranded = rows(pg_url, "SELECT id, chat_id, text FROM outbox WHERE state = 'sending'")
    assert len(stranded) == 1  # one row at a time is `sending`: only the one under way is uncertain
    done = rows(pg_url, "SELECT count(processed_at) FROM messages")[0][0]
    assert done < len(lines)
    (stuck_id, stuck_chat, stuck_text) = stranded[0]

    err = finish(replay(config, log, pg_url))  # restart: the same log again, as a redelivery would
    assert "not resent, staff asked" in err

    no_duplicates(pg_url, reference)
    got, want = outcome(pg_url), outcome(reference)
    assert got["tickets"] == want["tickets"]
    assert got["escalations"] == want["escalations"]
    assert got["reporters"] == want["reporters"]
    # the one under way is reported to the staff chat, not resent; everything else went out
    assert rows(pg_url, f"SELECT state FROM outbox WHERE id = {stuck_id}") == [("unknown",)]
    notices = rows(pg_url, "SELECT chat_id, text, state FROM outbox WHERE dedupe_key LIKE 'unknown:%'")
    assert [(c, s) for c, _, s in notices] == [("room_staff_0", "sent")]
    assert stuck_text[:20] in notices[0][1]
    assert rows(pg_url, "SELECT count(*) FROM outbox WHERE state IN ('sending', 'failed')") == [(0,)]
    sent = Counter((c, re.sub(r"#\d+", "#N", t)) for c, t in rows(pg_url, "SELECT chat_id, text FROM outbox"))
    expected = Counter((c, re.sub(r"#\d+", "#N", t)) for c, t in rows(reference, "SELECT chat_id, text FROM outbox"))
    assert sent - expected == Counter({(notices[0][0], re.sub(r"#\d+", "#N", notices[0][1])): 1})
    assert expected - sent == Counter()
    assert stuck_chat  # (the uncertain message itself is in both: stored once, sent at most once)


def _has_tables(url: str) -> bool:
    return bool(rows(url, "SELECT 1 FROM pg_tables WHERE tablename = 'outbox'"))


def test_postgres_restart_under_load_waits_and_reconnects(tmp_path: Path, pg_server: PgServer, pg_url: str) -> None:
    _, config, lines = scenario(tmp_path, 160)
    log = write_log(lines, tmp_path / "log.jsonl")
    reference = pg_server.create_database("ref_" + make_url(pg_url).database[2:])  # type: ignore[index]
    finish(replay(config, log, reference))

    proc = replay(config, log, pg_url, "--send-delay", "0.02")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _has_tables(pg_url) and rows(pg_url, "SELECT count(*) FROM messages")[0][0] >= 40:
            break
        time.sleep(0.02)
    pg_server.stop("fast")  # every connection is cut
    time.sleep(2.0)  # the bot meets a dead server for a while
    pg_server.start()
    err = finish(proc)
    assert "database unavailable during" in err
    assert "database reachable again after" in err

    no_duplicates(pg_url, reference)
    got, want = outcome(pg_url), outcome(reference)
    assert got["tickets"] == want["tickets"]
    assert got["escalations"] == want["escalations"]
    assert got["replies"] == want["replies"]


def dense_scenario(tmp_path: Path, messages: int) -> tuple[District, Path, list[dict[str, Any]]]:
    """Several messages a minute, so that `gridbot replay` commits many in one batch (group commit)."""
    return scenario(tmp_path, messages, grids=8, span=timedelta(hours=3, seconds=7))


def test_four_processes_on_interleaved_logs_do_what_one_does(tmp_path: Path, pg_server: PgServer, pg_url: str) -> None:
    d, config, lines = dense_scenario(tmp_path, 600)
    full = write_log(lines, tmp_path / "full.jsonl")
    # four WeChat accounts, each in the groups of every fourth grid
    parts = [write_log(part, tmp_path / f"part{k}.jsonl") for k, part in enumerate(split_by_account(d, lines, 4))]
    reference = pg_server.create_database("ref_" + make_url(pg_url).database[2:])  # type: ignore[index]
    finish(replay(config, full, reference))
    procs = [replay(config, part, pg_url) for part in parts]
    errs = [finish(p) for p in procs]
    assert not any("deadlock" in err for err in errs)

    no_duplicates(pg_url, reference)
    same_outcome(pg_url, reference, at_least=60)


def test_four_processes_on_one_log_store_and_handle_each_message_once(
    tmp_path: Path, pg_server: PgServer, pg_url: str
) -> None:
    # every message reaches all four processes (as if redelivered to each), so the batches of all four
    # take the same chats' locks and the same tickets' rows, in whatever order they happen to run
    _, config, lines = dense_scenario(tmp_path, 600)
    lines = lines[:-2]  # not the tail: ten days of sweeps four times over would be most of the test's time
    log = write_log(lines, tmp_path / "log.jsonl")
    procs = [replay(config, log, pg_url) for _ in range(4)]
    errs = [finish(p) for p in procs]
    assert not any("deadlock" in err for err in errs)
    assert not any("database unavailable" in err for err in errs)  # no turn rolled back and done again

    url = pg_url
    n = len(lines)
    assert rows(url, "SELECT count(*), count(processed_at), count(DISTINCT platform_id) FROM messages") == [(n, n, n)]
    twice = "SELECT ticket_id, level FROM events WHERE action = 'escalated' GROUP BY 1, 2 HAVING count(*) > 1"
    assert rows(url, twice) == []
    assert rows(url, "SELECT ticket_id FROM events WHERE action = 'created' GROUP BY 1 HAVING count(*) > 1") == []
    assert rows(url, "SELECT source_message_id FROM tickets GROUP BY 1 HAVING count(*) > 1") == []
    assert rows(url, "SELECT count(*) FROM tickets")[0][0] > 60
    assert rows(url, "SELECT count(*) FROM events WHERE action = 'escalated'")[0][0] > 0  # sweeps ran beside turns
    # everything queued went out, and every message that opened or joined a ticket was answered
    assert rows(url, "SELECT count(*) FROM outbox WHERE state <> 'sent'") == [(0,)]
    unanswered = (
        "SELECT count(*) FROM messages m WHERE m.ticket_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.created_at = m.received_at AND o.chat_id = m.chat_id)"
    )
    assert rows(url, unanswered) == [(0,)]
