"""Benchmark: the full 125-epoch `neurosim-mlp` run on `agsi` (1,000,000 online updates and
125 test passes). Target: under 5 minutes on 2 cores. Prints the wall time and its ratio to
the 300 s target, and the mean test accuracy of the last 10 epochs (published: about 72 %).

Run: python bench/neurosim_agsi.py [--epochs N]   (N < 125 extrapolates linearly)
"""

import sys
import time

import numpy as np

from cimbench.config import build_config
from cimbench.engine.train import Trainer
from cimbench.runner import load_data


def main():
    epochs = int(sys.argv[sys.argv.index("--epochs") + 1]) if "--epochs" in sys.argv else 125
    cfg = build_config(protocol="neurosim-mlp", device="agsi", overrides={"train": {"epochs": epochs}})
    data = load_data(cfg)
    t0 = time.perf_counter()
    trainer = Trainer(cfg, data)
    trainer.fit(quiet=True)
    wall = (time.perf_counter() - t0) * 125 / epochs
    acc = float(np.mean([r.test_acc for r in trainer.history[-10:]]))
    print(f"neurosim-mlp on agsi, {'extrapolated to ' if epochs < 125 else ''}125 epochs: "
          f"{wall:.0f} s; ratio to the 300 s target = {wall / 300:.2f} (target < 1.0)")
    print(f"mean test accuracy, last 10 epochs: {acc:.4f}")


if __name__ == "__main__":
    main()
