"""What the tests share: running `nav` as a real process, paths in installed packages, fastai
release wheels (downloaded once with pip), walkthrough folders, and the TUI's screen as text.

Fixtures live in `conftest.py`; everything here is a plain function, imported as `tests.helpers`.
"""
from __future__ import annotations

import functools
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# --- running nav -------------------------------------------------------------------------------

def with_ctrl_c(argv: list[str]) -> list[str]:
    """`argv` run so that the test can Ctrl-C it: a shell's background job (`pytest ... &`) starts
    with SIGINT ignored, its children inherit that, and Python then never raises KeyboardInterrupt,
    so the test's signal would be lost and the test would hang. A small Python sets SIGINT back
    to its default and execs `argv` in place (same pid); `preexec_fn` would do it unsafely in a
    process that runs threads, as pytest's xdist workers do."""
    reset = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
    return [sys.executable, "-c", reset, *argv]


def run_nav(*args: str, cache: Path, check: bool = False, env: dict | None = None,
            timeout: float = 600, cwd: Path | None = None, input_text: str | None = None) -> subprocess.CompletedProcess:
    """`nav ARGS` in a subprocess with its own cache dir; text output captured, `input_text` on stdin."""
    environment = {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "NO_COLOR": "1",
                   "COLUMNS": "200", **(env or {})}
    done = subprocess.run([sys.executable, "-m", "navigator", *args], capture_output=True, text=True,
                          env=environment, timeout=timeout, cwd=cwd, input=input_text)
    if check and done.returncode != 0:
        raise AssertionError(f"nav {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def make_package(base: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `base`, folders made as needed."""
    for relative, text in files.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return base


def site_file(package: str, relative: str) -> Path:
    """The path of a file of an installed package, found without importing it."""
    from importlib.util import find_spec

    spec = find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"{package} is not installed"
    return Path(next(iter(spec.submodule_search_locations))).resolve() / relative


def line_of(path: Path, text: str) -> int:
    """The 1-based line where `text` first starts a line (stripped), read from the file itself."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.lstrip().startswith(text):
            return number
    raise AssertionError(f"{text!r} not found in {path}")


# --- fastai releases (wheels unpacked once, shared between runs) ------------------------------



FIRST_POST_REFACTOR = "2.7.5"
LATEST_KNOWN = "2.8.12"


def cache_dir() -> Path:
    """Where wheels and unpacked releases live; shared between test runs."""
    default = Path.home() / ".cache" / "nav-test-releases"
    path = Path(os.environ.get("NAV_TEST_RELEASES") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def version_key(version: str) -> tuple[int, ...]:
    """Numeric sort key for plain release versions such as `2.7.10`."""
    return tuple(int(part) for part in version.split("."))


def _download_wheel(package: str, version: str, dest: Path) -> Path:
    """The wheel of `package==version`, fetched with pip into `dest` unless already there."""
    pattern = f"{package}-{version}-*.whl"
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob(pattern))
    if not found:
        with tempfile.TemporaryDirectory(dir=dest) as tmp:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                 "--only-binary", ":all:", f"{package}=={version}", "--dest", tmp],
                capture_output=True, text=True,
            )
            if proc.returncode:
                raise RuntimeError(f"pip download {package}=={version} failed:\n{proc.stderr}")
            for wheel in Path(tmp).glob(pattern):
                os.replace(wheel, dest / wheel.name)
        found = sorted(dest.glob(pattern))
    if not found:
        raise FileNotFoundError(f"pip did not produce a wheel for {package}=={version}")
    return found[0]


def release_dir(version: str, package: str = "fastai") -> Path:
    """Directory holding the unpacked wheel of `package==version` (so `<dir>/fastai/...`)."""
    root = cache_dir()
    target = root / f"{package}-{version}"
    if target.is_dir():
        return target
    wheel = _download_wheel(package, version, root / "wheels")
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{package}-{version}-"))
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(staging)
    try:
        os.rename(staging, target)
    except OSError:  # another process unpacked it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def release_file(version: str, relpath: str, package: str = "fastai") -> Path:
    """One file of a release, e.g. `release_file('2.7.4', 'fastai/vision/learner.py')`."""
    return release_dir(version, package) / relpath


@functools.lru_cache(maxsize=None)
def available_versions(package: str = "fastai") -> tuple[str, ...]:
    """Plain release versions of `package` on the index, oldest first (`pip index versions`)."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", package],
        check=True, capture_output=True, text=True,
    ).stdout
    match = re.search(r"Available versions:\s*(.+)", out)
    if not match:
        raise RuntimeError(f"cannot read versions of {package} from pip:\n{out}")
    versions = [v.strip() for v in match.group(1).split(",")]
    plain = [v for v in versions if re.fullmatch(r"\d+(\.\d+)*", v)]
    return tuple(sorted(plain, key=version_key))


