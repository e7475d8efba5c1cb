"""One module per `nav` command; shared argument types live here."""
from __future__ import annotations

LARGEST_COUNT = 2**62  # SQLite integers are 64-bit: a larger count means "no limit" anyway


def count(text: str) -> int:
    """An argparse type for counts (--limit, --depth): a whole number, clamped to what SQLite holds,
    so `--limit 99999999999999999999` means "all" instead of an integer overflow."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    return min(value, LARGEST_COUNT)
