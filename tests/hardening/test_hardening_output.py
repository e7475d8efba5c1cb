"""Output that was cut, shifted or broken (issue 15, items 14, 19-23)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from navigator.walk.format import PATH_VARIABLE
from tests.helpers import REPO, run_nav, write_walk


def _indexed(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name, text in files.items():
        (src / name).write_text(text)
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    return cache


def test_show_into_a_pipe_never_cuts_lines(tmp_path: Path) -> None:
    """Item 19: `nav show _conv_args | cat` lost `norm_type=NormType.Spectral)` at 80 columns."""
    long_line = "    return dict(" + ", ".join(f"key_{i}=a" for i in range(20)) + ", norm_type=NormType.Spectral)"
    cache = _indexed(tmp_path, {"wide.py": f"def conv_args(a):\n{long_line}\n"})
    done = run_nav("show", "conv_args", "--kind", "function", cache=cache, env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\s*2 " + re.escape(long_line) + "$", done.stdout, re.M), done.stdout


def test_tables_into_a_pipe_never_cut_cells(tmp_path: Path) -> None:
    """`nav roots | cat` printed every path as `/work/venv/lib/python3.…` at 80 columns; `nav walk` wrapped
    its summaries over several lines: a table into a pipe is as wide as its cells, a line stays one line."""
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 4, "src")
    deep.mkdir(parents=True)
    (deep / "m.py").write_text("def f():\n    pass\n")
    cache = tmp_path / "cache"
    run_nav("index", str(deep), cache=cache, check=True)
    roots = run_nav("roots", cache=cache, env={"COLUMNS": "80"}, check=True).stdout
    assert re.search(r"^ ?src\s+.*\s" + re.escape(str(deep.resolve())) + r"\s*$", roots, re.MULTILINE), roots
    summary = "a summary long enough to be wrapped at eighty columns, " * 3
    write_walk(tmp_path / "walks", "wide", '[[step]]\nkind = "narrative"\ntitle = "a"\ntext = "x"\n',
               header=f'[walkthrough]\ntitle = "T"\nsummary = "{summary.strip()}"\n')
    listing = run_nav("walk", cache=cache, env={PATH_VARIABLE: str(tmp_path / "walks"), "COLUMNS": "80"}, check=True)
    assert re.search(r"^wide\s+1\s+-\s+" + re.escape(summary.strip()) + r"\s*$", listing.stdout, re.MULTILINE), listing.stdout
    assert "run one with nav walk NAME (resumes where you left off), or --auto to run all steps\n" in listing.stdout


def test_show_counts_lines_as_python_does_with_a_form_feed(tmp_path: Path) -> None:
    """Item 20: a form feed made str.splitlines shift every later line and drop the last one."""
    cache = _indexed(tmp_path, {"ff.py": "def first():\n    return 1\n\x0c\ndef second():\n    x = 1\n    return x\n"})
    done = run_nav("show", "second", cache=cache)
    assert done.returncode == 0, done.stderr
    numbered = [line.strip() for line in done.stdout.splitlines()[1:]]
    assert numbered == ["4 def second():", "5     x = 1", "6     return x"]


def test_tags_escape_tab_and_newline_in_file_names_like_universal_ctags(tmp_path: Path) -> None:
    """Item 21: such names broke tag lines into wrong fields; u-ctags writes \\t and \\n."""
    cache = _indexed(tmp_path, {"a\tb.py": "def tabbed():\n    pass\n", "c\nd.py": "def newlined():\n    pass\n"})
    done = run_nav("tags", "-o", "-", cache=cache, cwd=tmp_path / "src")
    assert done.returncode == 0, done.stderr
    body = [line for line in done.stdout.split("\n") if line and not line.startswith("!_TAG_")]
    assert [line.split("\t")[:3] for line in body] == [
        ["newlined", "c\\nd.py", '/^def newlined():$/;"'],
        ["tabbed", "a\\tb.py", '/^def tabbed():$/;"'],
    ]


def test_trace_depth_zero_is_the_definition_alone(tmp_path: Path) -> None:
    """Item 22: `--depth 0` claimed "no calls from X" though X calls things."""
    cache = _indexed(tmp_path, {"m.py": "def helper():\n    pass\n\ndef outer():\n    helper()\n"})
    deep = run_nav("trace", "outer", cache=cache, check=True)
    assert "helper" in deep.stdout
    done = run_nav("trace", "outer", "--depth", "0", cache=cache)
    assert done.returncode == 0, done.stderr
    assert "no calls from" not in done.stderr
    assert "outer" in done.stdout and "helper" not in done.stdout


def test_negative_timeout_in_steps_file_is_refused(tmp_path: Path) -> None:
    """Item 23: `timeout = -5` was accepted."""
    write_walk(tmp_path / "walks", "neg", '[[step]]\nkind = "narrative"\ntitle = "a"\ntext = "x"\ntimeout = -5\n')
    done = run_nav("walk", "neg", cache=tmp_path / "cache", env={PATH_VARIABLE: str(tmp_path / "walks")})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("step 1: timeout must be more than 0, not -5"), done.stderr


def test_steps_file_that_is_not_utf8_is_listed_as_broken(tmp_path: Path) -> None:
    """Item 14: a Latin-1 steps.toml on NAV_WALKTHROUGH_PATH broke even the built-in listing."""
    folder = write_walk(tmp_path / "walks", "latin", '[[step]]\nkind = "narrative"\ntitle = "a"\ntext = "x"\n')
    (folder / "steps.toml").write_bytes((folder / "steps.toml").read_bytes().replace(b'text = "x"', b'text = "caf\xe9"'))
    env = {PATH_VARIABLE: str(tmp_path / "walks")}
    listing = run_nav("walk", cache=tmp_path / "cache", env=env)
    assert listing.returncode == 0, listing.stderr
    assert re.search(r"^timm-normalize\s", listing.stdout, re.M)
    assert re.search(r"^latin\s+-\s+-\s+cannot load: .*steps\.toml: not UTF-8 text \(byte \d+\)", listing.stdout, re.M)
    done = run_nav("walk", "latin", cache=tmp_path / "cache", env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "not UTF-8 text" in done.stderr


def test_steps_file_nested_too_deeply_is_listed_as_broken(tmp_path: Path) -> None:
    """A steps.toml with an array 5,000 deep was a RecursionError traceback from tomllib, in `nav walk`'s listing too."""
    folder = tmp_path / "walks" / "deep"
    folder.mkdir(parents=True)
    (folder / "steps.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    env = {PATH_VARIABLE: str(tmp_path / "walks")}
    listing = run_nav("walk", cache=tmp_path / "cache", env=env)
    assert listing.returncode == 0 and "Traceback" not in listing.stderr, listing.stderr
    assert re.search(r"^deep\s+-\s+-\s+cannot load: .*steps\.toml: not valid TOML: nested too deeply to read", listing.stdout,
                     re.MULTILINE), listing.stdout
    done = run_nav("walk", "deep", cache=tmp_path / "cache", env=env)
    assert done.returncode == 2 and done.stderr.endswith("steps.toml: not valid TOML: nested too deeply to read\n"), done.stderr


def test_tags_into_a_fifo_or_a_link_writes_through_and_keeps_them(tmp_path: Path) -> None:
    """`-o` naming a FIFO (as `-o >(gzip)` does) or a link: the rename of an atomic write put a
    plain file in their place (`nav tags -o /dev/null` replaced the device node, as root)."""
    import os
    import stat
    import subprocess

    cache = _indexed(tmp_path, {"m.py": "def tagged():\n    pass\n"})
    fifo = tmp_path / "tags.fifo"
    os.mkfifo(fifo)
    with subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True) as reader:
        done = run_nav("tags", "-o", str(fifo), cache=cache)
        try:
            received = reader.communicate(timeout=30)[0]
        finally:
            reader.kill()
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and "\ntagged\t" in received
    unread = run_nav("tags", "-o", str(fifo), cache=cache)
    assert unread.returncode != 0 and unread.stderr.strip() == f"nav: error: cannot write {fifo}: nothing is reading it (a FIFO or a socket)"
    target, link = tmp_path / "real_tags", tmp_path / "tags"
    target.write_text("old\n")
    link.symlink_to(target)
    run_nav("tags", "-o", str(link), cache=cache, check=True)
    assert link.is_symlink() and "\ntagged\t" in target.read_text()
    loop = tmp_path / "loop"
    loop.symlink_to(loop)  # the rename replaced such a link by a plain file; the shell's `>` refuses it
    looped = run_nav("tags", "-o", str(loop), cache=cache)
    assert (looped.returncode, looped.stderr) == (2, f"nav: error: cannot write {loop}: Too many levels of symbolic links\n")
    assert loop.is_symlink() and os.readlink(loop) == str(loop)


