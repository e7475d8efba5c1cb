"""The one exception type that user-facing code turns into a one-line error."""
from __future__ import annotations


class NavError(Exception):
    """A problem the user can act on; printed as `nav: error: <message>` with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
