"""The `nav tui` application: the main reader screen, plus trace, walkthrough and help screens."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from typing import Any, Callable, TypeVar

from textual import work
from textual.app import App
from textual.binding import Binding

from navigator.queries import Symbol
from navigator.tui.palette import SymbolPalette, SymbolProvider
from navigator.tui.screens.main import MainScreen
from tags.lifetime import child_setup, nav_python_env

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index

T = TypeVar("T")

_BUILD_GRAPH = "import sys; from tags.callgraph import ensure_graph; from tags.store import Index; ensure_graph(Index.open(sys.argv[1]))"


class NavApp(App):
    """One index, opened by the caller; every query goes through `ask` so threads never collide."""

    TITLE = "nav"
    CSS_PATH = ["nav.tcss", "screens/main.tcss"]  # the default screen's CSS is not loaded from the screen
    COMMANDS = {SymbolProvider}
    BINDINGS = [
        Binding("ctrl+p", "command_palette", "Symbols", show=False, priority=True, key_display="^P",
                tooltip="find any indexed symbol; Enter jumps to it"),
        Binding("question_mark", "help", "Keys", key_display="?", tooltip="this list of keys"),
        Binding("q", "quit", "Quit", show=False, tooltip="quit"),
    ]

    def __init__(self, index: Index, symbol: Symbol | None = None) -> None:
        super().__init__()
        self.index = index
        self.start_symbol = symbol
        self._lock = threading.Lock()
        self._aside: Index | None = None  # a second connection for slow work in threads
        self._aside_lock = threading.Lock()
        self.graph_ready = threading.Event()  # set once the call graph is up to date (or its build gave up)
        self._graph_builder: subprocess.Popen | None = None

    def ask(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a query function on the index: `query(index, *args)`."""
        with self._lock:
            return query(self.index, *args, **kwargs)

    def ask_aside(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`ask` on a second connection, for worker threads whose queries may take seconds
        (building the call graph): the UI's own queries never wait behind them."""
        from tags.store import Index

        with self._aside_lock:
            if self._aside is None:
                self._aside = Index.open(self.index.directory)
            return query(self._aside, *args, **kwargs)

    async def ask_in_thread(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`ask`, off the event loop, so typing in the palette never waits for SQLite."""
        return await asyncio.to_thread(self.ask, query, *args, **kwargs)

    def on_mount(self) -> None:
        self.warm_call_graph()

    @work(thread=True, exclusive=True, group="call-graph")
    def warm_call_graph(self) -> None:
        """Bring the call graph up to date in a child process, so `t` and the callers list are quick.

        Not in a thread: the build is seconds of Python work holding the GIL, which starved the
        event loop (palette keystrokes took seconds). The child dies with nav; if it fails, the
        first query that needs the graph builds it in-process, as before."""
        env = nav_python_env()
        try:
            self._graph_builder = subprocess.Popen(
                [sys.executable, "-c", _BUILD_GRAPH, str(self.index.directory)], env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=child_setup())
            self._graph_builder.wait()
        except OSError:
            pass
        finally:
            self.graph_ready.set()

    def on_unmount(self) -> None:
        if self._graph_builder is not None and self._graph_builder.poll() is None:
            self._graph_builder.kill()
            self._graph_builder.wait()
        self.graph_ready.set()
        if self._aside is not None:
            self._aside.close()

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.start_symbol)

    @property
    def main(self) -> MainScreen:
        return self.screen_stack[0]

    def jump_to(self, hit: Symbol) -> None:
        """Show `hit` in the main screen, closing any screen above it; recorded in history."""
        while self.screen is not self.main:
            self.pop_screen()
        self.main.jump_to(hit)
        self.main.source.focus()

    def action_command_palette(self) -> None:
        """Textual's palette, searching symbols only."""
        if not SymbolPalette.is_open(self):
            self.push_screen(SymbolPalette(placeholder="Symbol: a name, Cls.meth or dotted path",
                                           id="--command-palette"))

    def action_help(self) -> None:
        from navigator.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
