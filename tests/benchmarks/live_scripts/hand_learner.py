"""A hand-built Learner: a plain torch model, DataLoaders from datasets, custom callbacks (one
changing the loss, one stopping early), fit with a scheduler, validate. No downloads; seconds on a CPU."""
import torch
from fastai.callback.all import Callback, CancelFitException, SaveModelCallback
from fastai.data.all import DataLoaders
from fastai.learner import Learner
from fastai.optimizer import Adam


class Recorder2(Callback):
    order = 60

    def before_fit(self): self.losses = []
    def after_loss(self): self.losses.append(self.loss.item())
    def after_epoch(self): self.learn.my_epochs = getattr(self.learn, "my_epochs", 0) + 1


class StopAfter(Callback):
    def __init__(self, n): self.n = n
    def after_batch(self):
        if self.iter >= self.n and self.epoch > 0: raise CancelFitException()


class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))

    def forward(self, x): return self.body(x)


xs = torch.randn(96, 4)
ys = xs @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]])
data = DataLoaders.from_dsets(list(zip(xs[:64], ys[:64])), list(zip(xs[64:], ys[64:])), bs=16)
learn = Learner(data, TinyNet(), loss_func=torch.nn.MSELoss(), opt_func=Adam, cbs=[Recorder2(), StopAfter(2)])
learn.fit_one_cycle(3, lr_max=1e-2)
learn.validate()
learn.add_cb(SaveModelCallback(fname="tiny", with_opt=False))
learn.path = __import__("pathlib").Path(__import__("tempfile").mkdtemp())
learn.fit(1, lr=1e-3)
