"""Offline before/after tests of every codemod step, on short snippets of fastai's learner.py.

Each step of the timm-normalize and timm-unet walkthroughs is checked the way libcst checks
its own codemods (`CodemodTest.assertCodemod`): a snippet in the step's starting shape becomes
the target shape, a snippet already in the target shape is left alone and recorded as done,
and a snippet in neither shape is refused, naming the definition. The `_OLD` snippets are
fastai 2.7.4's code and the `_NEW` ones 2.7.5's (timm-unet: its additions), trimmed to what the
step's matchers look at; nothing is downloaded or read from a wheel here.
"""
from __future__ import annotations

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, CodemodTest

from navigator.codemod.registry import AlreadyApplied, Refused
from navigator.codemod.steps import _DONE, CodemodStep, run_steps
from walkthroughs.timm_normalize import codemod as normalize
from walkthroughs.timm_unet import codemod as unet

CREATE_BODY_OLD = """\
def create_body(arch, n_in=3, pretrained=True, cut=None):
    "Cut off the body of a typically pretrained `arch` as determined by `cut`"
    model = arch(pretrained=pretrained)
    _update_first_layer(model, n_in, pretrained)
    return cut_model(model, cut)

def create_vision_model(arch, n_out, pretrained=True, cut=None, n_in=3):
    "Create custom vision architecture"
    meta = model_meta.get(arch, _default_meta)
    body = create_body(arch, n_in, pretrained, ifnone(cut, meta['cut']))
    return add_head(body, nf, n_out)

def create_unet_model(arch, n_out, img_size, pretrained=True, cut=None, n_in=3, **kwargs):
    "Create custom unet architecture"
    meta = model_meta.get(arch, _default_meta)
    body = create_body(arch, n_in, pretrained, ifnone(cut, meta['cut']))
    return models.unet.DynamicUnet(body, n_out, img_size, **kwargs)
"""
CREATE_BODY_NEW = """\
def create_body(model, n_in=3, pretrained=True, cut=None):
    "Cut off the body of a typically pretrained `arch` as determined by `cut`"
    _update_first_layer(model, n_in, pretrained)
    return cut_model(model, cut)

def create_vision_model(arch, n_out, pretrained=True, cut=None, n_in=3):
    "Create custom vision architecture"
    meta = model_meta.get(arch, _default_meta)
    model = arch(pretrained)
    body = create_body(model, n_in, pretrained, ifnone(cut, meta['cut']))
    return add_head(body, nf, n_out)

def create_unet_model(arch, n_out, img_size, pretrained=True, cut=None, n_in=3, **kwargs):
    "Create custom unet architecture"
    meta = model_meta.get(arch, _default_meta)
    model = arch(pretrained)
    body = create_body(model, n_in, pretrained, ifnone(cut, meta['cut']))
    return models.unet.DynamicUnet(body, n_out, img_size, **kwargs)
"""

TIMM_BODY_OLD = """\
class TimmBody(nn.Module):
    def __init__(self, arch:str, pretrained:bool=True, cut=None, n_in:int=3, **kwargs):
        super().__init__()
        model = timm.create_model(arch, pretrained=pretrained, num_classes=0, in_chans=n_in, **kwargs)
        self.needs_pool = model.default_cfg.get('pool_size', None)
        self.model = model if cut is None else cut_model(model, cut)

def create_timm_model(arch:str, n_out, cut=None, pretrained=True, n_in=3, **kwargs):
    "Create custom architecture using `arch`, `n_in` and `n_out` from the `timm` library"
    body = TimmBody(arch, pretrained, None, n_in, **kwargs)
    nf = body.model.num_features
    return add_head(body, nf, n_out)
"""
TIMM_BODY_NEW = """\
class TimmBody(nn.Module):
    def __init__(self, model, pretrained:bool=True, cut=None, n_in:int=3):
        super().__init__()
        self.needs_pool = model.default_cfg.get('pool_size', None)
        self.model = model if cut is None else cut_model(model, cut)

def create_timm_model(arch, n_out, cut=None, pretrained=True, n_in=3, **kwargs):
    "Create custom architecture using `arch`, `n_in` and `n_out` from the `timm` library"
    model = timm.create_model(arch, pretrained=pretrained, num_classes=0, in_chans=n_in, **kwargs)
    body = TimmBody(model, pretrained, None, n_in)
    nf = body.model.num_features
    return add_head(body, nf, n_out)
"""

