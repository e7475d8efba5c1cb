"""Build one timm learner with "pretrained" weights (a local file): the code `nav trace --live`
runs to show which functions `vision_learner` really calls for a timm model."""
from __future__ import annotations

from show_norm import checkpoint  # this folder is first on sys.path when nav runs the script
from tiny_data import tiny_dls

from fastai.vision.all import vision_learner

learn = vision_learner(tiny_dls(), "resnet18", pretrained=True,
                       pretrained_cfg_overlay=dict(file=str(checkpoint("resnet18"))))
