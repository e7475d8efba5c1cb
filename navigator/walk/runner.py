"""Running one walkthrough step: the API both `nav walk` and the TUI's walkthrough screen use.

`run_step` first puts the workspace in the shape the step expects (the codemod steps before
it applied, nothing after), then runs the step, streams its output line by line to
`on_output`, and checks the step's `expect` rules, so a step that does not show what its
narrative claims fails loudly. Steps that run code do so in a subprocess (killed on cancel),
with the workspace's fastai first on `sys.path`.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from navigator.walk.format import Step, Walkthrough
from navigator.walk.process import run_process
from navigator.walk.progress import progress_path, save_progress
from navigator.walk.workspace import (
    Workspace,
    build_workspace,
    open_workspace,
    save_state,
    workspace_lock,
)
from tags.errors import NavError, quoted
from tags.store import cache_dir

if TYPE_CHECKING:
    from navigator.codemod.apply import ApplyResult

OutputCallback = Callable[[str], None]
REPO_ROOT = Path(__file__).resolve().parents[2]  # holds `navigator`, `tags`, `walkthroughs`


@dataclass(frozen=True)
class RunOptions:
    """Settings of a whole run: small training settings, device, interpreter for code steps."""

    quick: bool = False
    device: str = "auto"  # auto | cpu | cuda, passed to code steps as NAV_DEVICE
    preset: str = ""  # a verify step's experiment size (`--preset NAME`); "" = the script's default
    python: str = sys.executable


@dataclass
class StepResult:
    """What a step showed and whether it showed what it claims."""

    step: Step
    ok: bool
    output: str = ""
    diff: str = ""
    verdict: str = ""  # one line for the user, e.g. "PASS: verify.py exited 0"
    failures: list[str] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    note: str = ""  # something to tell beside the verdict (its progress could not be saved)


@dataclass
class _Outcome:
    """A kind handler's raw result, before expectations are checked."""

    output: str
    ok: bool = True
    diff: str = ""
    reason: str = ""


def run_step(walkthrough: Walkthrough, index: int, options: RunOptions = RunOptions(),
             on_output: OutputCallback | None = None, cancel: threading.Event | None = None) -> StepResult:
    """Run step `index` (0-based) of `walkthrough`; never raises for a failing step."""
    step = walkthrough.steps[index]
    started = time.monotonic()
    emit = on_output or (lambda line: None)
    try:
        with workspace_lock(walkthrough.name, f"{step.label} of nav walk {walkthrough.name}"):
            workspace = prepare_workspace(walkthrough, index)
            outcome = _HANDLERS[step.kind](walkthrough, step, workspace, options, emit, cancel)
    except (NavError, OSError) as err:  # a bad step or a missing file: the step fails, the run goes on
        message = str(err) if isinstance(err, NavError) else f"{step.label}: {err}"
        outcome = _Outcome(output=message, ok=False, reason=message)
        emit(message + "\n")
    result = _judge(step, outcome, cancelled=bool(cancel and cancel.is_set()))
    result.seconds = time.monotonic() - started
    if result.ok:  # a passing step counts as done, wherever it ran
        try:
            save_progress(walkthrough.name, index, step.id)
        except OSError as err:  # a full or read-only cache dir: the step still passed
            result.note = f"its progress could not be saved in {progress_path()} ({err.strerror})"
    return result


def prepare_workspace(walkthrough: Walkthrough, index: int, reset: bool = False) -> Workspace:
    """The workspace with exactly the codemod steps before `index` applied, in order."""
    wanted = [s for s in walkthrough.steps[:index] if s.kind == "codemod"]
    workspace = open_workspace(walkthrough.name, reset=reset)
    ids = [s.id for s in wanted]
    if list(workspace.applied) != ids[:len(workspace.applied)]:
        workspace = build_workspace(walkthrough.name)  # went back past a codemod: start again
    for step in wanted[len(workspace.applied):]:
        workspace = apply_codemod_step(workspace, step)[0]
    return workspace


def apply_codemod_step(workspace: Workspace, step: Step) -> tuple[Workspace, ApplyResult]:
    """Apply a codemod step to the workspace copy and record it in the workspace state."""
    from navigator.codemod.apply import apply_codemod

    result = apply_codemod(step.codemod, workspace.package, revert=step.revert, force=True)
    result.raise_if_refused()
    workspace = Workspace(workspace.root, (*workspace.applied, step.id), workspace.source, workspace.fastai_version)
    save_state(workspace)
    return workspace, result


def step_source(walkthrough: Walkthrough, step: Step) -> str:
    """The code a python step runs (inline or its file), for showing before it runs."""
    if step.kind != "python":
        return ""
    if step.code:
        return step.code.strip("\n") + "\n"
    path = walkthrough.folder / step.file
    return path.read_text(encoding="utf-8") if path.is_file() else ""


# --- step kinds ------------------------------------------------------------------------------

