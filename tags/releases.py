"""Past releases of a package as index roots: fetched with pip, unpacked, never installed or imported.

`nav index fastai==2.7.4` and the release queries (`--release`, `nav diff`, `nav history`) read
old code without touching the installed package. Each release gets its own small index next to
its unpacked files (`<cache>/releases/fastai-2.7.4/`), so queries on the installed packages
never see old releases. A release's files never change, so once indexed it is not re-scanned.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tags.errors import NavError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, TypeVar

    from tags.discovery import Root
    from tags.store import Index

    T = TypeVar("T")

NOT_FOUND = 1  # exit code: no such release or package on the package index
OFFLINE = 3  # exit code: the package index cannot be reached and nothing is cached
LIST_MAX_AGE = 24 * 3600  # seconds a cached list of releases is trusted while online
_SPEC = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==|\s)\s*([0-9][\w.+!-]*)\s*")
_MARKER = "indexed"


@dataclass(frozen=True, slots=True)
class Release:
    """One release of one package: `fastai==2.7.4`."""

    package: str
    version: str

    @property
    def label(self) -> str:
        """How roots and headers name it: `fastai 2.7.4`."""
        return f"{self.package} {self.version}"

    @property
    def spec(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """A release as the package index lists it; `date` is `YYYY-MM-DD` or '' when unknown."""

    version: str
    date: str = ""


def parse_release(text: str, package: str | None = None) -> Release:
    """`fastai==2.7.4`, the root label `fastai 2.7.4`, or a bare `2.7.4` when `package` is known."""
    match = _SPEC.fullmatch(text)
    if match:
        return Release(match.group(1).lower(), match.group(2))
    if package and re.fullmatch(r"[0-9][\w.+!-]*", text.strip()):
        return Release(package.lower(), text.strip())
    raise NavError(f"{text!r}: give a release as PACKAGE==VERSION, e.g. fastai==2.7.4")


def version_key(version: str) -> tuple:
    """Sort key for versions: numeric parts compare as numbers (`2.7.10` after `2.7.9`)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.+-]", version))


def is_final(version: str) -> bool:
    """A plain release (`2.7.4`), not a pre-release, dev or post build."""
    return re.fullmatch(r"\d+(\.\d+)*", version) is not None


# -- where things live ---------------------------------------------------------------------------
def releases_dir() -> Path:
    """`NAV_RELEASES_DIR`, else `<nav cache>/releases`: unpacked releases and their indexes."""
    from tags.store import cache_dir

    return Path(os.environ.get("NAV_RELEASES_DIR") or os.path.join(cache_dir(), "releases"))


def archives_dir() -> Path:
    """`NAV_RELEASE_ARCHIVES`, else `<releases>/archives`: the wheels and sdists pip fetched."""
    return Path(os.environ.get("NAV_RELEASE_ARCHIVES") or releases_dir() / "archives")


def release_home(release: Release) -> Path:
    """The folder of one release: `src/` (unpacked archive) and `index.sqlite3`."""
    return releases_dir() / f"{release.package}-{release.version}"


def _file_stem(package: str) -> str:
    """How archive file names spell a project (`my-pkg` -> `my_pkg`)."""
    return re.sub(r"[-_.]+", "_", package)


def cached_archive(release: Release) -> Path | None:
    """The wheel (preferred) or sdist of `release` already on disk, if any."""
    folder = archives_dir()
    for stem in dict.fromkeys((_file_stem(release.package), release.package)):
        for pattern in (f"{stem}-{release.version}-*.whl", f"{stem}-{release.version}.tar.gz",
                        f"{stem}-{release.version}.zip"):
            found = sorted(folder.glob(pattern))
            if found:
                return found[0]
    return None


def cached_versions(package: str) -> list[str]:
    """Versions of `package` whose archive is on disk (what works offline)."""
    names = [p.name for p in archives_dir().glob(f"{_file_stem(package)}-*")]
    versions = {n.split("-")[1].removesuffix(".tar.gz").removesuffix(".zip") for n in names if "-" in n}
    return sorted(versions, key=version_key)


# -- fetching ------------------------------------------------------------------------------------
def fetch_archive(release: Release) -> Path:
    """The archive of `release`, downloaded with `pip download --no-deps` unless cached."""
    found = cached_archive(release)
    if found is not None:
        return found
    folder = archives_dir()
    folder.mkdir(parents=True, exist_ok=True)
    errors = ""
    for kind in ("--only-binary", "--no-binary"):  # the wheel, else the sdist
        with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as staging:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                 "--retries", "1", "--timeout", "15", kind, ":all:", release.spec, "--dest", staging],
                capture_output=True, text=True, stdin=subprocess.DEVNULL,
            )
            for archive in Path(staging).iterdir():
                os.replace(archive, folder / archive.name)
        errors += proc.stderr
        if (found := cached_archive(release)) is not None:
            return found
    raise _fetch_error(release, errors)


