"""What README command 1 costs a new user: the install's size and the demo's wall time.

Builds a fresh virtual environment, runs ``pip install <repo>`` in it (README command 1,
from the package registries), then measures:

* the size of its ``site-packages`` (all of it, pip and setuptools included), the ten
  largest distributions, and whether TensorFlow, JAX or PyTorch came with it;
* ``bilstm-emotion predict --demo``, ``--repeat`` times in fresh processes (the first
  one cold: nothing of the venv in the page cache yet), wall time each, and whether any
  TensorFlow line reached its standard error.

Targets (issue 45): at most 500 MB, no TensorFlow, the demo in at most 2 s on a quiet
2-core machine. Needs the package registries; takes a few minutes (the download).

Usage::

    python benchmarks/install_footprint.py [--repeat 5] [--keep /tmp/venv] [--source TREE] \
        [--out benchmarks/results/install_footprint.json]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import write_report

ROOT = Path(__file__).resolve().parents[1]
#: What a TensorFlow log line looks like (absl's prefixes, the CUDA probe, oneDNN's notice).
TF_LINE = re.compile(r"tensorflow|oneDNN|cuInit|absl::|^[IWE]\d{4} ", re.IGNORECASE | re.M)


def tree_size(path):
    return sum(
        f.stat().st_size for f in Path(path).rglob("*") if f.is_file() and not f.is_symlink()
    )


def distributions(site):
    """``{distribution: bytes}`` from each ``*.dist-info/RECORD`` (the files it installed)."""
    sizes = {}
    for record in Path(site).glob("*.dist-info/RECORD"):
        name = record.parent.name.split("-")[0]
        total = 0
        for line in record.read_text(encoding="utf-8").splitlines():
            path = (Path(site) / line.split(",")[0]).resolve()
            if path.is_file():
                total += path.stat().st_size
        sizes[name] = total
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", default=None, help="build the venv here and keep it")
    parser.add_argument(
        "--source",
        default=str(ROOT),
        help="the tree to install (e.g. a worktree of an earlier commit, to compare)",
    )
    parser.add_argument("--out", default="benchmarks/results/install_footprint.json")
    args = parser.parse_args(argv)

    venv = Path(args.keep or tempfile.mkdtemp(prefix="bilstm-install-")) / "venv"
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    start = time.perf_counter()
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-cache-dir", args.source], check=True
    )
    install_s = time.perf_counter() - start
    site = next((venv / "lib").glob("python*/site-packages"))
    sizes = distributions(site)
    backends = [b for b in ("tensorflow", "jax", "torch") if (site / b).exists()]

    demo = [str(venv / "bin" / "bilstm-emotion"), "predict", "--demo"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KERAS", "TF_"))}
    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        done = subprocess.run(demo, capture_output=True, text=True, env=env, check=False)
        runs.append(
            {
                "wall_s": time.perf_counter() - start,
                "exit": done.returncode,
                "tensorflow_lines": len(TF_LINE.findall(done.stderr)),
                "stderr_lines": len(done.stderr.splitlines()),
            }
        )
    print(done.stdout[-600:])
    report = {
        "benchmark": "install_footprint",
        "command": "pip install . && bilstm-emotion predict --demo",
        "source": args.source,
        "site_packages_mb": tree_size(site) / 1e6,
        "largest_distributions_mb": {k: v / 1e6 for k, v in list(sizes.items())[:10]},
        "backends_installed": backends,
        "install_s": install_s,
        "demo_runs": runs,
        "demo_cold_s": runs[0]["wall_s"],
        "demo_median_s": statistics.median(r["wall_s"] for r in runs),
        "targets": {"site_packages_mb": 500, "demo_s": 2.0, "backends_installed": []},
    }
    print(json.dumps({k: v for k, v in report.items() if k != "demo_runs"}, indent=2))
    write_report(report, args.out)
    if not args.keep:
        shutil.rmtree(venv.parent)


if __name__ == "__main__":
    main()
