"""Unpacked fastai releases for tests, downloaded once with pip and reused.

Old releases are the ground truth for the codemods (and the call-graph tests read 2.7.4's
source), but they do not run on today's torch, so tests only read their files. Wheels go to
`$NAV_TEST_RELEASES` (default `~/.cache/nav-test-releases`); each is unpacked once, into a
temporary directory that is renamed into place, so concurrent test processes are safe.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FIRST_POST_REFACTOR = "2.7.5"
LATEST_KNOWN = "2.8.12"


def cache_dir() -> Path:
    """Where wheels and unpacked releases live; shared between test runs."""
    default = Path.home() / ".cache" / "nav-test-releases"
    path = Path(os.environ.get("NAV_TEST_RELEASES") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def version_key(version: str) -> tuple[int, ...]:
    """Numeric sort key for plain release versions such as `2.7.10`."""
    return tuple(int(part) for part in version.split("."))


def _download_wheel(package: str, version: str, dest: Path) -> Path:
    """The wheel of `package==version`, fetched with pip into `dest` unless already there."""
    pattern = f"{package}-{version}-*.whl"
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob(pattern))
    if not found:
        with tempfile.TemporaryDirectory(dir=dest) as tmp:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                 "--only-binary", ":all:", f"{package}=={version}", "--dest", tmp],
                capture_output=True, text=True,
            )
            if proc.returncode:
                raise RuntimeError(f"pip download {package}=={version} failed:\n{proc.stderr}")
            for wheel in Path(tmp).glob(pattern):
                os.replace(wheel, dest / wheel.name)
        found = sorted(dest.glob(pattern))
    if not found:
        raise FileNotFoundError(f"pip did not produce a wheel for {package}=={version}")
    return found[0]


def release_dir(version: str, package: str = "fastai") -> Path:
    """Directory holding the unpacked wheel of `package==version` (so `<dir>/fastai/...`)."""
    root = cache_dir()
    target = root / f"{package}-{version}"
    if target.is_dir():
        return target
    wheel = _download_wheel(package, version, root / "wheels")
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{package}-{version}-"))
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(staging)
    try:
        os.rename(staging, target)
    except OSError:  # another process unpacked it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def release_file(version: str, relpath: str, package: str = "fastai") -> Path:
    """One file of a release, e.g. `release_file('2.7.4', 'fastai/vision/learner.py')`."""
    return release_dir(version, package) / relpath


@functools.lru_cache(maxsize=None)
def available_versions(package: str = "fastai") -> tuple[str, ...]:
    """Plain release versions of `package` on the index, oldest first (`pip index versions`)."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", package],
        check=True, capture_output=True, text=True,
    ).stdout
    match = re.search(r"Available versions:\s*(.+)", out)
    if not match:
        raise RuntimeError(f"cannot read versions of {package} from pip:\n{out}")
    versions = [v.strip() for v in match.group(1).split(",")]
    plain = [v for v in versions if re.fullmatch(r"\d+(\.\d+)*", v)]
    return tuple(sorted(plain, key=version_key))


def versions_between(first: str, last: str | None = None, package: str = "fastai") -> list[str]:
    """Available versions from `first` to `last` (default: the latest), inclusive."""
    lo = version_key(first)
    hi = version_key(last) if last else None
    return [v for v in available_versions(package)
            if version_key(v) >= lo and (hi is None or version_key(v) <= hi)]


def post_refactor_versions() -> list[str]:
    """Every fastai release from 2.7.5 (the timm-normalize refactor) to the latest."""
    return versions_between(FIRST_POST_REFACTOR)
