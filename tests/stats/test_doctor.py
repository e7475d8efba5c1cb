"""`nav doctor` reports the real installation."""
from __future__ import annotations

from pathlib import Path

from tests.helpers import run_nav, site_file


def test_doctor_reports_fastai_timm_and_the_refactor(cache: Path) -> None:
    from tags.discovery import package_version

    done = run_nav("doctor", "--no-torch", cache=cache)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert f"{package_version('fastai')} at {site_file('fastai', '')}".rstrip("/") in rows["fastai"]
    assert package_version("timm") in rows["timm"]
    assert "present: _timm_norm" in done.stdout  # the installed fastai (>= 2.7.5) has the refactor
    assert "ctags" in rows and "index" in rows
