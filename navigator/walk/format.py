"""Walkthrough steps files (`walkthroughs/*/steps.toml`) loaded into plain dataclasses.

The format is declarative so that users can write their own walkthroughs; it is documented
in `walkthroughs/README.md`. Every problem in a steps file is reported as one `NavError` that
names the file and the step, never as a traceback from deep inside the runner.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import tomllib

from tags.errors import NavError

STEPS_FILE = "steps.toml"
PATH_VARIABLE = "NAV_WALKTHROUGH_PATH"  # extra folders of user walkthroughs, os.pathsep-separated

_COMMON = {"kind": str, "id": str, "title": str, "text": str, "video": str, "timeout": (int, float),
           "expect": list, "expect_regex": list, "expect_absent": list}
# kind -> (required keys, optional keys), each with its TOML type
STEP_KINDS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "narrative": ({"text": str}, {}),
    "find": ({"query": str}, {"limit": int}),
    "show": ({"symbol": str}, {}),
    "trace": ({"args": list}, {}),
    "nav": ({"args": list}, {}),
    "python": ({}, {"code": str, "file": str}),
    "codemod": ({"codemod": str}, {"revert": bool}),
    "verify": ({"script": str}, {"args": list, "quick_args": list, "presets": list, "requires": list}),
}
_HEADER = {"name": str, "title": str, "summary": str, "seeds": list, "video": str}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Step:
    """One step; fields a kind does not use keep their defaults."""

    index: int  # 0-based position in the walkthrough
    id: str
    kind: str
    title: str
    text: str = ""  # markdown shown before the step runs
    video: str = ""  # link to the moment of the recorded session this step retells
    timeout: float = 900.0
    expect: tuple[str, ...] = ()  # substrings the output must contain
    expect_regex: tuple[str, ...] = ()  # regular expressions the output must match
    expect_absent: tuple[str, ...] = ()  # substrings the output must not contain
    query: str = ""
    limit: int = 10
    symbol: str = ""
    args: tuple[str, ...] = ()
    code: str = ""
    file: str = ""
    codemod: str = ""
    revert: bool = False
    script: str = ""
    quick_args: tuple[str, ...] = ()
    presets: tuple[str, ...] = ()  # names the verify script takes as `--preset NAME` (`nav walk --preset`)
    requires: tuple[str, ...] = ()  # codemods that must be applied to the workspace first

    @property
    def label(self) -> str:
        return f"step {self.index + 1} ({self.id})"


@dataclass(frozen=True)
class Walkthrough:
    """A walkthrough folder: its header, its steps and where its files are."""

    name: str
    title: str
    summary: str
    folder: Path
    steps: tuple[Step, ...]
    seeds: tuple[str, ...] = ()
    video: str = ""

    def step_index(self, ref: str) -> int:
        """The 0-based index of a step given by id or by 1-based number."""
        if ref.isdigit() and 1 <= int(ref) <= len(self.steps):
            return int(ref) - 1
        for step in self.steps:
            if step.id == ref:
                return step.index
        ids = ", ".join(s.id for s in self.steps)
        raise NavError(f"walkthrough {self.name} has no step {ref!r}: give 1-{len(self.steps)} or one of: {ids}")


@dataclass(frozen=True)
class WalkthroughInfo:
    """What `nav walk` lists: name, one-line summary and step count, without running anything."""

    name: str
    summary: str
    steps: int
    folder: Path = field(compare=False)
    error: str = ""  # why its steps file cannot be loaded; listed, so a broken file is not hidden


def search_path() -> list[Path]:
    """Folders holding walkthroughs: the built-in `walkthroughs/` package, then the user's."""
    spec = find_spec("walkthroughs")
    folders = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    extra = os.environ.get(PATH_VARIABLE, "")
    return folders + [Path(p).expanduser() for p in extra.split(os.pathsep) if p]


def _folders() -> dict[str, Path]:
    """Walkthrough name -> folder; a name's first folder on the search path wins."""
    found: dict[str, Path] = {}
    for base in search_path():
        for steps in sorted(base.glob(f"*/{STEPS_FILE}")):
            found.setdefault(steps.parent.name.replace("_", "-"), steps.parent)
    return found


def list_walkthroughs() -> list[WalkthroughInfo]:
    """Every walkthrough on the search path; one whose steps file is broken comes with its error."""
    infos = []
    for name, folder in _folders().items():
        try:
            walk = load_folder(folder)
        except NavError as err:
            infos.append(WalkthroughInfo(name, "", 0, folder, error=str(err)))
            continue
        infos.append(WalkthroughInfo(walk.name, walk.summary, len(walk.steps), folder))
    return infos