def versions_between(first: str, last: str | None = None, package: str = "fastai") -> list[str]:
    """Available versions from `first` to `last` (default: the latest), inclusive."""
    lo = version_key(first)
    hi = version_key(last) if last else None
    return [v for v in available_versions(package)
            if version_key(v) >= lo and (hi is None or version_key(v) <= hi)]


def post_refactor_versions() -> list[str]:
    """Every fastai release from 2.7.5 (the timm-normalize refactor) to the latest."""
    return versions_between(FIRST_POST_REFACTOR)


# --- walkthroughs -------------------------------------------------------------------------------

HEADER = '[walkthrough]\ntitle = "T"\nsummary = "S"\n'


def write_walk(base: Path, name: str, body: str, header: str = HEADER) -> Path:
    """A walkthrough folder `name` under `base` whose steps.toml is `header` + `body`."""
    folder = base / name
    folder.mkdir(parents=True)
    (folder / "steps.toml").write_text(header + body)
    return folder


def summary(output: str) -> dict[str, str]:
    """step id -> verdict, from the summary table `nav walk --auto` prints."""
    rows = re.findall(r"^\s*\d+ ([a-z0-9_-]+)\s+[a-z]+\s+[\d.]+\s+(.+?)\s*$", output.split(": summary")[-1], re.M)
    return dict(rows)


# --- the TUI ---------------------------------------------------------------------------------------

SAMPLE = REPO / "tests" / "tui" / "sample" / "fastai"
_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                   r'clip-path="url\(#terminal-(?:\d+-)?line-(\d+)\)">([^<]*)</text>')
CELL_WIDTH = 12.2  # textual's SVG export: pixels per terminal column


def index_sample(cache: Path) -> Path:
    """Index the sample package into `cache` (a directory) and return it."""
    run_nav("index", str(SAMPLE), cache=cache, check=True)
    return cache


def app_at(index, symbol: str | None):
    """The TUI app on `index`, opened at `symbol` (or at its start page)."""
    from navigator.queries import resolve
    from navigator.tui.app import NavApp

    return NavApp(index, resolve(index, symbol)[0] if symbol else None)


def screen_lines(app) -> list[str]:
    """What the terminal shows, one string per row, read back from textual's screenshot."""
    return svg_lines(app.export_screenshot(), app.size.height)


def svg_lines(svg: str, height: int) -> list[str]:
    """The rows of text in a textual SVG screenshot."""
    rows: dict[int, dict[int, str]] = {}
    for x, line, text in _TEXT.findall(svg):
        rows.setdefault(int(line), {})[round(float(x) / CELL_WIDTH)] = html.unescape(text).replace("\xa0", " ")
    lines = []
    for number in range(height):
        line = ""
        for column, text in sorted(rows.get(number, {}).items()):
            line = line.ljust(column) + text
        lines.append(line.rstrip())
    return lines


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))


def sync(test):
    """Run an async pilot test with asyncio.run (no async pytest plugin needed)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


async def palette_search(pilot, text: str, expected: int) -> None:
    """Type `text` into the symbol palette and wait until its `expected` results are all shown."""
    from textual.command import CommandList

    await pilot.press("ctrl+p", *text)
    for _ in range(3600):  # up to 3 minutes on a loaded machine; a quiet one takes well under a second
        await pilot.pause(0.05)
        if pilot.app.screen.query_one(CommandList).option_count == expected:
            break
    await pilot.pause(0.2)
    await pilot.wait_for_scheduled_animations()


async def settled(pilot) -> None:
    """Wait for the app's thread workers (call graph, callers and callees) and the repaint."""
    await pilot.app.workers.wait_for_complete()
    for screen in pilot.app.screen_stack:
        await screen.workers.wait_for_complete()
    await pilot.pause()


# --- codemods ----------------------------------------------------------------------------------

def code_of(outcome) -> str:
    """The new code of a `Transformed` outcome; any other outcome fails the test, saying what it was."""
    from navigator.codemod.registry import Transformed

    assert isinstance(outcome, Transformed), f"expected new code, got {outcome!r}"
    return outcome.code


def damage_stored_file(stored: Path, how: str) -> None:
    """Spoil a file nav keeps as a key line and a pickle (a solved layer or part): `truncated`,
    `garbage` (no pickle after the key), `other-key`, `group-writable` or `symlink` (to a copy)."""
    data = stored.read_bytes()
    if how == "truncated":
        stored.write_bytes(data[:len(data) // 2])
    elif how == "garbage":
        stored.write_bytes(data.split(b"\n", 1)[0] + b"\nnot a pickle at all")
    elif how == "other-key":
        stored.write_bytes(b"0" * 40 + data[data.index(b"\n"):])
    elif how == "group-writable":
        stored.chmod(0o664)
    else:
        target = stored.with_name("elsewhere.pickle")
        target.write_bytes(data)
        stored.unlink()
        stored.symlink_to(target)
