"""A small fastai run on synthetic data: tabular learner, a hand-built Learner with a callback,
lr_find, export and load. No downloads; a few seconds on a CPU."""
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from fastai.tabular.all import (
    Callback,
    Categorify,
    DataLoaders,
    Learner,
    Normalize,
    TabularDataLoaders,
    load_learner,
    tabular_learner,
)

rng = np.random.default_rng(0)
df = pd.DataFrame({"a": rng.random(256), "b": rng.integers(0, 3, 256), "y": rng.random(256)})
dls = TabularDataLoaders.from_df(df, procs=[Categorify, Normalize], cat_names=["b"], cont_names=["a"],
                                 y_names="y", bs=32, valid_pct=0.25)
learn = tabular_learner(dls, layers=[8])
learn.fit_one_cycle(1)
learn.lr_find(num_it=8, show_plot=False)
with tempfile.TemporaryDirectory() as scratch:
    learn.export(Path(scratch) / "model.pkl")
    load_learner(Path(scratch) / "model.pkl")


class CountBatches(Callback):
    def before_fit(self): self.n = 0
    def after_batch(self): self.n += 1


xs = torch.randn(64, 3)
ys = xs.sum(1, keepdim=True)
data = DataLoaders.from_dsets(list(zip(xs[:48], ys[:48])), list(zip(xs[48:], ys[48:])), bs=16)
hand = Learner(data, torch.nn.Linear(3, 1), loss_func=torch.nn.MSELoss(), cbs=CountBatches())
hand.fit(1, lr=0.01)
