"""Benchmark: a sweep of 8 equal cells with --jobs 1 and with --jobs 2.

Prints the wall times and the speedup (target >= 1.6 on 2 free cores) and asserts that both
summaries are identical apart from the timing columns.

    python bench/sweep_jobs.py [--cells 8] [--train-limit 20000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cimbench.analysis import strip_timing  # noqa: E402


def sweep(out: Path, jobs: int, cells: int, train_limit: int) -> float:
    cmd = [sys.executable, "-m", "cimbench", "sweep", "--algo", "dfa", "--device", "rram",
           "--network", "784-256-10", "--epochs", "1", "--train-limit", str(train_limit),
           "--test-limit", "1000", "--seed", f"0..{cells - 1}", "--jobs", str(jobs),
           "--out", str(out), "-q"]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=8)
    ap.add_argument("--train-limit", type=int, default=20000)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t1 = sweep(Path(tmp) / "j1", 1, a.cells, a.train_limit)
        tn = sweep(Path(tmp) / "jn", a.jobs, a.cells, a.train_limit)
        s1 = strip_timing((Path(tmp) / "j1" / "summary.csv").read_text())
        sn = strip_timing((Path(tmp) / "jn" / "summary.csv").read_text())
    print(f"{a.cells} cells: --jobs 1 {t1:.1f} s, --jobs {a.jobs} {tn:.1f} s, "
          f"speedup {t1 / tn:.2f} (target >= 1.6 for 2 jobs on 2 free cores)")
    assert s1 == sn, "summaries differ between --jobs 1 and --jobs N (timing columns aside)"
    print("summaries identical apart from timing columns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
