"""Name resolution over the index: what a name means in a module, a class or a function.

Loaded once per call-graph build from the `defs`, `imports` and `files` tables. A `Binding`
is `("def", id)` for an indexed definition, `("module", name)` for an indexed module,
`("ext", dotted)` for something outside the indexed roots (torch, builtins, ...).
Every lookup notes the modules and method names it consulted in `deps`, so the call graph
knows which files to re-resolve when another file changes.
"""
from __future__ import annotations

import re
from collections import defaultdict, namedtuple
from dataclasses import dataclass

from tags.mro import c3_merge

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import DefinitionRow, ImportRow, Index


class Binding(namedtuple("Binding", "kind target")):
    """What a name means: kind "def" (target: a definition id), "module" (a module name) or "ext" (a dotted name)."""

    __slots__ = ()
    kind: str
    target: int | str


_ANNOTATED = re.compile(r"[(,]\s*(\w+)\s*:\s*([A-Za-z_][\w.]*)\s*(?=[,=)])")  # `(dls:DataLoaders, n:int=3)`
MAX_NAMESPACE_ROUNDS = 8  # rounds of rebuilding a cycle's namespaces (one or two settle them on the four roots)


@dataclass(eq=False, slots=True)
class Def:
    """The columns of one definition the resolver needs, flags and bases split."""

    id: int
    file_id: int
    parent: int | None
    name: str
    qualname: str
    kind: str
    scope: str
    flags: tuple[str, ...]
    bases: tuple[str, ...]
    alias_of: str
    line: int
    first_line: int
    signature: str
    module: str

    @classmethod
    def from_row(cls, row: DefinitionRow, module: str) -> Def:
        return cls(row.id, row.file_id, row.parent_id, row.name, row.qualname, row.kind, row.scope,
                   tuple(row.flags.split(",")) if row.flags else (), tuple(row.bases.split(",")) if row.bases else (),
                   row.alias_of, row.line, row.first_line, row.signature, module)