def load_walkthrough(name: str) -> Walkthrough:
    """The walkthrough called `name` (`timm-normalize`; `timm_normalize` works too)."""
    folders = _folders()
    key = name.replace("_", "-")
    if key not in folders:
        known = ", ".join(sorted(folders)) or "none"
        raise NavError(f"no walkthrough named {name!r}; known: {known}")
    return load_folder(folders[key])


def load_folder(folder: Path) -> Walkthrough:
    """Parse and check `folder/steps.toml`."""
    path = folder / STEPS_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise NavError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:  # `a = [[[[...` a thousand deep: tomllib recurses once a level
        raise NavError(f"{path}: not valid TOML: nested too deeply to read") from None
    except UnicodeDecodeError as err:
        raise NavError(f"{path}: not UTF-8 text (byte {err.start}); TOML files must be UTF-8") from None
    except OSError as err:
        raise NavError(f"{path}: cannot read: {err.strerror}") from None
    header = data.pop("walkthrough", None)
    raw_steps = data.pop("step", None)
    if not isinstance(header, dict):
        raise NavError(f"{path}: needs a [walkthrough] table with title and summary")
    if data:
        raise NavError(f"{path}: unknown top-level key(s) {', '.join(sorted(data))}; expected [walkthrough] and [[step]]")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise NavError(f"{path}: needs at least one [[step]]")
    _check_keys(path, "[walkthrough]", header, {"title": str, "summary": str}, _HEADER)
    steps = tuple(_step(path, index, raw) for index, raw in enumerate(raw_steps))
    _check_unique(path, steps)
    return Walkthrough(name=header.get("name", folder.name.replace("_", "-")), title=header["title"],
                       summary=header["summary"], folder=folder, steps=steps,
                       seeds=tuple(header.get("seeds", ())), video=header.get("video", ""))


def _step(path: Path, index: int, raw: dict[str, Any]) -> Step:
    """One `[[step]]` table checked against its kind's keys."""
    where = f"step {index + 1}" + (f" ({raw['id']})" if isinstance(raw.get("id"), str) else "")
    kind = raw.get("kind")
    if kind not in STEP_KINDS:
        raise NavError(f"{path}: {where}: kind must be one of {', '.join(STEP_KINDS)}, not {kind!r}")
    required, optional = STEP_KINDS[kind]
    _check_keys(path, where, raw, {"title": str, **required}, {**_COMMON, **optional})
    for key in ("timeout", "limit"):
        if key in raw and not raw[key] > 0:
            raise NavError(f"{path}: {where}: {key} must be more than 0, not {raw[key]}")
    if kind == "python" and ("code" in raw) == ("file" in raw):
        raise NavError(f"{path}: {where}: a python step needs exactly one of code or file")
    step_id = raw.get("id", str(index + 1))
    if not _ID.match(step_id):
        raise NavError(f"{path}: {where}: id {step_id!r} must be lower-case letters, digits, - or _")
    for pattern in raw.get("expect_regex", ()):
        try:
            re.compile(pattern)
        except re.error as err:
            raise NavError(f"{path}: {where}: expect_regex {pattern!r} is not a valid regex: {err}") from None
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()}
    return Step(index=index, **{**values, "id": step_id})


def _check_keys(path: Path, where: str, table: dict[str, Any], required: dict[str, Any],
                allowed: dict[str, Any]) -> None:
    """Missing, unknown and mistyped keys, each named with the file and the step."""
    missing = [key for key in required if key not in table]
    if missing:
        raise NavError(f"{path}: {where}: missing {', '.join(missing)}")
    allowed = {**allowed, **required}
    for key, value in table.items():
        if key not in allowed:
            raise NavError(f"{path}: {where}: unknown key {key!r}; allowed: {', '.join(sorted(allowed))}")
        wanted = allowed[key]
        if not isinstance(value, wanted) or isinstance(value, bool) and wanted in ((int, float), int):
            raise NavError(f"{path}: {where}: {key} must be {_type_name(wanted)}, not {type(value).__name__}")
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise NavError(f"{path}: {where}: {key} must be a list of strings")


def _type_name(wanted: Any) -> str:
    names = {str: "a string", list: "a list of strings", bool: "true or false", int: "an integer"}
    return names.get(wanted, "a number")


def _check_unique(path: Path, steps: tuple[Step, ...]) -> None:
    seen: dict[str, int] = {}
    for step in steps:
        if step.id in seen:
            raise NavError(f"{path}: {step.label}: id {step.id!r} is already used by step {seen[step.id] + 1}")
        seen[step.id] = step.index
