"""Writing the index as a Universal-Ctags-compatible tags file (for vim's `:tag` and `readtags`)."""
from __future__ import annotations

import os
from typing import Iterator

from tags.sources import read_source_text
from tags.store import Index

# nav kind -> the Universal Ctags kind name for Python
CTAGS_KINDS = {"class": "class", "function": "function", "model": "function", "method": "member", "variable": "variable"}
KIND_LETTERS = {"class": "c", "function": "f", "member": "m", "variable": "v"}
KIND_DESCRIPTIONS = {"class": "classes", "function": "functions", "member": "class members", "variable": "variables"}


def headers(program_version: str) -> list[str]:
    lines = [
        "!_TAG_FILE_FORMAT\t2\t/extended format; --format=1 will not append ;\" to lines/",
        "!_TAG_FILE_SORTED\t1\t/0=unsorted, 1=sorted, 2=foldcase/",
        "!_TAG_OUTPUT_MODE\tu-ctags\t/u-ctags or e-ctags/",
        "!_TAG_PROGRAM_AUTHOR\tnav\t//",
        "!_TAG_PROGRAM_NAME\tnav\t/tree-sitter index of fastai and timm/",
        f"!_TAG_PROGRAM_VERSION\t{program_version}\t//",
    ]
    lines += [f"!_TAG_KIND_DESCRIPTION!Python\t{KIND_LETTERS[k]},{k}\t/{d}/" for k, d in KIND_DESCRIPTIONS.items()]
    return sorted(lines)


def _pattern(line: str) -> str:
    """A ctags search pattern for a source line: `\\` and `/` escaped, anchored both ends."""
    escaped = line.replace("\\", "\\\\").replace("/", "\\/")
    return f"/^{escaped}$/;\""


_FIELD_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _input_field(path: str) -> str:
    """A file name as Universal Ctags writes it (u-ctags mode): backslash, tab, CR and newline
    escaped, so a name holding them cannot break the line into wrong fields."""
    return path.translate(_FIELD_ESCAPES)


def tag_lines(index: Index, base_dir: str) -> Iterator[str]:
    """One line per definition (methods also as `Class.method`), not yet sorted."""
    current_file, lines = None, []
    for name, qualname, kind, line, scope, signature, path, file_id in index.tag_rows():
        if file_id != current_file:
            current_file, lines = file_id, _read_lines(path)
        if not 0 < line <= len(lines):
            continue
        shown_path = os.path.relpath(path, base_dir) if path.startswith(base_dir + os.sep) else path
        fields = [f"kind:{CTAGS_KINDS[kind]}", f"line:{line}"]
        if scope:
            fields.append(f"class:{scope}")
        if signature and kind in ("function", "method", "model"):
            fields.append(f"signature:{signature}")
        tail = f"{_input_field(shown_path)}\t{_pattern(lines[line - 1])}\t" + "\t".join(fields)
        yield f"{name}\t{tail}"
        if scope and qualname != name:
            yield f"{qualname}\t{tail}"


def _read_lines(path: str) -> list[str]:
    try:
        lines = read_source_text(path).split("\n")
    except OSError:
        return []
    return lines[:-1] if lines[-1] == "" else lines


def sort_key(line: str) -> tuple[bytes, str]:
    """ctags sorts bytewise (LC_ALL=C) on the tag name, then on the rest of the line."""
    name, _, rest = line.partition("\t")
    return name.encode("utf-8", "surrogateescape"), rest


def render(index: Index, base_dir: str, program_version: str) -> str:
    lines = sorted(tag_lines(index, base_dir), key=sort_key)
    return "\n".join(headers(program_version) + lines) + "\n"
