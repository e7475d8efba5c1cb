"""`nav lsp` against pyright-langserver: go-to-definition accuracy on real call sites, and speed.

    python tests/benchmarks/bench_lsp.py [--rounds 5] [--max-sites 400] [--no-pyright] [--cache DIR]

The call sites and their truth come from nav's live trace: a small fastai script (tiny
images, CPU, one epoch of fine_tune) runs under `navigator.live_trace`, which records where
each call really went: the script's own calls and fastai's internal ones. A site is kept
when the callee's name appears exactly once as `name(` on the recorded line, so the cursor
can be put on it; a definition answer is right when it lands in the callee's file between
its first (decorator) line and its `def` line. Both servers get the same positions.

Speed, from the same run: definition and hover latency per request (p50/p95) over those
sites, and start-to-first-answer (spawn, initialize, open the script, first definition)
with a warm index, side by side with a bare `python -c pass` start in the same round; then the
same start again while `--busy N` processes spin on the cores (a loaded machine, made on purpose).
pyright is installed with npm into the cache (`npm install pyright`), not into the project.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """\
import numpy as np
from pathlib import Path
from PIL import Image
from fastai.vision.all import *


def main():
    root = Path(__file__).parent / "images"
    for label in "ab":
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(8):
            Image.fromarray(np.full((16, 16, 3), 30 * i, dtype=np.uint8)).save(root / label / f"{i}.png")
    dls = ImageDataLoaders.from_folder(root, valid_pct=0.25, bs=4, num_workers=0, device="cpu", item_tfms=Resize(16))
    batch = dls.one_batch()
    learn = vision_learner(dls, "resnet18", pretrained=False, metrics=accuracy)
    learn.freeze()
    learn.fine_tune(1, freeze_epochs=1)
    preds, targets = learn.get_preds()
    learn.unfreeze()
    interp = ClassificationInterpretation.from_learner(learn)
    return batch, preds, targets, interp


main()  # in a function: the live trace looks through module-level frames
"""


@dataclass
class Site:
    """A call site and where the call really went (1-based lines)."""

    path: str
    line: int
    character: int
    callee: str
    target_path: str
    target_first: int
    target_line: int
    in_script: bool
    class_lines: tuple[int, int] = (0, 0)  # for `Cls(...)` reaching `Cls.__init__`: the class, also right


class StdioServer:
    """A minimal LSP client over a child's stdin/stdout (Content-Length framed JSON-RPC)."""

    def __init__(self, command: list[str], env: dict[str, str], settings: dict | None = None) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env)
        self.settings = settings or {}
        self.messages: queue.Queue = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = 0
            while True:
                header = stream.readline()
                if not header:
                    self.messages.put(None)
                    return
                if header in (b"\r\n", b"\n"):
                    break
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            self.messages.put(json.loads(stream.read(length)))

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: dict, timeout: float = 120) -> object:
        self.next_id += 1
        wanted = self.next_id
        self._send({"id": wanted, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if message is None:
                raise RuntimeError(f"{method}: the server exited")
            if "method" in message and "id" in message:  # a request from the server: answer it
                self._send({"id": message["id"], "result": self._answer(message)})
            elif message.get("id") == wanted:
                return message.get("result")

    def _answer(self, message: dict) -> object:
        if message["method"] == "workspace/configuration":
            return [self.settings.get(item.get("section", ""), {}) for item in message["params"]["items"]]
        return None

    def start(self, root: Path) -> None:
        self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
                                    "workspaceFolders": [{"uri": root.as_uri(), "name": "bench"}]})
        self.notify("initialized", {})

    def open(self, path: str) -> None:
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": Path(path).as_uri(), "languageId": "python", "version": 1, "text": Path(path).read_text()}})

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=10)
            self.notify("exit", {})
            self.process.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a server that will not stop is killed
            self.process.kill()


def nav_env(cache: Path) -> dict[str, str]:
    return {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}


