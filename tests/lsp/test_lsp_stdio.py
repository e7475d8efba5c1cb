"""`nav lsp` fed what no language client sends, on a real stdin: one line on stderr each, and the
server either answers on (a message it cannot parse) or stops with exit 2 (a stream it cannot
read on from), never a traceback or a MemoryError."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_nav


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src") / "toy"
    src.mkdir()
    (src / "__init__.py").write_text("def helper():\n    pass\n")
    directory = tmp_path_factory.mktemp("cache")
    run_nav("index", str(src), cache=directory, check=True)
    return directory


def _message(payload: str) -> str:
    return f"Content-Length: {len(payload.encode())}\r\n\r\n{payload}"


def test_an_unparsable_message_is_one_line_and_the_next_is_answered(cache: Path) -> None:
    initialize = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                             "params": {"processId": None, "rootUri": None, "capabilities": {}}})
    done = run_nav("lsp", cache=cache, input_text=_message('{"a":') + _message(initialize), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "nav lsp: Unable to handle message: JSONDecodeError: Expecting value: line 1 column 6 (char 5)"]
    assert '"id": 1' in done.stdout and '"capabilities"' in done.stdout  # it lived on and answered


@pytest.mark.parametrize(("stdin", "message"), [
    ("Content-Length: 99999999999\r\n\r\n{}",
     "lsp: a message of 99,999,999,999 bytes announced (Content-Length), over the 256 MB limit; stopping"),
    ("a" * 200_000, "lsp: a header line over 64 KB on stdin; is a language client connected? stopping"),
], ids=["content-length", "endless-header"])
def test_a_stream_no_client_sends_stops_the_server_in_one_line(cache: Path, stdin: str, message: str) -> None:
    done = run_nav("lsp", cache=cache, input_text=stdin, timeout=120)
    assert (done.returncode, done.stderr) == (2, f"nav: error: {message}\n")
