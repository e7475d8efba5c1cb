"""The server's side of stdin and stderr: bounded reads, and pygls' complaints in one line each.

pygls reads a header line with a plain `readline()` and then as many bytes as `Content-Length`
says, in one `read(n)`: a client (or anything else piped in) that announces 99,999,999,999 bytes
was a MemoryError traceback, and a header line with no end was read into memory for ever. A
message that cannot be parsed is logged by pygls with its traceback, on a stderr that editors
show to users; the server answers it and lives on, so one line says enough.
"""
from __future__ import annotations

import logging
import sys

from tags.errors import NavError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

MAX_MESSAGE_BYTES = 256 * 2**20  # a didOpen of a 100 MB file fits; no LSP message comes near this
MAX_HEADER_BYTES = 64 * 2**10


class BoundedInput:
    """The two reads pygls makes of stdin, refusing sizes no language client sends: the stream
    cannot be resynchronised after one, so the server stops with a one-line error (exit 2)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw

    def readline(self) -> bytes:
        line = self.raw.readline(MAX_HEADER_BYTES + 1)
        if len(line) > MAX_HEADER_BYTES:
            raise NavError(f"lsp: a header line over {MAX_HEADER_BYTES // 2**10} KB on stdin; "
                           "is a language client connected? stopping")
        return line

    def read(self, size: int) -> bytes:
        if size > MAX_MESSAGE_BYTES:
            raise NavError(f"lsp: a message of {size:,} bytes announced (Content-Length), over the "
                           f"{MAX_MESSAGE_BYTES // 2**20} MB limit; stopping")
        return self.raw.read(size)


class _OneLine(logging.Formatter):
    """`nav lsp: MESSAGE: ErrorType: what it said`, the traceback left out."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"nav lsp: {record.getMessage()}"
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            text += f": {type(error).__name__}: {error}"
        return " ".join(text.split())[:500]


def quiet_pygls_logging() -> None:
    """pygls' warnings and errors as one line each on stderr; its own tracebacks kept out."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    pygls = logging.getLogger("pygls")
    pygls.handlers[:] = [handler]
    pygls.setLevel(logging.WARNING)
    pygls.propagate = False
