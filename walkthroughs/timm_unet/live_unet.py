"""Build one U-Net on a torchvision resnet18 (no weights): the code `nav trace --live` runs to
show what `DynamicUnet.__init__` really calls while it finds the encoder's feature maps."""
from __future__ import annotations

from torchvision.models import resnet18

from fastai.vision.learner import create_unet_model

model = create_unet_model(resnet18, 2, (64, 64), pretrained=False)
print(f"built {type(model).__name__} with {len(model.sfs)} skip connections")
