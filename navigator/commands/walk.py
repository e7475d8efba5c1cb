"""`nav walk`: list walkthroughs, or step through one (Enter next, b back, r re-run, q quit).

All the work is done by `navigator.walk.runner` (shared with the TUI); this module only reads
keys and prints results with rich.
"""
from __future__ import annotations

import argparse
import sys

from navigator.output import print_table, stdout_console
from navigator.walk.format import Walkthrough, list_walkthroughs, load_walkthrough
from navigator.walk.progress import load_progress, save_progress
from tags.errors import NavError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from rich.console import Console

    from navigator.walk.runner import RunOptions, StepResult

KEYS_HELP = "[Enter] next · b back · r re-run · q quit"


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("name", nargs="?", help="the walkthrough to run; without it, list them")
    parser.add_argument("--auto", action="store_true", help="run every step without asking; exit 1 if any fails")
    parser.add_argument("--from", dest="start", metavar="STEP", help="start at this step (number or id)")
    parser.add_argument("--quick", action="store_true", help="small training settings (minutes on a CPU)")
    parser.add_argument("--preset", metavar="NAME",
                        help="experiment size of verify steps, from those the step offers (timm-normalize: "
                        "quick, small, full, session)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where code steps train (default: CUDA when present)")
    parser.add_argument("--reset", action="store_true",
                        help="rebuild the workspace copy of fastai and forget progress, then start")


def run(args: argparse.Namespace) -> int:
    console = stdout_console(highlight=False, soft_wrap=not sys.stdout.isatty())  # a pipe or log gets whole lines
    if args.name is not None and not args.name.strip():
        raise NavError("empty walkthrough name (nav walk alone lists them)")
    if not args.name:
        if args.auto or args.start is not None or args.reset or args.preset is not None:
            raise NavError("--auto, --from, --reset and --preset need a walkthrough NAME")
        return _list(console)
    if args.quick and args.preset is not None and args.preset != "quick":
        raise NavError(f"--quick is the quick preset: give either it or --preset {args.preset}")
    from navigator.walk.runner import RunOptions, prepare_workspace
    from navigator.walk.workspace import workspace_lock

    walk = load_walkthrough(args.name)
    chosen = walk.step_index(args.start) if args.start is not None else None  # a bad STEP (`''` too) is refused before any work
    offered = sorted({preset for step in walk.steps for preset in step.presets})
    if args.preset is not None and not args.quick and args.preset not in offered:  # before any step runs; `''` too
        raise NavError(f"walkthrough {walk.name} has no preset {args.preset!r} "
                       f"(its verify steps offer: {', '.join(offered) or 'none'})")
    if args.reset:
        with workspace_lock(walk.name, f"nav walk {walk.name} --reset"):
            prepare_workspace(walk, 0, reset=True)
        save_progress(walk.name, None)
        console.print(f"[bold]{walk.name}[/]: workspace rebuilt from the installed fastai, progress cleared")
    options = RunOptions(quick=args.quick, device=args.device, preset="" if args.quick else args.preset or "")
    if chosen is not None:
        start = chosen
    else:
        start = 0 if args.auto else load_progress(walk.name).next_index(len(walk.steps))
    if args.auto:
        return _auto(console, walk, start, options)
    return _interactive(console, walk, start, options)


def _list(console: Console) -> int:
    from rich.markup import escape
    from rich.table import Table

    table = Table("walkthrough", "steps", "progress", "summary", box=None, pad_edge=False)
    for info in list_walkthroughs():
        if info.error:
            table.add_row(f"[bold]{info.name}[/]", "-", "-", f"[red]cannot load: {escape(info.error)}[/]")
            continue
        done = load_progress(info.name).done
        shown = "-" if done is None else ("done" if done + 1 >= info.steps else f"{done + 1}/{info.steps}")
        table.add_row(f"[bold]{info.name}[/]", str(info.steps), shown, info.summary)
    print_table(table, console)
    console.print("run one with [bold]nav walk NAME[/] (resumes where you left off), or --auto to run all steps")
    return 0


