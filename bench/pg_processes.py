"""#19: gridbot on one PostgreSQL database, one process against four (one per WeChat account).

A city runs one bot process per WeChat account, a few hundred groups each, all on one database. The
log: `--messages` (20,000) one a second across 100 groups (5 communities × 10 grids × 2 groups), about
one in five a complaint (tests/genlog.py). The accounts each sit in the groups of every fourth grid,
as tests/test_processes.py splits them. Each round replays the whole log with one `gridbot replay`
into a fresh database, then its four parts with four processes at once into another; both are timed
as whole processes from start to the last exit, alternated, the best of `--rounds`. CPU is counted for
the bot processes (their rusage) and for the server (the postmaster and every backend, from /proc);
per message, without the processes' start-up (measured by a replay of a single message). From those
CPU figures: the cores a city's 3,000 messages a second would need, if the work spread as it does here.
The server is tests/pgserver.py's throwaway one: fsync, synchronous_commit and full_page_writes off, so
its commits wait for no disk (a durable server's would); its figure keeps the schema's creation.

    python bench/pg_processes.py [--messages 20000] [--rounds 2] [--processes 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import children_cpu, load, machine, say
from tests.genlog import chat_log, district, split_by_account, write_log
from tests.pgserver import PgServer

ROOT = Path(__file__).resolve().parents[1]
CITY = 3_000  # messages a second: issue #19's city


def server_cpu(data_dir: Path) -> float:
    """CPU seconds of the server so far: the postmaster, its exited children (reaped: counted in its
    cutime/cstime) and the children alive now (backends, background workers)."""
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone while we looked
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        # fields[1] ppid; [11] utime, [12] stime, [13] cutime, [14] cstime (proc(5) fields 4, 14–17)
        if int(entry) == postmaster:
            ticks += sum(int(x) for x in fields[11:15])
        elif int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    wall: float  # first start → last exit
    bot_cpu: float  # CPU seconds of the bot processes
    server_cpu: float  # CPU seconds of the server over the same time
    loop: float  # the longest replay loop (what each process reports)


def _start(config: Path, log: Path, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GRIDBOT_NOW", None)
    cmd = [sys.executable, "-m", "bot.cli", "replay", str(log), "--config", str(config), "--db", url]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(server: PgServer, config: Path, logs: list[Path], url: str) -> Run:
    time.sleep(0.5)  # the previous run's backends reaped
    cpu0, srv0 = children_cpu(), server_cpu(server.data_dir)
    started = time.perf_counter()
    procs = [_start(config, log, url) for log in logs]
    loops = []
    for proc in procs:
        out, err = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise SystemExit(f"gridbot replay failed ({proc.returncode}):\n{err[-3000:]}")
        loops.append(float(json.loads(out.strip().splitlines()[-1])["seconds"]))
    wall = time.perf_counter() - started
    time.sleep(0.5)  # their backends exit and are reaped into the postmaster's children's times
    return Run(wall, children_cpu() - cpu0, server_cpu(server.data_dir) - srv0, max(loops))


def outcome(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:

        def one(query: str) -> int:
            row = conn.execute(query).fetchone()
            return int(row[0]) if row is not None else 0

        return {
            "messages": one("SELECT count(processed_at) FROM messages"),
            "tickets": one("SELECT count(*) FROM tickets"),
            "joined": one("SELECT count(*) FROM ticket_reporters"),
            "escalations": one("SELECT count(*) FROM events WHERE action = 'escalated'"),
            "sent": one("SELECT count(*) FROM outbox WHERE state = 'sent'"),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    if args.messages < 100 or args.rounds < 1 or not 2 <= args.processes <= 16:
        parser.error("--messages ≥ 100, --rounds ≥ 1, --processes 2–16")
    say(machine() + f", {load()}")
    n = args.processes
    with tempfile.TemporaryDirectory() as tmp_name, PgServer() as server:
        tmp = Path(tmp_name)
        d = district(5, 10, 2)
        config = d.write(tmp / "district.yaml")
        lines = list(chat_log(d, args.messages, numbered_commands=False, span=timedelta(seconds=args.messages)))
        whole = write_log(lines, tmp / "log.jsonl")
        parts = [write_log(part, tmp / f"part{k}.jsonl") for k, part in enumerate(split_by_account(d, lines, n))]
        start_up = run(server, config, [write_log(lines[:1], tmp / "one.jsonl")], server.create_database("startup"))
        say(
            f"start-up of one process (a replay of one message): {start_up.wall:.2f} s, "
            f"{start_up.bot_cpu:.2f} CPU-s; not counted in the per-message CPU below"
        )
        say("server: tests/pgserver.py's throwaway one, fsync, synchronous_commit and full_page_writes off")
        best: dict[int, Run] = {}
        outcomes: dict[int, dict[str, int]] = {}
        for i in range(args.rounds):  # alternated: the machine is shared and noisy
            for count, logs in ((1, [whole]), (n, parts)):
                name = f"p{count}_{i}"
                got = run(server, config, logs, server.create_database(name))
                outcomes[count] = outcome(server.dsn(name))
                if count not in best or got.wall < best[count].wall:
                    best[count] = got
        m = args.messages
        for count, r in sorted(best.items()):
            bot = (r.bot_cpu - count * start_up.bot_cpu) / m * 1e6
            srv = r.server_cpu / m * 1e6
            say(
                f"{count} process{'es' if count > 1 else ''}: {m / r.wall:,.0f} msg/s whole processes "
                f"({r.wall:.1f} s; the longest replay loop {r.loop:.1f} s, {m / r.loop:,.0f} msg/s); CPU a message: "
                f"bot {bot:,.0f} µs, server {srv:,.0f} µs; {outcomes[count]}"
            )
        if outcomes[1] != outcomes[n]:
            say("NOTE: the outcomes differ: each process sweeps on its own simulated clock (tests/test_processes.py)")
        one, many = best[1], best[n]
        cpu = ((many.bot_cpu - n * start_up.bot_cpu) + many.server_cpu) / m
        say(
            f"HEADLINE: {n} processes ÷ 1 on one PostgreSQL database = {one.wall / many.wall:.2f} (whole processes, "
            f"{m:,} messages; goal ≥ 1.5 on 2 cores)"
        )
        say(
            f"projection: {CITY:,} msg/s at {cpu * 1e6:,.0f} CPU-µs a message (bot and server, {n} processes) "
            f"needs ≈{CITY * cpu:.1f} cores, if the work spread over more processes and cores as it does here"
        )
    say(machine() + f", {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
