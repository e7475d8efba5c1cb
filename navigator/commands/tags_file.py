"""`nav tags [-o FILE]`: the index as a tags file for vim (`:tag Normalize`, Ctrl-]) and readtags."""
from __future__ import annotations

import argparse
import os
import sys

from navigator.output import output_file
from navigator.session import query
from tags.errors import NavError


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("-o", "--output", default="tags", metavar="FILE", type=output_file,
                        help="where to write (default: ./tags; - for standard output)")


def run(args: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    from tags.ctags_export import render
    from tags.atomic import write_atomic

    try:
        program_version = version("nav")
    except PackageNotFoundError:
        program_version = "dev"
    target = args.output
    if target != "-" and os.path.isdir(target):
        raise NavError(f"{target} is a directory; give a file with -o")
    base_dir = os.getcwd() if target == "-" else os.path.dirname(os.path.abspath(target))
    text = query(lambda index: render(index, base_dir, program_version))
    if target == "-":
        sys.stdout.write(text)
        return 0
    try:
        write_atomic(target, text.encode("utf-8", "surrogateescape"))
    except OSError as err:
        raise NavError(f"cannot write {target}: {err.strerror}") from err
    count = text.count("\n") - text.count("\n!_TAG_") - 1
    print(f"wrote {count} tags to {target}", file=sys.stderr)
    return 0
