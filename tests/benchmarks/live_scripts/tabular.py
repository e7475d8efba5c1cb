"""Tabular classification on synthetic data: TabularPandas, fit_one_cycle, get_preds, predict on a row.
No downloads; a few seconds on a CPU."""
import numpy as np
import pandas as pd
from fastai.tabular.all import (
    Categorify,
    CategoryBlock,
    FillMissing,
    Normalize,
    RandomSplitter,
    TabularPandas,
    accuracy,
    range_of,
    tabular_learner,
)

rng = np.random.default_rng(2)
df = pd.DataFrame({"age": rng.random(200) * 80, "job": rng.choice(["a", "b", "c"], 200),
                   "hours": np.where(rng.random(200) < 0.1, np.nan, rng.random(200) * 40),
                   "label": rng.choice(["yes", "no"], 200)})
splits = RandomSplitter(valid_pct=0.2, seed=0)(range_of(df))
to = TabularPandas(df, procs=[Categorify, FillMissing, Normalize], cat_names=["job"], cont_names=["age", "hours"],
                   y_names="label", y_block=CategoryBlock(), splits=splits)
dls = to.dataloaders(bs=32)
learn = tabular_learner(dls, layers=[16, 8], metrics=accuracy)
learn.fit_one_cycle(2, 1e-2)
learn.get_preds()
learn.predict(df.iloc[0])