def _fetch_error(release: Release, pip_errors: str) -> NavError:
    """One line saying why `release` could not be had: offline, no such package, no such release."""
    if re.search(r"NewConnectionError|Failed to establish|Temporary failure in name resolution|"
                 r"Max retries exceeded|ConnectTimeout|Network is unreachable|ReadTimeout", pip_errors):
        cached = ", ".join(cached_versions(release.package)) or "none"
        return NavError(f"{release.spec}: cannot reach the package index (offline?) and it is not cached "
                        f"(cached releases of {release.package}: {cached})", exit_code=OFFLINE)
    known = [info.version for info in list_releases(release.package)]
    if not known:
        return NavError(f"{release.spec}: no package named {release.package!r} on the package index",
                        exit_code=NOT_FOUND)
    if release.version not in known:
        near = ", ".join(_nearby(known, release.version))
        return NavError(f"{release.spec}: no such release of {release.package} (releases near it: {near})",
                        exit_code=NOT_FOUND)
    last = pip_errors.strip().splitlines()[-1:] or ["no wheel or sdist"]
    return NavError(f"{release.spec}: pip could not download it ({last[0].strip()})", exit_code=NOT_FOUND)


def _nearby(known: list[str], version: str, count: int = 5) -> list[str]:
    key = version_key(version)
    after = [v for v in known if version_key(v) >= key]
    before = [v for v in known if version_key(v) < key]
    return (before[-2:] + after)[:count] or known[-count:]


def unpacked_root(release: Release) -> Root:
    """The release's package folder as an index root labelled `fastai 2.7.4` (unpacking if needed)."""
    from tags.discovery import Root

    source = release_home(release) / "src"
    if not source.is_dir():
        try:
            _unpack(fetch_archive(release), source)
        except DamagedArchive as damaged:  # a cached archive that went bad: fetch it again, once
            print(f"nav: the cached {damaged.archive} is damaged ({damaged.reason}); downloading it again",
                  file=sys.stderr)
            damaged.archive.unlink(missing_ok=True)
            try:
                _unpack(fetch_archive(release), source)
            except DamagedArchive as again:
                raise NavError(f"{release.spec}: its archive {again.archive} is damaged ({again.reason}), "
                               "also when downloaded again") from again
    package_dir = _package_folder(source, release)
    return Root(str(package_dir.resolve()), release.package, "release", release.version)


class DamagedArchive(Exception):
    """A wheel or sdist that is not a readable archive (truncated, overwritten)."""

    def __init__(self, archive: Path, reason: str) -> None:
        super().__init__(f"{archive}: {reason}")
        self.archive, self.reason = archive, reason


def _unpack(archive: Path, target: Path) -> None:
    """Extract into a temporary folder renamed into place: a crash leaves nothing half-unpacked."""
    import tarfile
    import zipfile
    import zlib

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".src-"))
    try:
        try:
            shutil.unpack_archive(str(archive), str(staging), "zip" if archive.suffix == ".whl" else None)
        except shutil.ReadError as err:
            raise DamagedArchive(archive, "not a zip or tar archive") from err
        except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as err:
            raise DamagedArchive(archive, str(err) or type(err).__name__) from err
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():  # not merely another process that unpacked it first
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _package_folder(source: Path, release: Release) -> Path:
    """`src/fastai` for a wheel, `src/fastai-2.7.4/fastai` for an sdist."""
    import_name = _file_stem(release.package)
    for candidate in (source / import_name, *(p / import_name for p in source.iterdir() if p.is_dir()),
                      *(p / "src" / import_name for p in source.iterdir() if p.is_dir())):
        if (candidate / "__init__.py").is_file():
            return candidate
    raise NavError(f"{release.spec}: its archive holds no {import_name}/ package folder")


# -- indexing ------------------------------------------------------------------------------------
def with_release_index(release: Release, action: Callable[[Index], T], progress: bool = True) -> T:
    """Run `action` on the index of `release`, fetching and indexing it first if needed."""
    from tags.indexer import with_index

    root = unpacked_root(release)
    home = release_home(release)

    def run(index: Index) -> T:
        marker = home / _MARKER
        stamp = _extractor_stamp()
        if not index.roots() or _read(marker) != stamp:
            _index_once(index, root, progress)
            marker.write_text(stamp)
        return action(index)

    return with_index(run, str(home))


def _index_once(index: Index, root: Root, progress: bool) -> None:
    """Parse every file of the release (again, when nav's extractor changed since)."""
    from tags.indexer import refresh

    stored = next((r for r in index.roots() if r.path == root.path), None) or index.add_root(root)
    refresh(index, [stored], progress=progress, force=True)


