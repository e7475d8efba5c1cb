"""A class's methods as fastai has them: those in its body and those `@patch`ed onto it from other
modules (`Learner.fine_tune` lives in fastai/callback/schedule.py). CLI and TUI both use this."""
from __future__ import annotations

from dataclasses import dataclass

from navigator.queries import Symbol, children, symbols_by_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index


@dataclass(frozen=True, slots=True)
class Member:
    """One method of a class; `patched` when it is defined outside the class body (`@patch`)."""

    symbol: Symbol
    patched: bool

    def as_json(self) -> dict:
        return {**self.symbol.as_json(), "patched": self.patched}


def class_members(index: Index, cls: Symbol) -> list[Member]:
    """The methods of the class body in source order, then the `@patch`ed ones by module and line.

    A patch counts when its target (`self:Learner`, `@patch_to(Learner)`) resolves to this very
    class from the patching module, so another project's class of the same name is not mixed in.
    """
    own = [Member(s, False) for s in children(index, cls) if s.kind == "method"]
    return own + [Member(s, True) for s in patched_members(index, cls)]


def patched_members(index: Index, cls: Symbol) -> list[Symbol]:
    """The methods `@patch`ed onto `cls` outside its body, by module and line."""
    from tags.names import Names

    names = Names(index)
    d = names.defs.get(cls.id)
    candidates = names.patched.get(cls.name, []) if d is not None else []
    patched_ids = [method for method in candidates if _patches(names, method, cls)]
    found = symbols_by_id(index, patched_ids)
    patched = sorted((found[i] for i in patched_ids if i in found), key=lambda s: (s.module, s.line))
    return [s for s in patched if s.path != cls.path or not cls.first_line <= s.first_line <= cls.end_line]


def _patches(names, method_id: int, cls: Symbol) -> bool:
    """Whether any patch target of the method resolves to `cls` from the method's module."""
    method = names.defs[method_id]
    targets = (method.scope, *(flag[5:] for flag in method.flags if flag.startswith("also:")))
    for target in targets:
        found = names.class_named(target, method.module)
        if found is not None and found.id == cls.id:
            return True
    return False