TIMM_RETURN_OLD = """\
def create_timm_model(arch, n_out, cut=None, pretrained=True, n_in=3, init=nn.init.kaiming_normal_, **kwargs):
    "Create custom architecture using `arch`, `n_in` and `n_out` from the `timm` library"
    nf = body.model.num_features
    return add_head(body, nf, n_out, init=init, head=custom_head, concat_pool=concat_pool, pool=body.needs_pool,
                    lin_ftrs=lin_ftrs, ps=ps, first_bn=first_bn, bn_final=bn_final, lin_first=lin_first, y_range=y_range)
"""
TIMM_RETURN_NEW = """\
def create_timm_model(arch, n_out, cut=None, pretrained=True, n_in=3, init=nn.init.kaiming_normal_, **kwargs):
    "Create custom architecture using `arch`, `n_in` and `n_out` from the `timm` library"
    nf = body.model.num_features
    res = add_head(body, nf, n_out, init=init, head=custom_head, concat_pool=concat_pool, pool=body.needs_pool,
                   lin_ftrs=lin_ftrs, ps=ps, first_bn=first_bn, bn_final=bn_final, lin_first=lin_first, y_range=y_range)
    return res,model.default_cfg
"""

NORM_OLD = """\
from fastai.vision.all import *

# Cell
def _add_norm(dls, meta, pretrained):
    if not pretrained: return
    stats = meta.get('stats')
    if stats is None: return
    if not dls.after_batch.fs.filter(risinstance(Normalize)):
        dls.add_tfms([Normalize.from_stats(*stats)],'after_batch')

# Cell
@delegates(create_vision_model)
def vision_learner(dls, arch): pass
"""
NORM_NEW = """\
from fastai.vision.all import *

# Cell
def _add_norm(dls, meta, pretrained):
    if not pretrained: return
    stats = meta.get('stats')
    if stats is None: return
    if not dls.after_batch.fs.filter(risinstance(Normalize)):
        dls.add_tfms([Normalize.from_stats(*stats)],'after_batch')

# Cell
def _timm_norm(dls, cfg, pretrained):
    if not pretrained: return
    if not dls.after_batch.fs.filter(risinstance(Normalize)):
        tfm = Normalize.from_stats(cfg['mean'],cfg['std'])
        dls.add_tfms([tfm],'after_batch')

# Cell
@delegates(create_vision_model)
def vision_learner(dls, arch): pass
"""

VISION_OLD = """\
def vision_learner(dls, arch, normalize=True, n_out=None, pretrained=True, **kwargs):
    "Build a vision learner from `dls` and `arch`"
    meta = model_meta.get(arch, _default_meta)
    if normalize: _add_norm(dls, meta, pretrained)
    if isinstance(arch, str): model = create_timm_model(arch, n_out, default_split, pretrained, **model_args)
    else: model = create_vision_model(arch, n_out, pretrained=pretrained, **model_args)

    splitter=ifnone(splitter, meta['split'])
"""
VISION_NEW = """\
def vision_learner(dls, arch, normalize=True, n_out=None, pretrained=True, **kwargs):
    "Build a vision learner from `dls` and `arch`"
    meta = model_meta.get(arch, _default_meta)
    if isinstance(arch, str):
        model,cfg = create_timm_model(arch, n_out, default_split, pretrained, **model_args)
        if normalize: _timm_norm(dls, cfg, pretrained)
    else:
        if normalize: _add_norm(dls, meta, pretrained)
        model = create_vision_model(arch, n_out, pretrained=pretrained, **model_args)

    splitter=ifnone(splitter, meta['split'])
"""

