"""Time the package's own benchmarks at two revisions, in one session.

Runs the selected pytest-benchmark cases of a baseline checkout and of this
checkout alternately (``rounds`` times each, so that machine noise hits both
alike), keeps each case's best median and prints the ratio new / old. Each
checkout runs its own ``benchmarks/`` with its own package first on
``sys.path``, so a revision whose modules moved still runs as it was::

    git worktree add /tmp/base <old-commit>
    python benchmarks/compare_revisions.py /tmp/base --rounds 2

Only sparsela's cases are selected (peers do not change between revisions).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

# (suite, -k expression): the solver and transform benchmarks of sparsela
SELECTION = [
    ("bench_omp.py", "test_sparsela"),
    ("bench_proximal.py", "test_sparsela"),
    ("bench_sbl.py", "sbl-em or sbl-fast or krosbl"),
    ("bench_fwht.py", "test_fwht and sparsela"),
    ("bench_sparse_wht.py", "not fwht-dense"),
]


def _run(checkout: Path, suite: str, expr: str, out: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    cmd = [
        sys.executable, "-m", "pytest", str(checkout / "benchmarks" / suite),
        "-q", "-p", "no:cacheprovider", "--benchmark-enable",
        "-k", expr, f"--benchmark-json={out}", "--rootdir", str(checkout),
    ]  # fmt: skip
    subprocess.run(cmd, env=env, cwd=checkout, check=True, capture_output=True)
    data = json.loads(out.read_text())
    return {b["name"]: b["stats"]["median"] for b in data["benchmarks"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path, help="checkout of the old revision")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="substring of the suite names")
    args = parser.parse_args(argv)
    best: dict[tuple[str, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for suite, expr in SELECTION:
                if args.only not in suite:
                    continue
                for label, checkout in (("old", args.baseline), ("new", HERE)):
                    out = Path(tmp) / f"{label}-{suite}-{r}.json"
                    for name, med in _run(checkout, suite, expr, out).items():
                        slot = best.setdefault((suite, name), {})
                        slot[label] = min(med, slot.get(label, float("inf")))
    print("| suite | case | old (ms) | new (ms) | new / old |")
    print("| --- | --- | --- | --- | --- |")
    for (suite, name), t in sorted(best.items()):
        if "old" in t and "new" in t:
            ratio = t["new"] / t["old"]
            print(
                f"| {suite} | {name} | {1e3 * t['old']:.2f} | {1e3 * t['new']:.2f} "
                f"| {ratio:.3f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