def _auto(console: Console, walk: Walkthrough, start: int, options: RunOptions) -> int:
    """Every step from `start` on, no questions; a summary and exit 1 when any step failed."""
    from rich.markup import escape
    from rich.table import Table

    results = [_run_and_show(console, walk, index, options) for index in range(start, len(walk.steps))]
    table = Table("step", "kind", "seconds", "verdict", title=f"{walk.name}: summary", box=None)
    for result in results:
        colour = "green" if result.ok else "red"
        table.add_row(f"{result.step.index + 1} {result.step.id}", result.step.kind, f"{result.seconds:.1f}",
                      f"[{colour}]{escape(result.verdict)}[/]")
    print_table(table, console)
    failed = [r.step.id for r in results if not r.ok]
    if failed:
        raise NavError(f"{len(failed)} step(s) of {walk.name} failed: {', '.join(failed)}", exit_code=1)
    console.print(f"[bold green]{walk.name}: all {len(results)} steps passed[/]")
    return 0


def _interactive(console: Console, walk: Walkthrough, index: int, options: RunOptions) -> int:
    """Run a step, then ask what next; progress is saved after every step that passes."""
    if index:
        console.print(f"[dim]resuming {walk.name} at step {index + 1} of {len(walk.steps)}[/]")
    while True:
        _run_and_show(console, walk, index, options)
        key = _ask(console)
        while key not in ("", "b", "r", "q"):
            console.print(f"[yellow]unknown key {key!r}[/]: {KEYS_HELP}")
            key = _ask(console)
        if key == "q":
            console.print(f"[dim]stopped; `nav walk {walk.name}` resumes after the last step that passed[/]")
            return 0
        if key == "b":
            index = max(0, index - 1)
        elif key == "":
            if index + 1 == len(walk.steps):
                console.print(f"[bold green]{walk.name}: end of the walkthrough[/]")
                return 0
            index += 1


def _ask(console: Console) -> str:
    """One key on a terminal (no Enter needed), else one line of stdin; end of input is `q`."""
    console.print(f"[dim]{KEYS_HELP}[/] > ", end="")
    key = _read_key() if sys.stdin.isatty() else sys.stdin.readline()
    console.print()
    if not key:
        return "q"
    return "" if key in ("\r", "\n") else key.strip().lower()


def _read_key() -> str:
    """A single keypress, read in cbreak mode so the user need not press Enter after it."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        return sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _run_and_show(console: Console, walk: Walkthrough, index: int, options: RunOptions) -> StepResult:
    """Print the step's header and narrative, stream its output, then the diff and the verdict."""
    from rich.markdown import Markdown
    from rich.padding import Padding
    from rich.rule import Rule

    from rich.markup import escape
    from rich.syntax import Syntax

    from navigator.walk.runner import run_step, step_source

    step = walk.steps[index]
    title = escape(f"step {index + 1}/{len(walk.steps)} · {step.kind} · {step.title}")
    console.print(Rule(f"[bold]{walk.name}[/] · {title}"))
    if step.video:
        console.print(f"[dim]video:[/] {step.video}")
    if step.text:
        console.print(Padding(Markdown(step.text), (0, 0, 1, 0)))
    code = step_source(walk, step)
    if code:
        console.print(Syntax(code, "python", theme="ansi_dark", background_color="default", word_wrap=True))

    def stream(line: str) -> None:
        if step.kind != "narrative":
            console.out(line, end="", highlight=False)

    with console.status(f"[dim]running step {index + 1} ({step.kind})…[/]"):
        result = run_step(walk, index, options, on_output=stream)
    _show_result(console, result)
    return result


def _show_result(console: Console, result: StepResult) -> None:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.syntax import Syntax

    if result.diff:
        console.print(Syntax(result.diff, "diff", theme="ansi_dark", background_color="default", word_wrap=True))
    if result.step.kind == "verify":
        style = "bold green" if result.ok else "bold red"
        console.print(Panel(escape(result.verdict), title="verdict", border_style=style, style=style))
    elif result.ok:
        console.print(f"[green]✔ {escape(result.verdict)}[/] [dim]({result.seconds:.1f} s)[/]")
    else:
        console.print(f"[bold red]✘ {result.step.label} {escape(result.verdict)}[/]")
    if result.note:
        console.print(f"[yellow]nav: {escape(result.note)}[/]")
