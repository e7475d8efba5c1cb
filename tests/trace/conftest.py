"""Fixtures shared by the call-graph tests."""
from __future__ import annotations

import pytest

from tags.pointsto import solver


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The modules of each program (a library layer, the code above) the solver solves from scratch,
    in order: not those read back from the layer cache, nor a kept solution resumed."""
    programs: list[list[str]] = []
    solve = solver.Solver.solve

    def counting(self: solver.Solver) -> solver.CallGraph:
        programs.append(sorted(self.program.modules))
        return solve(self)

    monkeypatch.setattr(solver.Solver, "solve", counting)
    return programs
