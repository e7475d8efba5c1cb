"""U-Nets on timm models: `create_unet_model` / `unet_learner` accept a timm arch string.

Applied on top of timm-normalize (fastai 2.7.5 and later, tested up to 2.8.12), to
`fastai/vision/learner.py`. Forward, one libcst codemod command per change:
- `TimmUnetEncoder` and `create_timm_unet_model` are added after `create_timm_model`. The
  encoder wraps a timm `features_only` model (classifier head cut off by timm) and shows
  `DynamicUnet` one identity "tap" per feature map timm reports in `feature_info`, so the
  U-Net's hooks land exactly on timm's feature maps, whatever the model's internal layout
  (FeatureListNet, EfficientNetFeatures, ...). Models whose feature maps do not shrink (plain
  ViTs, MLP-mixers) are refused with a ValueError before any U-Net is built.
- `create_unet_model` gets one first statement: a string arch returns
  `create_timm_unet_model(...)`; every torchvision statement after it is left byte for byte.
- `unet_learner` normalizes a string arch with the model's `default_cfg` stats, calling the
  `_timm_norm` that timm-normalize added with the arguments of its `_add_norm` call.
The runtime code goes into learner.py itself, not a new module: the codemod machinery writes
existing files atomically and maps them to their nbdev notebook, and the code sits next to
`TimmBody` / `create_timm_model`, the timm path of `vision_learner`, which it mirrors.
Reverse removes the three changes, refusing hand-edited copies (they would be lost).
"""
from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.helpers import parse_template_statement

from navigator.codemod.registry import Outcome
from navigator.codemod.steps import (
    Mismatch, CodemodStep, docstring_end, find_def, find_statement, remove_top_level, replace_top_level,
    require_function, run_steps, same_code, statements, with_statements,
)

NEW_DEFS = ("TimmUnetEncoder", "create_timm_unet_model")
ENCODER = '''
class TimmUnetEncoder(nn.Module):
    "A timm `features_only` model as `DynamicUnet` sees an encoder: item `i` outputs feature map `i`"
    def __init__(self, model):
        super().__init__()
        self.model,self.default_cfg = model,model.default_cfg
        self.taps = nn.ModuleList(nn.Identity() for _ in model.feature_info)

    def __getitem__(self, i): return self.taps[i]
    def __len__(self): return len(self.taps)
    def __iter__(self): return iter(self.taps)
    def forward(self, x): return [tap(o) for tap,o in zip(self.taps, self.model(x))][-1]
'''
CREATE = '''
def create_timm_unet_model(arch, n_out, img_size, pretrained=True, weights=None, cut=None, n_in=3, **kwargs):
    "A `DynamicUnet` on the feature maps of timm `arch`; `kwargs` that `DynamicUnet` does not take go to timm"
    if weights is not None or cut is not None:
        raise ValueError(f"`weights` and `cut` are for torchvision archs, not timm's {arch!r}: use pretrained=True "
                         "(pretrained_cfg_overlay=dict(file=...) for a local file) and out_indices=... instead")
    unet_args = set(inspect.signature(models.unet.DynamicUnet).parameters) | set(inspect.signature(ConvLayer).parameters)
    timm_kwargs = {k:v for k,v in kwargs.items() if k not in unet_args}
    model = timm.create_model(arch, pretrained=pretrained, features_only=True, in_chans=n_in, **timm_kwargs)
    red = model.feature_info.reduction()
    if len(red) < 2 or any(a >= b for a,b in zip(red, red[1:])):
        raise ValueError(f"timm model {arch!r} has no feature maps at decreasing resolutions (reductions {red}), so a "
                         "U-Net has no skip connections to make: use a CNN such as resnet, convnext, efficientnet or regnet")
    unet_kwargs = {k:v for k,v in kwargs.items() if k in unet_args}
    return models.unet.DynamicUnet(TimmUnetEncoder(model), n_out, img_size, **unet_kwargs)
'''
IS_STR_ARCH = m.Call(func=m.Name("isinstance"), args=[m.Arg(m.Name("arch")), m.Arg(m.Name("str"))])
_BRANCH_TEST = m.BooleanOperation(left=m.Name("normalize"), operator=m.And(), right=IS_STR_ARCH)


def _one_line_if(test: m.BaseExpression, small: m.BaseSmallStatement) -> m.If:
    return m.If(test=test, orelse=None, body=m.SimpleStatementSuite([small]))


