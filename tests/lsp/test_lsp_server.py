"""`nav lsp` end to end: a pytest-lsp client talks to `python -m navigator lsp` over stdio.

The index is the session's index of the installed fastai and timm; answers are checked
against the installed sources' real files and lines.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import LanguageClient

from tests.helpers import line_of, site_file
from tests.lsp.lsp_client import TRAINING_SCRIPT, position_of

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def lsp_cache(installed_cache: Path) -> Path:
    return installed_cache


def _open(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = from_fs_path(str(path))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))
    return uri


async def _definition(client: LanguageClient, uri: str, line: int, character: int) -> list[types.Location]:
    found = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(uri), types.Position(line, character)))
    return list(found or [])


def _where(location: types.Location) -> tuple[Path, int]:
    """(file, 1-based line) of a location."""
    return Path(to_fs_path(location.uri)).resolve(), location.range.start.line + 1


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("user") / "train.py"
    path.write_text(TRAINING_SCRIPT)
    return path


async def test_definition_of_a_patch_method_through_the_learner_factory(client: LanguageClient, script: Path) -> None:
    uri = _open(client, script, TRAINING_SCRIPT)
    schedule = site_file("fastai", "callback/schedule.py")
    found = await _definition(client, uri, *position_of(TRAINING_SCRIPT, "learn.fine_tune", 8))
    assert [_where(loc) for loc in found] == [(schedule, line_of(schedule, "def fine_tune(self:Learner"))]
    assert found[0].range.start.character == len("def ")


async def test_definition_of_a_dataloaders_method_and_of_star_imported_names(client: LanguageClient, script: Path) -> None:
    uri = _open(client, script, TRAINING_SCRIPT)
    core, learner = site_file("fastai", "data/core.py"), site_file("fastai", "vision/learner.py")
    found = await _definition(client, uri, *position_of(TRAINING_SCRIPT, "dls.add_tfms", 5))
    assert [_where(loc) for loc in found] == [(core, line_of(core, "def add_tfms("))]
    found = await _definition(client, uri, *position_of(TRAINING_SCRIPT, "vision_learner(", 3))
    assert [_where(loc) for loc in found] == [(learner, line_of(learner, "def vision_learner("))]


async def test_definition_of_a_local_variable_is_its_assignment(client: LanguageClient, script: Path) -> None:
    uri = _open(client, script, TRAINING_SCRIPT)
    found = await _definition(client, uri, *position_of(TRAINING_SCRIPT, "learn.fine_tune", 2))
    assert [_where(loc) for loc in found] == [(script.resolve(), TRAINING_SCRIPT.splitlines().index(
        "learn = vision_learner(dls, resnet34, metrics=error_rate)") + 1)]


async def test_did_change_is_followed(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "edited.py"
    uri = _open(client, path, "x = 1\n")
    text = "from fastai.vision.all import *\nlrn = Learner(dls, model)\nlrn.lr_find()\n"
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))
    schedule = site_file("fastai", "callback/schedule.py")
    found = await _definition(client, uri, *position_of(text, "lrn.lr_find", 5))
    assert [_where(loc) for loc in found] == [(schedule, line_of(schedule, "def lr_find(self:Learner"))]


async def test_hover_shows_signature_docstring_and_notebook(client: LanguageClient, script: Path) -> None:
    uri = _open(client, script, TRAINING_SCRIPT)
    line, character = position_of(TRAINING_SCRIPT, "learn.fine_tune", 8)
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(line, character)))
    text = hover.contents.value
    assert "Fine tune with `Learner.freeze` for `freeze_epochs`" in text
    assert "14_callback.schedule.ipynb" in text
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(*position_of(TRAINING_SCRIPT, "learn = ", 1))))
    assert "`fastai.learner.Learner`" in hover.contents.value


async def test_hover_expands_delegated_keyword_parameters(client: LanguageClient, script: Path) -> None:
    """What `inspect.signature` gives for fastcore's `@delegates`: `**kwargs` replaced by the target's keywords."""
    uri = _open(client, script, TRAINING_SCRIPT)
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(*position_of(TRAINING_SCRIPT, "learn.fine_tune", 8))))
    header, expanded = hover.contents.value.split("\n\n")[:2]
    assert header == ("```python\nmethod Learner.fine_tune(self, epochs, base_lr=0.002, freeze_epochs=1, lr_mult=100, "
                      "pct_start=0.3, div=5.0, *, lr_max=None, div_final=100000.0, wd=None, moms=None, cbs=None, "
                      "reset_opt=False, start_epoch=0)\n```")
    assert expanded == ("`**kwargs` expanded (fastcore `@delegates`):\n- from `fastai.callback.schedule.Learner.fit_one_cycle`: "
                        "`lr_max=None`, `div_final=100000.0`, `wd=None`, `moms=None`, `cbs=None`, `reset_opt=False`, "
                        "`start_epoch=0`")
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(*position_of(TRAINING_SCRIPT, "vision_learner(", 3))))
    header, expanded = hover.contents.value.split("\n\n")[:2]
    assert header.startswith("```python\nfunction vision_learner(dls, arch, normalize=True, n_out=None, pretrained=True, ")
    assert header.endswith(", lin_first=False, y_range=None, *, n_in=3)\n```") and "**kwargs" not in header
    assert expanded == "`**kwargs` expanded (fastcore `@delegates`):\n- from `fastai.vision.learner.create_vision_model`: `n_in=3`"


async def test_hover_says_where_delegated_parameters_cannot_be_followed(client: LanguageClient, tmp_path: Path) -> None:
    text = "from fastai.vision.all import *\nlayer = ConvLayer(3, 16)\n"
    uri = _open(client, tmp_path / "layers.py", text)
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(*position_of(text, "ConvLayer(", 2))))
    header, expanded = hover.contents.value.split("\n\n")[:2]
    assert header.startswith("```python\nclass ConvLayer(nn.Sequential)\nConvLayer(ni, nf, ks=3, stride=1, ")
    assert header.endswith(", **kwargs)\n```")  # nn.Conv2d is torch's: not in the index, so `**kwargs` stays
    assert expanded == "`**kwargs` (fastcore `@delegates`):\n- not known statically: **kwargs go to nn.Conv2d, which is not in the index"


async def test_workspace_symbol_ranks_like_nav_find(client: LanguageClient) -> None:
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="Learner"))
    learner = site_file("fastai", "learner.py")
    first = found[0]
    assert (first.name, first.kind) == ("Learner", types.SymbolKind.Class)
    assert _where(first.location) == (learner, line_of(learner, "class Learner("))
    assert await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="")) == []


async def test_document_symbols_of_an_indexed_file_and_of_a_buffer(client: LanguageClient, tmp_path: Path) -> None:
    schedule = site_file("fastai", "callback/schedule.py")
    uri = _open(client, schedule, schedule.read_text())
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(types.TextDocumentIdentifier(uri)))
    by_name = {symbol.name: symbol for symbol in symbols}
    assert by_name["fine_tune"].kind == types.SymbolKind.Method
    assert by_name["fine_tune"].selection_range.start.line + 1 == line_of(schedule, "def fine_tune(")
    text = "class Trainer:\n    def step(self):\n        pass\n\ndef main():\n    pass\n"
    uri = _open(client, tmp_path / "mine.py", text)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(types.TextDocumentIdentifier(uri)))
    assert [(s.name, s.range.start.line, [c.name for c in s.children]) for s in symbols] == [
        ("Trainer", 0, ["step"]), ("main", 4, [])]


async def test_references_and_call_hierarchy_with_call_sites(client: LanguageClient) -> None:
    learner = site_file("fastai", "vision/learner.py")
    uri = _open(client, learner, learner.read_text())
    definition_line = line_of(learner, "def _add_norm(") - 1
    position = types.Position(definition_line, len("def _a"))
    refs = await client.text_document_references_async(types.ReferenceParams(
        context=types.ReferenceContext(include_declaration=False), text_document=types.TextDocumentIdentifier(uri),
        position=position))
    call_lines = [n for n, text in enumerate(learner.read_text().splitlines(), 1) if "_add_norm(dls" in text
                  and not text.startswith("def")]
    assert sorted(_where(loc) for loc in refs) == [(learner, n) for n in call_lines]
    items = await client.text_document_prepare_call_hierarchy_async(types.CallHierarchyPrepareParams(
        types.TextDocumentIdentifier(uri), position))
    assert [item.name for item in items] == ["_add_norm"]
    incoming = await client.call_hierarchy_incoming_calls_async(types.CallHierarchyIncomingCallsParams(items[0]))
    assert sorted((call.from_.name, [r.start.line + 1 for r in call.from_ranges]) for call in incoming) == sorted(
        zip(["vision_learner", "unet_learner"], [[n] for n in call_lines]))
    caller = next(call.from_ for call in incoming if call.from_.name == "vision_learner")
    outgoing = await client.call_hierarchy_outgoing_calls_async(types.CallHierarchyOutgoingCallsParams(caller))
    norm = next(call for call in outgoing if call.to.name == "_add_norm")
    assert [r.start.line + 1 for r in norm.from_ranges] == call_lines[:1]
    source_line = learner.read_text().splitlines()[call_lines[0] - 1]
    assert norm.from_ranges[0].start.character == source_line.index("_add_norm(")


async def test_bad_input_gives_empty_answers_and_the_server_lives_on(client: LanguageClient, tmp_path: Path) -> None:
    broken = "from fastai.vision.all import *\nlearn = vision_learner(dls,\nlearn.fine_tune(\ndef (:\n"
    uri = _open(client, tmp_path / "broken.py", broken)
    found = await _definition(client, uri, 2, 8)  # the syntax error does not stop resolution
    schedule = site_file("fastai", "callback/schedule.py")
    assert [_where(loc) for loc in found] in ([], [(schedule, line_of(schedule, "def fine_tune(self:Learner"))])
    assert await _definition(client, uri, 3, 2) == []
    assert await _definition(client, uri, 400, 0) == []  # past the end
    assert await _definition(client, uri, 1, 900) == []  # past the end of the line
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(400, 3)))
    assert hover is None
    circular = "learn = learn.model\nlearn = learn.fine_tune(learn)\nlearn.fine_tune\n"  # `x = f(x)`, not x itself
    circular_uri = _open(client, tmp_path / "circular.py", circular)
    found = await _definition(client, circular_uri, 2, 8)  # untyped: nav's by-name guess, no endless lookup
    assert [_where(loc) for loc in found] == [(schedule, line_of(schedule, "def fine_tune(self:Learner"))]
    missing = from_fs_path(str(tmp_path / "never-opened.py"))
    assert await _definition(client, missing, 0, 0) == []
    with pytest.raises(JsonRpcMethodNotFound):
        await client.protocol.send_request_async("nav/noSuchMethod", {})
    script_uri = _open(client, tmp_path / "again.py", TRAINING_SCRIPT)
    found = await _definition(client, script_uri, *position_of(TRAINING_SCRIPT, "learn.fine_tune", 8))
    assert [_where(loc) for loc in found] == [(schedule, line_of(schedule, "def fine_tune(self:Learner"))]


OWN_CLASSES = """\
from fastai.vision.all import *


