"""Runs inside the traced subprocess: records calls between functions in the indexed roots.

Started by `navigator.trace.live` as `python -c "runpy.run_path(<this file>)" CONFIG.json`, so
nothing of nav is imported into the traced program. Uses `sys.monitoring` (Python 3.12+) where
available, else `sys.setprofile`. Frames outside the roots (torch, fastcore, the stdlib),
module bodies, comprehensions and lambdas are looked through: an edge links the nearest
enclosing traced function to the traced function it reached. The trace is written to the
output file even when the code raises, with the traceback.
"""
import json
import os
import sys
import threading
import traceback
from types import CodeType, FrameType

TRANSPARENT = ("<module>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<lambda>")
TOP = ("", 0, "<live code>")


class Recorder:
    """Counts calls per (caller function, callee function), with the first call line."""

    def __init__(self, roots: list[str]) -> None:
        self.roots = tuple(os.path.join(os.path.realpath(r), "") for r in roots)
        self.inside: dict = {}  # code object -> its key, or None when not traced
        self.edges: dict = {}

    def key(self, code: CodeType) -> tuple | None:
        found = self.inside.get(code, False)
        if found is False:
            found = None
            if code.co_name not in TRANSPARENT:
                path = code.co_filename
                if not path.startswith(self.roots):
                    path = os.path.realpath(path)
                if path.startswith(self.roots):
                    found = (path, code.co_firstlineno, getattr(code, "co_qualname", code.co_name))
            self.inside[code] = found
        return found

    def record(self, frame: FrameType) -> None:
        callee = self.key(frame.f_code)
        if callee is None:
            return
        caller, line, outer = TOP, 0, frame.f_back
        while outer is not None:
            found = self.key(outer.f_code)
            if found is not None:
                caller, line = found, outer.f_lineno
                break
            outer = outer.f_back
        edge = self.edges.get((caller, callee))
        if edge is None:
            self.edges[(caller, callee)] = [1, line]
        else:
            edge[0] += 1

    def start(self) -> None:
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None:
            tool = monitoring.PROFILER_ID
            monitoring.use_tool_id(tool, "nav-live-trace")

            def on_start(code: CodeType, offset: int) -> object:
                if self.key(code) is None:
                    return monitoring.DISABLE
                self.record(sys._getframe(1))

            monitoring.register_callback(tool, monitoring.events.PY_START, on_start)
            monitoring.set_events(tool, monitoring.events.PY_START)
            return

        inside, record = self.inside, self.record

        def profile(frame: FrameType, event: str, arg: object) -> None:  # hot: runs on every event
            if event == "call" and inside.get(frame.f_code, False) is not None:
                record(frame)

        threading.setprofile(profile)
        sys.setprofile(profile)

    def stop(self) -> None:
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None:
            monitoring.set_events(monitoring.PROFILER_ID, 0)
            monitoring.free_tool_id(monitoring.PROFILER_ID)
            return
        sys.setprofile(None)
        threading.setprofile(None)


def _traced_code_traceback(err: BaseException) -> str:
    """The traceback from the traced code's first frame on: the frames above it (this driver's,
    runpy's) are nav's own and tell the user nothing."""
    frames = err.__traceback__
    while frames is not None and frames.tb_frame.f_code.co_filename in (__file__, "<frozen runpy>"):
        frames = frames.tb_next
    return "".join(traceback.format_exception(type(err), err, frames))


def main() -> None:
    with open(sys.argv[1]) as handle:
        config = json.load(handle)
    recorder = Recorder(config["roots"])
    error = None
    if config.get("script"):
        sys.argv = [config["script"]]
        sys.path[0] = os.path.dirname(os.path.abspath(config["script"]))
    recorder.start()
    try:
        if config.get("script"):
            import runpy

            runpy.run_path(config["script"], run_name="__main__")
        else:
            exec(compile(config["code"], "<live code>", "exec"), {"__name__": "__main__"})
    except SystemExit as stop:
        if stop.code not in (None, 0):
            error = f"SystemExit: {stop.code}"
    except BaseException as err:
        error = _traced_code_traceback(err)
    finally:
        recorder.stop()
        edges = [[*caller, *callee, count, line] for (caller, callee), (count, line) in recorder.edges.items()]
        with open(config["output"], "w") as handle:
            json.dump({"edges": edges, "error": error}, handle)


main()
