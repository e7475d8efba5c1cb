"""`nav timm-stats [PATTERN]`: the mean/std pretrained timm models expect, grouped by value.

timm (and torch, which it imports) and rich are imported only here, never on the `nav find` path.
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from navigator.output import print_table
from tags.errors import NavError


def add_arguments(parser: argparse.ArgumentParser, command_name: str) -> None:
    parser.add_argument("pattern", nargs="?", metavar="PATTERN",
                        help="only models whose name matches (a word, or a glob like 'vit_*')")
    parser.add_argument("--model", metavar="NAME", help="print one model's full pretrained config "
                        "(`arch` for its default weights, or `arch.tag`)")
    parser.add_argument("--examples", type=int, default=4, metavar="N", help="example names per group")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from navigator import timm_stats

    if args.model is not None and not args.model.strip():
        raise NavError("--model: give a timm model name")
    if args.model:
        config = timm_stats.model_config(args.model)
        if args.json:
            print(json.dumps(config, indent=1, default=str))
        else:
            _print_config(config)
        return 0
    groups = timm_stats.stats_groups(args.pattern)
    if args.json:
        print(json.dumps([group.to_dict() for group in groups], indent=1))
    else:
        _print_groups(groups, args.examples, args.pattern)
    return 0


def _print_groups(groups: list[Any], examples: int, pattern: str | None) -> None:
    from rich.table import Table

    total = sum(group.count for group in groups)
    where = f" matching {pattern!r}" if pattern else ""
    table = Table(title=f"Input stats of {total} pretrained timm models{where}", title_justify="left")
    for column in ("mean", "std"):
        table.add_column(column, no_wrap=True)
    table.add_column("models", justify="right")
    table.add_column("archs", justify="right")
    table.add_column("timm name", overflow="fold")
    table.add_column("examples", overflow="fold")
    for group in groups:
        table.add_row(_fmt(group.mean), _fmt(group.std), str(group.count), str(len(group.architectures)),
                      group.label, ", ".join(group.examples(examples)))
    print_table(table)


def _print_config(config: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"timm pretrained config: {config['name']}", title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in config.items():
        if key != "name":
            table.add_row(key, "" if value is None else str(value))
    print_table(table)


def _fmt(values: tuple[float, ...]) -> str:
    return ",".join(f"{v:.4g}" for v in values)
