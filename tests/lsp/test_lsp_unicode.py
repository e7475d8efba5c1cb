"""Positions on lines with non-ASCII text: LSP counts UTF-16 code units, the index counts bytes."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from tests.lsp.lsp_client import indexed_package

pytestmark = pytest.mark.asyncio(loop_scope="module")

# 😀 is 4 bytes, 2 UTF-16 units, 1 code point; é is 2 bytes, 1 unit, 1 code point
TEXT = ('x = "😀"; café = 1; y = "é😀"; after = lambda: café\n'
        'def naïve():\n'
        '    return café\n'
        's = "😀😀"; naïve(); t = "é"; naïve()\n')


def units(line: str, needle: str, nth: int = 0) -> int:
    """The UTF-16 column of the nth `needle` in `line`."""
    at = -1
    for _ in range(nth + 1):
        at = line.index(needle, at + 1)
    return len(line[:at].encode("utf-16-le")) // 2


LINES = TEXT.splitlines()
# str.splitlines() ends lines at a form feed (and at \x1c, \x85, \u2028...); LSP and tree-sitter do not
FORM_FEED = '"""A page break below."""\n\x0c\ns = "é"; x = 1; page = "\u2028"; y = x; f = lambda: x\n'

# Python reads identifiers NFKC-normalized: `cafe\u0301` (a combining accent) is the `café` of mod.py
NFD = "from unipkg.mod import cafe\u0301\nx = cafe\u0301\n"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("uni")
    indexed_package(root, "unipkg", {"mod.py": TEXT, "paged.py": FORM_FEED, "nfd.py": NFD})
    return root


@pytest.fixture(scope="module")
def lsp_cache(package: Path) -> Path:
    return package / "cache"


def _open(client: LanguageClient, path: Path) -> str:
    uri = from_fs_path(str(path))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=path.read_text(encoding="utf-8"))))
    return uri


async def test_definition_ranges_count_utf16_units(client: LanguageClient, package: Path) -> None:
    uri = _open(client, package / "unipkg" / "mod.py")
    use = types.Position(2, units(LINES[2], "café") + 1)
    found = await client.text_document_definition_async(types.DefinitionParams(types.TextDocumentIdentifier(uri), use))
    assert [(loc.range.start.line, loc.range.start.character, loc.range.end.character) for loc in found] == [
        (0, units(LINES[0], "café"), units(LINES[0], "café") + 4)]


async def test_document_symbols_count_utf16_units(client: LanguageClient, package: Path) -> None:
    uri = _open(client, package / "unipkg" / "mod.py")
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(types.TextDocumentIdentifier(uri)))
    by_name = {s.name: s.selection_range for s in symbols}
    assert (by_name["after"].start.line, by_name["after"].start.character) == (0, units(LINES[0], "after"))
    assert (by_name["naïve"].start.line, by_name["naïve"].start.character) == (1, 4)


async def test_call_sites_count_utf16_units(client: LanguageClient, package: Path) -> None:
    uri = _open(client, package / "unipkg" / "mod.py")
    [item] = await client.text_document_prepare_call_hierarchy_async(types.CallHierarchyPrepareParams(
        types.TextDocumentIdentifier(uri), types.Position(1, 5)))
    calls = await client.call_hierarchy_incoming_calls_async(types.CallHierarchyIncomingCallsParams(item))
    ranges = sorted((r.start.line, r.start.character) for call in calls for r in call.from_ranges)
    assert ranges == [(3, units(LINES[3], "naïve")), (3, units(LINES[3], "naïve", 1))]


async def test_lines_end_where_lsp_ends_them(client: LanguageClient, package: Path) -> None:
    """A form feed or a U+2028 inside a string does not start a line: positions below keep their line."""
    uri = _open(client, package / "unipkg" / "paged.py")
    line = FORM_FEED.split("\n")[2]
    use = types.Position(2, line.rindex("x") + 1)
    found = await client.text_document_definition_async(types.DefinitionParams(types.TextDocumentIdentifier(uri), use))
    assert [(loc.range.start.line, loc.range.start.character) for loc in found] == [(2, line.index("x"))]
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(types.TextDocumentIdentifier(uri)))
    assert [(s.name, s.selection_range.start.line, s.selection_range.start.character) for s in symbols] == [
        ("f", 2, line.index("f ="))]


async def test_an_edit_below_a_form_feed_lands_where_the_editor_made_it(client: LanguageClient, package: Path) -> None:
    """The client edits as the server asked (whole texts, or ranged edits); pygls applied a ranged
    edit to `str.splitlines()` lines, so one below a form feed went to the line above."""
    path = package / "unipkg" / "paged_edit.py"
    path.write_text(FORM_FEED, encoding="utf-8")
    uri = _open(client, path)
    line = FORM_FEED.split("\n")[2]
    added = "; z = y"
    edited = FORM_FEED.replace(line, line + added)
    sync = client.initialize_result.capabilities.text_document_sync  # type: ignore[attr-defined]
    kind = sync.change if isinstance(sync, types.TextDocumentSyncOptions) else sync
    if kind == types.TextDocumentSyncKind.Incremental:  # as an editor sends it: the line's end, in UTF-16 units
        end = types.Position(2, len(line.encode("utf-16-le")) // 2)
        change = types.TextDocumentContentChangePartial(range=types.Range(end, end), text=added)
    else:
        change = types.TextDocumentContentChangeWholeDocument(text=edited)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2), [change]))
    use = types.Position(2, units(line + added, "y", 1))
    found = await client.text_document_definition_async(types.DefinitionParams(types.TextDocumentIdentifier(uri), use))
    assert [(loc.range.start.line, loc.range.start.character) for loc in found] == [(2, units(line, "y ="))]


async def test_workspace_symbols_count_utf16_units(client: LanguageClient, package: Path) -> None:
    """The index counts bytes: `after` is 37 bytes into its line, 31 UTF-16 units."""
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="after"))
    assert [(s.name, s.location.range.start.line, s.location.range.start.character, s.location.range.end.character)
            for s in found if s.name == "after"] == [("after", 0, units(LINES[0], "after"), units(LINES[0], "after") + 5)]


async def test_a_name_written_decomposed_is_the_name_python_reads(client: LanguageClient, package: Path) -> None:
    uri = _open(client, package / "unipkg" / "nfd.py")
    found = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(uri), types.Position(1, 5)))
    assert [(Path(loc.uri).name, loc.range.start.line, loc.range.start.character) for loc in found] == [
        ("mod.py", 0, units(LINES[0], "café"))]
