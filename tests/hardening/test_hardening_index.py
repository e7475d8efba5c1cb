"""Hostile trees for `nav index` (issue 15, items 1-6): nothing hangs, nothing reads forever,
odd names do not break later commands. Hang guards are generous subprocess timeouts, never
timed assertions: on main these runs block or take minutes."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO, run_nav

HANG_GUARD = 120  # seconds; a correct run takes about one


def _tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.py").write_text("def kept():\n    return 1\n")
    return src


def _find_line(cache: Path, name: str, env: dict | None = None) -> str:
    done = run_nav("find", name, cache=cache, timeout=HANG_GUARD, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_huge_line_of_chained_calls_indexes_and_find_works(tmp_path: Path) -> None:
    """Item 1: 120,000 chained calls on one line used to make tree-sitter's query quadratic."""
    src = _tree(tmp_path)
    (src / "big.py").write_text("+".join(f"f{i}()" for i in range(120_000)) + "\ndef after_big():\n    pass\n")
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True, timeout=HANG_GUARD)
    assert "big.py:2:" in _find_line(cache, "after_big")


def _index_with_open_stdin(src: Path, cache: Path, limit_memory: bool = False) -> subprocess.CompletedProcess:
    """`nav index SRC` with a stdin pipe that stays open (a link to /dev/stdin would block on it)."""
    env = {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "NO_COLOR": "1"}

    def cap_memory() -> None:  # reading /dev/zero without limit: MemoryError, not a swapping machine
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    with subprocess.Popen([sys.executable, "-m", "navigator", "index", str(src)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          preexec_fn=cap_memory if limit_memory else None) as process:
        try:
            process.wait(timeout=HANG_GUARD)  # stdin left open on purpose
            out, err = process.stdout.read(), process.stderr.read()
        finally:
            process.kill()
            process.stdin.close()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_fifo_named_py_is_skipped_not_read(tmp_path: Path) -> None:
    """Item 2: a FIFO `x.py` blocked `nav index` forever."""
    src = _tree(tmp_path)
    os.mkfifo(src / "x.py")
    done = _index_with_open_stdin(src, tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert "x.py: not a regular file" in done.stderr
    assert "good.py:1:" in _find_line(tmp_path / "cache", "kept")


def test_link_to_dev_stdin_is_skipped(tmp_path: Path) -> None:
    """Item 3: `x.py -> /dev/stdin` blocked on the terminal or pipe."""
    src = _tree(tmp_path)
    (src / "x.py").symlink_to("/dev/stdin")
    done = _index_with_open_stdin(src, tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert "x.py: not a regular file" in done.stderr


def test_link_to_dev_zero_is_skipped(tmp_path: Path) -> None:
    """Item 6: `x.py -> /dev/zero` read without limit (MemoryError under a memory cap)."""
    src = _tree(tmp_path)
    (src / "zero.py").symlink_to("/dev/zero")
    (src / "random.py").symlink_to("/dev/urandom")
    done = _index_with_open_stdin(src, tmp_path / "cache", limit_memory=True)
    assert done.returncode == 0, done.stderr
    assert "zero.py: not a regular file" in done.stderr and "random.py: not a regular file" in done.stderr


def test_read_refuses_a_device_swapped_in_after_the_walk(tmp_path: Path) -> None:
    """Item 6, second guard: the parser itself reads only regular files, and a bounded amount.

    Run in a child under a memory cap: on main this read never ends."""
    link = tmp_path / "late.py"
    link.symlink_to("/dev/zero")
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))\n"
            "from tags.extract import parse_file\n"
            f"parsed = parse_file({str(link)!r}, 'late', 10, 0)\n"
            "print(parsed.status, parsed.note)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          timeout=HANG_GUARD, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.startswith("unreadable") and "not a regular file" in done.stdout


def test_links_to_proc_and_outside_dirs_are_not_followed(tmp_path: Path) -> None:
    """Item 4: a link to /proc walked /proc/PID/root into the whole file system."""
    src = _tree(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "far.py").write_text("def far_away():\n    pass\n")
    (src / "proc").symlink_to("/proc")
    (src / "elsewhere").symlink_to(outside)
    (src / "inner").mkdir()
    (src / "inner" / "near.py").write_text("def near_by():\n    pass\n")
    (src / "again").symlink_to(src / "inner")  # inside the root: followed (once)
    cache = tmp_path / "cache"
    done = run_nav("index", str(src), cache=cache, timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr
    assert "proc: links into /proc, a system tree; not followed" in done.stderr
    assert "elsewhere: links outside the root" in done.stderr
    assert "src: 2 files" in done.stdout
    assert run_nav("find", "far_away", cache=cache).returncode != 0

    asked = tmp_path / "cache-follow"
    run_nav("index", str(src), cache=asked, check=True, env={"NAV_FOLLOW_LINKS": "1"}, timeout=HANG_GUARD)
    assert "far.py:1:" in _find_line(asked, "far_away", env={"NAV_FOLLOW_LINKS": "1"})


def test_a_loop_of_links_is_skipped_with_a_note(tmp_path: Path) -> None:
    """`one -> two -> one` in a tree: `DirEntry.is_dir` raised ELOOP out of the walk, a traceback
    in `nav index` and every later query until the links were removed."""
    src = _tree(tmp_path)
    (src / "one").symlink_to(src / "two")
    (src / "two").symlink_to(src / "one")
    (src / "looped.py").symlink_to(src / "one")
    cache = tmp_path / "cache"
    done = run_nav("index", str(src), cache=cache, timeout=HANG_GUARD)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert f"{src / 'one'}: cannot be followed (Too many levels of symbolic links); skipped" in done.stderr
    assert f"{src / 'looped.py'}: unreadable" in done.stderr
    assert "good.py:1:" in _find_line(cache, "kept")


def test_a_walk_note_is_said_by_nav_index_not_by_every_query(tmp_path: Path) -> None:
    """A link loop's note was printed by every later `nav find` too; now by `nav index`, and by a
    query only when that root changed (the note may be new)."""
    src = _tree(tmp_path)
    (src / "one").symlink_to(src / "two")
    (src / "two").symlink_to(src / "one")
    cache = tmp_path / "cache"
    note = f"{src / 'one'}: cannot be followed (Too many levels of symbolic links); skipped"
    assert note in run_nav("index", str(src), cache=cache, check=True, timeout=HANG_GUARD).stderr
    quiet = run_nav("find", "kept", cache=cache, check=True, timeout=HANG_GUARD)
    assert quiet.stderr == "" and "good.py:1:" in quiet.stdout
    (src / "new.py").write_text("def added():\n    pass\n")
    changed = run_nav("find", "added", cache=cache, check=True, timeout=HANG_GUARD)
    assert note in changed.stderr and "new.py:1:" in changed.stdout
    assert note in run_nav("index", str(src), cache=cache, check=True, timeout=HANG_GUARD).stderr


def test_non_utf8_file_name_is_skipped_with_a_note(tmp_path: Path) -> None:
    """Item 5: a file name with a non-UTF-8 byte broke `nav index`, `nav find` and `nav roots`."""
    src = _tree(tmp_path)
    with open(os.path.join(os.fsencode(src), b"bad\xff.py"), "w") as handle:
        handle.write("def odd():\n    pass\n")
    cache = tmp_path / "cache"
    done = run_nav("index", str(src), cache=cache, timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr
    assert "bad\\xff.py: the file name is not UTF-8; skipped" in done.stderr
    assert "good.py:1:" in _find_line(cache, "kept")
    roots = run_nav("roots", cache=cache, timeout=HANG_GUARD)
    assert roots.returncode == 0 and str(src) in roots.stdout, roots.stderr


_SWAPPED_READERS = """
import os, sys
from tags.ctags_export import _read_lines
from tags.pointsto.indexed import read_sources
from tags.pointsto.solver import analyse_directory
from tags.sources import read_source_text
from tags.store import Index
from navigator import queries
from tags.errors import NavError

src = sys.argv[1]
index = Index.open()
symbol = queries.find(index, "kept")[0].symbol
os.remove(os.path.join(src, "good.py"))
os.mkfifo(os.path.join(src, "good.py"))  # swapped in after the index was made: nothing refreshes here
try:
    queries.source_lines(symbol)
except NavError as err:
    print("show:", err)
print("tags:", _read_lines(symbol.path))
print("graph:", read_sources({1: ("good", symbol.path)}), sorted(analyse_directory(src).scopes))
for path in (symbol.path, os.path.join(src, "zero.py"), os.path.join(src, "big.py")):
    try:
        read_source_text(path)
    except OSError as err:
        print("read:", os.path.basename(path), err.strerror)
"""


def test_readers_of_indexed_files_refuse_a_fifo_or_device_swapped_in_later(tmp_path: Path) -> None:
    """`nav show`, `nav tags`, the graph, the TUI's source pane and the language server read a file the
    index names; one swapped for a FIFO since blocked them for ever, a link to /dev/zero read without end.
    Each child runs under a hang guard and a memory cap."""
    src = _tree(tmp_path)
    (src / "other.py").write_text("def other():\n    return 2\n")
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    (src / "zero.py").symlink_to("/dev/zero")
    with open(src / "big.py", "wb") as handle:
        handle.truncate(5 * 2**20)  # sparse: over the 4 MB limit without writing it
    code = "import resource; resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))\n" + _SWAPPED_READERS
    done = subprocess.run([sys.executable, "-c", code, str(src)], capture_output=True, text=True, cwd=REPO,
                          check=False, timeout=HANG_GUARD, env={**os.environ, "PYTHONPATH": str(REPO), "NAV_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr[-800:]
    lines = done.stdout.splitlines()
    assert lines[0] == f"show: {src / 'good.py'}: cannot read (not a regular file (a FIFO, socket or device?))"
    assert lines[1:3] == ["tags: []", "graph: {} ['other', 'other.other']"]
    assert lines[3:] == ["read: good.py not a regular file (a FIFO, socket or device?)",
                         "read: zero.py not a regular file (a FIFO, socket or device?)", "read: big.py over the 4 MB limit"]


def test_source_text_is_read_as_a_text_mode_open_reads_it(tmp_path: Path) -> None:
    """The one reader keeps what `open(..., errors="replace")` gave every caller it replaced: newlines
    (CRLF, CR alone) translated, a BOM kept, bad bytes replaced, a form feed left alone."""
    from tags.sources import read_source_text

    path = tmp_path / "mixed.py"
    path.write_bytes(b"\xef\xbb\xbfa = 1\r\nb = 2\rc = '\xff'\x0c\nd = 4\n")
    with open(path, encoding="utf-8", errors="replace") as handle:
        expected = handle.read()
    assert read_source_text(str(path)) == expected == "\ufeffa = 1\nb = 2\nc = '\ufffd'\x0c\nd = 4\n"


def test_a_declared_encoding_is_read_as_declared_by_every_reader(tmp_path: Path) -> None:
    """The indexer read `# -*- coding: latin-1 -*-` files as declared, every other reader as UTF-8:
    `nav show café` printed `def caf\\ufffd():` and the call graph could not parse the file, so its
    calls were linked by name only."""
    from tags.sources import read_source_text

    src = tmp_path / "src"
    src.mkdir()
    (src / "legacy.py").write_bytes("# -*- coding: latin-1 -*-\ndef café():\n    return helper()\n\n"
                                    "def helper():\n    return 'é'\n".encode("latin-1"))
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True, timeout=HANG_GUARD)
    assert read_source_text(str(src / "legacy.py")).splitlines()[1] == "def café():"
    shown = run_nav("show", "helper", cache=cache, check=True, timeout=HANG_GUARD).stdout
    assert "return 'é'" in shown
    trace = run_nav("trace", "café", cache=cache, check=True, timeout=HANG_GUARD)
    assert trace.stdout.splitlines()[1].startswith("└─ helper  ") and trace.stdout.rstrip().endswith("exact")
    assert "cannot parse" not in trace.stderr, trace.stderr


def test_a_codec_giving_lone_surrogates_does_not_break_the_index(tmp_path: Path) -> None:
    """`# coding: unicode_escape` decodes `"\\ud800"` to a lone surrogate, which UTF-8 cannot hold: the
    indexer raised re-encoding it, in `nav index` and in every later command, until the file went."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "escaped.py").write_bytes(b'# coding: unicode_escape\ndef lone():\n    return "\\ud800\xff"\n')
    cache = tmp_path / "cache"
    done = run_nav("index", str(src), cache=cache, timeout=HANG_GUARD)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    shown = run_nav("show", "lone", cache=cache, check=True, timeout=HANG_GUARD).stdout
    assert 'return "?\xff"' in shown  # the surrogate as `?`, the rest as the codec read it


def test_names_are_found_as_python_reads_them(tmp_path: Path) -> None:
    """Python normalizes identifiers to NFKC: `def cafe\\u0301()` (a combining accent, as macOS writes
    file text) defines `café`, `def \\ufb01nd()` (a ligature) defines `find`. nav kept them as
    written: `nav find café` found nothing, and the call graph (which reads names as Python does)
    linked no call to them."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "norm.py").write_text("def cafe\u0301():\n    return 1\n\ndef \ufb01nd():\n    return 2\n\n"
                                 "def user():\n    return café() + find()\n", encoding="utf-8")
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True, timeout=HANG_GUARD)
    assert "norm.py:1:1: function café()" in _find_line(cache, "café")
    assert "norm.py:1:1: function café()" in _find_line(cache, "cafe\u0301")  # the query is read as Python would too
    assert "norm.py:4:1: function find()" in _find_line(cache, "find")
    trace = run_nav("trace", "user", cache=cache, check=True, timeout=HANG_GUARD).stdout.splitlines()
    assert [line.split()[1] for line in trace[1:]] == ["café", "find"], trace