class Names:
    """Scopes, module namespaces (star imports and `__all__` included) and class MROs."""

    def __init__(self, index: Index) -> None:
        import json  # here: a warm `nav trace` imports this module but never builds the tables

        self.modules: dict[str, int] = {}  # module name -> its module def id
        self.file_module: dict[int, str] = {}
        self.exports: dict[str, list[str] | None] = {}
        for file in index.indexed_files():
            self.file_module[file.id] = file.module
            self.exports[file.module] = json.loads(file.exports) if file.exports else None
        self.defs: dict[int, Def] = {}
        self.children: dict[int, list[int]] = defaultdict(list)
        self.patched: dict[str, list[int]] = defaultdict(list)  # class name -> @patch methods
        self.methods_named: dict[str, list[int]] = defaultdict(list)
        self.methods_in_file: dict[int, list[int]] = defaultdict(list)
        for row in index.definition_rows():
            d = Def.from_row(row, self.file_module[row.file_id])
            self.defs[d.id] = d
            if d.kind == "module":
                self.modules[d.qualname] = d.id
            elif d.parent is not None:
                self.children[d.parent].append(d.id)
            if d.kind == "method":
                self.methods_named[d.name].append(d.id)
                self.methods_in_file[d.file_id].append(d.id)
                if "patch" in d.flags:
                    for target in (d.scope, *(f[5:] for f in d.flags if f.startswith("also:"))):
                        self.patched[target.rpartition(".")[2]].append(d.id)
        self.imports: dict[int, list[ImportRow]] = defaultdict(list)  # scope def id -> its imports, in order
        for row in index.import_rows():
            self.imports[row.def_id].append(row)
        self._namespaces: dict[str, dict[str, list[Binding]]] = {}
        self._building: set[str] = set()  # namespaces being built (an import cycle reads them partial)
        self._built: list[str] = []  # those built since the outermost began
        self._saw_partial = False
        self._mro: dict[int, list[int]] = {}
        self._following: set[int] = set()
        self._annotations: dict[int, dict[str, str]] = {}
        self.deps: set[str] = set()

    # -- modules -------------------------------------------------------------------------------
    def namespace(self, module: str) -> dict[str, list[Binding]]:
        """Every name bound at the top of `module`: star imports, then imports, then definitions.

        An import cycle sees a namespace still being built. What was built from such a partial one
        (`timm` imports `create_model` from `timm.models`, which was asked for first and is not done)
        is built again once the outermost namespace is done, until nothing changes: otherwise the
        answer would depend on which module was asked for first."""
        self.deps.add(module)
        cached = self._namespaces.get(module)
        if cached is not None:
            if module in self._building:
                self._saw_partial = True
            return cached
        outermost = not self._building
        space: dict[str, list[Binding]] = {}
        self._namespaces[module] = space
        self._building.add(module)
        self._built.append(module)
        try:
            self._fill_namespace(module, space)
        finally:
            self._building.discard(module)
            if outermost:
                built, self._built = self._built, []
                partial, self._saw_partial = self._saw_partial, False
        if outermost and partial:
            self._rebuild_namespaces(built)
        return space

    def _rebuild_namespaces(self, modules: list[str]) -> None:
        """Fill the namespaces built during an import cycle again, in place, until none changes."""
        for _ in range(MAX_NAMESPACE_ROUNDS):
            changed = False
            for module in modules:
                space: dict[str, list[Binding]] = {}
                self._fill_namespace(module, space)
                current = self._namespaces[module]
                if space != current:
                    current.clear()
                    current.update(space)
                    changed = True
            if not changed:
                return

    def _fill_namespace(self, module: str, space: dict[str, list[Binding]]) -> None:
        module_id = self.modules.get(module)
        if module_id is None:
            return
        for row in self.imports.get(module_id, ()):
            if row.name == "*":
                space.update(self.star_names(row.module))
        for row in self.imports.get(module_id, ()):
            if row.name != "*":
                space[row.alias] = self.import_binding(row.module, row.name)
        for child in self.children.get(module_id, ()):
            d = self.defs[child]
            if d.kind != "method":  # module-level @patch methods belong to their class
                space[d.name] = [Binding("def", child)]

    def star_names(self, module: str) -> dict[str, list[Binding]]:
        """What `from module import *` binds: `__all__` when the module has one, else public names."""
        if module not in self.modules:
            return {}
        space = self.namespace(module)
        exported = self.exports.get(module)
        if exported is not None:
            return {name: space[name] for name in exported if name in space}
        return {name: value for name, value in space.items() if not name.startswith("_")}

    def import_binding(self, source: str, name: str) -> list[Binding]:
        """`import a.b` (name "") binds the top package; `from a import b` a name or a submodule."""
        if not name:
            return [Binding("module", source)] if source in self.modules else [Binding("ext", source)]
        found = self.module_attribute(source, name) if source in self.modules else self._submodule(source, name)
        return found or [Binding("ext", f"{source}.{name}")]

    def module_attribute(self, module: str, name: str) -> list[Binding]:
        """`module.name`: a name bound in the module, else its submodule of that name."""
        return self.namespace(module).get(name) or self._submodule(module, name)

    def _submodule(self, module: str, name: str) -> list[Binding]:
        submodule = f"{module}.{name}"
        if submodule in self.modules:
            self.deps.add(submodule)
            return [Binding("module", submodule)]
        return []

    # -- functions -----------------------------------------------------------------------------
    def scope_lookup(self, def_id: int, name: str) -> list[Binding]:
        """`name` as seen from inside definition `def_id`: enclosing functions, then the module.

        Class bodies are skipped except the innermost one (names in a class body are not
        visible from its methods), as Python does.
        """
        current: int | None = def_id
        first = True
        while current is not None:
            d = self.defs[current]
            if d.kind == "module":
                return self.namespace(d.qualname).get(name, [])
            if d.kind != "class" or first:
                for child in self.children.get(current, ()):
                    if self.defs[child].name == name:
                        return [Binding("def", child)]
                for row in self.imports.get(current, ()):
                    if row.alias == name:
                        return self.import_binding(row.module, row.name)
            first = False
            current = d.parent
        return []

    def enclosing_class(self, def_id: int) -> Def | None:
        """The class a method belongs to, seen from the method or a function nested in it.

        A module-level @patch method belongs to the class it patches.
        """
        d = self.defs[def_id]
        while d.kind != "module":
            if d.kind == "method":
                parent = self.defs.get(d.parent) if d.parent is not None else None
                if parent is not None and parent.kind == "class":
                    return parent
                return self.class_named(d.scope, d.module)
            if d.kind == "class":
                return d
            d = self.defs[d.parent]
        return None

    def class_named(self, name: str, module: str) -> Def | None:
        """A class by the name a @patch annotation gives, seen from `module`."""
        module_id = self.modules.get(module)
        if module_id is None or not name:
            return None
        for binding in self.resolve_dotted(name.split("."), module_id):
            if binding.kind == "def" and self.defs[binding.target].kind == "class":
                return self.defs[binding.target]
        return None

    def resolve_dotted(self, parts: list[str], def_id: int) -> list[Binding]:
        """`a.b.c` through modules and classes only (for base classes and patch targets)."""
        bindings = self.scope_lookup(def_id, parts[0])
        for part in parts[1:]:
            bindings = [b for binding in bindings for b in self.attribute(binding, part)]
        return bindings

    def annotated_class(self, def_id: int, name: str) -> Def | None:
        """The indexed class a parameter is annotated with: `dls:DataLoaders` -> DataLoaders."""
        d: Def | None = self.defs[def_id]
        while d is not None and d.kind in ("function", "method", "model"):  # enclosing functions too
            annotations = self._annotations.get(d.id)
            if annotations is None:
                annotations = self._annotations[d.id] = dict(_ANNOTATED.findall(d.signature))
            if name in annotations:
                return self.class_named(annotations[name], d.module)
            d = self.defs.get(d.parent) if d.parent is not None else None
        return None

    # -- classes -------------------------------------------------------------------------------
    def attribute(self, binding: Binding, name: str) -> list[Binding]:
        """`binding.name`: through a module's namespace, a class's MRO or an alias; outside code stays a name."""
        if binding.kind == "module":
            return self.module_attribute(binding.target, name)
        if binding.kind == "ext":
            return [Binding("ext", f"{binding.target}.{name}")]
        d = self.defs[binding.target]
        if d.kind == "class":
            found = self.class_member(d, name)
            return [Binding("def", found)] if found is not None else []
        if d.kind == "variable" and d.alias_of:
            return [b for target in self.follow_alias(d) for b in self.attribute(target, name)]
        return []

    def called(self, bindings: list[Binding], depth: int = 0) -> list[int]:
        """What calling these values reaches: a function or method itself, a class and its
        `__init__`, an alias what it names (a few steps deep); modules and outside names nothing."""
        found: list[int] = []
        for binding in bindings:
            if binding.kind != "def":
                continue
            d = self.defs[binding.target]
            if d.kind == "variable":
                if d.alias_of and depth < 4:
                    found += self.called(self.follow_alias(d), depth + 1)
            elif d.kind == "class":
                found.append(d.id)
                init = self.class_member(d, "__init__")
                if init is not None:
                    found.append(init)
            elif d.kind != "module":
                found.append(d.id)
        return found

    def follow_alias(self, d: Def) -> list[Binding]:
        """`cnn_learner = vision_learner`: what the right-hand side names."""
        if d.id in self._following:  # an alias cycle (`a = b`, `b = a`): stop
            return []
        self._following.add(d.id)
        try:
            return self.resolve_dotted(d.alias_of.split("."), d.parent if d.parent is not None else d.id)
        finally:
            self._following.discard(d.id)

    def mro(self, cls: Def) -> list[int]:
        """The class and its indexed bases in C3 order, as Python computes it (unindexed bases left out)."""
        cached = self._mro.get(cls.id)
        if cached is not None:
            return cached
        self._mro[cls.id] = [cls.id]  # a cycle through bad bases ends here
        bases = self._bases(cls)
        order = [cls.id, *c3_merge([list(self.mro(self.defs[b])) for b in bases] + [bases])]
        self._mro[cls.id] = order
        return order

    def _bases(self, cls: Def) -> list[int]:
        """The indexed classes among a class's bases (`Generic[T]` and keyword arguments ignored)."""
        found: list[int] = []
        parent = cls.parent if cls.parent is not None else cls.id
        for base in cls.bases:
            base = base.split("[", 1)[0].strip()
            if not base.replace(".", "").replace("_", "").isalnum():
                continue
            for binding in self.resolve_dotted(base.split("."), parent):
                value = binding.target
                is_class = binding.kind == "def" and self.defs[value].kind == "class"
                if is_class and value not in found and value != cls.id:
                    found.append(value)
        return found

    def class_member(self, cls: Def, name: str, skip_first: bool = False) -> int | None:
        """A method or attribute through the MRO, @patch methods of each class included."""
        self.deps.add("#p:" + name)  # a @patch method of that name, in any module, could be the answer
        for class_id in self.mro(cls)[1 if skip_first else 0:]:
            owner = self.defs[class_id]
            self.deps.add(owner.module)
            for child in self.children.get(class_id, ()):
                if self.defs[child].name == name:
                    return child
            for method in self.patched.get(owner.name, ()):
                if self.defs[method].name == name:
                    return method
        return None


