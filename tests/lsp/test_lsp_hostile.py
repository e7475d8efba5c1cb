"""Documents the client never opened, read from disk by the server: FIFOs and devices are refused,
not waited on (`/dev/stdin` is the protocol's own stream), and a file in another encoding is read
as the indexer reads it."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from tests.lsp.lsp_client import indexed_package

pytestmark = pytest.mark.asyncio(loop_scope="module")

MOD = "def f():\n    return g()\n\ndef g():\n    return 1\n"
ANSWER_GUARD = 60  # seconds; an answer takes milliseconds, a blocked read never comes


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    indexed_package(root, "hpkg", {"mod.py": MOD})
    os.mkfifo(root / "pipe.py")
    (root / "legacy.py").write_bytes("# -*- coding: latin-1 -*-\ndef café():\n    pass\n".encode("latin-1"))
    return root


@pytest.fixture(scope="module")
def lsp_cache(package: Path) -> Path:
    return package / "cache"


async def _symbols(client: LanguageClient, uri: str) -> list[types.DocumentSymbol]:
    return await asyncio.wait_for(client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))), ANSWER_GUARD)


@pytest.mark.parametrize("where", ["pipe.py", "/dev/stdin", "/dev/zero"])
async def test_a_fifo_or_device_never_opened_is_refused_not_read(client: LanguageClient, package: Path, where: str) -> None:
    uri = from_fs_path(str(package / where))
    assert await _symbols(client, uri) == []
    found = await asyncio.wait_for(client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(uri), types.Position(0, 0))), ANSWER_GUARD)
    assert found is None
    assert [s.name for s in await _symbols(client, from_fs_path(str(package / "hpkg" / "mod.py")))] == ["f", "g"]


async def test_a_file_never_opened_is_read_in_its_declared_encoding(client: LanguageClient, package: Path) -> None:
    symbols = await _symbols(client, from_fs_path(str(package / "legacy.py")))
    assert [(s.name, s.selection_range.start.line, s.selection_range.start.character) for s in symbols] == [("café", 1, 4)]


async def test_the_outline_of_a_buffer_selects_each_name(client: LanguageClient, package: Path) -> None:
    """A buffer's outline (an unindexed or edited text) selected nothing, at the `def`: an indexed
    file's selects the name, as LSP asks."""
    uri = from_fs_path(str(package / "scratch.py"))
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text="class Trainer:\n    def step(self):\n        pass\n")))
    [trainer] = await _symbols(client, uri)
    [step] = trainer.children
    assert [(s.selection_range.start.line, s.selection_range.start.character, s.selection_range.end.character)
            for s in (trainer, step)] == [(0, 6, 13), (1, 8, 12)]
