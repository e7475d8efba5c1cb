"""`nav lsp` keeps up with saved files: a save under an indexed root re-indexes before answering."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import LanguageClient

from tests.lsp.lsp_client import indexed_package, position_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

CORE = "class Worker:\n    def run(self):\n        pass\n\n\ndef make() -> Worker:\n    return Worker()\n"
SCRIPT = "from mypkg.core import *\n\nworker = make()\nworker.run()\nworker.stop()\n"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fresh")
    indexed_package(root, "mypkg", {"core.py": CORE})
    return root


@pytest.fixture(scope="module")
def lsp_cache(package: Path) -> Path:
    return package / "cache"


async def _lines(client: LanguageClient, uri: str, text: str, needle: str, offset: int) -> list[tuple[str, int]]:
    found = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(uri), types.Position(*position_of(text, needle, offset))))
    return [(Path(to_fs_path(loc.uri)).name, loc.range.start.line + 1) for loc in found or []]


async def test_saving_an_indexed_file_updates_definitions(client: LanguageClient, package: Path) -> None:
    script_uri = from_fs_path(str(package / "train.py"))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=script_uri, language_id="python", version=1, text=SCRIPT)))
    assert await _lines(client, script_uri, SCRIPT, "worker.run", 8) == [("core.py", 2)]  # via `make() -> Worker`
    assert await _lines(client, script_uri, SCRIPT, "worker.stop", 8) == []

    core = package / "mypkg" / "core.py"
    edited = "import os\n\n" + CORE.replace("        pass\n", "        pass\n\n    def stop(self):\n        pass\n", 1)
    core.write_text(edited)
    core_uri = from_fs_path(str(core))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=core_uri, language_id="python", version=1, text=edited)))
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(core_uri)))
    assert await _lines(client, script_uri, SCRIPT, "worker.stop", 8) == [("core.py", 7)]
    assert await _lines(client, script_uri, SCRIPT, "worker.run", 8) == [("core.py", 4)]
