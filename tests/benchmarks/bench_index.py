"""Index and query speed, measured side by side with `ctags -R` and a bare Python start.

    python tests/benchmarks/bench_index.py [--rounds 5] [--no-torch]

Not part of the test run: this machine is noisy, so every measurement is repeated in
interleaved rounds and the median is reported, as a ratio against its baseline measured in
the same round. Peak memory is the summed PSS of nav and its worker processes, sampled in a
run of its own (the sampler shares the cores: the timed runs are not sampled, as the floor is not).

Python is told not to write bytecode here (PYTHONDONTWRITEBYTECODE); it still reads it, so
nav's modules are compiled once first, as an installed package would be.
"""
from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    name: str
    seconds: list[float] = field(default_factory=list)
    peak_mb: float = 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def nav_command() -> list[str]:
    """This checkout's nav (not the venv's `nav` script, which runs wherever nav was installed
    from); `run_rounds` puts the checkout first on PYTHONPATH."""
    return [sys.executable, "-m", "navigator"]


def checkout_env() -> dict[str, str]:
    """The environment every measured process runs in: this checkout's code first."""
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


def package_dir(name: str) -> Path:
    from importlib.util import find_spec

    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{name} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def pss_of_group(group: int) -> float:
    """Summed proportional set size (MB) of every process in a process group."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != group:
                continue
            for line in Path(entry.path, "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024


def timed(command: list[str], env: dict, cwd: Path | None = None, sample_memory: bool = False) -> tuple[float, float]:
    """Wall seconds of a whole process (and its peak memory when asked)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], pss_of_group(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample) if sample_memory else None
    if sampler:
        sampler.start()
    _, err = process.communicate()
    elapsed = time.perf_counter() - started
    if sampler:
        sampler.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {err.decode()[-2000:]}")
    return elapsed, peak[0]


def run_rounds(rounds: int, targets: list[Path], label: str, extra: bool) -> dict[str, Result]:
    """Interleave every measurement in each round so machine load hits them all alike.

    Everything runs on a scratch copy of `targets` (the refresh measurements edit a file).
    """
    results = {n: Result(n) for n in ("python -c pass", "ctags -R", "ctags -R --languages=Python",
                                      "tree-sitter parse (floor)", "nav index (cold)")}
    if extra:
        results.update({n: Result(n) for n in ("nav find Normalize",
                                               "nav find, 1 file touched", "nav find, 1 file edited")})
    nav = nav_command()
    scratch = Path(tempfile.mkdtemp(prefix="nav-bench-"))
    try:
        # a scratch copy of the same files: the refresh measurements edit one of them
        targets = [Path(shutil.copytree(t, scratch / "src" / t.name, ignore=shutil.ignore_patterns("__pycache__")))
                   for t in targets]
        for round_number in range(rounds):
            cache = scratch / f"cache{round_number}"
            env = {**checkout_env(), "NAV_CACHE_DIR": str(cache)}
            results["python -c pass"].seconds.append(timed([sys.executable, "-c", "pass"], env)[0])
            ctags_args = ["ctags", "-R", "-f", str(scratch / "tags"), *map(str, targets)]
            results["ctags -R"].seconds.append(timed(ctags_args, env)[0])
            python_only = [*ctags_args[:2], "--languages=Python", *ctags_args[2:]]
            results["ctags -R --languages=Python"].seconds.append(timed(python_only, env)[0])
            floor = [sys.executable, str(Path(__file__).with_name("parse_floor.py")), *map(str, targets)]
            results["tree-sitter parse (floor)"].seconds.append(timed(floor, env)[0])
            # timed alone, as the floor is: the memory sampler reads /proc every 20 ms, on the same cores
            results["nav index (cold)"].seconds.append(timed([*nav, "index", *map(str, targets)], env)[0])
            shutil.rmtree(cache)
            _, peak = timed([*nav, "index", *map(str, targets)], env, sample_memory=True)
            results["nav index (cold)"].peak_mb = max(results["nav index (cold)"].peak_mb, peak)
            if extra:
                measure_queries(results, nav, env, targets[0])
            shutil.rmtree(cache)
        print(f"\n{label}: {sum(1 for t in targets for _ in t.rglob('*.py'))} files, {rounds} rounds")
        return results
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure_queries(results: dict[str, Result], nav: list[str], env: dict, package: Path) -> None:
    find = [*nav, "find", "Normalize"]
    timed(find, env)  # warm the page cache
    for _ in range(5):  # every `nav find` is a no-change refresh followed by the query
        results["python -c pass"].seconds.append(timed([sys.executable, "-c", "pass"], env)[0])
        results["nav find Normalize"].seconds.append(timed(find, env)[0])
    victim = package / "vision" / "learner.py"  # in the scratch copy
    os.utime(victim, ns=(time.time_ns(), time.time_ns()))
    results["nav find, 1 file touched"].seconds.append(timed(find, env)[0])
    with open(victim, "a") as handle:
        handle.write("\n# edited\n")
    results["nav find, 1 file edited"].seconds.append(timed(find, env)[0])


Target = tuple[str, str, float]  # (measurement, baseline measurement or "seconds", limit)


def report(results: dict[str, Result], targets: list[Target]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("measurement", "median", "ratio", "target", "verdict", box=None)
    for name, result in results.items():
        memory = f" (peak {result.peak_mb:.0f} MB)" if result.peak_mb else ""
        checks = [(baseline, limit) for measured, baseline, limit in targets if measured == name] or [("", 0.0)]
        for baseline, limit in checks:
            ratio, target, verdict = "", "", ""
            if baseline == "seconds":
                target = f"<= {limit:.2f} s"
                verdict = "ok" if result.median <= limit else f"MISSED by {result.median / limit - 1:.0%}"
            elif baseline:
                value = result.median / results[baseline].median
                ratio, target = f"{value:.2f}x {baseline}", f"<= {limit:g}x"
                verdict = "ok" if value <= limit else f"MISSED by {value / limit - 1:.0%}"
            table.add_row(name, f"{result.median * 1000:.0f} ms{memory}", ratio, target, verdict)
    Console(width=max(120, Console().width)).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-torch", action="store_true", help="skip the (slow) torch measurement")
    args = parser.parse_args()
    if shutil.which("ctags") is None:
        sys.exit("ctags is not installed: apt-get install universal-ctags")
    compileall.compile_dir(REPO / "navigator", quiet=1)
    compileall.compile_dir(REPO / "tags", quiet=1)

    sys.path.insert(0, str(REPO))
    from tags.discovery import default_packages

    packages = default_packages()  # fastai, timm, fastcore, fasttransform (or $NAV_PACKAGES)
    results = run_rounds(args.rounds, [package_dir(name) for name in packages], " + ".join(packages), extra=True)
    report(results, [
        ("nav index (cold)", "tree-sitter parse (floor)", 1.5),
        ("nav index (cold)", "ctags -R", 2.5),
        ("nav index (cold)", "ctags -R --languages=Python", 2.5),
        ("nav find Normalize", "python -c pass", 2.0),
        ("nav find Normalize", "seconds", 0.15),
    ])
    if not args.no_torch:
        results = run_rounds(max(1, args.rounds // 2), [package_dir("torch")], "torch", extra=False)
        report(results, [("nav index (cold)", "tree-sitter parse (floor)", 1.5), ("nav index (cold)", "ctags -R", 5.0),
                         ("nav index (cold)", "ctags -R --languages=Python", 5.0)])
        print(f"torch peak memory: {results['nav index (cold)'].peak_mb:.0f} MB (target <= 400 MB)")


if __name__ == "__main__":
    main()