def _narrative(walk: Walkthrough, step: Step, ws: Workspace, options: RunOptions, emit: OutputCallback,
               cancel: threading.Event | None) -> _Outcome:
    """Nothing runs: the step's markdown is its output."""
    emit(step.text)
    return _Outcome(output=step.text)


def _find(walk: Walkthrough, step: Step, ws: Workspace, options: RunOptions, emit: OutputCallback,
          cancel: threading.Event | None) -> _Outcome:
    """`nav find`'s query on the index of the installed fastai and timm, in this process."""
    from navigator.output import location_line
    from navigator.queries import find
    from navigator.session import query

    hits = query(lambda index: find(index, step.query, limit=step.limit), report_problems=False)
    text = "".join(location_line(hit.symbol, False) + "\n" for hit in hits) or f"no definition matches {quoted(step.query)}\n"
    emit(text)
    return _Outcome(output=text, ok=bool(hits), reason="" if hits else f"nothing found for {quoted(step.query)}")


def _show(walk: Walkthrough, step: Step, ws: Workspace, options: RunOptions, emit: OutputCallback,
          cancel: threading.Event | None) -> _Outcome:
    """The source of a definition with line numbers, as `nav show` prints it."""
    import io

    from rich.console import Console

    from navigator.output import print_source
    from navigator.queries import resolve
    from navigator.session import query

    symbol, _ = query(lambda index: resolve(index, step.symbol), report_problems=False)
    buffer = io.StringIO()
    print_source(symbol, Console(file=buffer, width=_LISTING_WIDTH, color_system=None, highlight=False))
    text = buffer.getvalue()
    emit(text)
    return _Outcome(output=text)


def _nav(walk: Walkthrough, step: Step, ws: Workspace, options: RunOptions, emit: OutputCallback,
         cancel: threading.Event | None) -> _Outcome:
    """A `nav` command in a subprocess (`trace` steps prefix `trace`)."""
    args = _expand(walk, step, ws, options, ["trace", *step.args] if step.kind == "trace" else list(step.args))
    env = _environment(ws, options, None)
    return _subprocess([options.python, "-m", "navigator", *args], step, env, ws.scratch, emit, cancel,
                       what=f"nav {' '.join(args)}")


def _python(walk: Walkthrough, step: Step, ws: Workspace, options: RunOptions, emit: OutputCallback,
            cancel: threading.Event | None) -> _Outcome:
    """A snippet (inline or a file of the walkthrough) run with the workspace's fastai."""
    if step.file:
        script = walk.folder / step.file
        if not script.is_file():
            raise NavError(f"{step.label}: {script} does not exist")
    else:
        script = ws.scratch / f"step_{step.id}.py"
        script.write_text(step.code)
    env = _environment(ws, options, walk.folder)
    return _subprocess([options.python, str(script)], step, env, ws.scratch, emit, cancel, what="the snippet")


def _codemod(walk: Walkthrough, step: Step, ws: Workspace, options: RunOptions, emit: OutputCallback,
             cancel: threading.Event | None) -> _Outcome:
    """Apply the codemod to the workspace copy; the diff is the step's main output."""
    _, result = apply_codemod_step(ws, step)
    direction = "reverse" if step.revert else "forward"
    files = [str(c.path.relative_to(ws.site)) for c in result.changes]
    text = (f"{direction} codemod {step.codemod} applied to the workspace copy {ws.package}\n"
            f"changed: {', '.join(files)}\n" if files else
            f"{direction} codemod {step.codemod}: the workspace copy is already in that shape\n")
    emit(text)
    return _Outcome(output=text, diff=result.diff)


def _verify(walk: Walkthrough, step: Step, ws: Workspace, options: RunOptions, emit: OutputCallback,
            cancel: threading.Event | None) -> _Outcome:
    """A script whose exit status is the verdict; required codemods are checked first."""
    missing = _unapplied(step, ws)
    if missing:
        return _Outcome(output=missing + "\n", ok=False, reason=missing)
    script = walk.folder / step.script
    if not script.is_file():
        reason = f"verify script {script} does not exist"
        return _Outcome(output=reason + "\n", ok=False, reason=reason)
    args = _expand(walk, step, ws, options, [*step.args, *(step.quick_args if options.quick else ()),
                                             *_preset_args(step, options.preset)])
    env = _environment(ws, options, walk.folder)
    return _subprocess([options.python, str(script), *args], step, env, ws.scratch, emit, cancel,
                       what=script.name)


def _preset_args(step: Step, preset: str) -> list[str]:
    """`--preset NAME` for a verify step that offers NAME (its `presets`); a clear error otherwise."""
    if not preset:
        return []
    if preset not in step.presets:
        offered = ", ".join(step.presets) if step.presets else "none"
        raise NavError(f"{step.label}: this verify step has no preset {preset!r} (it offers: {offered})")
    return ["--preset", preset]