TIMM_BRANCH = _one_line_if(IS_STR_ARCH, m.Return(m.Call(func=m.Name("create_timm_unet_model"))))
TIMM_NORM = _one_line_if(_BRANCH_TEST, m.Expr(m.Call(func=m.Name("_timm_norm"))))
ADD_NORM = _one_line_if(m.Name("normalize"), m.Expr(m.Call(func=m.Name("_add_norm"))))
CREATE_UNET = m.SimpleStatementLine([m.Assign(targets=[m.AssignTarget(m.Name("model"))],
                                              value=m.Call(func=m.Name("create_unet_model")))])


def _parsed(text: str) -> cst.BaseCompoundStatement:
    return cst.ensure_type(cst.parse_statement(text.lstrip()), cst.BaseCompoundStatement)


# --- TimmUnetEncoder and create_timm_unet_model ----------------------------------------------

class AddTimmUnetModel(CodemodStep):
    """Insert the encoder adapter and the model factory after `create_timm_model`."""

    DESCRIPTION = "TimmUnetEncoder and create_timm_unet_model added"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        present = [name for name in NEW_DEFS if find_def(tree, name) is not None]
        if len(present) == len(NEW_DEFS):
            return None
        if present:
            raise Mismatch(present[0], f"to come with {' and '.join(NEW_DEFS)} (found only {present[0]})")
        if find_def(tree, "_timm_norm") is None:
            raise Mismatch("_timm_norm", "a top-level function (apply the timm-normalize codemod first)")
        index, fn = require_function(tree, "create_timm_model")
        marker = [line for line in fn.leading_lines if line.comment and line.comment.value == "# Cell"]
        encoder = _parsed(ENCODER).with_changes(leading_lines=[cst.EmptyLine(), *marker[:1]])
        create = _parsed(CREATE).with_changes(leading_lines=[cst.EmptyLine()])
        return tree.with_changes(body=[*tree.body[:index + 1], encoder, create, *tree.body[index + 1:]])


class RemoveTimmUnetModel(CodemodStep):
    """Reverse of AddTimmUnetModel; refuses hand-edited definitions, which would be lost."""

    DESCRIPTION = "TimmUnetEncoder and create_timm_unet_model removed"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        if all(find_def(tree, name) is None for name in NEW_DEFS):
            return None
        for name, text in zip(NEW_DEFS, (ENCODER, CREATE)):
            found = find_def(tree, name)
            if found is None or not same_code([found[1]], [_parsed(text)]):
                raise Mismatch(name, "the definition the timm-unet codemod adds (edits would be lost)")
            tree = remove_top_level(tree, found[0])
        return tree


# --- create_unet_model: a string arch goes to timm ---------------------------------------------

def _timm_branch(fn: cst.FunctionDef) -> cst.If:
    """`if isinstance(arch, str): return create_timm_unet_model(...)` passing `fn`'s own parameters."""
    names = [p.name.value for p in fn.params.params]
    passed = ", ".join(f"{name}={name}" for name in names[3:])
    return cst.ensure_type(cst.parse_statement(
        f"if isinstance(arch, str): return create_timm_unet_model(arch, n_out, img_size, {passed}, **kwargs)\n"), cst.If)


class CreateUnetModelBranches(CodemodStep):
    """A first statement sending a string arch to `create_timm_unet_model`; the rest untouched."""

    DESCRIPTION = "create_unet_model builds timm archs with create_timm_unet_model"
    PARAMS = "parameters (arch, n_out, img_size, pretrained=True, [weights=None,] cut=None, n_in=3, **kwargs)"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn = require_function(tree, "create_unet_model")
        body = statements(fn)
        start = docstring_end(body)
        if find_statement(body, TIMM_BRANCH) is not None:
            return None
        names = [p.name.value for p in fn.params.params]
        if names[:4] != ["arch", "n_out", "img_size", "pretrained"] or names[-2:] != ["cut", "n_in"] \
                or not isinstance(fn.params.star_kwarg, cst.Param):
            raise Mismatch("create_unet_model", self.PARAMS)
        branch = _timm_branch(fn).with_changes(leading_lines=body[start].leading_lines)
        first = body[start].with_changes(leading_lines=[])
        return replace_top_level(tree, index, with_statements(fn, [*body[:start], branch, first, *body[start + 1:]]))


