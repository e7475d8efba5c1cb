"""The change fastai really shipped (2.7.4 -> 2.7.5) next to the forward codemod's, definition by definition.

The workspace copy is today's fastai, so its diff has other surroundings; here the forward codemod
is applied (dry run, to a copy) to the 2.7.4 release itself and compared with 2.7.5 by AST. Both
releases are read from their wheels (`nav diff`'s query layer), never installed or imported.
"""
from __future__ import annotations

import ast
import difflib
import sys
from pathlib import Path

from navigator.codemod.apply import apply_codemod
from navigator.diff import Side, diff_definition
from tags.releases import Release, unpacked_root
from tags.sources import text_lines

NAMES = ("vision_learner", "_timm_norm", "create_timm_model", "TimmBody", "create_body")
OLD, NEW = Side(Release("fastai", "2.7.4")), Side(Release("fastai", "2.7.5"))


def definition(source: str, name: str) -> list[str]:
    """The lines of top-level `name` in `source` (decorators included), [] when absent."""
    lines = text_lines(source)  # as `ast` numbers them
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return lines[start - 1: node.end_lineno]
    return []


def same_ast(a: list[str], b: list[str]) -> bool:
    import textwrap

    parse = lambda lines: ast.dump(ast.parse(textwrap.dedent("\n".join(lines)))) if lines else ""
    return parse(a) == parse(b)


def codemod_on(release: Release) -> tuple[str, str]:
    """The forward codemod applied (dry run, on a copy) to a release's learner.py: before, after."""
    import shutil
    import tempfile

    source = Path(unpacked_root(release).path) / "vision" / "learner.py"
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "learner.py"
        shutil.copyfile(source, copy)
        result = apply_codemod("timm-normalize", copy, dry_run=True)
        if result.refused:
            raise SystemExit(f"the codemod refuses {release.label}: {result.refused[0].reason}")
        before = copy.read_text()
        return before, result.changes[0].after.decode() if result.changes else before


def main() -> int:
    upstream = diff_definition("fastai.vision.learner.vision_learner", OLD, NEW)
    print("== upstream: nav diff vision_learner --from 2.7.4 --to 2.7.5")
    print("\n".join(upstream.lines))
    before, after = codemod_on(OLD.release)
    mine = difflib.unified_diff(definition(before, "vision_learner"), definition(after, "vision_learner"),
                                "fastai 2.7.4 vision_learner", "codemod timm-normalize", lineterm="")
    print("\n== the forward codemod, applied to a copy of fastai 2.7.4")
    print("\n".join(mine))
    print("\n== definition by definition: the codemod's result against the real fastai 2.7.5 (AST)")
    agree = 0
    for name in NAMES:
        real = diff_definition(f"fastai.vision.learner.{name}", OLD, NEW)
        shipped = list(real.new.text) if real.new else []
        status = "added" if real.old is None else "changed"
        same = same_ast(definition(after, name), shipped)
        agree += same
        verdict = "agree" if same else "DIFFER"
        print(f"{name:<18} {status} in 2.7.5 at {real.new.where if real.new else '-'}: codemod and upstream {verdict}")
    print(f"{agree} of {len(NAMES)} definitions: the codemod's change is the change fastai shipped")
    return 0 if agree == len(NAMES) else 1


if __name__ == "__main__":
    sys.exit(main())
