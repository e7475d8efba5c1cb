"""Listing the Python files under a root: the cheap pass that runs before every query.

Kept free of heavy imports (no dataclasses, typing or pathlib) because `nav find` pays for
every module it loads.
"""
from __future__ import annotations

import os
from collections import namedtuple

SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "dist-packages"}


class SourceFile(namedtuple("SourceFile", "path size mtime_ns")):
    """A file as the stat pass sees it; size -1 when it cannot be stat'ed (a dangling link)."""

    __slots__ = ()


def walk(root: str) -> tuple[list[SourceFile], list[str]]:
    """Every `*.py` file under `root` (hidden and cache dirs skipped), and notes on odd things.

    Directory links are followed once: a link back to a directory already seen (a symlink
    loop) is noted and skipped.
    """
    files: list[SourceFile] = []
    notes: list[str] = []
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            info = os.stat(directory)
            if (info.st_dev, info.st_ino) in seen:
                notes.append(f"{directory}: already visited through another link (symlink loop?); skipped")
                continue
            seen.add((info.st_dev, info.st_ino))
            entries = list(os.scandir(directory))
        except OSError as err:
            notes.append(f"{directory}: cannot list ({err.strerror})")
            continue
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            try:
                if entry.is_dir():
                    if name not in SKIP_DIRS:
                        stack.append(entry.path)
                elif name.endswith(".py"):
                    info = entry.stat()
                    files.append(SourceFile(entry.path, info.st_size, info.st_mtime_ns))
            except OSError:  # a dangling link or a file that vanished: the parser explains
                if name.endswith(".py"):
                    files.append(SourceFile(entry.path, -1, -1))
    return files, notes
