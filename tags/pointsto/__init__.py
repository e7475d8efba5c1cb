"""An inter-procedural points-to analysis: what each name, attribute and call result can hold.

The call graph is read off the solved points-to sets: calling an expression reaches every
function, class (`__init__`), instance (`__call__`) or builtin its value can be. See
`tags.pointsto.solver` for the rules and `tags.pointsto.program` for the scopes it runs over.
"""
from tags.pointsto.solver import CallGraph, Edge, analyse, analyse_directory

__all__ = ["CallGraph", "Edge", "analyse", "analyse_directory"]
