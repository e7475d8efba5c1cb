"Learners for computer vision"
from ..data.transforms import Normalize

imagenet_stats = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
model_meta = {"resnet18": {"cut": -2, "stats": imagenet_stats}}


def _add_norm(dls, meta, pretrained):
    "Add `Normalize` with the stats of a pretrained model"
    if not pretrained: return
    stats = meta.get('stats')
    if stats is None: return
    dls.add_tfms([Normalize.from_stats(*stats)], 'after_batch')


def create_vision_model(arch, n_out, pretrained=True):
    "Create a model from `arch`, with a new head of `n_out` outputs"
    return arch(pretrained)


def vision_learner(dls, arch, normalize=True, n_out=None, pretrained=True):
    "Build a vision learner from `dls` and `arch`"
    meta = model_meta.get(arch, {})
    if normalize: _add_norm(dls, meta, pretrained)
    model = create_vision_model(arch, n_out, pretrained=pretrained)
    return Learner(dls, model)


class Learner:
    "Holds data and a model"

    def __init__(self, dls, model): self.dls, self.model = dls, model

    def fine_tune(self, epochs):
        "Train the head, then the whole model"
        self.fit(1)
        self.fit(epochs)

    def fit(self, n_epoch): return n_epoch


def unet_config(blur=False, blur_final=True, self_attention=False, y_range=None, last_cross=True, bottle=False, act_cls=None, init=None, norm_type=None):
    "A config for `DynamicUnet`; its signature is one long line, as in fastai, to scroll sideways to"
    return dict(blur=blur, blur_final=blur_final, self_attention=self_attention, y_range=y_range)