def _expand(walk: Walkthrough, step: Step, ws: Workspace, options: RunOptions, args: list[str]) -> list[str]:
    """Fill in `{device}`, `{out}`, `{folder}`, `{scratch}` and `{workspace}` in a step's args."""
    values = {"device": options.device, "out": str(ws.scratch / f"{step.id}-out"), "folder": str(walk.folder),
              "scratch": str(ws.scratch), "workspace": str(ws.root)}
    try:
        return [arg.format(**values) for arg in args]
    except (KeyError, IndexError, ValueError) as err:
        raise NavError(f"{step.label}: args use an unknown placeholder ({err}); known: "
                       + ", ".join("{" + key + "}" for key in values)) from None


def _unapplied(step: Step, ws: Workspace) -> str:
    """Why the workspace lacks a codemod the step requires ('' when all are in place)."""
    from navigator.codemod.apply import apply_codemod

    for name in step.requires:
        check = apply_codemod(name, ws.package, dry_run=True)
        if check.refused:
            return f"the {name} codemod cannot be checked on the workspace: {check.refused[0].reason}"
        pending = check.changes
        if pending:
            files = ", ".join(str(c.path.relative_to(ws.site)) for c in pending)
            return (f"the {name} codemod is not applied to the workspace ({files} is still in the old "
                    f"shape): the fix under test is missing, so this step cannot pass")
    return ""


_LISTING_WIDTH = 160  # columns of a show step's listing: wide enough that fastai's lines are never cut


_HANDLERS = {"narrative": _narrative, "find": _find, "show": _show, "trace": _nav, "nav": _nav,
             "python": _python, "codemod": _codemod, "verify": _verify}


# --- processes and judging ----------------------------------------------------------------------

def _environment(ws: Workspace, options: RunOptions, folder: Path | None) -> dict[str, str]:
    """Environment of a step's subprocess: offline, unbuffered, told the device, quick mode and preset.

    Code steps (`folder` given) import fastai from the workspace copy and can import helper
    modules of their walkthrough folder; `nav` steps see neither, so they index the real fastai.
    Only the `session` preset, which fetches real pretrained weights, may reach the model hub.
    The cache dir is passed as an absolute path: steps run in the scratch folder, where a relative
    NAV_CACHE_DIR would name another, empty index.
    """
    paths = [str(ws.site), str(folder)] if folder else []
    paths += [str(REPO_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    hub = {} if options.preset == "session" else {"HF_HUB_OFFLINE": "1"}
    return {**os.environ, **hub, "PYTHONPATH": os.pathsep.join(paths), "PYTHONUNBUFFERED": "1",
            "NAV_PRESET": options.preset, "NAV_DEVICE": options.device, "NAV_QUICK": "1" if options.quick else "0",
            "NAV_WORKSPACE": str(ws.root), "NAV_SCRATCH": str(ws.scratch), "NAV_CACHE_DIR": cache_dir(), "NO_COLOR": "1",
            "PYTHONWARNINGS": "ignore::FutureWarning",  # torch's own deprecation noise
            "COLUMNS": os.environ.get("COLUMNS") or str(shutil.get_terminal_size((120, 40)).columns)}


def _subprocess(argv: list[str], step: Step, env: dict[str, str], cwd: Path, emit: OutputCallback,
                cancel: threading.Event | None, what: str) -> _Outcome:
    done = run_process(argv, env=env, cwd=cwd, timeout=step.timeout, on_output=emit, cancel=cancel)
    if done.stopped:
        return _Outcome(output=done.output, ok=False, reason=f"{what} {done.stopped}")
    if done.returncode == 0:
        return _Outcome(output=done.output)
    last = next((line.strip() for line in reversed(done.output.splitlines()) if line.strip()), "")
    return _Outcome(output=done.output, ok=False,
                    reason=f"{what} exited with status {done.returncode}" + (f": {last}" if last else ""))


def _judge(step: Step, outcome: _Outcome, cancelled: bool) -> StepResult:
    """Check the step's expectations and phrase the verdict."""
    failures = [outcome.reason] if outcome.reason else []
    if outcome.ok:
        failures += check_expectations(step, outcome.output + outcome.diff)
    ok = outcome.ok and not failures and not cancelled
    if step.kind == "verify":
        verdict = f"PASS: {step.script} succeeded" if ok else f"FAIL: {failures[0] if failures else 'cancelled'}"
    else:
        verdict = "ok" if ok else ("cancelled" if cancelled else f"failed: {'; '.join(failures)}")
    return StepResult(step, ok, outcome.output, outcome.diff, verdict, failures, cancelled)


def check_expectations(step: Step, text: str) -> list[str]:
    """The step's `expect`, `expect_regex` and `expect_absent` rules the text breaks."""
    broken = [f"expected the output to contain {want!r}" for want in step.expect if want not in text]
    broken += [f"expected the output to match /{pattern}/" for pattern in step.expect_regex
               if not re.search(pattern, text, re.MULTILINE)]
    broken += [f"expected the output not to contain {unwanted!r}" for unwanted in step.expect_absent
               if unwanted in text]
    return broken
