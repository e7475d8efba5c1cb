"""The verify step's presets (walkthroughs/timm_normalize): the session preset's loading code on
inputs made here, each CUDA-sized preset end to end on the CPU with --smoke, and the preflight
checks that pick the preset. Mechanics only, never which condition wins.

The session preset's inputs: an image archive in Imagenette's layout, served to fastai's
`untar_data` by an http.server on 127.0.0.1; timm's pretrained weights from a hub cache made here
(so `pretrained=True` runs timm's own hub code, offline) or from a file given with --weights
(loaded through `pretrained_cfg_overlay`). Only the download from the real hosts is left untried.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.helpers import REPO
from walkthroughs.timm_normalize import preflight, report
from walkthroughs.timm_normalize.experiment import IMAGENETTE_160, PRESETS, SMOKE_ARCHS, smoke

SCRIPT = REPO / "walkthroughs" / "timm_normalize" / "verify.py"
CLASSES = ("n01440764", "n02102040", "n02979186")  # Imagenette's first three class folders
PER_CLASS = {"train": 6, "val": 2}
ARCHIVE = "nette-mini.tgz"


@dataclass(frozen=True)
class Served:
    """The archive's URL on the local server, and the paths it was asked for."""

    url: str
    requests: list[str]


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the base class names it `format`
        pass


def make_archive(folder: Path) -> Path:
    """FOLDER/nette-mini.tgz: nette-mini/{train,val}/<class>/*.JPEG, real digit scans as photos."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    root = folder / "nette-mini"
    index = 0
    for split, count in PER_CLASS.items():
        for label, name in enumerate(CLASSES):
            (root / split / name).mkdir(parents=True)
            picks = [i for i, target in enumerate(digits.target) if target == label][index:index + count]
            for i in picks:
                gray = Image.fromarray((digits.images[i] * 255 / 16).astype("uint8")).resize((40, 40))
                gray.convert("RGB").save(root / split / name / f"{name}_{i}.JPEG", quality=90)
        index += PER_CLASS["train"]
    with tarfile.open(folder / ARCHIVE, "w:gz") as archive:
        archive.add(root, arcname="nette-mini")
    return folder / ARCHIVE


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The archive on an http.server bound to 127.0.0.1 only, in a thread, for this module."""
    folder = tmp_path_factory.mktemp("served")
    make_archive(folder)
    requests: list[str] = []

    class Recording(_Handler):
        def send_head(self):  # type: ignore[no-untyped-def]
            requests.append(f"{self.command} {self.path}")
            return super().send_head()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Recording, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Served(f"http://127.0.0.1:{server.server_address[1]}/{ARCHIVE}", requests)
    server.shutdown()
    server.server_close()


