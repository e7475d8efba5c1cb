"""The one exception type that user-facing code turns into a one-line error, and the exceptions
that mean a text cannot be parsed."""
from __future__ import annotations

# What Python's parser (ast.parse, compile) raises on hostile text: besides syntax errors, a NUL byte
# is a ValueError, and nesting past its limits a RecursionError or MemoryError. One list, so that every
# reader of untrusted source refuses the same texts.
NESTED_TOO_DEEP = (RecursionError, MemoryError)
UNPARSABLE = (SyntaxError, ValueError, *NESTED_TOO_DEEP)


class NavError(Exception):
    """A problem the user can act on; printed as `nav: error: <message>` with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def quoted(text: str, limit: int = 60) -> str:
    """`text` as a message quotes it (repr), its middle left out when long: a pasted 100,000-character
    query is not echoed back in full."""
    if len(text) <= limit:
        return repr(text)
    half = limit // 2
    return f"{text[:half]!r}...{text[-half:]!r} ({len(text):,} characters)"
