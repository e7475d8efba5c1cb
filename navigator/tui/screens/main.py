"""The reader: outline tree on the left, source in the centre, symbol details on the right."""
from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, Tree
from textual.widgets.tree import TreeNode

from rich.text import Text

from navigator import outline
from navigator.members import patched_members
from navigator import queries
from navigator.queries import Symbol
from navigator.tui.history import History, Place
from navigator.tui.widgets import CallList, SourceView, describe

WIDE = 110  # terminals at least this wide show the details panel from the start


class MainScreen(Screen):
    """Where reading happens; every jump goes through `show` and is recorded in `history`."""

    BINDINGS = [
        Binding("enter,ctrl+right_square_bracket", "jump_under_cursor", "Jump", key_display="^]",
                tooltip="jump to the definition under the cursor (also Enter)"),
        Binding("ctrl+t", "back", "Back", key_display="^T", tooltip="back to where you jumped from"),
        Binding("ctrl+o", "forward", "Fwd", key_display="^O", tooltip="forward again after going back"),
        Binding("slash", "search", "Find", key_display="/", tooltip="search in this file"),
        Binding("n", "search_next", "Next", show=False, tooltip="next match of the last search"),
        Binding("i", "toggle_info", "Info", tooltip="signature, docstring, callers and callees"),
        Binding("t", "trace", "Trace", tooltip="call trace of the definition under the cursor"),
        Binding("w", "walkthroughs", "Walk", tooltip="runnable walkthroughs"),
        Binding("v", "versions", "Versions", show=False, tooltip="the releases in which the definition under the cursor changed"),
        Binding("escape", "close_search", "Close", show=False, key_display="Esc", tooltip="close the search box"),
    ]

    def __init__(self, symbol: Symbol | None = None) -> None:
        super().__init__()
        self.start_symbol = symbol
        self.history = History()
        self.path = ""
        self.hit: Symbol | None = None
        self.last_search = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield Tree("indexed", id="outline")
            with Vertical(id="centre"):
                yield Static("Ctrl+P: find a symbol", id="location")
                yield SourceView(id="source")
                yield Input(placeholder="search in this file (Enter: next, Esc: close)", id="search")
            with Vertical(id="info"):
                yield Static("", id="details")
                yield CallList(id="calls")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one("#outline", Tree)
        tree.show_root = False
        tree.guide_depth = 2
        for root in self.app.ask(lambda index: index.roots()):
            version = f" {root.version}" if root.version else ""
            tree.root.add(f"{root.name}{version}", data=("root", root), allow_expand=True)
        self.query_one("#info").display = self.app.size.width >= WIDE
        if self.start_symbol is not None:
            self.jump_to(self.start_symbol)
        self.query_one("#source").focus()

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
                node.add(label, data=("module", entry), allow_expand=True)
        elif kind == "module":
            self._add_definitions(node, self.app.ask(queries.module_symbol, item.path))
        elif kind == "def":
            self._add_definitions(node, item)

    def _add_definitions(self, node: TreeNode, parent: Symbol | None) -> None:
        for hit in self.app.ask(queries.children, parent) if parent else []:
            node.add(f"{hit.name}", data=("def", hit), allow_expand=hit.kind == "class")
        if parent is not None and parent.kind == "class":  # fastai's @patch methods belong here too
            for hit in self.app.ask(patched_members, parent):
                label = Text.assemble(hit.name, (f"  @patch {hit.module}", "dim"))
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

    def show(self, path: str, line: int, hit: Symbol | None = None) -> None:
        """Load `path` if needed, select the definition at `line`, and describe it."""
        if path != self.path:
            self.source.show_file(path)
            self.path = path
        hit = hit or self.app.ask(queries.enclosing, path, line)
        self.hit = hit
        self.reveal(path, hit)
        self.source.highlight(line, hit.name if hit and hit.line == line else "")
        roots = self.app.ask(lambda index: index.roots())
        where = f"{outline.root_relative_path(path, roots)}:{line}"
        label = f"[magenta]{hit.kind}[/] {escape(hit.qualname)}" if hit else ""
        self.query_one("#location", Static).update(f"[b]{where}[/]  {label}")
        self.refresh_info()

    def refresh_info(self) -> None:
        if not self.query_one("#info").display or self.hit is None:
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

    # -- panels and other screens --------------------------------------------------------------
    def action_toggle_info(self) -> None:
        """Show or hide the details; on a narrow terminal they take the outline's place."""
        info = self.query_one("#info")
        info.display = not info.display
        if self.app.size.width < WIDE:
            self.query_one("#outline").display = not info.display
        self.refresh_info()

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
