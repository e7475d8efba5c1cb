"""`w`: walkthroughs. Pick one, read each step's narrative, run it and watch its output.

Steps run in a textual thread worker through `navigator.walk.runner.run_step` (the API `nav
walk` uses); output streams in line by line, and Cancel stops a long step (training) without
the UI ever waiting on it.
"""
from __future__ import annotations

import threading

from rich.syntax import Syntax
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Markdown, OptionList, ProgressBar, RichLog
from textual.widgets.option_list import Option

from navigator.tui.widgets import PagedList
from navigator.walk.format import Walkthrough, list_walkthroughs, load_walkthrough
from navigator.walk.progress import load_progress
from navigator.walk.runner import StepResult, run_step, step_source


class WalkScreen(Screen):
    """Walkthroughs on the left (with progress), then the chosen one's steps; narrative and output on the right."""

    BINDINGS = [
        Binding("r", "run", "Run", tooltip="run the current step"),
        Binding("n", "next", "Next", tooltip="next step"),
        Binding("b", "back", "Back", tooltip="previous step"),
        Binding("c", "cancel", "Cancel", tooltip="stop the running step"),
        Binding("escape", "close", "Close", key_display="Esc", tooltip="back to the source"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.walk: Walkthrough | None = None
        self.index = 0
        self.cancel_event: threading.Event | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="walk-left"):
                yield PagedList(id="walk-list")
                yield PagedList(id="steps")
            with Vertical(id="walk-right"):
                yield Markdown("", id="narrative")
                yield ProgressBar(total=None, show_eta=False, id="running")
                yield RichLog(id="output", wrap=True, markup=False, highlight=False)
                with Horizontal(id="walk-buttons"):
                    yield Button("Run", id="run", variant="primary")
                    yield Button("Back", id="back")
                    yield Button("Next", id="next")
                    yield Button("Cancel", id="cancel", variant="error", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#running").display = False
        self.show_list()
        self.query_one("#walk-list").focus()
        infos = [info for info in list_walkthroughs() if not info.error]
        if infos:
            self.open_walkthrough(infos[0].name)

    def show_list(self) -> None:
        """Each walkthrough with how many of its steps are done."""
        listing = self.query_one("#walk-list", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        for info in list_walkthroughs():
            if info.error:
                listing.add_option(Option(f"{info.name}  [red]broken[/]", disabled=True))
                continue
            done = load_progress(info.name).done
            listing.add_option(Option(f"{info.name}  [dim]{0 if done is None else done + 1}/{info.steps}[/]",
                                      id=info.name))
        listing.highlighted = highlighted if highlighted is not None else 0

    def open_walkthrough(self, name: str) -> None:
        self.walk = load_walkthrough(name)
        self.show_step(load_progress(name).next_index(len(self.walk.steps)))

    def show_steps(self) -> None:
        done = load_progress(self.walk.name).done
        steps = self.query_one("#steps", OptionList)
        steps.clear_options()
        for step in self.walk.steps:
            mark = "[green]✔[/]" if done is not None and step.index <= done else " "
            steps.add_option(Option(f"{mark} {step.index + 1}. {step.title}", id=str(step.index)))
        steps.highlighted = self.index

    def show_step(self, index: int) -> None:
        """The step's title, narrative and code; the output pane is cleared until it runs."""
        self.index = max(0, min(index, len(self.walk.steps) - 1))
        step = self.walk.steps[self.index]
        code = step_source(self.walk, step)
        text = f"### {step.index + 1}/{len(self.walk.steps)} · {step.title}\n\n{step.text.strip()}"
        if code:
            text += f"\n\n```python\n{code}```"
        self.query_one("#narrative", Markdown).update(text)
        self.query_one("#output", RichLog).clear()
        self.show_steps()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "walk-list" and event.option.id:
            self.open_walkthrough(event.option.id)
            self.query_one("#steps").focus()
        elif event.option_list.id == "steps" and event.option.id is not None:
            self.show_step(int(event.option.id))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        getattr(self, f"action_{event.button.id}")()

    # -- running -------------------------------------------------------------------------------
    def action_run(self) -> None:
        if self.walk is None or self.cancel_event is not None:
            return
        self.cancel_event = threading.Event()
        self.set_running(True)
        self.query_one("#output", RichLog).clear()
        self.run_in_thread(self.walk, self.index, self.cancel_event)

    class StepOutput(Message):
        """A line the running step printed."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    class StepDone(Message):
        def __init__(self, walk: Walkthrough, result: StepResult) -> None:
            super().__init__()
            self.walk, self.result = walk, result

    @work(thread=True, exclusive=True, group="walk-step")
    def run_in_thread(self, walk: Walkthrough, index: int, cancel: threading.Event) -> None:
        """The step's output and end come back as messages (thread-safe, and never waiting): after
        the app has quit, `call_from_thread` raised in the step's output thread, or could wait for
        good on a loop that had stopped."""
        narrative = walk.steps[index].kind == "narrative"  # its output is its text, shown already

        def stream(line: str) -> None:
            if not narrative:
                self.post_message(self.StepOutput(line.rstrip("\n")))

        self.post_message(self.StepDone(walk, run_step(walk, index, on_output=stream, cancel=cancel)))

    def on_walk_screen_step_output(self, message: StepOutput) -> None:
        self.query_one("#output", RichLog).write(Text(message.line))

    def on_walk_screen_step_done(self, message: StepDone) -> None:
        self.finished(message.walk, message.result)

    def on_unmount(self) -> None:
        """Leaving the screen, or quitting the app, stops a running step: the process would
        otherwise wait for it to end (a fine-tune: minutes) after giving the terminal back."""
        if self.cancel_event is not None:
            self.cancel_event.set()

    def finished(self, walk: Walkthrough, result: StepResult) -> None:
        """The diff in colour, then the verdict; a passing step counts as done."""
        log = self.query_one("#output", RichLog)
        if result.diff:
            log.write(Syntax(result.diff, "diff", theme="ansi_dark", background_color="default", word_wrap=True))
        if result.cancelled:
            log.write(Text(f"cancelled after {result.seconds:.1f} s", style="yellow"))
        elif result.ok:
            log.write(Text(f"✔ {result.verdict}", style="green"))
        else:
            log.write(Text(f"✘ {result.verdict}", style="bold red"))
        if result.note:
            log.write(Text(result.note, style="yellow"))
        self.cancel_event = None
        self.set_running(False)
        self.show_list()
        if walk is self.walk:
            self.show_steps()

    def set_running(self, running: bool) -> None:
        self.query_one("#running").display = running
        self.query_one("#cancel", Button).disabled = not running
        self.query_one("#run", Button).disabled = running

    def action_cancel(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()
            self.notify("cancelling the step…")

    # -- moving --------------------------------------------------------------------------------
    def action_next(self) -> None:
        if self.walk is not None and self.cancel_event is None:
            self.show_step(self.index + 1)

    def action_back(self) -> None:
        if self.walk is not None and self.cancel_event is None:
            self.show_step(self.index - 1)

    def action_close(self) -> None:
        self.app.pop_screen()  # a running step is stopped as the screen goes (on_unmount)
