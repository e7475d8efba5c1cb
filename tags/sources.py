"""Listing the Python files under a root: the cheap pass that runs before every query.

Kept free of heavy imports (no dataclasses, typing or pathlib) because `nav find` pays for
every module it loads.
"""
from __future__ import annotations

import errno
import os
import stat
from collections import namedtuple

SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "dist-packages"}


class SourceFile(namedtuple("SourceFile", "path size mtime_ns")):
    """A file as the stat pass sees it; size -1 when it cannot be stat'ed (a dangling link)."""

    __slots__ = ()


NOT_REGULAR = "not a regular file (a FIFO, socket or device?)"  # said of what is never opened
MAX_FILE_BYTES = 4 * 1024 * 1024  # a larger file is not indexed, shown or analysed
FOLLOW_LINKS_ENV = "NAV_FOLLOW_LINKS"  # 1: also follow directory links that leave the root
_SYSTEM_TREES = ("/proc", "/sys", "/dev")  # never walked: endless, or device files that block


def walk(root: str) -> tuple[list[SourceFile], list[str]]:
    """Every `*.py` regular file under `root` (hidden and cache dirs skipped), and notes on odd things.

    Only regular files (or links to them) are listed: a FIFO or a link to a device would block
    or read forever. Directory links are followed once (a link back to a directory already seen,
    a symlink loop, is noted and skipped) and only inside the root, unless NAV_FOLLOW_LINKS=1;
    /proc, /sys and /dev never. File names that are not UTF-8 cannot be stored: noted, skipped.
    """
    files: list[SourceFile] = []
    notes: list[str] = []
    seen: set[tuple[int, int]] = set()
    real_root = os.path.realpath(root)
    follow_out = os.environ.get(FOLLOW_LINKS_ENV) == "1"
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
                is_dir = entry.is_dir()
            except OSError as err:  # a link in a loop of links (ELOOP): a `*.py` one the parser explains
                is_dir = False
                if not name.endswith(".py"):
                    notes.append(f"{printable(entry.path)}: cannot be followed ({err.strerror}); skipped")
            if not (is_dir or name.endswith(".py")):
                continue
            if not is_utf8(entry.path):
                notes.append(f"{printable(entry.path)}: the file name is not UTF-8; skipped")
                continue
            try:
                if is_dir:
                    if name not in SKIP_DIRS and _may_enter(entry, real_root, follow_out, notes):
                        stack.append(entry.path)
                elif entry.is_file():
                    info = entry.stat()
                    files.append(SourceFile(entry.path, info.st_size, info.st_mtime_ns))
                elif os.path.exists(entry.path):
                    notes.append(f"{entry.path}: {NOT_REGULAR}; skipped")
                else:  # a dangling link: the parser explains
                    files.append(SourceFile(entry.path, -1, -1))
            except OSError:  # a file that vanished: the parser explains
                files.append(SourceFile(entry.path, -1, -1))
    return files, notes


def _may_enter(entry: os.DirEntry, real_root: str, follow_out: bool, notes: list[str]) -> bool:
    """A real directory always; a directory link only into the root (or anywhere when asked)."""
    if not entry.is_symlink():
        return True
    target = os.path.realpath(entry.path)
    if any(target == tree or target.startswith(tree + os.sep) for tree in _SYSTEM_TREES):
        notes.append(f"{entry.path}: links into {target}, a system tree; not followed")
        return False
    if follow_out or target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep):
        return True
    notes.append(f"{entry.path}: links outside the root to {target}; not followed "
                 f"(set {FOLLOW_LINKS_ENV}=1 to follow such links)")
    return False


def is_utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


# Control characters (C0, DEL, C1) as `nav tags` and Universal Ctags write them: a file named
# `a\x1b[31m.py` must not recolour the terminal, nor a tab or newline in a name break a line.
_ESCAPES = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
_CONTROLS = {code: _ESCAPES.get(code, f"\\x{code:02x}") for code in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: str) -> str:
    """A path or name safe to print on one line and to store: bytes that are not UTF-8 shown as
    `\\xNN`, control characters escaped (`\\t`, `\\x1b`)."""
    if text.isprintable():
        return text
    if not is_utf8(text):
        text = os.fsencode(text).decode("utf-8", "backslashreplace")
    return text.translate(_CONTROLS)


def read_regular_file(path: str, limit: int) -> bytes:
    """At most `limit + 1` bytes of a regular file; a FIFO or device (swapped in after the walk)
    is refused instead of blocking or reading forever."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with open(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(0, NOT_REGULAR)
        return handle.read(limit + 1)


def read_source_bytes(path: str) -> bytes:
    """An indexed file's bytes. OSError unless it is still a regular file of at most MAX_FILE_BYTES
    (errno EFBIG when larger): one swapped for a FIFO since it was indexed would block a plain
    `open` for ever, and a link to /dev/zero never end."""
    data = read_regular_file(path, MAX_FILE_BYTES)
    if len(data) > MAX_FILE_BYTES:
        raise OSError(errno.EFBIG, f"over the {MAX_FILE_BYTES // 2**20} MB limit", path)
    return data


def read_source_text(path: str) -> str:
    """`read_source_bytes` as the text nav shows and analyses: decoded as the index reads it (see
    `decode_source`), newlines translated as `open` does in text mode."""
    return decode_source(read_source_bytes(path))[0].replace("\r\n", "\n").replace("\r", "\n")


def decode_source(data: bytes) -> tuple[str, str]:
    """A file's text as the indexer, `nav show`, the TUI, the language server and the call graph all
    read it, and, when it is not what the file says it is, how it was read ("" otherwise).

    UTF-8 when it is valid UTF-8; else the encoding its PEP 263 line declares in its first two lines
    (`# -*- coding: latin-1 -*-`), bytes that do not decode replaced; else, with a UTF-8 BOM, UTF-8
    with the bad bytes replaced; else Latin-1 (every byte a character). The readers decoded UTF-8
    alone while the indexer did this, so a declared Latin-1 `def café()` showed as `caf\\ufffd`
    and the call graph could not parse it.
    """
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    import re

    for line in data.splitlines()[:2]:
        match = re.match(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", line)
        if match:
            try:
                text = data.decode(match.group(1).decode("ascii"), errors="replace")
            except LookupError:  # no such codec: as if undeclared
                break
            # a codec can give lone surrogates (`coding: unicode_escape`, `"\ud800"`): no UTF-8 has them,
            # and the indexer crashed re-encoding one, every later command with it
            return text.encode("utf-8", "replace").decode("utf-8"), ""
    if data.startswith(b"\xef\xbb\xbf"):  # its BOM says UTF-8
        return data.decode("utf-8", "replace"), "its bad bytes replaced"
    return data.decode("latin-1"), "read as Latin-1"


def text_lines(text: str) -> list[str]:
    """A text's lines as Python, tree-sitter and editors number them: ended by `\\n` (a `\\r` before
    it dropped), not also at a form feed or U+2028, where `str.splitlines()` ends them too and
    shifts every line below (`nav show`, nbdev cells, the language server's positions)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def python_name(text: str) -> str:
    """Names as Python reads them: it normalizes identifiers to NFKC (`cafe\u0301` is `café`, the
    ligature `\ufb01nd` is `find`). The index holds names so (see `tags.extract`); queries and
    editor buffers are read so to match them."""
    if text.isascii():
        return text
    from unicodedata import normalize

    return normalize("NFKC", text)