def traced_sites(cache: Path, script: Path, max_sites: int) -> list[Site]:
    """Run the script under nav's live trace; keep the call sites a cursor can be put on."""
    os.environ["NAV_CACHE_DIR"] = str(cache)
    sys.path.insert(0, str(REPO))
    from navigator.trace.live import match_definitions, run_code
    from navigator.session import query

    roots = query(lambda index: [root.path for root in index.roots()])
    script_path = os.path.realpath(script)
    trace = run_code(None, str(script), roots + [os.path.dirname(script_path)])  # the script's calls too
    if trace.error:
        print(f"the traced script failed: {trace.error}", file=sys.stderr)

    def collect(index) -> list[Site]:
        match_definitions(index, trace)
        sites = []
        for caller, callees in sorted(trace.edges.items(), key=lambda item: (item[0].path, item[0].first_line)):
            path = caller.path
            if not path:
                continue
            lines = Path(path).read_text().splitlines()
            for callee, calls in sorted(callees.items(), key=lambda item: item[1].line):
                hit, line = trace.symbols.get(callee), calls.line
                if hit is None or not 0 < line <= len(lines):
                    continue
                name = hit.qualname.split(".")[-2] if hit.name == "__init__" and "." in hit.qualname else hit.name
                found = [m.start() for m in re.finditer(rf"(?<![\w]){re.escape(name)}\s*\(", lines[line - 1])]
                if len(found) == 1:
                    sites.append(Site(path, line, found[0], hit.qualname, hit.path, hit.first_line or hit.line,
                                      hit.line, path == script_path, _class_lines(index, hit)))
        return sites

    sites = query(collect)
    script_sites = [s for s in sites if s.in_script]
    return script_sites + [s for s in sites if not s.in_script][: max(0, max_sites - len(script_sites))]


def _class_lines(index, hit) -> tuple[int, int]:
    """(first line, class line) of the class whose `__init__` `hit` is; (0, 0) for other callees."""
    from navigator.queries import find

    if hit.name != "__init__" or "." not in hit.qualname:
        return (0, 0)
    owner = hit.qualname.rpartition(".")[0]
    for candidate in (found.symbol for found in find(index, f"{hit.module}.{owner}", kind="class", limit=5)):
        if candidate.path == hit.path:
            return (candidate.first_line or candidate.line, candidate.line)
    return (0, 0)


def correct(answer: object, site: Site) -> bool:
    locations = answer if isinstance(answer, list) else [answer] if answer else []
    for location in locations[:1]:
        uri = location.get("uri") or location.get("targetUri", "")
        span = location.get("range") or location.get("targetSelectionRange") or {}
        line = span.get("start", {}).get("line", -1) + 1
        from urllib.parse import unquote, urlparse

        path = os.path.realpath(unquote(urlparse(uri).path))
        if path == os.path.realpath(site.target_path) and (
                site.target_first <= line <= site.target_line or 0 < site.class_lines[0] <= line <= site.class_lines[1]):
            return True
    return False


def ask_all(server: StdioServer, sites: list[Site], method: str) -> tuple[list[object], list[float]]:
    answers, seconds = [], []
    for site in sites:
        params = {"textDocument": {"uri": Path(site.path).as_uri()},
                  "position": {"line": site.line - 1, "character": site.character}}
        started = time.perf_counter()
        answers.append(server.request(method, params))
        seconds.append(time.perf_counter() - started)
    return answers, seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def first_answer(cache: Path, script: Path, rounds: int) -> tuple[float, float]:
    """Median seconds from spawning `nav lsp` to its first definition, and of a bare Python start."""
    nav, bare = [], []
    line = SCRIPT.splitlines().index("    learn.fine_tune(1, freeze_epochs=1)")
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        server = StdioServer([sys.executable, "-m", "navigator", "lsp"], nav_env(cache))
        server.start(script.parent)
        server.open(str(script))
        server.request("textDocument/definition", {"textDocument": {"uri": script.as_uri()},
                                                   "position": {"line": line, "character": 12}})
        nav.append(time.perf_counter() - started)
        server.close()
    return statistics.median(nav), statistics.median(bare)


