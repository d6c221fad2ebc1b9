"""One master seed, split into independent named streams, so that changing one nonideality
never reshuffles the draws of another and every run repeats bit for bit."""

from __future__ import annotations

import numpy as np

# Fixed indices: adding a stream later must not renumber the existing ones.
STREAMS = {"data": 0, "weights": 1, "feedback": 2, "d2d": 3, "c2c": 4, "read": 5, "round": 6,
           "quant": 7}
READ_EVAL = 8   # test-pass read noise: one stream per epoch (eval_stream), not one per run


def streams(seed: int) -> dict[str, np.random.Generator]:
    return {name: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(idx,)))
            for name, idx in STREAMS.items()}


def eval_stream(seed: int, epoch: int) -> np.random.Generator:
    """The read-noise stream of the test pass after `epoch`: its own per epoch, so that
    `cimbench evaluate` of a checkpoint repeats the run's last test pass exactly."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(READ_EVAL, epoch)))