def test_an_export_failing_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """`write_atomic` takes chunks as they are made; one that fails leaves the target as it was."""
    from tags.atomic import write_atomic

    target = tmp_path / "graph.json"
    write_atomic(target, (chunk for chunk in (b"old", b" text")))
    assert target.read_bytes() == b"old text"

    def failing():
        yield b"new, half"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, failing())
    assert target.read_bytes() == b"old text" and sorted(p.name for p in tmp_path.iterdir()) == ["graph.json"]


def test_the_temporary_of_a_writer_killed_midway_is_swept_by_the_next_write(tmp_path: Path) -> None:
    """kill -9 during `nav graph -o F` leaves the old F and the writer's `.F.*.tmp`: the next write
    of F removes it, and keeps a temporary whose writer still runs."""
    import os
    import signal
    import subprocess
    import sys

    from tags.atomic import write_atomic
    from tests.helpers import REPO

    target = tmp_path / "graph.json"
    target.write_bytes(b"old")
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom tags.atomic import write_atomic\n"
        "def chunks():\n    yield b'new, half'\n    sys.stdout.write('staged\\n'); sys.stdout.flush(); time.sleep(600)\n"
        f"write_atomic({str(target)!r}, chunks())\n")],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "staged\n"  # the chunk is written, the rename not done
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    orphans = [p.name for p in tmp_path.iterdir() if p.name != "graph.json"]
    assert len(orphans) == 1 and orphans[0].startswith(f".graph.json.{writer.pid}.") and target.read_bytes() == b"old"
    running = tmp_path / f".graph.json.{os.getpid()}.abc.tmp"  # this process' own: a writer still running
    running.write_bytes(b"in flight")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["graph.json", running.name])


