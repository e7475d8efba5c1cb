"""The reader: outline tree on the left, the source taking the rest of the width, the symbol's
details folded under the source. Layout state is in reactives; the CSS is in main.tcss beside."""
from __future__ import annotations

import os

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, Tree
from textual.widgets.text_area import Selection
from textual.widgets.tree import TreeNode

from navigator import outline, queries
from navigator.members import patched_members
from navigator.output import printable
from navigator.queries import Symbol
from navigator.tui.history import History, Place
from navigator.tui.widgets import CallList, SourceView, describe, plain

OUTLINE_WIDTH = 30  # the outline's columns on a wide terminal: at 120 the source keeps 89
OUTLINE_STEP = 4  # `<` and `>` narrow or widen it by this much
OUTLINE_MIN = 12
SOURCE_MIN = 30  # `>` stops before the source would be narrower than this
TALL = 30  # terminals at least this many rows tall show the details from the start
NEEDS_A_FILE = {"jump_under_cursor", "search", "search_next", "trace", "versions", "scroll_sideways"}

HINT = """[b]Nothing is open yet.[/]

[b cyan]Ctrl+P[/]      find any indexed definition: [i]Normalize[/], [i]Learner.fit[/], [i]timm.create_model[/]
[b cyan]↑ ↓ Enter[/]   browse the outline on the left: packages, modules, classes, methods
[b cyan]Enter  ^][/]   in the source: jump to the definition under the cursor; [b cyan]^T[/] back
[b cyan]/[/]           search in the open file; [b cyan][  ][/] scroll long lines sideways
[b cyan]o  <  >[/]     hide, narrow or widen the outline; [b cyan]i[/] fold the details away
[b cyan]?[/]           every key"""