def _extractor_stamp() -> str:
    """What a release's index was built with: the schema and the extractor's source. A release's
    files never change, so only a new nav can make its index stale."""
    import hashlib

    from tags import extract
    from tags.store import SCHEMA_VERSION

    with open(extract.__file__, "rb") as handle:
        return f"schema {SCHEMA_VERSION} extract {hashlib.sha1(handle.read()).hexdigest()[:12]}"


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def is_indexed(release: Release) -> bool:
    """Whether the release's index is complete and built by this nav (no work to do)."""
    return _read(release_home(release) / _MARKER) == _extractor_stamp()


def indexed_releases() -> list[Release]:
    """Releases whose index is complete, for `nav roots`."""
    found = []
    for home in releases_dir().glob("*-*"):
        if (home / _MARKER).is_file():
            package, _, version = home.name.rpartition("-")
            found.append(Release(package, version))
    return sorted(found, key=lambda r: (r.package, version_key(r.version)))


# -- the list of releases ------------------------------------------------------------------------
def list_releases(package: str, refresh: bool = False) -> list[ReleaseInfo]:
    """Final releases of `package`, oldest first, with upload dates when the index gives them.

    The list is cached for a day; offline, the cached list (however old) or the versions whose
    archives are on disk stand in.
    """
    cache = releases_dir() / f"{package}.releases.json"
    saved = _read_list(cache)
    if saved is not None and not refresh and time.time() - saved[0] < LIST_MAX_AGE:
        return saved[1]
    try:
        fetched = _fetch_list(package)
    except OSError as err:
        if saved is not None:
            return saved[1]
        offline = [ReleaseInfo(v) for v in cached_versions(package) if is_final(v)]
        if not offline:
            raise NavError(f"cannot reach the package index for the releases of {package} ({_first_line(err)}), "
                           "and none are cached", exit_code=OFFLINE) from err
        print(f"nav: the package index cannot be reached; using the {len(offline)} cached releases of {package}",
              file=sys.stderr)
        return offline
    from tags.atomic import write_json_atomic

    cache.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(cache, {"fetched": time.time(), "releases": [[r.version, r.date] for r in fetched]})
    return fetched


def _read_list(cache: Path) -> tuple[float, list[ReleaseInfo]] | None:
    try:
        data = json.loads(cache.read_text())
        return float(data["fetched"]), [ReleaseInfo(v, d) for v, d in data["releases"]]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def _fetch_list(package: str) -> list[ReleaseInfo]:
    """The releases from the index's JSON simple API (PEP 691/700) through pip's own session
    (pip's certificates and proxies); `pip index versions` (no dates) when that is not to be had.
    OSError when the index cannot be reached."""
    try:
        return _simple_api_releases(package)
    except ImportError:
        return [ReleaseInfo(v) for v in _pip_index_versions(package)]


def _simple_api_releases(package: str) -> list[ReleaseInfo]:
    from pip._internal.network.session import PipSession  # pip has no public API for this

    index_url = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    try:
        response = PipSession(retries=1).get(f"{index_url}/{_file_stem(package).replace('_', '-')}/",
                                             headers={"Accept": "application/vnd.pypi.simple.v1+json"},
                                             timeout=15)
    except Exception as err:  # requests' connection errors are not OSErrors
        raise OSError(str(err)) from err
    if response.status_code == 404:
        return []
    if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
        raise OSError(f"{index_url}: HTTP {response.status_code}")
    dates: dict[str, str] = {}
    for entry in response.json().get("files", []):
        version = _version_of(entry.get("filename", ""), package)
        if version and is_final(version) and not entry.get("yanked"):
            day = (entry.get("upload-time") or "")[:10]
            dates[version] = min(filter(None, (dates.get(version), day)), default="")
    return [ReleaseInfo(v, dates[v]) for v in sorted(dates, key=version_key)]


def _version_of(filename: str, package: str) -> str:
    stem = _file_stem(package).lower()
    name = filename.lower()
    for suffix in (".tar.gz", ".zip"):
        if name.endswith(suffix) and name.replace("-", "_").startswith(stem + "_"):
            return filename[len(stem) + 1: -len(suffix)]
    if name.endswith(".whl"):
        parts = filename.split("-")
        return parts[1] if len(parts) >= 5 and parts[0].lower() == stem else ""
    return ""


def _pip_index_versions(package: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-m", "pip", "index", "versions", package, "--retries", "1"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    match = re.search(r"Available versions:\s*(.+)", proc.stdout)
    if match:
        return sorted((v.strip() for v in match.group(1).split(",") if is_final(v.strip())), key=version_key)
    if "No matching distribution" in proc.stderr:
        return []
    raise OSError(proc.stderr.strip().splitlines()[-1:] or "pip index versions failed")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:120] if text else type(err).__name__