def _hostile_tree(tmp_path: Path) -> Path:
    """A root `[bold]src` holding `q[/]y.py` (a folder `q[` and a file `]y.py`), `[red]z.py` and a
    file whose name holds an escape sequence and a tab."""
    src = tmp_path / "[bold]src"
    (src / "q[").mkdir(parents=True)
    (src / "q[" / "]y.py").write_text("def closing():\n    pass\n")
    (src / "[red]z.py").write_text("def tagged():\n    pass\n")
    (src / "a\x1b[31mred\tb.py").write_text("def coloured():\n    helper()\n\n\ndef helper():\n    pass\n")
    return src


def test_brackets_in_paths_are_printed_as_they_are_not_read_as_markup(tmp_path: Path) -> None:
    """`nav show closing` in `q[/]y.py` was a rich MarkupError traceback (`[/]` closes nothing), or
    under `[bold]src/` the header `src/qy.py`; `[red]z.py` was shown as `z.py`."""
    src = _hostile_tree(tmp_path)
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    for where, header in ((src, "q[/]y.py:1"), (tmp_path, "[bold]src/q[/]y.py:1")):
        shown = run_nav("show", "closing", cache=cache, cwd=where)
        assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
        assert shown.stdout.splitlines()[0] == f"{header}  function q[.]y.closing"
    tagged = run_nav("show", "tagged", cache=cache, cwd=tmp_path, check=True)
    assert tagged.stdout.splitlines()[0] == "[bold]src/[red]z.py:1  function [red]z.tagged"
    roots = run_nav("roots", cache=cache, check=True).stdout
    assert re.search(r"^ ?\[bold\]src\s+.*\s" + re.escape(str(src.resolve())) + r"\s*$", roots, re.MULTILINE), roots


