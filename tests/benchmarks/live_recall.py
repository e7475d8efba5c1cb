"""Of the caller -> callee pairs fastai scripts really make, how many the static call graph has.

    python tests/benchmarks/live_recall.py [SCRIPT ...] [--repo PATH]

Runs `nav trace --live-script SCRIPT --compare --json` (the index in $NAV_CACHE_DIR, default
fastai + timm) and counts, over the observed pairs between indexed definitions, those the static
graph lacks. Default script: tests/benchmarks/live_scripts/*.py. Target (issue 11): >= 90%.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def observed_pairs(node: dict, found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Parent -> child pairs of the live tree where both are indexed definitions."""
    for child in node["children"]:
        if node["module"] and child["module"]:
            found.add((node["qualname"], child["qualname"]))
        if not child["repeated"]:
            observed_pairs(child, found)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scripts", nargs="*", type=Path)
    parser.add_argument("--repo", type=Path, default=REPO, help="the nav checkout to measure")
    args = parser.parse_args()
    scripts = args.scripts or sorted((REPO / "tests" / "benchmarks" / "live_scripts").glob("*.py"))
    env = {**os.environ, "PYTHONPATH": str(args.repo)}
    total_seen = total_lacking = 0
    for script in scripts:
        done = subprocess.run([sys.executable, "-m", "navigator", "trace", "--live-script", str(script), "--compare",
                               "--depth", "1000", "--json"], capture_output=True, text=True, env=env, cwd=args.repo,
                              timeout=1800)
        start = done.stdout.find("{")
        if start < 0:
            raise SystemExit(f"{script}: no trace ({done.returncode}): {done.stderr[-2000:]}")
        result = json.loads(done.stdout[start:])
        seen = observed_pairs(result["tree"], set())
        lacking = {(e["caller"], e["callee"]) for e in result["compare"]["observed_not_static"]} & seen
        total_seen += len(seen)
        total_lacking += len(lacking)
        print(f"{script.name}: {len(seen) - len(lacking)}/{len(seen)} observed pairs in the static graph "
              f"({(len(seen) - len(lacking)) / max(len(seen), 1):.1%})")
    print(f"all: {total_seen - total_lacking}/{total_seen} ({(total_seen - total_lacking) / max(total_seen, 1):.1%}); target >= 90%")


if __name__ == "__main__":
    main()