UNET_DEFS_OLD = """\
from fastai.vision.all import *

# Cell
def create_timm_model(arch, n_out):
    return res,model.default_cfg

# Cell
def _timm_norm(dls, cfg, pretrained):
    pass
"""
UNET_DEFS_NEW = """\
from fastai.vision.all import *

# Cell
def create_timm_model(arch, n_out):
    return res,model.default_cfg

# Cell
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

# Cell
def _timm_norm(dls, cfg, pretrained):
    pass
"""

UNET_MODEL_OLD = """\
@delegates(models.unet.DynamicUnet.__init__)
def create_unet_model(arch, n_out, img_size, pretrained=True, cut=None, n_in=3, **kwargs):
    "Create custom unet architecture"
    meta = model_meta.get(arch, _default_meta)
    model = arch(pretrained)
    body = create_body(model, n_in, pretrained, ifnone(cut, meta['cut']))
    model = models.unet.DynamicUnet(body, n_out, img_size, **kwargs)
    return model
"""
UNET_MODEL_NEW = """\
@delegates(models.unet.DynamicUnet.__init__)
def create_unet_model(arch, n_out, img_size, pretrained=True, cut=None, n_in=3, **kwargs):
    "Create custom unet architecture"
    if isinstance(arch, str): return create_timm_unet_model(arch, n_out, img_size, pretrained=pretrained, cut=cut, n_in=n_in, **kwargs)
    meta = model_meta.get(arch, _default_meta)
    model = arch(pretrained)
    body = create_body(model, n_in, pretrained, ifnone(cut, meta['cut']))
    model = models.unet.DynamicUnet(body, n_out, img_size, **kwargs)
    return model
"""

UNET_LEARNER_OLD = """\
def unet_learner(dls, arch, normalize=True, n_out=None, pretrained=True, **kwargs):
    "Build a unet learner from `dls` and `arch`"
    meta = model_meta.get(arch, _default_meta)
    if normalize: _add_norm(dls, meta, pretrained)

    img_size = dls.one_batch()[0].shape[-2:]
    model = create_unet_model(arch, n_out, img_size, pretrained=pretrained, **kwargs)

    splitter=ifnone(splitter, meta['split'])
"""
UNET_LEARNER_NEW = """\
def unet_learner(dls, arch, normalize=True, n_out=None, pretrained=True, **kwargs):
    "Build a unet learner from `dls` and `arch`"
    meta = model_meta.get(arch, _default_meta)
    if normalize: _add_norm(dls, meta, pretrained)

    img_size = dls.one_batch()[0].shape[-2:]
    model = create_unet_model(arch, n_out, img_size, pretrained=pretrained, **kwargs)
    if normalize and isinstance(arch, str): _timm_norm(dls, model[0].default_cfg, pretrained)

    splitter=ifnone(splitter, meta['split'])
"""