def test_control_characters_in_file_names_are_escaped_not_sent_to_the_terminal(tmp_path: Path) -> None:
    """A file named `a<ESC>[31mred<TAB>b.py` recoloured the terminal from `nav find`, `show` and
    `trace` output, and its tab split the `path:line:col:` line; they are written `\\x1b` and `\\t`,
    as `nav tags` and Universal Ctags write them."""
    src = _hostile_tree(tmp_path)
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    found = run_nav("find", "coloured", cache=cache, cwd=src, check=True).stdout
    assert found == "a\\x1b[31mred\\tb.py:1:1: function coloured()\n"
    shown = run_nav("show", "coloured", cache=cache, cwd=src, check=True).stdout
    assert shown.splitlines()[0] == "a\\x1b[31mred\\tb.py:1  function a\\x1b[31mred\\tb.coloured"
    traced = run_nav("trace", "coloured", cache=cache, cwd=src, check=True).stdout
    assert traced == "coloured  a\\x1b[31mred\\tb.py:1\n└─ helper  a\\x1b[31mred\\tb.py:2  exact\n"
    for output in (found, shown, traced):
        assert "\x1b" not in output and "\t" not in output


@pytest.mark.parametrize("command", ["show", "find"])
def test_a_reader_leaving_early_is_not_an_error(tmp_path: Path, command: str) -> None:
    """`nav show X | head -1` ended with status 1 (rich exits so on a broken pipe) where `nav find`
    ended with 0. The output is larger than a pipe holds, so the reader leaves while nav still writes."""
    body = "".join(f"    value_{i} = {i}\n" for i in range(6_000))
    names = "".join(f"def huge_{i}():\n    pass\n" for i in range(3_000))
    cache = _indexed(tmp_path, {"big.py": f"def huge():\n{body}\n{names}"})
    environment = {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    query = ["huge", "--kind", "function"] if command == "show" else ["huge", "--limit", "5000"]
    with subprocess.Popen([sys.executable, "-m", "navigator", command, *query], env=environment,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        first = process.stdout.readline()
        process.stdout.close()
        error = process.stderr.read().decode()
        status = process.wait(timeout=60)
    assert b"big.py" in first
    assert (status, error) == (0, "")


def test_show_prints_a_definition_with_a_huge_line_plain(tmp_path: Path) -> None:
    """Pygments took 10 s to colour `nav show` of a 3 MB generated line; a line over
    MAX_HIGHLIGHTED_LINE characters is shown plain (a normal definition stays coloured)."""
    wide = "x = [" + ", ".join(f"'s{i}'" for i in range(30_000)) + "]"  # strings: coloured by the theme
    cache = _indexed(tmp_path, {"generated.py": f"def alpha():\n    return 'a'\n\n{wide}\n"})
    colour = {"FORCE_COLOR": "1", "NO_COLOR": ""}
    shown = run_nav("show", "x", "--kind", "variable", cache=cache, env=colour, check=True).stdout
    [line] = [line for line in shown.splitlines() if "'s29999'" in line]
    assert re.sub(r"\x1b\[[0-9;]*m", "", line).strip() == f"4 {wide}"
    assert line.count("\x1b[") < 10, line[:300]  # the line number's colour, not one per token
    normal = run_nav("show", "alpha", cache=cache, env=colour, check=True).stdout
    assert "\x1b[" in normal.partition("return")[2].partition("\n")[0]  # `'a'` coloured


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("command", [["find", "huge"], ["show", "huge"], ["roots"], ["trace", "huge"]])
def test_output_to_a_full_disk_is_one_line(tmp_path: Path, command: list[str]) -> None:
    """`nav find x > file` on a full disk was an OSError traceback (at exit, for short output)."""
    cache = _indexed(tmp_path, {"small.py": "def huge():\n    return other()\n\ndef other():\n    pass\n"})
    environment = {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "navigator", *command], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=environment, check=False, timeout=120)
    assert (done.returncode, done.stderr) == (1, "nav: error: cannot write the output: No space left on device\n")


def test_a_terminal_that_cannot_write_a_character_gets_an_escape(tmp_path: Path) -> None:
    """On an ASCII or Latin-1 terminal (PYTHONIOENCODING, the locale) a name like `café` was a
    UnicodeEncodeError traceback halfway through the output; trees now draw with ASCII lines there."""
    cache = _indexed(tmp_path, {"uni.py": "def naïve():\n    pass\n\ndef café():\n    naïve()\n"})
    ascii_only = {"PYTHONIOENCODING": "ascii"}
    for args in (("find", "café"), ("show", "café"), ("tags", "-o", "-"), ("graph", str(tmp_path / "src"), "--format", "dot"),
                 ("find", "nosuchcafé")):
        done = run_nav(*args, cache=cache, env=ascii_only)
        assert done.returncode == (1 if args[1] == "nosuchcafé" else 0) and "Traceback" not in done.stderr, done.stderr
        assert "caf\\xe9" in done.stdout + done.stderr, (args, done.stdout)
    trace = run_nav("trace", "café", cache=cache, env=ascii_only, check=True).stdout
    assert trace.splitlines()[1].startswith("`- na\\xefve  ") and trace.isascii()
    latin = subprocess.run([sys.executable, "-m", "navigator", "callers", "naïve"], capture_output=True, check=True,
                           env={**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "NO_COLOR": "1",
                                "PYTHONIOENCODING": "latin-1"}).stdout.decode("latin-1")
    assert latin.splitlines()[1].startswith("`- café  ")  # é is Latin-1, the tree lines are not
    assert run_nav("trace", "café", cache=cache, check=True).stdout.splitlines()[1].startswith("└─ naïve  ")


def test_a_closed_standard_output_is_one_line(tmp_path: Path) -> None:
    """`nav find x >&-` (Python makes the closed stdout None) was an AttributeError traceback; now
    one line and status 1, as for a full disk. A command that writes to a file still works."""
    cache = _indexed(tmp_path, {"m.py": "def alpha():\n    pass\n"})
    env = {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "NO_COLOR": "1"}

    def closed(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "navigator", *args],
                              env=env, stderr=subprocess.PIPE, text=True, timeout=120, check=False)

    for args in (("find", "alpha"), ("show", "alpha"), ("trace", "alpha"), ("roots",)):
        done = closed(*args)
        assert (done.returncode, done.stderr) == (1, "nav: error: cannot write the output: the standard output is closed\n")
    tags = tmp_path / "tags"
    done = closed("tags", "-o", str(tags))
    assert done.returncode == 0 and "\nalpha\t" in tags.read_text(), done.stderr


