"""`t`: the call trace of a definition as an expandable tree, and call paths to a chosen symbol."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static, Tree
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

from navigator import outline
from navigator.trace import static as trace
from navigator import queries
from navigator.queries import Symbol, resolve
from navigator.tui.widgets import PagedList, plain
from tags.errors import NavError

PATH_LIMIT = 5


class TraceScreen(Screen):
    """Callees (or callers) one level at a time; Enter goes to a definition, Space expands it."""

    BINDINGS = [
        Binding("c", "flip", "Callers/callees", tooltip="switch between what it calls and who calls it"),
        Binding("slash", "ask_target", "Path to…", key_display="/",
                tooltip="call paths from this definition to another symbol"),
        Binding("escape", "close", "Back", key_display="Esc", tooltip="back to the source"),
    ]

    def __init__(self, hit: Symbol) -> None:
        super().__init__()
        self.hit = hit
        self.outward = True
        self.steps: list[int] = []  # def ids of the path steps listed in #paths

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="trace-title")
            yield Tree("", id="trace-tree")
            yield PagedList(id="paths")
            yield Input(placeholder="to which symbol? (Enter: call paths)", id="trace-target")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one("#trace-tree", Tree)
        tree.auto_expand = False
        self.query_one("#paths").display = False
        self.show_tree()
        tree.focus()

    def show_tree(self) -> None:
        roots = self.app.ask(lambda index: index.roots())
        where = plain(outline.root_relative_path(self.hit.path, roots))
        direction = "calls" if self.outward else "is called by"
        self.query_one("#trace-title", Static).update(
            f"[b]{plain(self.hit.qualname)}[/] {direction}  [dim]{where}:{self.hit.line}  (Space: expand, Enter: go)[/]")
        tree = self.query_one("#trace-tree", Tree)
        tree.reset(f"[b]{plain(self.hit.qualname)}[/]", data=self.hit.id)
        self.add_children(tree.root)
        tree.root.expand()

    def add_children(self, node: TreeNode) -> None:
        """One more level of the trace under `node`, from `navigator.trace`."""
        hit = self.app.ask(queries.symbol_by_id, node.data)
        query = trace.callees if self.outward else trace.callers
        found = self.app.ask(query, hit, 1) if hit else None
        roots = self.app.ask(lambda index: index.roots())
        for child in found.children if found else []:
            where = plain(outline.root_relative_path(child.call_path or child.path, roots))
            count = f" x{child.count}" if child.count > 1 else ""
            label = f"{plain(child.qualname)}  [dim]{where}:{child.call_line}  {child.how or ''}{count}[/]"
            node.add(label, data=child.def_id, allow_expand=True)
        if found is not None and not found.children:
            node.allow_expand = False

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        if not event.node.children and event.node.allow_expand and event.node is not event.node.tree.root:
            self.add_children(event.node)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        self.go(event.node.data)

    def go(self, def_id: int | None) -> None:
        hit = self.app.ask(queries.symbol_by_id, def_id) if def_id is not None else None
        if hit is not None:
            self.app.jump_to(hit)

    def action_flip(self) -> None:
        self.outward = not self.outward
        self.show_tree()

    def action_ask_target(self) -> None:
        self.query_one("#trace-target", Input).focus()

    def action_close(self) -> None:
        self.app.pop_screen()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            target = self.app.ask(lambda index: resolve(index, event.value)[0])
        except NavError as err:
            self.notify(str(err), severity="error")
            return
        paths = self.app.ask(trace.call_paths, self.hit, target, PATH_LIMIT)
        self.show_paths(paths, target)

    def show_paths(self, paths: list[list[trace.PathStep]], target: Symbol) -> None:
        """Each path as `nav trace A --to B` prints it; Enter on a step goes there."""
        listing = self.query_one("#paths", OptionList)
        listing.clear_options()
        listing.display = True
        self.steps = []
        if not paths:
            listing.add_option(Option(f"no call path to {plain(target.qualname)} in the static call graph",
                                      disabled=True))
        roots = self.app.ask(lambda index: index.roots())
        for number, steps in enumerate(paths, 1):
            listing.add_option(Option(f"[magenta]path {number}: {len(steps) - 1} call(s)[/]", disabled=True))
            for position, step in enumerate(steps):
                last = position == len(steps) - 1
                where = plain(outline.root_relative_path(step.path, roots)) + f":{step.line if last else step.call_line}"
                arrow = "   " if position == 0 else "-> "
                how = f"  [dim]\\[{step.how}][/]" if step.how else ""
                listing.add_option(Option(f"  {arrow}[b]{plain(step.qualname)}[/]  {where}{how}",
                                          id=str(len(self.steps))))
                self.steps.append(step.def_id)
        listing.highlighted = 1 if paths else None
        listing.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.go(self.steps[int(event.option.id)])
