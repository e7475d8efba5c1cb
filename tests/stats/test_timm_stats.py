"""`nav timm-stats`: grouped mean/std of the pretrained timm models, read from timm's configs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import timm
from timm.models import get_pretrained_cfg

from navigator import timm_stats
from navigator.cli import main
from tags.errors import NavError
from tests.helpers import run_nav


def test_every_pretrained_model_is_in_exactly_one_group_with_its_own_stats(cache: Path) -> None:
    groups = json.loads(run_nav("timm-stats", "--json", cache=cache, check=True).stdout)
    names = [name for group in groups for name in group["models"]]
    assert sorted(names) == sorted(timm.list_models(pretrained=True))
    assert len({(tuple(g["mean"]), tuple(g["std"])) for g in groups}) == len(groups)
    for group in groups:
        assert group["count"] == len(group["models"])
        for name in group["models"][:: max(1, len(group["models"]) // 5)]:  # a sample of each group
            cfg = get_pretrained_cfg(name)
            assert list(cfg.mean) == pytest.approx(group["mean"], abs=1e-6), name
            assert list(cfg.std) == pytest.approx(group["std"], abs=1e-6), name
    counts = [g["count"] for g in groups]
    assert counts == sorted(counts, reverse=True)


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal for rich, so table cells are not folded mid-word."""
    monkeypatch.setenv("COLUMNS", "200")


def nav(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`nav ARGS` in this process (timm is imported once per test session, not per call)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_pattern_filters_and_table_names_the_stats(capsys: pytest.CaptureFixture[str]) -> None:
    code, shown, _ = nav(capsys, "timm-stats", "resnetv2_18")
    assert code == 0
    expected = timm.list_models("*resnetv2_18*", pretrained=True)
    assert f"Input stats of {len(expected)} pretrained timm models matching 'resnetv2_18'" in shown
    assert "0.5,0.5,0.5" in shown and "IMAGENET_INCEPTION" in shown
    assert "0.485" not in shown  # resnetv2_18's weights all use 0.5 stats


def test_groups_label_timm_constants_and_give_examples() -> None:
    groups = timm_stats.stats_groups("resnet18")
    imagenet = next(g for g in groups if g.label == "IMAGENET_DEFAULT")
    assert imagenet.mean == pytest.approx((0.485, 0.456, 0.406))
    assert "resnet18.a1_in1k" in imagenet.models
    assert imagenet.examples(2) == imagenet.architectures[:2]


def test_model_prints_one_full_config(capsys: pytest.CaptureFixture[str]) -> None:
    config = json.loads(nav(capsys, "timm-stats", "--model", "resnetv2_18", "--json")[1])
    cfg = get_pretrained_cfg("resnetv2_18")
    assert config["name"] == f"resnetv2_18.{cfg.tag}"
    assert config["mean"] == list(cfg.mean) and config["std"] == list(cfg.std)
    assert config["input_size"] == list(cfg.input_size)
    table = nav(capsys, "timm-stats", "--model", "resnet18.tv_in1k")[1]
    assert "timm pretrained config: resnet18.tv_in1k" in table and "interpolation" in table


@pytest.mark.parametrize("args, message", [
    (("--model", "resnet18.nope"), "no pretrained config for timm model 'resnet18.nope'; did you mean resnet18."),
    (("--model", "zzz_not_a_model"), "no pretrained config for timm model 'zzz_not_a_model'"),
    (("zzz_not_a_model",), "no pretrained timm model matches 'zzz_not_a_model'"),
    (("--model", ""), "--model: give a timm model name"),  # was the whole table, as if no --model
])
def test_bad_names_give_one_line_errors(capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                        message: str) -> None:
    code, out, err = nav(capsys, "timm-stats", *args)
    assert code == 2 and out == ""
    assert err.startswith(f"nav: error: {message}")
    assert len(err.strip().splitlines()) == 1


def test_no_model_is_created_and_nothing_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("timm-stats must only read configs")

    monkeypatch.setattr(timm, "create_model", refuse)
    monkeypatch.setattr(timm.models._builder, "load_pretrained", refuse)
    monkeypatch.setattr(timm.models._hub, "download_cached_file", refuse)
    assert sum(g.count for g in timm_stats.stats_groups()) == len(timm.list_models(pretrained=True))
    assert timm_stats.model_config("resnet18")["architecture"] == "resnet18"
    with pytest.raises(NavError):
        timm_stats.model_config("resnet18.nope")