def default_outline_width(columns: int) -> int:
    """A quarter of a narrow terminal, at most OUTLINE_WIDTH: the source keeps the rest."""
    return max(OUTLINE_MIN, min(OUTLINE_WIDTH, columns // 4))


class MainScreen(Screen):
    """Where reading happens; every jump goes through `show` and is recorded in `history`."""

    OUTLINE_KEYS = Binding.Group("Outline", compact=True)
    SIDEWAYS_KEYS = Binding.Group("Sideways", compact=True)
    BINDINGS = [
        Binding("enter,ctrl+right_square_bracket", "jump_under_cursor", "Jump", key_display="^]",
                tooltip="jump to the definition under the cursor (also Enter)"),
        Binding("ctrl+t", "back", "Back", key_display="^T", tooltip="back to where you jumped from"),
        Binding("ctrl+o", "forward", "Fwd", key_display="^O", tooltip="forward again after going back"),
        Binding("slash", "search", "Find", key_display="/", tooltip="search in this file"),
        Binding("n", "search_next", "Next", show=False, tooltip="next match of the last search"),
        Binding("i", "toggle_info", "Info", tooltip="show or fold away the details under the source: "
                "signature, docstring, callers and callees"),
        Binding("o", "toggle_outline", "Outline", tooltip="hide or show the outline"),
        Binding("less_than_sign", "outline_width(-1)", "Outline", show=False, key_display="<",
                tooltip="narrow the outline", group=OUTLINE_KEYS),
        Binding("greater_than_sign", "outline_width(1)", "Outline", show=False, key_display=">",
                tooltip="widen the outline", group=OUTLINE_KEYS),
        Binding("left_square_bracket", "scroll_sideways(-1)", "Sideways", show=False, key_display="[",
                tooltip="scroll the source left (long lines)", group=SIDEWAYS_KEYS),
        Binding("right_square_bracket", "scroll_sideways(1)", "Sideways", show=False, key_display="]",
                tooltip="scroll the source right, to the end of long lines", group=SIDEWAYS_KEYS),
        Binding("t", "trace", "Trace", tooltip="call trace of the definition under the cursor"),
        Binding("w", "walkthroughs", "Walk", tooltip="runnable walkthroughs"),
        Binding("v", "versions", "Versions", show=False, tooltip="the releases in which the definition under the cursor changed"),
        Binding("escape", "close_search", "Close", show=False, key_display="Esc", tooltip="close the search box"),
    ]

    path: reactive[str] = reactive("", init=False)
    """The file shown; until there is one, a hint of what to do takes the source's place."""
    outline_width: reactive[int] = reactive(OUTLINE_WIDTH, init=False)
    show_outline: reactive[bool] = reactive(True, init=False)
    show_info: reactive[bool] = reactive(True, init=False)

    def __init__(self, symbol: Symbol | None = None) -> None:
        super().__init__()
        self.start_symbol = symbol
        self.history = History()
        self.hit: Symbol | None = None
        self.last_search = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield Tree("indexed", id="outline")
            with Vertical(id="centre"):
                yield Static("no file open", id="location")
                yield Static(HINT, id="hint")
                yield SourceView(id="source")
                yield Input(placeholder="search in this file (Enter: next, Esc: close)", id="search")
                with Horizontal(id="info"):
                    yield Static("", id="details")
                    yield CallList(id="calls")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        tree = self.query_one("#outline", Tree)
        tree.show_root = False
        tree.guide_depth = 2
        for root in self.app.ask(lambda index: index.roots()):
            version = f" {root.version}" if root.version else ""
            tree.root.add(Text(printable(f"{root.name}{version}")), data=("root", root), allow_expand=True)
        self.outline_width = default_outline_width(self.app.size.width)
        self.show_info = self.app.size.height >= TALL
        if self.start_symbol is not None:
            self.jump_to(self.start_symbol)
            self.source.focus()
        else:
            tree.focus()

    # -- layout --------------------------------------------------------------------------------
    def watch_path(self, path: str) -> None:
        self.query_one("#hint").display = not path
        self.source.display = bool(path)
        self._place_info()
        self.refresh_bindings()

    def validate_outline_width(self, width: int) -> int:
        return max(OUTLINE_MIN, min(width, self.app.size.width - SOURCE_MIN))

    def watch_outline_width(self, width: int) -> None:
        self.query_one("#outline").styles.width = width

    def watch_show_outline(self, shown: bool) -> None:
        tree = self.query_one("#outline")
        tree.display = shown
        if not shown and tree.has_focus:
            self.source.focus()

    def watch_show_info(self, shown: bool) -> None:
        self._place_info()
        self.refresh_info()

    def _place_info(self) -> None:
        """The details show when asked for (`i`) and there is a file whose definitions they describe."""
        self.query_one("#info").display = self.show_info and bool(self.path)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that act on the open file are greyed out (and do nothing) until there is one."""
        if action in NEEDS_A_FILE and not self.path:
            return None
        return True

    def action_toggle_outline(self) -> None:
        self.show_outline = not self.show_outline

    def action_outline_width(self, direction: int) -> None:
        self.show_outline = True
        self.outline_width += direction * OUTLINE_STEP

    def action_toggle_info(self) -> None:
        self.show_info = not self.show_info

    def action_scroll_sideways(self, direction: int) -> None:
        """Half the source's width left or right; the cursor stays where it is."""
        step = max(1, self.source.scrollable_content_region.width // 2)
        self.source.scroll_relative(x=direction * step, animate=False)

    # -- outline -------------------------------------------------------------------------------
    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        self._load(event.node)

    def _load(self, node: TreeNode) -> None:
        """Fill a node's children the first time it opens: modules, then definitions."""
        if node.children or node.data is None:
            return
        kind, item = node.data
        if kind == "root":
            prefix = item.name + "."
            for entry in self.app.ask(outline.modules, item):
                label = entry.module[len(prefix):] if entry.module.startswith(prefix) else entry.module
                node.add(Text(printable(label)), data=("module", entry), allow_expand=True)
        elif kind == "module":
            self._add_definitions(node, self.app.ask(queries.module_symbol, item.path))
        elif kind == "def":
            self._add_definitions(node, item)

    def _add_definitions(self, node: TreeNode, parent: Symbol | None) -> None:
        for hit in self.app.ask(queries.children, parent) if parent else []:
            node.add(Text(printable(hit.name)), data=("def", hit), allow_expand=hit.kind == "class")
        if parent is not None and parent.kind == "class":  # fastai's @patch methods belong here too
            for hit in self.app.ask(patched_members, parent):
                label = Text.assemble(printable(hit.name), (f"  @patch {printable(hit.module)}", "dim"))
                node.add(label, data=("def", hit), allow_expand=False)

    def reveal(self, path: str, hit: Symbol | None) -> None:
        """Open the outline down to the file (and the definition) being shown, and point at it."""
        tree = self.query_one("#outline", Tree)
        wanted = [lambda data: data[0] == "root" and path.startswith(data[1].path + "/"),
                  lambda data: data[0] == "module" and data[1].path == path]
        if hit is not None and hit.kind != "module":
            owner = hit.qualname.rpartition(".")[0]
            if owner:
                wanted.append(lambda data: data[0] == "def" and data[1].qualname == owner)
            wanted.append(lambda data: data[0] == "def" and data[1].id == hit.id)
        node = tree.root
        for matches in wanted:
            self._load(node)
            child = next((c for c in node.children if c.data and matches(c.data)), None)
            if child is None:
                break
            node.expand()
            node = child
        if node is not tree.root:  # once laid out: new nodes have no line number before that
            self.call_after_refresh(tree.move_cursor, node, animate=False)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        if event.node.data is None:
            return
        kind, item = event.node.data
        if kind == "def":
            self.jump_to(item)
        elif kind == "module":
            self.jump_to_place(Place(item.path, 1, item.module))

    # -- showing and jumping -------------------------------------------------------------------
    @property
    def source(self) -> SourceView:
        return self.query_one("#source", SourceView)

    def current_place(self) -> Place | None:
        if not self.path:
            return None
        return Place(self.path, self.source.cursor_location[0] + 1, self.hit.name if self.hit else "")

    def jump_to(self, hit: Symbol) -> None:
        """Go to a definition, remembering where we were."""
        self.history.visit(self.current_place())
        self.show(hit.path, hit.line, hit)

    def jump_to_place(self, place: Place) -> None:
        self.history.visit(self.current_place())
        self.show(place.path, place.line)

    def _highlight_again(self, selection: Selection, line: int, name: str) -> None:
        """Redo the first selection once laid out (or it stays scrolled sideways), unless the
        user has already moved the cursor: a key pressed that early must not be undone."""
        if self.source.selection == selection:
            self.source.highlight(line, name)

    def show(self, path: str, line: int, hit: Symbol | None = None) -> None:
        """Load `path` if needed, select the definition at `line`, and describe it."""
        first = not self.path
        if path != self.path:
            shown = self.source.show_file(path)
            if shown:
                self.notify(f"{plain(os.path.basename(path))}: {shown}", severity="warning")
            self.path = path
        hit = hit or self.app.ask(queries.enclosing, path, line)
        self.hit = hit
        self.reveal(path, hit)
        name = hit.name if hit and hit.line == line else ""
        self.source.highlight(line, name)
        if first:  # the source was hidden, with no size: select again once it is laid out,
            self.call_after_refresh(self._highlight_again, self.source.selection, line, name)
        roots = self.app.ask(lambda index: index.roots())
        where = f"{plain(outline.root_relative_path(path, roots))}:{line}"
        label = f"[magenta]{hit.kind}[/] {plain(hit.qualname)}" if hit else ""
        self.query_one("#location", Static).update(f"[b]{where}[/]  {label}")
        self.refresh_info()

    def refresh_info(self) -> None:
        if not self.show_info or self.hit is None:
            return
        self.query_one("#details", Static).update(describe(self.hit, long=True) + self._effective_signature())
        self.query_one("#calls", CallList).show_calls(self.hit)

    def _effective_signature(self) -> str:
        """For `@delegates` definitions: the keyword parameters `**kwargs` stands for, and whence."""
        from navigator.signature import SignatureReader, parse_delegation

        hit = self.hit
        if hit is None or not any(parse_delegation(d) for d in hit.decorators):
            return ""
        signature = self.app.ask(lambda index: SignatureReader(index).of(hit))
        lines = [f"  {escape(p.text())} [dim]from {escape(p.origin)}[/]" for p in signature.parameters
                 if p.origin != hit.full_name]
        lines += [f"  [yellow]not known statically: {escape(reason)}[/]" for reason in signature.unresolved]
        return "\n\n[b]@delegates: **kwargs are[/]\n" + "\n".join(lines)

    def on_call_list_chosen(self, message: CallList.Chosen) -> None:
        self.jump_to(message.hit)

    def action_jump_under_cursor(self) -> None:
        row, column = self.source.cursor_location
        word = outline.word_at(self.source.document.get_line(row), column)
        target = self.app.ask(outline.call_target, self.path, row + 1, column) if word else None
        target = target or (self.app.ask(outline.definition_of, word, self.path) if word else None)
        if target is None:
            self.notify(f"no definition found for {word!r}" if word else "no name under the cursor",
                        severity="warning")
            return
        self.jump_to(target)

    def action_back(self) -> None:
        self._go(self.history.back(self.current_place()), "nothing to go back to")

    def action_forward(self) -> None:
        self._go(self.history.forward(self.current_place()), "nothing to go forward to")

    def _go(self, place: Place | None, empty: str) -> None:
        if place is None:
            self.notify(empty)
        else:
            self.show(place.path, place.line)

    # -- search in file ------------------------------------------------------------------------
    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    def action_close_search(self) -> None:
        self.query_one("#search", Input).display = False
        self.source.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self.last_search = event.value
            self.action_search_next()

    def action_search_next(self) -> None:
        if self.last_search and not self.source.select_next(self.last_search):
            self.notify(f"{self.last_search!r} not found in this file", severity="warning")

    # -- other screens -------------------------------------------------------------------------
    def action_trace(self) -> None:
        from navigator.tui.screens.trace import TraceScreen

        hit = self.definition_under_cursor("trace it")
        if hit is not None:
            self.app.push_screen(TraceScreen(hit))

    def action_versions(self) -> None:
        from navigator.tui.screens.versions import VersionsScreen

        hit = self.definition_under_cursor("see its versions")
        if hit is not None:
            self.app.push_screen(VersionsScreen(hit))

    def definition_under_cursor(self, purpose: str) -> Symbol | None:
        """The function or class the cursor is in; None (and a notice saying so) when there is none."""
        place = self.current_place()
        hit = self.app.ask(queries.enclosing, place.path, place.line) if place else None
        if hit is None or hit.kind == "module":
            self.notify(f"put the cursor inside a function or class to {purpose}", severity="warning")
            return None
        return hit

    def action_walkthroughs(self) -> None:
        from navigator.tui.screens.walk import WalkScreen

        self.app.push_screen(WalkScreen())
