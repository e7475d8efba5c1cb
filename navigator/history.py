"""`nav history SYMBOL`: the releases in which a definition's text changed.

Every final release since `--since` is fetched and indexed once (in parallel downloads, with a
progress bar), then the definition is found in each (following moves, as `nav diff` does) and
compared with the release before it.
"""
from __future__ import annotations

from dataclasses import dataclass

from navigator.diff import Found, Side, Target, anchor, line_counts, locate
from tags.errors import NavError
from tags.releases import Release, ReleaseInfo, list_releases, version_key

FETCH_WORKERS = 4  # concurrent `pip download`s: network-bound, not CPU


@dataclass(frozen=True, slots=True)
class Entry:
    """One release in a definition's history."""

    version: str
    date: str  # YYYY-MM-DD, '' when the package index does not say
    status: str  # first (the baseline), changed, added, removed, moved
    added: int
    removed: int
    found: Found | None  # None once removed

    def as_json(self) -> dict:
        where = {"path": self.found.symbol.path, "line": self.found.symbol.line} if self.found else {}
        return {"version": self.version, "date": self.date or None, "status": self.status,
                "added": self.added, "removed": self.removed, "how": self.found.how if self.found else "", **where}


@dataclass(frozen=True, slots=True)
class History:
    target: Target
    package: str
    releases: list[ReleaseInfo]  # every release read, oldest first
    entries: list[Entry]  # the baseline, then each release that changed it


def releases_since(package: str, since: str | None, until: str | None = None) -> list[ReleaseInfo]:
    """Final releases of `package` from `since` (default: the last 10) to `until`, oldest first."""
    known = list_releases(package)
    if not known:
        raise NavError(f"no releases of {package!r} known (no such package on the index, or offline "
                       "with nothing cached)", exit_code=1)
    versions = [info.version for info in known]
    for bound in (since, until):
        if bound and bound not in versions:
            raise NavError(f"{package}=={bound}: no such release (known: {versions[0]} ... {versions[-1]})",
                           exit_code=1)
    low = version_key(since) if since else version_key(versions[max(0, len(versions) - 10)])
    high = version_key(until) if until else None
    return [info for info in known if version_key(info.version) >= low
            and (high is None or version_key(info.version) <= high)]


def prefetch(releases: list[Release], progress: bool = True) -> None:
    """Download, unpack and index the releases not yet indexed, with one progress bar."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tags.progress import Progress
    from tags.releases import is_indexed, unpacked_root, with_release_index

    missing = [r for r in releases if not is_indexed(r)]
    if not missing:
        return
    label = f"{missing[0].package} releases"
    with Progress(len(missing), label, progress, verb="fetching") as bar, \
            ThreadPoolExecutor(FETCH_WORKERS) as pool:
        for future in as_completed([pool.submit(unpacked_root, r) for r in missing]):
            future.result()
            bar.advance()
    with Progress(len(missing), label, progress) as bar:
        for release in missing:
            with_release_index(release, lambda index: None, progress=False)
            bar.advance()


def history(symbol: str, package: str, since: str | None, until: str | None = None,
            progress: bool = True) -> History:
    """The releases since `since` in which the definition `symbol` names changed."""
    infos = releases_since(package, since, until)
    sides = [Side(Release(package, info.version)) for info in infos]
    prefetch([side.release for side in sides], progress)
    target = anchor(list(reversed(sides)), symbol, progress=False)
    entries: list[Entry] = []
    previous: Found | None = None
    for position, (info, side) in enumerate(zip(infos, sides)):
        found = side.run(lambda view: locate(view, target, side.label), progress=False)
        status = _status(previous, found, first=position == 0)
        if status:
            added, removed = line_counts(previous.text if previous else None, found.text if found else None)
            entries.append(Entry(info.version, info.date, status, added, removed, found))
        previous = found
    return History(target, package, infos, entries)


def _status(previous: Found | None, found: Found | None, first: bool) -> str:
    """How this release differs from the one before: '' (not at all), or the entry's status."""
    if first:
        return "first" if found else ""
    if previous is None:
        return "added" if found else ""
    if found is None:
        return "removed"
    if found.text != previous.text:
        return "changed"
    if (found.symbol.module, found.symbol.qualname) != (previous.symbol.module, previous.symbol.qualname):
        return "moved"
    return ""
