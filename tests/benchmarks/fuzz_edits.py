"""Random edits to fastai, one after another in one cache: after each, the call graph nav keeps up to
date (`nav index`, then the graph resumed or solved again) must store the edges a fresh index gives.

    python tests/benchmarks/fuzz_edits.py [--seed 0] [--steps 30] [--inserts-only]

Runs on a scratch copy of fastai, timm, fastcore and fasttransform. Each edit is one of: a line
inserted into a function or a method into a class, an attribute call renamed (`x.fit(` to
`x.show(`), a one-line statement replaced by `pass`, or the last edit undone; `--inserts-only`
inserts lines binding everyday names (`x`, `res`, `model`) and functions named as fastai's, the
edits that should resume the kept solution (tags/pointsto/resume.py). Prints each edit, how long
the graph took after it and SAME or DIFF; stops at the first DIFF and keeps the scratch folder.
Not part of the test run (a fresh graph is solved after every edit: about 10 s a step).
"""
from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from bench_index import REPO, package_dir

ROOTS = ("fastai", "timm", "fastcore", "fasttransform")
GRAPH = ("import time; from tags.store import Index; from tags.callgraph import ensure_graph; "
         "index = Index.open(); started = time.perf_counter(); ensure_graph(index); "
         "print(time.perf_counter() - started)")
METHODS = ["show", "setup", "freeze", "to", "cuda", "__call__", "one_batch", "fit", "reset", "after_batch", "decode"]
LOCALS = ["x", "res", "o", "b", "i", "n", "out", "model", "learn", "dls"]
FUNCTIONS = ["get_files", "show_batch", "accuracy", "apply_init", "to_device", "get_c", "default_split", "one_batch"]
EDGES = """SELECT f.module || ':' || a.qualname, f2.module || ':' || b.qualname, ef.path, e.line, e.col, e.how, e.rank
FROM edges e JOIN defs a ON a.id=e.caller_id JOIN defs b ON b.id=e.callee_id JOIN files f ON f.id=a.file_id
JOIN files f2 ON f2.id=b.file_id JOIN files ef ON ef.id=e.file_id"""
OUTSIDE = """SELECT f.module || ':' || a.qualname, e.callee, ef.path, e.line, e.col FROM ext_edges e
JOIN defs a ON a.id=e.caller_id JOIN files f ON f.id=a.file_id JOIN files ef ON ef.id=e.file_id"""


