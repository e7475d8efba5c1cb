"""The timm-normalize codemod against real fastai releases (wheels fetched once by pip)."""
from __future__ import annotations

import ast
import functools

import pytest

from navigator.codemod.registry import AlreadyApplied, Refused
from tests.helpers import (
    code_of,
    post_refactor_versions,
    release_file,
    versions_between,
)
from walkthroughs.timm_normalize.codemod import KEEP_KEYWORD
from walkthroughs.timm_normalize.codemod import transform as outcome_of

LEARNER = "fastai/vision/learner.py"


@functools.lru_cache(maxsize=None)
def learner(version: str) -> str:
    return release_file(version, LEARNER).read_text(encoding="utf-8")


def transform(source: str, revert: bool = False) -> str:
    """The transformed code; the test fails when the codemod did anything but transform."""
    return code_of(outcome_of(source, revert))


@functools.lru_cache(maxsize=None)
def cached_transform(source: str, revert: bool) -> str:
    """Transforms by content: many releases share one learner.py."""
    return transform(source, revert)


def same_ast(a: str, b: str) -> bool:
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))


@pytest.mark.parametrize("version", versions_between("2.7.0", "2.7.4"))
def test_forward_gives_the_2_7_5_module(version: str) -> None:
    result = cached_transform(learner(version), False)
    assert same_ast(result, learner("2.7.5"))
    assert result == learner("2.7.5")  # even byte for byte: formatting kept and matched


def test_reverse_of_2_7_5_gives_the_2_7_4_module() -> None:
    result = cached_transform(learner("2.7.5"), True)
    assert same_ast(result, learner("2.7.4"))
    assert result == learner("2.7.4")


@pytest.mark.parametrize("version", post_refactor_versions())
def test_forward_of_reverse_has_the_ast_of_the_release(version: str) -> None:
    reverted = cached_transform(learner(version), True)
    assert "def _timm_norm" not in reverted and "def create_body(arch," in reverted
    assert same_ast(cached_transform(reverted, False), learner(version))


@pytest.mark.parametrize("version", post_refactor_versions())
def test_forward_on_forward_code_is_already_applied(version: str) -> None:
    assert outcome_of(learner(version)) == AlreadyApplied("already applied")


def test_reverse_on_old_code_is_already_applied() -> None:
    assert isinstance(outcome_of(learner("2.7.4"), revert=True), AlreadyApplied)


@pytest.mark.parametrize("version", versions_between("2.6.0", "2.6.3"))
def test_2_6_releases_are_refused_naming_timm_body(version: str) -> None:
    refused = outcome_of(learner(version))
    assert isinstance(refused, Refused) and refused.functions == ("TimmBody.__init__",)
    assert "TimmBody.__init__: expected" in refused.reason and "**kwargs" in refused.reason


def test_later_releases_keep_n_in_and_weights_when_reverted() -> None:
    reverted = cached_transform(learner("2.8.12"), True)
    assert "def create_body(arch, n_in=3, pretrained=True, cut=None, weights=None):" in reverted
    assert "create_body(arch, n_in, pretrained, ifnone(cut, meta['cut']), weights=weights)" in reverted
    assert "    if normalize: _add_norm(dls, meta, pretrained, n_in)\n    if isinstance(arch, str): model =" in reverted


def test_keyword_instantiation_of_2_7_8_survives_the_round_trip() -> None:
    reverted = cached_transform(learner("2.7.8"), True)
    assert f"model = arch(pretrained=pretrained)  {KEEP_KEYWORD}\n" in reverted
    forward = cached_transform(reverted, False)
    assert KEEP_KEYWORD not in forward
    assert forward.count("    model = arch(pretrained=pretrained)\n") == 2


def test_comments_outside_the_changed_code_are_kept_byte_for_byte() -> None:
    """Adding comments, then transforming == transforming, then adding the same comments."""
    def annotate(source: str) -> str:
        source = source.replace("\ndef cut_model(", "\n# a reader's note  on cut_model\ndef cut_model(", 1)
        return source.replace("    nf = body.model.num_features\n",
                              "    nf = body.model.num_features   #  why: timm knows it\n", 1)
    old = learner("2.7.4")
    assert annotate(old) != old
    assert transform(annotate(old)) == annotate(learner("2.7.5"))
    assert transform(annotate(learner("2.7.5")), revert=True) == annotate(old)


@pytest.mark.parametrize(("version", "edit", "function"), [
    ("2.7.4", ("    model = arch(pretrained=pretrained)\n", ""), "create_body"),
    ("2.7.4", ("def _add_norm(dls, meta, pretrained):", "def _add_normalization(dls, meta, pretrained):"),
     "_add_norm"),
    ("2.7.4", ("    if normalize: _add_norm(dls, meta, pretrained)\n    if isinstance", "    if isinstance"),
     "vision_learner"),
    ("2.7.4", ("    body = TimmBody(arch, pretrained, None, n_in, **kwargs)", "    body = TimmBody(arch)"),
     "create_timm_model"),
    ("2.7.5", ("    model = arch(pretrained)\n    body = create_body(model, n_in, pretrained, ifnone(cut, meta['cut']))\n"
               "    model = models.unet",
               "    model = arch(pretrained, progress=False)\n    body = create_body(model, n_in, pretrained, "
               "ifnone(cut, meta['cut']))\n    model = models.unet"), "create_unet_model"),
    ("2.7.5", ("        if normalize: _timm_norm(dls, cfg, pretrained)", "        _timm_norm(dls, cfg, pretrained)"),
     "vision_learner"),
    ("2.8.12", ("class TimmBody(nn.Module):", "class TimmBackbone(nn.Module):"), "TimmBody"),
])
def test_hand_edited_or_missing_definitions_are_refused_by_name(version: str, edit: tuple[str, str],
                                                                function: str) -> None:
    source = learner(version)
    assert source.count(edit[0]) == 1
    refused = outcome_of(source.replace(*edit), revert=version != "2.7.4")
    assert isinstance(refused, Refused) and refused.functions == (function,)
    assert f"{function}: expected" in refused.reason


def test_a_hand_edited_timm_norm_is_not_silently_dropped_by_reverse() -> None:
    source = learner("2.7.5").replace("    if not pretrained: return\n    if not dls",
                                      "    if not pretrained: return\n    print(cfg)\n    if not dls", 1)
    refused = outcome_of(source, revert=True)
    assert isinstance(refused, Refused) and refused.functions == ("_timm_norm",)


def test_partially_applied_code_is_refused() -> None:
    old, new = learner("2.7.4"), learner("2.7.5")
    start = new.index("# Cell\ndef _timm_norm")
    partial = old.replace("# Cell\n@delegates(create_vision_model)",
                          new[start:new.index("# Cell\n@delegates(create_vision_model)")]
                          + "# Cell\n@delegates(create_vision_model)", 1)
    refused = outcome_of(partial)
    assert isinstance(refused, Refused) and refused.reason.startswith("partially applied: already done: _timm_norm added")


def test_unparsable_source_is_refused() -> None:
    refused = outcome_of("def broken(:\n")
    assert isinstance(refused, Refused) and refused.reason.startswith("cannot parse")
