"""Where the sources are: installed packages (found without importing them) and directories."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tags.errors import NavError

DEFAULT_PACKAGES = ("fastai", "timm", "fastcore", "fasttransform")  # fastai and the nbdev libraries it builds on
PACKAGES_VARIABLE = "NAV_PACKAGES"  # comma-separated package names replacing DEFAULT_PACKAGES


def default_packages() -> tuple[str, ...]:
    """The packages indexed when no target is given: `$NAV_PACKAGES`, else fastai, timm and the
    two nbdev libraries fastai is built on (fastcore, fasttransform)."""
    chosen = os.environ.get(PACKAGES_VARIABLE, "")
    names = tuple(name.strip() for name in chosen.split(",") if name.strip())
    return names or DEFAULT_PACKAGES


@dataclass(slots=True)
class Root:
    """A tree of sources that is indexed as a unit."""

    path: str  # absolute, symlinks resolved
    name: str
    origin: str  # "package" (installed, found by name) or "directory"
    version: str = ""


def package_dir(name: str) -> Path | None:
    """The folder of the package `name` first on sys.path, found without importing it.

    The one place nav asks this: indexing, doctor, walkthrough workspaces and verify scripts.
    """
    from importlib.util import find_spec

    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def installed_package(name: str) -> Root | None:
    """The installed top-level package `name` as an index root, located without importing it."""
    path = package_dir(name)
    return Root(str(path), name, "package", package_version(name)) if path else None


def package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def resolve_target(target: str) -> Root:
    """A directory path or an installed package name, as a root; a clear error otherwise (an empty
    argument too: `Path("")` is the current directory, and `nav index "$UNSET"` indexed it)."""
    if not target:
        raise NavError("an empty path: give a directory or an installed package name")
    path = Path(target).expanduser()
    if path.is_dir():
        resolved = path.resolve()
        return Root(str(resolved), resolved.name, "directory", directory_version(resolved))
    if path.exists():
        raise NavError(f"{target}: not a directory (give a directory or an installed package name)")
    if re.fullmatch(r"[A-Za-z_][\w.]*", target) and (root := installed_package(target)):
        return root
    raise NavError(f"{target}: no such directory, and no installed package of that name")


def default_roots() -> list[Root]:
    names = default_packages()
    roots = [r for r in map(installed_package, names) if r is not None]
    if not roots:
        raise NavError(f"none of {', '.join(names)} is installed here; give a directory: nav index DIR "
                       f"(or set {PACKAGES_VARIABLE})")
    return roots


_VERSION = re.compile(r"""^\s*(?:__version__\s*=|version\s*=)\s*['"]?([\w.+-]+)""", re.M)


def directory_version(path: Path) -> str:
    """A version for a source tree: `__version__` of its package, or nbdev's settings.ini."""
    for candidate in (path / "__init__.py", path / path.name / "__init__.py", path / "settings.ini"):
        try:
            match = _VERSION.search(candidate.read_text(errors="replace")[:20000])
        except OSError:
            continue
        if match:
            return match.group(1)
    return ""


class ModuleNamer:
    """Dotted module names for files, from the packages (`__init__.py`) that hold them."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self._is_package: dict[Path, bool] = {}

    def _package(self, directory: Path) -> bool:
        if directory not in self._is_package:
            self._is_package[directory] = (directory / "__init__.py").is_file()
        return self._is_package[directory]

    def __call__(self, path: str) -> str:
        file = Path(path)
        parts = [] if file.name == "__init__.py" else [file.stem]
        directory = file.parent
        if self._package(directory):
            while self._package(directory) and directory != directory.parent:
                parts.append(directory.name)
                directory = directory.parent
        else:  # loose scripts and folders without __init__.py: dotted path from the root
            relative = directory.relative_to(self.root) if directory.is_relative_to(self.root) else Path()
            parts.extend(reversed(relative.parts))
        return ".".join(reversed(parts)) or file.stem