@contextlib.contextmanager
def busy_loops(count: int):
    """`count` processes spinning on the CPU: a loaded machine, made on purpose and the same every run."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def pyright_command(cache: Path) -> list[str]:
    """pyright-langserver, installed with npm into the cache on first use."""
    entry = cache / "pyright" / "node_modules" / "pyright" / "langserver.index.js"
    if not entry.exists():
        print("installing pyright with npm into", cache / "pyright", file=sys.stderr)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(cache / "pyright"), "pyright"], check=True)
    return ["node", str(entry), "--stdio"]


def run_server(command: list[str], env: dict, script: Path, sites: list[Site], settings: dict | None = None,
               warmup: bool = False) -> tuple[list[bool], list[float], list[float]]:
    server = StdioServer(command, env, settings)
    try:
        server.start(script.parent)
        for path in sorted({site.path for site in sites}):
            server.open(path)
        if warmup:  # pyright analyses in the background: the first answer waits for it
            ask_all(server, sites[:1], "textDocument/definition")
        answers, definition_s = ask_all(server, sites, "textDocument/definition")
        _, hover_s = ask_all(server, sites, "textDocument/hover")
    finally:
        server.close()
    return [correct(answer, site) for answer, site in zip(answers, sites)], definition_s, hover_s


def report(name: str, hits: list[bool], sites: list[Site], definition_s: list[float], hover_s: list[float]) -> None:
    script_hits = [h for h, s in zip(hits, sites) if s.in_script]
    print(f"{name:8} accuracy {sum(hits)}/{len(hits)} = {100 * sum(hits) / max(1, len(hits)):.1f}%  "
          f"(script {sum(script_hits)}/{len(script_hits)}, fastai source {sum(hits) - sum(script_hits)}/"
          f"{len(hits) - len(script_hits)})   definition p50 {1000 * percentile(definition_s, .5):.1f} ms "
          f"p95 {1000 * percentile(definition_s, .95):.1f} ms   hover p50 {1000 * percentile(hover_s, .5):.1f} ms "
          f"p95 {1000 * percentile(hover_s, .95):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-sites", type=int, default=400)
    parser.add_argument("--no-pyright", action="store_true")
    parser.add_argument("--busy", type=int, default=3,
                        help="also time the start with this many busy loops competing for the cores (0: skip)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nav-bench-lsp")
    args = parser.parse_args()
    cache = args.cache.resolve()
    index_cache = cache / "index"
    subprocess.run([sys.executable, "-m", "navigator", "index"], env=nav_env(index_cache), check=True,
                   stdout=subprocess.DEVNULL)
    work = Path(tempfile.mkdtemp(prefix="nav-bench-lsp-"))
    script = work / "train.py"
    script.write_text(SCRIPT)
    sites = traced_sites(index_cache, script, args.max_sites)
    print(f"{len(sites)} call sites from the live trace ({sum(s.in_script for s in sites)} in the script)")
    nav_first, bare = first_answer(index_cache, script, args.rounds)
    print(f"start to first definition, warm index: nav lsp {1000 * nav_first:.0f} ms "
          f"(bare python start {1000 * bare:.0f} ms, ratio {nav_first / bare:.1f}x); target <= 1000 ms")
    if args.busy:
        with busy_loops(args.busy):
            nav_first, bare = first_answer(index_cache, script, args.rounds)
        print(f"  the same with {args.busy} busy loops on {os.cpu_count()} cores: nav lsp {1000 * nav_first:.0f} ms "
              f"(bare python start {1000 * bare:.0f} ms, ratio {nav_first / bare:.1f}x)")
    nav = run_server([sys.executable, "-m", "navigator", "lsp"], nav_env(index_cache), script, sites)
    report("nav", nav[0], sites, nav[1], nav[2])
    misses = [s for s, ok in zip(sites, nav[0]) if not ok]
    for site in misses[:15]:
        print(f"  nav missed {site.path}:{site.line}:{site.character + 1} -> {site.callee}")
    if not args.no_pyright:
        settings = {"python": {"pythonPath": sys.executable}, "python.analysis": {"useLibraryCodeForTypes": True}}
        pyright = run_server(pyright_command(cache), dict(os.environ), script, sites, settings, warmup=True)
        report("pyright", pyright[0], sites, pyright[1], pyright[2])


if __name__ == "__main__":
    main()
