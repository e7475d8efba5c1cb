"""lr_find, then export and load_learner, predicting with the loaded learner; a tabular regression
on synthetic data. No downloads; a few seconds on a CPU."""
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from fastai.tabular.all import (
    Categorify,
    Normalize,
    TabularDataLoaders,
    load_learner,
    tabular_learner,
)

rng = np.random.default_rng(3)
df = pd.DataFrame({"x": rng.random(256), "k": rng.integers(0, 4, 256), "y": rng.random(256)})
dls = TabularDataLoaders.from_df(df, procs=[Categorify, Normalize], cat_names=["k"], cont_names=["x"],
                                 y_names="y", bs=32, valid_pct=0.25)
learn = tabular_learner(dls, layers=[8])
suggested = learn.lr_find(num_it=10, show_plot=False)
learn.fit(1, lr=suggested.valley)
with tempfile.TemporaryDirectory() as scratch:
    learn.export(Path(scratch) / "model.pkl")
    loaded = load_learner(Path(scratch) / "model.pkl")
    loaded.predict(df.iloc[0])
    test = loaded.dls.test_dl(df.iloc[:20])
    loaded.get_preds(dl=test)