def edited(text: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new`; `old` must be there, so the edit cannot silently miss."""
    assert old in text, f"{old!r} not in the snippet"
    return text.replace(old, new)


# --- before -> after, as libcst's CodemodTest checks its own codemods ---------------------------

class StepCase:
    """One step: its starting snippet becomes its target snippet; the target is left alone, marked done."""

    TRANSFORM: type[CodemodStep]
    BEFORE: str
    AFTER: str

    def test_transforms(self) -> None:
        self.assertCodemod(self.BEFORE, self.AFTER)

    def test_target_shape_left_unchanged_and_recorded_done(self) -> None:
        context = CodemodContext()
        tree = cst.parse_module(self.AFTER)
        result = self.TRANSFORM(context).transform_module(tree)
        assert result.code == self.AFTER
        assert context.scratch[_DONE] == [self.TRANSFORM.DESCRIPTION]
        assert run_steps(self.AFTER, [self.TRANSFORM]) == AlreadyApplied()


class TestCreateBodyTakesModel(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.CreateBodyTakesModel, CREATE_BODY_OLD, CREATE_BODY_NEW


class TestCreateBodyTakesArch(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.CreateBodyTakesArch, CREATE_BODY_NEW, CREATE_BODY_OLD


class TestTimmBodyTakesModel(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.TimmBodyTakesModel, TIMM_BODY_OLD, TIMM_BODY_NEW


class TestTimmBodyCreatesModel(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.TimmBodyCreatesModel, TIMM_BODY_NEW, TIMM_BODY_OLD


class TestCreateTimmModelReturnsCfg(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.CreateTimmModelReturnsCfg, TIMM_RETURN_OLD, TIMM_RETURN_NEW


class TestCreateTimmModelReturnsModel(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.CreateTimmModelReturnsModel, TIMM_RETURN_NEW, TIMM_RETURN_OLD


class TestAddTimmNorm(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.AddTimmNorm, NORM_OLD, NORM_NEW


class TestRemoveTimmNorm(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.RemoveTimmNorm, NORM_NEW, NORM_OLD


class TestVisionLearnerBranches(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.VisionLearnerBranches, VISION_OLD, VISION_NEW


class TestVisionLearnerNormalizesFirst(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = normalize.VisionLearnerNormalizesFirst, VISION_NEW, VISION_OLD


class TestAddTimmUnetModel(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = unet.AddTimmUnetModel, UNET_DEFS_OLD, UNET_DEFS_NEW


class TestRemoveTimmUnetModel(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = unet.RemoveTimmUnetModel, UNET_DEFS_NEW, UNET_DEFS_OLD


class TestCreateUnetModelBranches(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = unet.CreateUnetModelBranches, UNET_MODEL_OLD, UNET_MODEL_NEW


class TestCreateUnetModelTorchvisionOnly(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = unet.CreateUnetModelTorchvisionOnly, UNET_MODEL_NEW, UNET_MODEL_OLD


class TestUnetLearnerTimmNorm(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = unet.UnetLearnerTimmNorm, UNET_LEARNER_OLD, UNET_LEARNER_NEW


class TestUnetLearnerAddNormOnly(StepCase, CodemodTest):
    TRANSFORM, BEFORE, AFTER = unet.UnetLearnerAddNormOnly, UNET_LEARNER_NEW, UNET_LEARNER_OLD


def test_every_step_has_a_case() -> None:
    """A step added to FORWARD or REVERSE without a before/after case here fails this test."""
    steps = {*normalize.FORWARD, *normalize.REVERSE, *unet.FORWARD, *unet.REVERSE}
    covered = {case.TRANSFORM for case in StepCase.__subclasses__()}
    assert steps == covered


# --- a shape that is neither is refused, naming the definition -------------------------------------

REFUSALS = [
    pytest.param(normalize.CreateBodyTakesModel,
                 edited(CREATE_BODY_OLD, "create_body(arch, n_in=3, pretrained=True, cut=None)",
                        "create_body(arch, pretrained=True)"), ("create_body",), id="CreateBodyTakesModel"),
    pytest.param(normalize.CreateBodyTakesArch,
                 edited(CREATE_BODY_NEW, "    model = arch(pretrained)\n    body = create_body(model, n_in, pretrained,"
                        " ifnone(cut, meta['cut']))\n    return models",
                        "    model = arch(pretrained, n_in)\n    body = create_body(model, n_in, pretrained,"
                        " ifnone(cut, meta['cut']))\n    return models"),
                 ("create_unet_model",), id="CreateBodyTakesArch"),
    pytest.param(normalize.TimmBodyTakesModel, edited(TIMM_BODY_OLD, "n_in:int=3, **kwargs)", "n_in:int=3)"),
                 ("TimmBody.__init__",), id="TimmBodyTakesModel"),
    pytest.param(normalize.TimmBodyCreatesModel, edited(TIMM_BODY_NEW, "        super().__init__()\n", ""),
                 ("TimmBody.__init__",), id="TimmBodyCreatesModel"),
    pytest.param(normalize.CreateTimmModelReturnsCfg,
                 edited(TIMM_RETURN_OLD, TIMM_RETURN_OLD[TIMM_RETURN_OLD.index("    return"):], "    return body\n"),
                 ("create_timm_model",), id="CreateTimmModelReturnsCfg"),
    pytest.param(normalize.CreateTimmModelReturnsModel,
                 edited(TIMM_RETURN_NEW, "return res,model.default_cfg", "return res"),
                 ("create_timm_model",), id="CreateTimmModelReturnsModel"),
    pytest.param(normalize.AddTimmNorm, edited(NORM_OLD, "def _add_norm(", "def _add_norm_v2("),
                 ("_add_norm",), id="AddTimmNorm"),
    pytest.param(normalize.RemoveTimmNorm, edited(NORM_NEW, "dls.add_tfms([tfm],'after_batch')",
                                                  "dls.add_tfms([tfm],'before_batch')"),
                 ("_timm_norm",), id="RemoveTimmNorm"),
    pytest.param(normalize.VisionLearnerBranches, edited(VISION_OLD, "    if normalize: _add_norm(dls, meta, pretrained)\n", ""),
                 ("vision_learner",), id="VisionLearnerBranches"),
    pytest.param(normalize.VisionLearnerNormalizesFirst,
                 edited(VISION_NEW, "_timm_norm(dls, cfg, pretrained)", "_timm_norm(dls, meta, pretrained)"),
                 ("vision_learner",), id="VisionLearnerNormalizesFirst"),
    pytest.param(unet.AddTimmUnetModel,
                 UNET_DEFS_OLD + "\nclass TimmUnetEncoder(nn.Module): pass\n", ("TimmUnetEncoder",),
                 id="AddTimmUnetModel"),
    pytest.param(unet.RemoveTimmUnetModel,
                 edited(UNET_DEFS_NEW, "def __len__(self): return len(self.taps)", "def __len__(self): return 1"),
                 ("TimmUnetEncoder",), id="RemoveTimmUnetModel"),
    pytest.param(unet.CreateUnetModelBranches, edited(UNET_MODEL_OLD, "n_in=3, **kwargs):", "n_in=3):"),
                 ("create_unet_model",), id="CreateUnetModelBranches"),
    pytest.param(unet.CreateUnetModelTorchvisionOnly,
                 edited(UNET_MODEL_NEW, "img_size, pretrained=pretrained, cut=cut,", "img_size, cut=cut,"),
                 ("create_unet_model",), id="CreateUnetModelTorchvisionOnly"),
    pytest.param(unet.UnetLearnerTimmNorm,
                 edited(UNET_LEARNER_OLD, "    if normalize: _add_norm(dls, meta, pretrained)\n", ""),
                 ("unet_learner",), id="UnetLearnerTimmNorm"),
    pytest.param(unet.UnetLearnerAddNormOnly,
                 edited(UNET_LEARNER_NEW, "**kwargs)\n    if normalize and", "**kwargs)\n    pass\n    if normalize and"),
                 ("unet_learner",), id="UnetLearnerAddNormOnly"),
]


@pytest.mark.parametrize("step, source, functions", REFUSALS)
def test_unexpected_shape_refused_naming_the_definition(step: type[CodemodStep], source: str,
                                                        functions: tuple[str, ...]) -> None:
    outcome = run_steps(source, [step])
    assert isinstance(outcome, Refused), outcome
    assert outcome.functions == functions
    assert all(name in outcome.reason for name in functions)


def test_refusals_cover_every_step() -> None:
    steps = {*normalize.FORWARD, *normalize.REVERSE, *unet.FORWARD, *unet.REVERSE}
    assert {param.values[0] for param in REFUSALS} == steps