def test_a_closed_standard_input_reads_as_empty(tmp_path: Path) -> None:
    """`nav lsp <&-` and an interactive `nav walk <&-` were AttributeError tracebacks (Python makes a
    closed stdin None); now the input simply ends: the server stops, the walk stops and says how to resume."""
    cache = _indexed(tmp_path, {"m.py": "def alpha():\n    pass\n"})
    env = {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    for args in (("lsp",), ("walk", "vision-learner-anatomy")):
        done = subprocess.run(["sh", "-c", 'exec "$@" <&-', "sh", sys.executable, "-m", "navigator", *args],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "resumes after the last step that passed" in done.stdout + done.stderr


def test_a_closed_standard_error_loses_the_messages_not_the_work(tmp_path: Path) -> None:
    """`nav index SRC 2>&-` failed with status 1 and did nothing: the progress bar asked the closed
    stderr (None) whether it is a terminal, and the AttributeError traceback had nowhere to go."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "m.py").write_text("def alpha():\n    pass\n")
    env = {**os.environ, "NAV_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    for args in (("index", str(src)), ("find", "alpha"), ("show", "nosuch")):
        done = subprocess.run(["sh", "-c", 'exec "$@" 2>&-', "sh", sys.executable, "-m", "navigator", *args],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == (1 if args[1] == "nosuch" else 0), done.stdout
    assert done.stdout == ""  # the error line went nowhere, not to stdout
    assert run_nav("find", "alpha", cache=tmp_path / "cache", check=True).stdout.startswith(f"{src / 'm.py'}:1:1:")


@pytest.mark.parametrize("command", [["tags"], ["graph", "{src}"], ["trace", "alpha"], ["callers", "beta"]])
def test_an_export_never_writes_over_python_source(tmp_path: Path, command: list[str]) -> None:
    """`nav graph pkg -o pkg/a.py` (for `a.json`) wrote JSON over the module, and it was gone."""
    text = "def alpha():\n    return beta()\n\ndef beta():\n    return 1\n"
    cache = _indexed(tmp_path, {"a.py": text})
    src = tmp_path / "src"
    (src / "cells.ipynb").write_text("{}")
    for target in (src / "a.py", src / "cells.ipynb"):
        done = run_nav(*[part.format(src=src) for part in command], "-o", str(target), cache=cache)
        assert done.returncode == 2 and done.stderr.splitlines()[-1].endswith(
            f"{target} is Python source: nav does not write over it (nothing written)"), done.stderr
    assert (src / "a.py").read_text() == text and (src / "cells.ipynb").read_text() == "{}"
    written = run_nav(*[part.format(src=src) for part in command], "-o", str(tmp_path / "export.txt"), cache=cache)
    assert written.returncode == 0 and "beta" in (tmp_path / "export.txt").read_text(), written.stderr


def test_an_empty_path_or_output_name_is_refused(tmp_path: Path) -> None:
    """`Path("")` is the current directory: `nav index "$UNSET"` indexed wherever it ran (a home
    folder), `nav graph ""` and `nav nbcheck ""` analysed it, `nav graph pkg -o ""` wrote to
    standard output and `nav tags -o ""` failed as `cannot write : No such file or directory`."""
    cache = _indexed(tmp_path, {"a.py": "def alpha():\n    return beta()\n\ndef beta():\n    return 1\n"})
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "stray.py").write_text("def stray():\n    pass\n")
    for command in (["index", ""], ["index", str(tmp_path / "src"), ""], ["graph", ""]):
        done = run_nav(*command, cache=cache, cwd=tmp_path / "work")
        assert (done.returncode, done.stderr) == (
            2, "nav: error: an empty path: give a directory or an installed package name\n"), command
    done = run_nav("nbcheck", "", cache=cache, cwd=tmp_path / "work")
    assert (done.returncode, done.stderr) == (2, "nav: error: an empty path: give a checkout's module file or folder\n")
    assert "stray" not in run_nav("find", "stray", cache=cache).stdout  # the current directory was not indexed
    for command in (["tags"], ["graph", str(tmp_path / "src")], ["trace", "alpha"]):
        done = run_nav(*command, "-o", "", cache=cache)
        assert done.returncode == 2 and done.stdout == "" and \
            done.stderr.splitlines()[-1].endswith("argument -o/--output: an empty file name"), done.stderr
