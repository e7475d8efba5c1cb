"""Which device a walkthrough's training runs on: the `--device auto|cpu|cuda` choice of
`nav walk` and of the verify scripts, in one place. torch is imported only when asked."""
from __future__ import annotations

DEVICE_CHOICES = ("auto", "cpu", "cuda")


class NoCudaDevice(RuntimeError):
    """`cuda` was asked for on a machine where torch sees no CUDA device."""


def choose_device(choice: str) -> str:
    """`auto` is CUDA when torch sees a GPU (as fastai does), else the CPU; `cuda` without one is an error."""
    if choice not in DEVICE_CHOICES:
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}, not {choice!r}")
    if choice == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if choice == "cuda":
        raise NoCudaDevice("--device cuda asked for, but torch sees no CUDA device")
    return "cpu"
