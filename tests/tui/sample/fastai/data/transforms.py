"Transforms applied to batches"


class DisplayedTransform:
    "A transform with a name to show"
    order = 0

    def __init__(self, **kwargs): self.kwargs = kwargs


class Normalize(DisplayedTransform):
    "Normalize/denorm batch of `TensorImage`"
    order = 99

    def __init__(self, mean=None, std=None, axes=(0, 2, 3)):
        self.mean, self.std, self.axes = mean, std, axes

    @classmethod
    def from_stats(cls, mean, std, dim=1, ndim=4):
        "Create a `Normalize` from per-channel statistics"
        return cls(*broadcast_vec(dim, ndim, mean, std))

    def encodes(self, x): return (x - self.mean) / self.std

    def decodes(self, x): return x * self.std + self.mean


def broadcast_vec(dim, ndim, *t):
    "Make a vector broadcastable over `dim` (out of `ndim` total)"
    return [list(o) for o in t]
