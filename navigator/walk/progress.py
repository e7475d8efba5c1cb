"""How far the user got in each walkthrough, kept as one small JSON file under the cache dir.

Written atomically (temporary file + rename), so a crash or Ctrl-C mid-save never loses the
progress already recorded; a damaged file reads as "no progress" rather than an error.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tags.atomic import write_json_atomic
from tags.store import cache_dir

PROGRESS_FILE = "walk_progress.json"


@dataclass(frozen=True)
class Progress:
    """The last step completed (0-based index and id), or None when nothing is done yet."""

    done: int | None = None
    step_id: str = ""

    def next_index(self, steps: int) -> int:
        """Where to resume: after the last completed step; from the start once all are done."""
        if self.done is None or self.done + 1 >= steps:
            return 0
        return self.done + 1


def progress_path() -> Path:
    return Path(cache_dir()) / PROGRESS_FILE


def _read_all() -> dict[str, Any]:
    try:
        data = json.loads(progress_path().read_text())
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def load_progress(name: str) -> Progress:
    entry = _read_all().get(name)
    done = entry.get("done") if isinstance(entry, dict) else None
    if type(done) is not int or done < 0:  # hand-edited or damaged: -7 resumed at "step -5 of 8"
        return Progress()
    return Progress(done, str(entry.get("step_id", "")))


def save_progress(name: str, done: int | None, step_id: str = "") -> None:
    """Record step `done` (0-based) as the last completed one; None forgets the walkthrough.

    Read-modify-write under a lock: several `nav walk` processes share the file, and without it
    one's save could overwrite another's."""
    from tags.locks import file_lock

    with file_lock(progress_path().with_name(PROGRESS_FILE + ".lock"), wait=True):
        data = _read_all()
        if done is None:
            data.pop(name, None)
        else:
            data[name] = {"done": done, "step_id": step_id}
        write_json_atomic(progress_path(), data)
