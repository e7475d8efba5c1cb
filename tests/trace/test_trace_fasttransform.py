"""fastai 2.8 builds on fasttransform: with it indexed (`NAV_PACKAGES` names all four packages),
`nav find` and `nav trace` cross from fastai into it (`TfmdLists.__init__` -> `Pipeline.__init__`,
`Pipeline.__call__` -> `compose_tfms`)."""
from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import line_of, run_nav, site_file

def test_roots_list_the_four_packages_nav_packages_names(installed_cache: Path) -> None:
    roots = json.loads(run_nav("roots", "--json", cache=installed_cache, check=True).stdout)
    assert [r["name"] for r in roots] == ["fastai", "timm", "fastcore", "fasttransform"]
    assert all(r["origin"] == "package" and r["files"] > 0 for r in roots)


def test_find_displayed_transform_in_fasttransform(installed_cache: Path) -> None:
    hits = json.loads(run_nav("find", "DisplayedTransform", "--json", cache=installed_cache, check=True).stdout)
    transform = site_file("fasttransform", "transform.py")
    assert (hits[0]["path"], hits[0]["line"]) == (str(transform), line_of(transform, "class DisplayedTransform("))


def test_trace_from_fastai_into_fasttransform(installed_cache: Path) -> None:
    done = run_nav("trace", "fastai.data.core.TfmdLists.__init__", "--depth", "2", "--json", cache=installed_cache,
                   check=True)
    tree = json.loads(done.stdout)
    transform = str(site_file("fasttransform", "transform.py"))
    children = {(c["qualname"], c["path"]): c for c in tree["children"]}
    assert ("Pipeline.__init__", transform) in children
    call = run_nav("trace", "fasttransform.transform.Pipeline.__call__", "--depth", "1", "--json",
                   cache=installed_cache, check=True)
    callees = {(c["qualname"], c["line"], c["call_line"]) for c in json.loads(call.stdout)["children"]}
    path = site_file("fasttransform", "transform.py")
    assert ("compose_tfms", line_of(path, "def compose_tfms("), line_of(path, "def __call__(self, o): return compose_tfms")) in callees
