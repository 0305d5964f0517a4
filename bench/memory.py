"""Memory: peak RSS of the bot with its word dictionary loaded — idle, and after a 100,000-message replay.

Idle: `gridbot run` (console adapter, tests/data/config.yaml) answers one complaint, then sits
idle for a few seconds; its resident and peak set sizes are read from /proc. It runs with
`python -X importtime`, so the script can tell which heavy libraries start-up imported (matplotlib
must wait for the first chart).

After the replay: `gridbot replay` of a district log (500 groups, tests/genlog.py: about one
complaint in five, grid workers' commands) into a fresh SQLite file, as a child process whose peak
RSS comes from wait4(). (The replay's memory adapter keeps every sent message in a list; a live
bot does not.) Pass --log to replay the log bench/pipeline_replay.py kept instead.

    python bench/memory.py [--messages 100000] [--log FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load, machine, say
from tests.genlog import chat_log, district, write_log

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "data" / "config.yaml"
HEAVY = ("matplotlib", "PIL", "numpy", "pandas", "openpyxl", "playwright", "wechaty", "grpc", "aiohttp")


def status_mb(pid: int) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def idle(tmp: Path, seconds: float) -> tuple[dict[str, float], list[str]]:
    config = tmp / "config.yaml"
    config.write_text(CONFIG.read_text(encoding="utf-8") + f"\nadapter: console\ndata_dir: {tmp / 'data'}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-X", "importtime", "-m", "bot.cli", "run", "--config", str(config)]
    cmd += ["--db", f"sqlite:///{tmp / 'idle.db'}"]
    err = (tmp / "importtime.txt").open("w")
    proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write("[美景天城3栋] 周阿姨: 楼道灯坏了好几天了，晚上看不见路\n")
    proc.stdin.flush()
    for line in proc.stdout:
        if "已登记" in line:
            break
    time.sleep(seconds)
    figures = status_mb(proc.pid)
    proc.stdin.close()
    proc.wait(timeout=60)
    err.close()
    imported = set()
    for line in (tmp / "importtime.txt").read_text(errors="replace").splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", line)
        if m:
            imported.add(m.group(1).split(".")[0])
    return figures, [name for name in HEAVY if name in imported]


def replay_peak(tmp: Path, log: Path, config: Path) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "bot.cli", "replay", str(log), "--config", str(config)]
    cmd += ["--db", f"sqlite:///{tmp / 'replay.db'}"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    tail = proc.stderr.read()[-3000:]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"replay failed ({proc.returncode}):\n{tail.decode(errors='replace')}")
    return usage.ru_maxrss / 1024, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--log", type=Path, help="replay this log (bench/pipeline_replay.py --log) instead")
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    args = parser.parse_args()
    say(machine() + f", {load()}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        figures, heavy = idle(tmp, args.idle_seconds)
        say(
            f"idle bot (word dictionary loaded, one complaint answered, {args.idle_seconds:g} s idle): "
            f"RSS {figures['VmRSS']:.0f} MB, peak {figures['VmHWM']:.0f} MB; heavy libraries imported at start: "
            f"{', '.join(heavy) or 'none'} (matplotlib {'IMPORTED' if 'matplotlib' in heavy else 'not imported'})"
        )
        d = district(5, 25, 4)
        config = d.write(tmp / "district.yaml")
        log = args.log or write_log(chat_log(d, args.messages), tmp / "district.jsonl")
        count = sum(1 for _ in log.open(encoding="utf-8"))
        peak, seconds = replay_peak(tmp, log, config)
        say(
            f"`gridbot replay` of {count:,} messages in {len(d.groups)} groups ({seconds:.0f} s): "
            f"peak RSS {peak:.0f} MB"
        )
    say(machine() + f", {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
