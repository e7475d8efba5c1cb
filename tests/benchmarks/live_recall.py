"""Of the caller -> callee pairs fastai scripts really make, how many the static call graph has.

    python tests/benchmarks/live_recall.py [SCRIPT ...] [--repo PATH] [--misses N]

Runs `nav trace --live-script SCRIPT --compare --json` (the index in $NAV_CACHE_DIR, default
fastai + timm + fastcore + fasttransform) and counts, over the observed pairs between indexed
definitions, those the static graph has: with every edge, and without the `by-name` guesses.
Then the pairs missed most often (in most scripts), grouped by the idiom the call goes through.
Default scripts: tests/benchmarks/live_scripts/*.py. Target (issue 11): >= 90%, >= 80% without by-name.
"""
from __future__ import annotations

import argparse
import json
import linecache
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BY_NAME = "by-name"
_PROTOCOL = {"__len__", "__getitem__", "__setitem__", "__iter__", "__next__", "__contains__", "__enter__",
             "__exit__", "__bool__", "__eq__", "__hash__", "__repr__", "__str__", "__add__", "__radd__",
             "__getstate__", "__setstate__", "__reduce__", "__reduce_ex__", "__new__", "__del__"}
_TRANSFORM = {"encodes", "decodes", "setups", "_call", "_do_call", "_do_setup", "_new_meth"}


@dataclass
class Pair:
    """One observed caller -> callee pair, where the caller made it, and how the static graph has it."""

    caller: str
    callee: str
    line: int
    path: str
    how: tuple[str, ...] = ()  # the labels of the static edges; () when the graph lacks the pair


@dataclass
class ScriptRecall:
    name: str
    pairs: dict[tuple[str, str], Pair] = field(default_factory=dict)

    @property
    def seen(self) -> int:
        return len(self.pairs)

    @property
    def found(self) -> int:
        return sum(1 for p in self.pairs.values() if p.how)

    @property
    def found_without_by_name(self) -> int:
        return sum(1 for p in self.pairs.values() if set(p.how) - {BY_NAME})


def trace(script: Path, repo: Path) -> ScriptRecall:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run([sys.executable, "-m", "navigator", "trace", "--live-script", str(script), "--compare",
                           "--depth", "1000", "--json"], check=False, capture_output=True, text=True, env=env, cwd=repo,
                          timeout=1800)
    start = done.stdout.find("{")
    if start < 0:
        raise SystemExit(f"{script}: no trace ({done.returncode}): {done.stderr[-2000:]}")
    compared = json.loads(done.stdout[start:])["compare"]
    recall = ScriptRecall(script.name)
    for row in compared["observed_not_static"] + compared.get("observed_in_static", []):
        caller, callee = f"{row['caller_module']}.{row['caller']}", f"{row['callee_module']}.{row['callee']}"
        recall.pairs[(caller, callee)] = Pair(caller, callee, row["call_line"], row["caller_path"],
                                              tuple(row.get("how", ())))
    return recall


def idiom(pair: Pair) -> str:
    """The way the call is made, guessed from the callee's name and the caller's line."""
    name = pair.callee.rpartition(".")[2]
    if name == "forward":
        return "nn.Module call -> forward"
    if name.startswith(("before_", "after_")):
        return "callback event"
    if name in _TRANSFORM:
        return "transform dispatch"
    if name == "__init__":
        return "instantiation"
    if name == "__call__":
        return "call of an instance"
    if name in ("__getattr__", "__setattr__", "__getattribute__"):
        return "attribute hook"
    if name in _PROTOCOL:
        return "protocol method"
    text = linecache.getline(pair.path, pair.line) if pair.path else ""
    if re.search(rf"\b{re.escape(name)}\s*\(", text):
        return "named call, receiver unresolved"
    if re.search(rf"\.{re.escape(name)}\b", text):
        return "property / attribute read"
    return "indirect (parameter, variable, higher-order)"


def report(results: list[ScriptRecall], misses: int) -> None:
    for r in results:
        print(f"{r.name}: {r.found}/{r.seen} ({r.found / max(r.seen, 1):.1%}) with every edge; "
              f"{r.found_without_by_name}/{r.seen} ({r.found_without_by_name / max(r.seen, 1):.1%}) without by-name")
    seen = sum(r.seen for r in results)
    found, strict = sum(r.found for r in results), sum(r.found_without_by_name for r in results)
    print(f"all: {found}/{seen} ({found / max(seen, 1):.1%}); without by-name {strict}/{seen} "
          f"({strict / max(seen, 1):.1%}); target >= 90% and >= 80%")
    for title, missed in (("missed", lambda p: not p.how), ("found only by name", lambda p: p.how == (BY_NAME,))):
        scripts: Counter[tuple[str, str]] = Counter()
        example: dict[tuple[str, str], Pair] = {}
        for r in results:
            for key, pair in r.pairs.items():
                if missed(pair):
                    scripts[key] += 1
                    example.setdefault(key, pair)
        by_idiom: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for key in scripts:
            by_idiom[idiom(example[key])].append(key)
        print(f"\n{title}: {len(scripts)} distinct pairs, by idiom:")
        for name, keys in sorted(by_idiom.items(), key=lambda item: -sum(scripts[k] for k in item[1])):
            print(f"  {name}: {len(keys)} pairs, {sum(scripts[k] for k in keys)} script-pairs")
        print(f"top {misses} {title} (scripts, idiom, caller -> callee):")
        for key, count in sorted(scripts.items(), key=lambda item: (-item[1], item[0]))[:misses]:
            print(f"  {count}  [{idiom(example[key])}]  {key[0]} -> {key[1]}  (line {example[key].line})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scripts", nargs="*", type=Path)
    parser.add_argument("--repo", type=Path, default=REPO, help="the nav checkout to measure")
    parser.add_argument("--misses", type=int, default=30, help="how many missed pairs to list")
    parser.add_argument("--json", type=Path, help="also write the pairs per script here")
    args = parser.parse_args()
    scripts = args.scripts or sorted((REPO / "tests" / "benchmarks" / "live_scripts").glob("*.py"))
    results = [trace(script, args.repo) for script in scripts]
    report(results, args.misses)
    if args.json:
        args.json.write_text(json.dumps({r.name: [p.__dict__ for p in r.pairs.values()] for r in results}, indent=1))


if __name__ == "__main__":
    main()