class CreateUnetModelTorchvisionOnly(CodemodStep):
    """Reverse of CreateUnetModelBranches."""

    DESCRIPTION = "create_unet_model builds torchvision archs only"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn = require_function(tree, "create_unet_model")
        body = statements(fn)
        at = find_statement(body, TIMM_BRANCH)
        if at is None:
            return None
        if not same_code([body[at]], [_timm_branch(fn)]) or at + 1 == len(body):
            raise Mismatch("create_unet_model", "`if isinstance(arch, str): return create_timm_unet_model(...)` "
                                                "as the codemod writes it, followed by the torchvision statements")
        rest = body[at + 1].with_changes(leading_lines=body[at].leading_lines)
        return replace_top_level(tree, index, with_statements(fn, [*body[:at], rest, *body[at + 2:]]))


# --- unet_learner: normalize timm archs with their default_cfg ----------------------------------

def _timm_norm_line(add_norm_if: cst.BaseStatement) -> cst.If:
    """`if normalize and isinstance(arch, str): _timm_norm(...)`, the arguments of `_add_norm`, cfg for meta."""
    suite = cst.ensure_type(cst.ensure_type(add_norm_if, cst.If).body, cst.SimpleStatementSuite)
    add_norm = cst.ensure_type(cst.ensure_type(suite.body[0], cst.Expr).value, cst.Call)
    cfg = cst.parse_expression("model[0].default_cfg")
    call = add_norm.with_changes(func=cst.Name("_timm_norm"), args=[
        arg.with_changes(value=cfg) if i == 1 else arg for i, arg in enumerate(add_norm.args)])
    return cst.ensure_type(parse_template_statement(
        "if normalize and isinstance(arch, str): {call}\n", call=call), cst.If)


def _learner_statements(tree: cst.Module) -> tuple[int, cst.FunctionDef, list[cst.BaseStatement], int, int]:
    """`unet_learner`, its statements, and where its `_add_norm` and `create_unet_model` lines are."""
    index, fn = require_function(tree, "unet_learner")
    body = statements(fn)
    norm, create = find_statement(body, ADD_NORM), find_statement(body, CREATE_UNET)
    if norm is None or create is None or create < norm:
        raise Mismatch("unet_learner", "`if normalize: _add_norm(dls, meta, ...)`, later "
                                       "`model = create_unet_model(arch, ...)`")
    return index, fn, body, norm, create


class UnetLearnerTimmNorm(CodemodStep):
    """After the model is built, a string arch gets `_timm_norm` with the encoder's `default_cfg`."""

    DESCRIPTION = "unet_learner normalizes timm archs with their default_cfg"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn, body, norm, create = _learner_statements(tree)
        if create + 1 < len(body) and m.matches(body[create + 1], TIMM_NORM):
            return None
        line = _timm_norm_line(body[norm])
        new_body = [*body[:create + 1], line, *body[create + 1:]]
        return replace_top_level(tree, index, with_statements(fn, new_body))


class UnetLearnerAddNormOnly(CodemodStep):
    """Reverse of UnetLearnerTimmNorm."""

    DESCRIPTION = "unet_learner normalizes with model_meta only"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn, body, norm, create = _learner_statements(tree)
        at = find_statement(body, TIMM_NORM)
        if at is None:
            return None
        if at != create + 1 or not same_code([body[at]], [_timm_norm_line(body[norm])]):
            raise Mismatch("unet_learner", "`if normalize and isinstance(arch, str): _timm_norm(...)` right after "
                                           "`model = create_unet_model(...)`, with the arguments of `_add_norm`")
        return replace_top_level(tree, index, with_statements(fn, [*body[:at], *body[at + 1:]]))


FORWARD: tuple[type[CodemodStep], ...] = (AddTimmUnetModel, CreateUnetModelBranches, UnetLearnerTimmNorm)
REVERSE: tuple[type[CodemodStep], ...] = (UnetLearnerAddNormOnly, CreateUnetModelTorchvisionOnly, RemoveTimmUnetModel)


def transform(source: str, revert: bool = False) -> Outcome:
    """`fastai/vision/learner.py` source with timm U-Nets (or without them, with `revert`), as an outcome."""
    return run_steps(source, REVERSE if revert else FORWARD)
