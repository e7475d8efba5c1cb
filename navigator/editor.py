"""The user's editor, as `nav open` starts it: $VISUAL, else $EDITOR, else vi."""
from __future__ import annotations

import os
import shlex
import subprocess

from tags.errors import NavError


def editor_command() -> list[str]:
    """The editor's command line, split as a shell would (`code -w` is two words); a value the
    shell could not split either (an unclosed quote) is a clear error, not a traceback."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        words = shlex.split(editor)
    except ValueError as err:
        raise NavError(f"cannot read the editor command {editor!r} ({err}); fix $VISUAL or $EDITOR") from err
    if not words:
        raise NavError(f"the editor command {editor!r} is blank; set $VISUAL or $EDITOR")
    return words


def run_editor(arguments: list[str], editor: list[str] | None = None) -> int:
    """Start the editor (`editor_command()` unless given) on `arguments` (`+LINE PATH`) and wait for
    it; its exit status. One that cannot be started (missing, not executable, `EDITOR=/dev/null`) is
    a clear error, not a traceback."""
    editor = editor or editor_command()
    try:
        return subprocess.call([*editor, *arguments])
    except OSError as err:
        raise NavError(f"cannot start the editor {shlex.join(editor)!r} ({err.strerror or err}); "
                       "set $VISUAL or $EDITOR") from err
