"""Message → reply round trip through a real Wechaty puppet server: gridbot against a minimal echo bot.

One gateway (gateway/gateway.js serving the mock puppet), then, one after the other on it, the echo bot
(bench/echo_bot.py: the floor the SDK and the gRPC protocol set) and `gridbot run` with the e2e scenario. Residents say
complaints in a group, one at a time; the round trip is from the server emitting the message to the
server receiving the bot's reply in that group, both read on the server's monotonic clock.
Outbox pacing and the flood limit are lifted for the measurement: they are deliberate delays.

    python bench/roundtrip.py [--messages 200] [--warmup 10] [--db postgresql://…/empty_database]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, say
from tests.e2e.peers import (
    RESIDENTS,
    BotProcess,
    PuppetServer,
    gateway_missing,
    mock_scenario,
    write_config,
)

GROUP = "tiancheng3@chatroom"
COMPLAINTS = [
    "楼道灯坏了好几天了，晚上很黑",
    "小区门口的垃圾好几天没人清理了，味道很大",
    "楼下有人养狗，到晚上老叫唤",
    "地下车库有车占了消防通道",
    "3栋电梯又坏了，老人上下楼很不方便",
    "楼上装修每天早上七点就开始电钻",
    "绿化带里堆了很多建筑垃圾",
    "小区路灯不亮，晚上走路不安全",
]
# a resident of their own for every message: a second complaint of the same kind by the same person joins
# her open ticket silently (garbage at the gate, then building waste in the green belt), and a message
# with no reply has no round trip; so up to 240 messages each get a reply
BENCH_RESIDENTS = {**RESIDENTS, **{f"wxid_res{i:03d}": f"住户{i:03d}" for i in range(240 - len(RESIDENTS))}}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def measure(server: PuppetServer, bot: BotProcess, messages: int, warmup: int) -> list[float]:
    bot.start(timeout=60)
    residents = list(BENCH_RESIDENTS)
    times: list[float] = []
    try:
        for i in range(warmup + messages):
            after = server.sent()[-1].seq if server.sent() else 0
            text = f"{COMPLAINTS[(i // len(residents)) % len(COMPLAINTS)]}（第{i}次反映）"
            _, emitted = server.say_timed(residents[i % len(residents)], text, room=GROUP)
            replies = server.wait_sent(lambda s: s.conversation_id == GROUP, after=after, timeout=30)
            if not replies:
                raise RuntimeError(f"no reply to message {i}:\n{bot.tail()}")
            if i >= warmup:
                times.append(replies[0].t_ms - emitted)
            # let whatever else this message caused (private notices) go out before the next one
            time.sleep(0.02)
    finally:
        bot.stop()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="at most 230 (see BENCH_RESIDENTS)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--db", default="", help="gridbot's database: an empty one (default: a new SQLite file)")
    args = parser.parse_args()
    missing = gateway_missing()
    if missing:
        print(f"roundtrip: cannot run: {missing}", file=sys.stderr)
        return 2
    say(machine())
    with tempfile.TemporaryDirectory(prefix="gridbot-roundtrip-") as tmp:
        work = Path(tmp)
        overrides = {
            "outbox": {"per_chat_per_minute": 100000, "global_per_minute": 100000},
            "limits": {"flood_per_minute": 100000},
        }
        config_path, config = write_config(work, overrides)
        server = PuppetServer(work, mock_scenario(config, BENCH_RESIDENTS))
        server.start()
        try:
            echo_dir = work / "echo"
            echo_dir.mkdir()
            echo = BotProcess(
                echo_dir, config_path, server.endpoint, "", argv=[sys.executable, "-m", "bench.echo_bot", str(echo_dir)]
            )
            floor = measure(server, echo, args.messages, args.warmup)
            grid_dir = work / "gridbot"
            grid_dir.mkdir()
            url = args.db or f"sqlite:///{grid_dir / 'gridbot.db'}"
            gridbot = BotProcess(grid_dir, config_path, server.endpoint, url)
            ours = measure(server, gridbot, args.messages, args.warmup)
        finally:
            server.stop()
    where = "PostgreSQL" if args.db.startswith("postgres") else "SQLite"
    say(f"round trip through the puppet server, {args.messages} messages each (after {args.warmup} warm-up), {where}:")
    for name, values in (("echo bot (floor)", floor), ("gridbot", ours)):
        say(
            f"  {name:17s} p50 {percentile(values, 50):7.1f} ms   p99 {percentile(values, 99):7.1f} ms"
            f"   mean {statistics.fmean(values):7.1f} ms"
        )
    say(
        f"  gridbot / echo:   p50 x{percentile(ours, 50) / percentile(floor, 50):.1f}"
        f"   p99 x{percentile(ours, 99) / percentile(floor, 99):.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