def save_weights(arch: str, path: Path) -> Path:
    """A randomly initialised ARCH with its 1000-class head, saved as the hub would ship it."""
    import timm
    import torch

    state = {k: v.contiguous() for k, v in timm.create_model(arch, pretrained=False).state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(state, str(path))
    else:
        torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A huggingface_hub cache holding the smoke archs' weights, laid out as a download leaves it."""
    from timm.models import get_pretrained_cfg

    cache = tmp_path_factory.mktemp("hf-cache")
    for arch in SMOKE_ARCHS:
        repo = cache / ("models--" + get_pretrained_cfg(arch).hf_hub_id.replace("/", "--"))
        save_weights(arch, repo / "snapshots" / ("0" * 40) / "model.safetensors")
        (repo / "refs").mkdir()
        (repo / "refs" / "main").write_text("0" * 40)
    return cache


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """--weights files: one torch checkpoint and one safetensors file."""
    folder = tmp_path_factory.mktemp("weights")
    save_weights("test_byobnet", folder / "test_byobnet.pth")
    save_weights("test_vit", folder / "test_vit.safetensors")
    return folder


def run_verify(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": "", **(env or {})}
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--out", str(out)], capture_output=True,
                          text=True, env=env, timeout=900)


def passed(done: subprocess.CompletedProcess, out: Path) -> dict:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "VERDICT: PASS" in done.stdout and "Traceback" not in done.stderr
    return json.loads((out / "metrics.json").read_text())


def assert_mechanics(metrics: dict) -> None:
    """Every condition ran, Normalize after and none before, weights loaded, device and times recorded."""
    settings = metrics["settings"]
    assert settings["archs"] == list(SMOKE_ARCHS) and settings["size"] == 32 and metrics["smoke"]
    got = sorted((r["code"], r["arch"], r["regime"], r["seed"]) for r in metrics["runs"])
    assert got == sorted((c, a, g, 0) for c in ("before", "after") for a in SMOKE_ARCHS for g in ("head", "fine_tune"))
    assert metrics["problems"] == [] and all(r["loaded_checkpoint"] for r in metrics["runs"])
    for run in metrics["runs"]:
        mean, std = run["cfg"]
        assert run["normalize"] == ([[pytest.approx(mean), pytest.approx(std)]] if run["code"] == "after" else [])
        assert run["seconds"] > 0 and run["amp"] is False
    env = metrics["environment"]
    assert env["device"] == "cpu" and env["gpu"] is None and env["amp"] is False and env["torch"]
    walls = {(c["code"], c["arch"], c["regime"]): c["wall_seconds"] for c in metrics["summary"]}
    assert len(walls) == 8 and all(seconds > 0 for seconds in walls.values())


# --- the session preset's loading code, in this process -------------------------------------------

def test_untar_data_fetches_the_served_archive_once(served: Served, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from walkthroughs.timm_normalize import verify

    monkeypatch.setenv("FASTAI_HOME", str(tmp_path / "fastai-home"))
    assert preflight.data_check(served.url) == preflight.Check(f"data {served.url}", True, "reachable")
    path = verify.fetch_data(served.url)
    assert path == tmp_path / "fastai-home" / "data" / "nette-mini"
    assert sorted(p.name for p in (path / "train").iterdir()) == list(CLASSES)
    assert len(list((path / "val").glob("*/*.JPEG"))) == PER_CLASS["val"] * len(CLASSES)
    gets = [r for r in served.requests if r.startswith("GET")]
    assert verify.fetch_data(served.url) == path  # cached: not fetched again
    assert [r for r in served.requests if r.startswith("GET")] == gets
    check = preflight.data_check(served.url)
    assert check.ok and check.why == f"cached at {path}"


def test_folder_data_and_an_overlay_checkpoint_make_the_session_learner(served: Served, tmp_path: Path,
                                                                        weights_dir: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from fastai.vision.all import Normalize

    from walkthroughs.timm_normalize import experiment, verify

    monkeypatch.setenv("FASTAI_HOME", str(tmp_path / "fastai-home"))
    settings = replace(smoke(PRESETS["session"]), data=served.url)
    inputs = verify.fetch_inputs(settings, weights_dir)
    assert inputs.checkpoints == {"test_byobnet": weights_dir / "test_byobnet.pth",
                                  "test_vit": weights_dir / "test_vit.safetensors"}
    dls = experiment.folder_dataloaders(inputs.data_path, settings, "cpu")
    assert list(dls.vocab) == list(CLASSES)
    assert (len(dls.train_ds), len(dls.valid_ds)) == (settings.limit, settings.limit // 4)
    assert {Path(p).parent.parent.name for p in dls.valid_ds.items} == {"val"}
    assert dls.one_batch()[0].shape == (settings.bs, 3, 32, 32)

    ckpt = inputs.checkpoints["test_vit"]
    learn = experiment.learner("test_vit", ckpt, settings, str(inputs.data_path), "cpu", seed=0)
    body, saved = learn.model[0].model, experiment.load_weights(ckpt)
    assert torch.equal(body.patch_embed.proj.weight, saved["patch_embed.proj.weight"])
    assert body.pos_embed.shape[1] == (32 // 16) ** 2 + 1 != saved["pos_embed"].shape[1]  # resampled by timm
    assert experiment._matches_checkpoint(body, ckpt)
    assert not experiment._matches_checkpoint(body, weights_dir / "test_byobnet.pth")  # another model's weights
    norms = [t for t in learn.dls.after_batch.fs if isinstance(t, Normalize)]
    assert [n.mean.flatten().tolist() for n in norms] == [pytest.approx([0.5] * 3)]


def test_a_missing_weights_file_is_a_clear_failure(tmp_path: Path) -> None:
    from walkthroughs.timm_normalize import verify

    check = preflight.weights_check("test_vit", tmp_path)
    assert not check.ok and check.why == f"no test_vit.pth/.safetensors in {tmp_path}"
    with pytest.raises(verify.VerifyFailed, match=r"cannot fetch the data set file:///.*no-such\.tgz"):
        verify.fetch_data((tmp_path / "no-such.tgz").as_uri())


# --- each CUDA-sized preset end to end on the CPU, as a smoke run ---------------------------------

def test_session_preset_smoke_end_to_end(served: Served, hub_cache: Path, tmp_path: Path) -> None:
    """untar_data from the local server; timm's pretrained=True from the hub cache; both code versions."""
    home = tmp_path / "fastai-home"
    done = run_verify(tmp_path / "out", "--preset", "session", "--smoke", "--data-url", served.url,
                      env={"FASTAI_HOME": str(home), "HF_HUB_CACHE": str(hub_cache)})
    metrics = passed(done, tmp_path / "out")
    assert "preset: session\n" in done.stdout and "from timm's hub cache" in done.stdout
    assert metrics["preset"] == "session" and metrics["settings"]["data"] == served.url
    assert metrics["data_path"] == str(home / "data" / "nette-mini") and metrics["checkpoints"] == {}
    assert metrics["settings"]["weights"] == "hub" and metrics["settings"]["amp"] is True  # on CUDA only
    assert_mechanics(metrics)
    checks = {c["what"]: c for c in metrics["preflight"]["checks"]}
    assert checks[f"data {served.url}"]["ok"] and checks["weights test_vit"]["why"].startswith("in the hub cache")
    assert "Error rate on nette-mini validation images" in done.stdout
    assert "device: cpu (CPU), torch " in done.stdout and "AMP (to_fp16) off" in done.stdout
    assert "wall time:" in done.stdout and "fetch data" in done.stdout


def test_session_without_its_inputs_falls_back_to_the_full_preset_end_to_end(tmp_path: Path) -> None:
    """Asked for session with no data and no weights: says why, then runs the full preset's path
    (local pretraining on digits at the ViT's own img_size, both code versions)."""
    missing = (tmp_path / "gone.tgz").as_uri()
    done = run_verify(tmp_path / "out", "--preset", "session", "--smoke", "--data-url", missing,
                      env={"HF_HUB_CACHE": str(tmp_path / "empty-hf-cache")})
    metrics = passed(done, tmp_path / "out")
    assert "preset: full (asked for: session)" in done.stdout
    assert f"the session preset needs data {missing} (no such file: " in done.stdout
    assert "weights test_vit (not in the hub cache, and HF_HUB_OFFLINE is set)" in done.stdout
    words = " ".join(done.stdout.split())  # the note under the table wraps where its paths make it
    assert words.count("so the full preset runs instead") == 2  # before the run and under the table
    assert metrics["preset"] == "full" and metrics["settings"]["weights"] == "local"
    assert metrics["preflight"]["requested"] == "session" and len(metrics["preflight"]["notes"]) == 1
    assert_mechanics(metrics)
    assert sorted(Path(p).name.split("-px")[0] for p in metrics["checkpoints"].values()) == sorted(SMOKE_ARCHS)
    assert set(metrics["setup_seconds"]) == {f"pretrain {arch}" for arch in SMOKE_ARCHS}
    assert "Error rate on digits 5-9" in done.stdout and "Traceback" not in done.stderr


# --- preflight: which preset runs, and why ---------------------------------------------------------

def test_auto_on_a_cpu_runs_the_small_preset_without_probing_anything() -> None:
    choice = preflight.choose("auto", PRESETS, cuda=False, cpu_ok=False)
    assert choice.preset == "small" and choice.checks == () and not choice.fell_back
    assert choice.notes == ("no CUDA device: the session preset would take hours on a CPU, so the small "
                            "preset runs instead (--device cpu runs it on the CPU anyway)",)


def test_session_falls_back_to_full_on_cuda_then_small_on_a_cpu(tmp_path: Path, weights_dir: Path) -> None:
    url = (tmp_path / "gone.tgz").as_uri()
    presets = {**PRESETS, "session": replace(smoke(PRESETS["session"]), data=url)}
    on_gpu = preflight.choose("session", presets, cuda=True, cpu_ok=False, weights_dir=weights_dir)
    assert on_gpu.preset == "full" and on_gpu.fell_back
    assert [c.ok for c in on_gpu.checks] == [False, True, True]
    assert on_gpu.notes[0].startswith(f"the session preset needs data {url} (no such file: ")
    assert on_gpu.notes[0].endswith(", so the full preset runs instead")
    on_cpu = preflight.choose("session", presets, cuda=False, cpu_ok=False, weights_dir=weights_dir)
    assert on_cpu.preset == "small" and on_cpu.checks == () and "no CUDA device" in on_cpu.notes[0]
    assert "MISSING data" in on_gpu.describe() and "preset: full (asked for: session)" in on_gpu.describe()


def test_session_runs_when_data_and_weights_are_there(served: Served, weights_dir: Path) -> None:
    presets = {**PRESETS, "session": replace(smoke(PRESETS["session"]), data=served.url)}
    choice = preflight.choose("session", presets, cuda=False, cpu_ok=True, weights_dir=weights_dir)
    assert choice.preset == "session" and choice.notes == () and all(c.ok for c in choice.checks)
    assert choice.to_dict()["checks"][1] == {"what": "weights test_byobnet", "ok": True,
                                             "why": f"local file {weights_dir / 'test_byobnet.pth'}"}


def test_hub_weights_offline_and_not_cached_are_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    check = preflight.weights_check("resnet50", None)
    assert check == preflight.Check("weights resnet50", False, "not in the hub cache, and HF_HUB_OFFLINE is set")


def test_hub_weights_found_in_the_cache(hub_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    check = preflight.weights_check("test_vit", None)
    assert check.ok and check.why.startswith(f"in the hub cache at {hub_cache}/models--timm--test_vit")


def test_probe_answers_for_a_closed_port_and_a_missing_file(served: Served) -> None:
    import socket

    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/x.tgz"
    ok, why = preflight.probe(closed)
    assert not ok and why.startswith("unreachable")
    assert preflight.probe(served.url.replace(ARCHIVE, "absent.tgz")) == (False, "HTTP 404")


def test_session_url_is_fastais_imagenette() -> None:
    from fastai.data.external import URLs

    assert PRESETS["session"].data == IMAGENETTE_160 == URLs.IMAGENETTE_160
    assert 128 <= PRESETS["session"].size <= 224 and 64 <= PRESETS["full"].size <= 128
    assert len(PRESETS["session"].seeds) == len(PRESETS["full"].seeds) == 3


def test_quick_and_preset_conflict_is_a_usage_error(tmp_path: Path) -> None:
    done = run_verify(tmp_path, "--quick", "--preset", "session")
    assert done.returncode == 2 and "--quick is the quick preset" in done.stderr and "Traceback" not in done.stderr


def test_run_notes_name_the_preset_the_device_and_the_times() -> None:
    metrics = {"preset": "full", "smoke": False, "seconds": 612.4, "setup_seconds": {"pretrain resnet18": 80.0},
               "preflight": {"requested": "session", "notes": ["the session preset needs X"], "checks": []},
               "environment": {"device": "cuda", "gpu": "NVIDIA H100", "cuda": "12.4", "cudnn": 90100, "torch": "2.5.1",
                               "fastai": "2.8.1", "timm": "1.0.9", "amp": True}}
    assert report.run_notes(metrics) == [
        "preset: full (asked for: session)", "  the session preset needs X",
        "device: cuda (NVIDIA H100, CUDA 12.4, cuDNN 90100), torch 2.5.1, fastai 2.8.1, timm 1.0.9, AMP (to_fp16) on",
        "wall time: 612 s in all; pretrain resnet18 80 s; each condition's in the table (all its seeds)"]


def test_the_walkthroughs_verify_step_offers_every_preset() -> None:
    from navigator.walk.format import load_walkthrough
    from walkthroughs.timm_normalize.verify import PRESET_NAMES

    step = next(s for s in load_walkthrough("timm-normalize").steps if s.kind == "verify")
    assert sorted(step.presets) == sorted(PRESET_NAMES) and step.quick_args == ("--quick",)


def test_a_gpu_sized_preset_on_the_cpu_by_request_says_it_will_take_hours(capsys: pytest.CaptureFixture[str]) -> None:
    from walkthroughs.timm_normalize import verify

    plan = verify.plan_from(verify.parse(["--preset", "full", "--device", "cpu"]))
    assert (plan.choice.preset, plan.device, plan.settings) == ("full", "cpu", PRESETS["full"])
    assert plan.choice.notes == ("the full preset on the CPU, as --device cpu asks: expect hours",)
    assert "preset: full\n  the full preset on the CPU" in capsys.readouterr().out
