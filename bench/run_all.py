"""`make bench`: every benchmark under bench/, one after another, and a table of what each reported.

Each script runs as its own process with the arguments below (its defaults, or `--quick` sizes that
finish in minutes on a shared 2-core machine); its figure lines (everything it printed but the
machine line) go into the table. A script that fails is reported as failed, and the rest still run.

    python bench/run_all.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name → (full arguments, quick arguments)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "echo_ratio": ([], ["--messages", "5000", "--rounds", "1"]),
    "classify_throughput": ([], ["--seconds", "3"]),
    "startup": ([], ["--warm", "2"]),
    "memory": ([], ["--messages", "10000"]),
    "pipeline_replay": ([], ["--messages", "10000", "--hours", "3.6", "--skip-pg"]),  # the full log's rate
    "storage_floor": ([], ["--messages", "5000"]),
    "pg_processes": ([], ["--messages", "4000", "--rounds", "1"]),
    "roundtrip": ([], ["--messages", "50", "--warmup", "5"]),
    "join_at_scale": ([], ["--tickets", "20000", "--calls", "100"]),
    "sweep_100k": ([], ["--tickets", "10000"]),
    "digest_100k": ([], ["--tickets", "10000"]),
    "overview_100k": ([], ["--tickets", "10000"]),
    "ladder_digest_1m": ([], ["--tickets", "20000"]),
}


def run(name: str, args: list[str]) -> tuple[bool, float, list[str]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, f"bench/{name}.py", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    seconds = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() + done.stderr.splitlines() if ln.strip()]
    figures = [ln for ln in lines if not ln.startswith("machine:") and "Warning" not in ln]
    if done.returncode != 0:
        return False, seconds, figures[-8:]
    return True, seconds, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (minutes, not an hour)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run these only")
    args = parser.parse_args()
    chosen = args.only or list(BENCHMARKS)
    rows: list[tuple[str, bool, float, list[str]]] = []
    for name in chosen:
        full, quick = BENCHMARKS[name]
        sys.stderr.write(f"== {name}\n")
        ok, seconds, figures = run(name, quick if args.quick else full)
        rows.append((name, ok, seconds, figures))
        for line in figures:
            sys.stderr.write(f"   {line}\n")
    print("| benchmark | status | seconds | figures |")
    print("|---|---|---|---|")
    for name, ok, seconds, figures in rows:
        shown = "<br>".join(line.replace("|", "/") for line in figures[-6:])
        print(f"| {name} | {'ok' if ok else 'FAILED'} | {seconds:.0f} | {shown} |")
    return 0 if all(ok for _, ok, _, _ in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