class Run:
    """The scratch sources and the two caches: the one kept up to date, and a fresh one per step."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.sources = [shutil.copytree(package_dir(name), scratch / "src" / name,
                                        ignore=shutil.ignore_patterns("__pycache__")) for name in ROOTS]

    def graph(self, cache: Path) -> float:
        """`nav index` then the graph, as the first `nav trace` after an edit builds it; its seconds."""
        env = {**os.environ, "PYTHONPATH": str(REPO), "NAV_CACHE_DIR": str(cache), "PYTHONHASHSEED": "0"}
        subprocess.run([sys.executable, "-m", "navigator", "index", *map(str, self.sources)], env=env,
                       capture_output=True, check=True)
        done = subprocess.run([sys.executable, "-c", GRAPH], env=env, capture_output=True, text=True, check=True)
        return float(done.stdout.split()[-1])

    def edges(self, cache: Path) -> set[str]:
        """The stored edges by name (ids differ between indexes)."""
        with sqlite3.connect(cache / "index.sqlite3") as db:
            return {repr(row) for row in db.execute(EDGES)} | {"outside " + repr(row) for row in db.execute(OUTSIDE)}


class Editor:
    """Makes one random edit of a fastai module at a time, and remembers how to undo it."""

    def __init__(self, fastai: Path, rng: random.Random, inserts_only: bool) -> None:
        self.files = sorted(p for p in fastai.rglob("*.py") if p.stat().st_size > 2000)
        self.top = fastai.parent
        self.rng, self.inserts_only = rng, inserts_only
        self.undo: list[tuple[Path, str]] = []

    def edit(self) -> tuple[str, str] | None:
        """(kind, description) of the edit made, or None when the one drawn does not apply."""
        kinds = ["insert", "insert", "function", "function", "undo"] if self.inserts_only else [
            "insert", "insert", "change", "change", "delete", "undo"]
        kind = self.rng.choice(kinds)
        if kind == "undo":
            if not self.undo:
                return None
            path, text = self.undo.pop()
            path.write_text(text)
            return kind, str(path.relative_to(self.top))
        path = self.rng.choice(self.files)
        text = path.read_text()
        made = self._made(kind, text)
        if made is None:
            return None
        new, description = made
        try:
            ast.parse(new)
        except SyntaxError:
            return None
        self.undo.append((path, text))
        path.write_text(new)
        return kind, f"{path.relative_to(self.top)}: {description}"

    def _made(self, kind: str, text: str) -> tuple[str, str] | None:
        if kind == "function":
            name, callee = self.rng.choice(FUNCTIONS), self.rng.choice(["len", "get_c", "L", "to_device"])
            return text + f"\n\ndef {name}(x):\n    return {callee}(x)\n", f"def {name}(x) appended"
        lines = text.split("\n")
        scopes = [n for n in ast.walk(ast.parse(text)) if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                  and n.body[0].lineno > n.lineno]
        if not scopes:
            return None
        scope = self.rng.choice(scopes)
        if kind == "change":
            return self._renamed_call(scope, lines)
        if kind == "delete":
            return self._deleted(scope, lines)
        return self._inserted(scope, lines)

    def _inserted(self, scope: ast.FunctionDef | ast.ClassDef, lines: list[str]) -> tuple[str, str]:
        at = self.rng.randrange(len(scope.body) + 1)
        before = scope.body[at] if at < len(scope.body) else None
        indent = " " * scope.body[0].col_offset
        if isinstance(scope, ast.ClassDef):
            statement = f"def _fuzz_m{self.rng.randrange(99)}(self, *a): return self.{self.rng.choice(METHODS)}(*a)"
        else:
            name = self.rng.choice(LOCALS) if self.inserts_only else "_fuzz_v"
            value = self.rng.choice([a.arg for a in scope.args.args] or ["None"])
            statement = f"{name} = {value}{self.rng.choice(['', '()', '.to(None)', '[0]', f'.{self.rng.choice(METHODS)}()'])}"
        row = scope.end_lineno if before is None else min(
            [before.lineno, *(d.lineno for d in getattr(before, "decorator_list", ()))]) - 1
        lines[row:row] = [indent + statement]
        return "\n".join(lines), f"line {row + 1}: {statement!r} inserted"

    def _renamed_call(self, scope: ast.AST, lines: list[str]) -> tuple[str, str] | None:
        calls = [c for c in ast.walk(scope) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                 and c.func.end_lineno == c.func.lineno]
        if not calls:
            return None
        call = self.rng.choice(calls)
        row, end = call.func.end_lineno - 1, call.func.end_col_offset
        line, renamed = lines[row].encode(), self.rng.choice(METHODS)
        lines[row] = (line[:end - len(call.func.attr.encode())] + renamed.encode() + line[end:]).decode()
        return "\n".join(lines), f"line {row + 1}: .{call.func.attr}( -> .{renamed}("

    def _deleted(self, scope: ast.FunctionDef | ast.ClassDef, lines: list[str]) -> tuple[str, str] | None:
        simple = [s for s in scope.body if isinstance(s, (ast.Expr, ast.Assign, ast.Return)) and s.lineno == s.end_lineno
                  and not isinstance(getattr(s, "value", None), ast.Constant) and not lines[s.lineno - 1][:s.col_offset].strip()]
        if not simple:
            return None
        statement = self.rng.choice(simple)
        row = statement.lineno - 1
        removed, lines[row] = lines[row].strip(), lines[row][:statement.col_offset] + "pass"
        return "\n".join(lines), f"line {row + 1}: {removed[:50]!r} replaced by pass"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--inserts-only", action="store_true", help="only edits that add code, with everyday names")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="nav-fuzz-"))
    run = Run(scratch)
    kept = scratch / "kept"
    run.graph(kept)
    editor = Editor(scratch / "src" / "fastai", random.Random(args.seed), args.inserts_only)
    seconds: dict[str, list[float]] = defaultdict(list)
    step = 0
    while step < args.steps:
        made = editor.edit()
        if made is None:
            continue
        step += 1
        kind, description = made
        taken = run.graph(kept)
        fresh = scratch / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        run.graph(fresh)
        mine, theirs = run.edges(kept), run.edges(fresh)
        seconds[kind].append(taken)
        print(f"{step:3d} {kind:8s} {taken:6.2f} s  {'SAME' if mine == theirs else 'DIFF'}  {description}", flush=True)
        if mine != theirs:
            print("  only kept up to date:", sorted(mine - theirs)[:5])
            print("  only fresh:", sorted(theirs - mine)[:5])
            sys.exit(f"the graph kept up to date differs from a fresh one; sources and caches left in {scratch}")
    for kind, taken in sorted(seconds.items()):
        quick = sum(1 for s in taken if s < 1.0)
        print(f"{kind}: {len(taken)} edits, median {statistics.median(taken):.2f} s, {quick} under 1 s")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