class MyLearner(Learner):
    def go(self):
        self.fine_tune(1)


def make() -> MyLearner:
    ...


m = make()
m.go()
m.fit_one_cycle(1)
"""


async def test_classes_of_the_buffer_reach_their_indexed_bases(client: LanguageClient, tmp_path: Path) -> None:
    uri = _open(client, tmp_path / "own.py", OWN_CLASSES)
    schedule = site_file("fastai", "callback/schedule.py")
    found = await _definition(client, uri, *position_of(OWN_CLASSES, "m.go", 2))
    assert [_where(loc) for loc in found] == [((tmp_path / "own.py").resolve(), 5)]
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(*position_of(OWN_CLASSES, "m.go", 2))))
    assert hover.contents.value == "```python\ndef go(self):\n```"
    found = await _definition(client, uri, *position_of(OWN_CLASSES, "self.fine_tune", 6))
    assert [_where(loc) for loc in found] == [(schedule, line_of(schedule, "def fine_tune(self:Learner"))]
    found = await _definition(client, uri, *position_of(OWN_CLASSES, "m.fit_one_cycle", 3))
    assert [_where(loc) for loc in found] == [(schedule, line_of(schedule, "def fit_one_cycle(self:Learner"))]


NARROWED = """\
from fastai.vision.all import *


