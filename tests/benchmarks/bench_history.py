"""`nav history vision_learner --since 2.7.0`: cold (downloads and indexing included) and warm.

    python tests/benchmarks/bench_history.py [--rounds 5] [--skip-cold]

Not part of the test run. Cold uses a fresh cache, so every wheel is fetched from the package
index with pip and every release is unpacked and parsed; warm repeats the command on that cache.
Warm is reported as a median, and as a ratio against a bare `python -c pass` and `nav find`
measured in the same rounds (target: warm <= 2 s).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMMAND = ["history", "vision_learner", "--since", "2.7.0"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-cold", action="store_true", help="reuse NAV_CACHE_DIR instead of a fresh one")
    args = parser.parse_args()
    cache = os.environ.get("NAV_CACHE_DIR") if args.skip_cold else tempfile.mkdtemp(prefix="nav-bench-history-")
    env = {**os.environ, "NAV_CACHE_DIR": cache, "PYTHONPATH": str(REPO)}
    for key in ("NAV_RELEASES_DIR", "NAV_RELEASE_ARCHIVES"):
        env.pop(key, None)
    nav = [sys.executable, "-m", "navigator"]
    if not args.skip_cold:
        print(f"cold  {timed(nav + COMMAND, env):6.2f} s  (fresh cache {cache}: pip downloads, unpacking, parsing)")
    subprocess.run(nav + ["find", "Learner"], env=env, check=True, capture_output=True)  # main index built
    warm, bare, find = [], [], []
    for _ in range(args.rounds):
        warm.append(timed(nav + COMMAND, env))
        bare.append(timed([sys.executable, "-c", "pass"], env))
        find.append(timed(nav + ["find", "Learner"], env))
    median = statistics.median
    print(f"warm  {median(warm):6.2f} s  median of {args.rounds}  (target <= 2 s)")
    print(f"      {median(warm) / median(bare):6.1f} x a bare python start ({median(bare):.3f} s), "
          f"{median(warm) / median(find):.1f} x nav find ({median(find):.3f} s)")


if __name__ == "__main__":
    main()
