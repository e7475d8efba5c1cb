"""The codemods `nav apply-codemod` knows: what each does, which fastai releases, which files.

Importing this module is cheap (no libcst), so `nav codemods` lists entries without loading
any transform; a file's transform is imported only when it is run. Adding a codemod means a
new folder under `walkthroughs/` with a `transform(source, revert) -> Outcome` function and an entry in
`CODEMODS` below.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Callable

from tags.errors import NavError

Transform = Callable[[str, bool], "Outcome"]


class CodemodError(NavError):
    """A refusal the user can act on (unexpected code, dirty checkout): exit 1, nothing written."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message, exit_code)


@dataclass(frozen=True)
class Transformed:
    """The transform rewrote the code: `code` is the new text."""

    code: str


@dataclass(frozen=True)
class AlreadyApplied:
    """The code is already in the shape the codemod produces: a no-op, not a failure (exit 0)."""

    reason: str = "already applied"


@dataclass(frozen=True)
class Refused:
    """The code is in neither shape: why, and the definitions whose shape differs (exit 1)."""

    reason: str
    functions: tuple[str, ...] = ()

    @classmethod
    def shapes(cls, problems: list[tuple[str, str]]) -> Refused:
        """A refusal naming each function and the shape that was expected of it."""
        detail = "; ".join(f"{function}: expected {expected}" for function, expected in problems)
        return cls(f"unexpected code shape: {detail}", tuple(function for function, _ in problems))

    def where(self, place: str) -> Refused:
        """The same refusal with the file it concerns in front of the reason."""
        return Refused(f"{place}: {self.reason}", self.functions)


Outcome = Transformed | AlreadyApplied | Refused  # what a transform returns, as libcst's runner does


@dataclass(frozen=True)
class TargetFile:
    """One file a codemod rewrites, with its nbdev notebook in a fastai checkout."""

    module: str  # path inside a checkout or an unpacked wheel, e.g. fastai/vision/learner.py
    notebook: str | None  # the notebook it is exported from, e.g. nbs/21_vision.learner.ipynb
    transform: str  # "package.module:function" taking (source, revert) and returning an Outcome

    def load_transform(self) -> Transform:
        """Import the transform only now, so that listing codemods needs no libcst."""
        module_name, _, function = self.transform.partition(":")
        return getattr(importlib.import_module(module_name), function)


@dataclass(frozen=True)
class Codemod:
    """A reversible refactor of fastai, described for `nav codemods`."""

    name: str
    summary: str
    forward_releases: str  # releases the forward codemod turns into the new design
    revert_releases: str  # releases `--revert` turns back into the old design
    notes: str
    files: tuple[TargetFile, ...]

    def target(self, module: str | None = None) -> TargetFile:
        """The target file for `module` (a path ending), or the only one when not given."""
        if module is None and len(self.files) == 1:
            return self.files[0]
        for target in self.files:
            if module is not None and (target.module == module or target.module.endswith("/" + module)):
                return target
        raise NavError(f"codemod {self.name} does not change {module or 'a single file'}; "
                       f"it changes {', '.join(t.module for t in self.files)}")


def has_timm_norm(fastai_path: str) -> bool:
    """Whether this fastai already has the timm-normalization refactor (fastai >= 2.7.5)."""
    try:
        with open(os.path.join(fastai_path, "vision", "learner.py"), encoding="utf-8") as handle:
            return "\ndef _timm_norm(" in handle.read()
    except OSError:
        return False


CODEMODS: dict[str, Codemod] = {
    codemod.name: codemod
    for codemod in (
        Codemod(
            name="timm-normalize",
            summary="normalize inputs of timm models with their own default_cfg mean/std: "
                    "create_body takes a model, create_timm_model returns (model, cfg), "
                    "new _timm_norm, vision_learner branches on a string arch",
            forward_releases="2.7.0-2.7.4 (the refactor of fastai 2.7.5)",
            revert_releases="2.7.5 to the latest (tested up to 2.8.12)",
            notes="2.6.0-2.6.3 are refused: their TimmBody passes no **kwargs to timm",
            files=(TargetFile("fastai/vision/learner.py", "nbs/21_vision.learner.ipynb",
                              "walkthroughs.timm_normalize.codemod:transform"),),
        ),
        Codemod(
            name="timm-unet",
            summary="U-Nets on timm models: create_unet_model/unet_learner take a timm arch string, "
                    "build DynamicUnet on its features_only feature maps and normalize with its default_cfg",
            forward_releases="2.7.5 to the latest (tested up to 2.8.12), after timm-normalize",
            revert_releases="files the forward codemod produced",
            notes="plain ViTs and other models without shrinking feature maps are refused at runtime "
                  "with a ValueError",
            files=(TargetFile("fastai/vision/learner.py", "nbs/21_vision.learner.ipynb",
                              "walkthroughs.timm_unet.codemod:transform"),),
        ),
    )
}


def get_codemod(name: str) -> Codemod:
    """The registered codemod called `name`; a usage error (exit 2) naming the known ones."""
    try:
        return CODEMODS[name]
    except KeyError:
        raise NavError(f"unknown codemod {name!r}; known: {', '.join(CODEMODS)}") from None
