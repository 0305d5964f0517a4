"""Start-up: from launching `gridbot run` (console adapter, a temporary config) to the bot being ready.

Two stamps per start, both measured from the moment the process is spawned: the "gridbot ready"
log line (settings read, database opened at the current schema, classifier with jieba's dictionary
built) and the bot's first answer — a resident's complaint is written to its stdin at once and the
acknowledgement read back, so start-up repair, the first sweep and the first classification are in.

First start: an empty jieba cache directory (GRIDBOT_CACHE_DIR) and no database yet. Warm start:
the same cache directory and database again. The script also says whether the cache file was
written once and left alone on the warm starts (jieba must not rebuild its dictionary at every start).

    python bench/startup.py [--warm 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load, machine, say

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "data" / "config.yaml"
COMPLAINT = "[美景天城3栋] 居民{n}: 楼道灯坏了好几天了，晚上看不见路\n"  # a new resident each start: an answer


def start_once(tmp: Path, cache: Path, db: Path, n: int) -> tuple[float, float]:
    """Seconds from spawn to the ready log line and to the first answer."""
    config = tmp / "config.yaml"
    config.write_text(CONFIG.read_text(encoding="utf-8") + f"\nadapter: console\ndata_dir: {tmp / 'data'}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRIDBOT_CACHE_DIR": str(cache)}
    cmd = [sys.executable, "-m", "bot.cli", "run", "--config", str(config), "--db", f"sqlite:///{db}"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=tmp, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None
    ready: list[float] = []
    errors: list[str] = []

    def watch_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            errors.append(line)
            if "gridbot ready" in line and not ready:
                ready.append(time.perf_counter() - started)

    watcher = threading.Thread(target=watch_stderr, daemon=True)
    watcher.start()
    proc.stdin.write(COMPLAINT.format(n=n))  # waits in the pipe until the adapter reads it
    proc.stdin.flush()
    answered = 0.0
    for line in proc.stdout:
        if "登记" in line:  # 已登记 #1 …, then 这件事已在 #1 登记 … for the next residents
            answered = time.perf_counter() - started
            break
    proc.stdin.close()  # end of input: the bot stops
    proc.wait(timeout=60)
    watcher.join(timeout=5)
    if not answered or not ready:
        raise SystemExit("the bot did not answer:\n" + "".join(errors[-30:]))
    return ready[0], answered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=3, help="how many warm starts")
    args = parser.parse_args()
    say(machine() + f", {load()}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cache = tmp / "cache"
        db = tmp / "gridbot.db"
        ready, answered = start_once(tmp, cache, db, 0)
        files = sorted(cache.iterdir()) if cache.exists() else []
        stamps = {f: f.stat().st_mtime_ns for f in files}
        say(
            f"first start (empty jieba cache, new database): ready {ready:.2f} s, first answer {answered:.2f} s; "
            f"cache: {', '.join(f'{f.name} ({f.stat().st_size / 1e6:.1f} MB)' for f in files) or 'nothing written'}"
        )
        warm = [start_once(tmp, cache, db, n) for n in range(1, args.warm + 1)]
        rebuilt = [f.name for f in files if f.stat().st_mtime_ns != stamps[f]]
        say(
            f"warm start (median of {args.warm}): ready {statistics.median(w[0] for w in warm):.2f} s, "
            f"first answer {statistics.median(w[1] for w in warm):.2f} s; jieba cache "
            + (f"REWRITTEN: {', '.join(rebuilt)}" if rebuilt else "reused, not rewritten")
        )
    say(machine() + f", {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