def setup(loss, dl):
    if isinstance(loss, (nn.Module, BaseLoss)):
        loss.to('cpu')
    again = type(dl)(dl.dataset) if isinstance(dl, TfmdDL) else None
    again.one_batch()
    if isinstance(loss, BaseLoss) and loss is not None:
        loss = Learner(dls, model)
        loss.fit(1)


class Trainer:
    def go(self):
        if isinstance(self.model, TimmBody):
            self.model.forward(1)
            self.model = nn.Linear(1, 1)
            self.model.forward(2)
"""


async def test_isinstance_narrows_and_type_gives_the_class(client: LanguageClient, tmp_path: Path) -> None:
    uri = _open(client, tmp_path / "narrowed.py", NARROWED)
    losses, load, learner = site_file("fastai", "losses.py"), site_file("fastai", "data/load.py"), site_file("fastai", "learner.py")
    found = await _definition(client, uri, *position_of(NARROWED, "loss.to", 5))
    assert [_where(loc) for loc in found] == [(losses, line_of(losses, "def to(self, device"))]
    found = await _definition(client, uri, *position_of(NARROWED, "again.one_batch", 6))
    assert [_where(loc) for loc in found] == [(load, line_of(load, "def one_batch(self"))]
    found = await _definition(client, uri, *position_of(NARROWED, "loss.fit", 5))  # rebound after the test
    assert [_where(loc) for loc in found] == [(learner, line_of(learner, "def fit(self, n_epoch"))]
    vision = site_file("fastai", "vision/learner.py")
    found = await _definition(client, uri, *position_of(NARROWED, "self.model.forward(1)", 11))
    assert [_where(loc) for loc in found] == [(vision, line_of(vision, "def forward(self,x): return self.model.forward_features"))]
    found = await _definition(client, uri, *position_of(NARROWED, "self.model.forward(2)", 11))
    assert found == []  # assigned again in the guarded code: no longer a TimmBody, and `forward` alone says nothing
