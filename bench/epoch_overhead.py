"""Benchmark: one ideal training epoch of 784-256-256-10 (batch 100, BP) divided by the time
of the same matrix products alone. Target: at most 2.0.

Both are timed three times, interleaved, and the fastest of each is kept, so that load from
other processes on a shared machine affects both sides alike.
Run: python bench/epoch_overhead.py   (prints the ratios measured in this one run)
"""

import time

import numpy as np

from cimbench.config import build_config
from cimbench.engine.train import Trainer
from cimbench.runner import load_data


def matmuls_only(trainer: Trainer, x: np.ndarray, bs: int) -> float:
    """Forward (3), transposed (2) and weight-gradient (3) products of every batch, nothing else."""
    ws = [trainer.store.weights(l) for l in range(trainer.store.n_layers)]
    t0 = time.perf_counter()
    for i in range(0, len(x), bs):
        a = x[i:i + bs]
        acts = []
        for w in ws:
            a = np.hstack([a, np.ones((len(a), 1), np.float32)]) if trainer.bias else a
            acts.append(a)
            a = a @ w
        d = a
        for l in range(len(ws) - 1, -1, -1):
            _ = acts[l].T @ d
            if l > 0:
                d = (d @ ws[l].T)[:, :ws[l].shape[0] - trainer.bias]
    return time.perf_counter() - t0


def measure(quant: dict, label: str, data=None, repeats: int = 3):
    cfg = build_config(device="ideal", overrides={
        "train": {"algo": "bp", "epochs": 1, "batch_size": 100},
        "network": {"sizes": (784, 256, 256, 10)}, "quant": quant})
    data = data or load_data(cfg)
    base, epoch = [], []
    for _ in range(repeats):
        trainer = Trainer(cfg, data)
        x = data.x_train[trainer.epoch_order()]
        base.append(matmuls_only(trainer, x, 100))
        trainer.fit(quiet=True)
        epoch.append(trainer.history[-1].seconds)
    print(f"{label}: matrix products alone {min(base):.3f} s; training epoch {min(epoch):.3f} s;"
          f" ratio epoch / matmuls = {min(epoch) / min(base):.2f}  (target <= 2.0)")
    return data


def main():
    data = measure({"activation": None, "gradient": None, "error": None}, "float (--bits none)")
    measure({}, "default protocol (A 8, G 5 stochastic, E 8 bits)", data)


if __name__ == "__main__":
    main()
