"""Weight stores: where the weights live and how updates reach them.

Learning rules never see device physics. The engine asks a store for reads (x @ w, e @ w.T)
and hands it *requested* weight changes; the store decides what actually happens (float add,
quantized add, or programming pulses on a device) and records what it did in the trace.

All stores hold weights in the normalized domain w in [-1, 1] (the device range); the engine
multiplies reads by a per-layer gain, so a store never needs to know the layer's scale.

Interface (duck-typed; the analog store in cimbench.device.array implements the same):
    read(layer, x)      -> x @ w          forward read, x: (batch, n_in) -> (batch, n_out)
    read_t(layer, e)    -> e @ w.T        transposed read, e: (batch, n_out) -> (batch, n_in)
    write(layer, dw)    -> None           apply a requested change dw (n_in, n_out)
    read_stream(rng)    -> context        reads inside draw their noise from rng
    read_fixed(B, e)    -> e @ B          read of a fixed array of exact values B (FA/DFA/DRTP
                                          feedback) through the store's read-out
    weights(layer)      -> np.ndarray     current effective weights (a copy, float32)
    state_dict()        -> dict[str, np.ndarray];  load_state_dict(d)
"""

from __future__ import annotations

import contextlib

import numpy as np

from cimbench.engine.quant import stochastic_round
from cimbench.trace import Trace


class IdealStore:
    """Float weights; with `weight_bits`, weights sit on the WAGE grid of step 2^(1-bits).

    A quantized store applies each requested change with stochastic rounding to the grid
    (WAGE), so that changes smaller than one step still move the weights in expectation, and
    records each grid step taken as one 'pulse' in the trace (a digital device's write).
    """

    def __init__(self, weights: list[np.ndarray], trace: Trace, rng: np.random.Generator,
                 weight_bits: int | None = None):
        self.trace = trace
        self.rng = rng
        self.step = None if weight_bits is None else 2.0 ** (1 - weight_bits)
        self._w = [np.array(w, dtype=np.float32) for w in weights]
        if self.step is not None:
            lim = 1.0 - self.step
            self._w = [np.clip(np.round(w / self.step) * self.step, -lim, lim).astype(np.float32)
                       for w in self._w]

    @property
    def n_layers(self) -> int:
        return len(self._w)

    def read(self, layer: int, x: np.ndarray) -> np.ndarray:
        return x @ self._w[layer]

    def read_t(self, layer: int, e: np.ndarray) -> np.ndarray:
        return e @ self._w[layer].T

    def read_fixed(self, B: np.ndarray, e: np.ndarray) -> np.ndarray:
        return e @ B  # float reads: no ADC

    def write(self, layer: int, dw: np.ndarray) -> None:
        w = self._w[layer]
        if self.step is None:
            w += dw
            # dw == 0 then a bool count: 6x faster than count_nonzero on floats (NaN counts)
            cells = dw.size - np.count_nonzero(dw == 0)
            # a dense update touches every row: skip that pass
            rows = len(dw) if cells == dw.size else np.count_nonzero(dw.any(axis=1))
            self.trace.layers[layer].add_write(0, 0, 0, 0, cells, rows)
            return
        lim = 1.0 - self.step
        steps = stochastic_round(dw / self.step, self.rng)
        new = np.clip(w + steps * self.step, -lim, lim)
        taken = np.rint((new - w) / self.step).astype(np.int64)
        w[...] = new
        ltp = np.where(taken > 0, taken, 0)
        ltd = np.where(taken < 0, -taken, 0)
        changed = taken != 0
        self.trace.layers[layer].add_write(int(ltp.sum()), int(ltd.sum()),
                                           int(ltp.max(axis=1).sum()), int(ltd.max(axis=1).sum()),
                                           int(changed.sum()), int(changed.any(axis=1).sum()))

    def weights(self, layer: int) -> np.ndarray:
        return self._w[layer].copy()

    @contextlib.contextmanager
    def read_stream(self, rng: np.random.Generator):
        """Exact reads draw nothing: nothing to switch."""
        yield

    def state_dict(self) -> dict[str, np.ndarray]:
        return {f"w{i}": w.copy() for i, w in enumerate(self._w)}

    def load_state_dict(self, d: dict[str, np.ndarray]) -> None:
        self._w = [np.array(d[f"w{i}"], dtype=np.float32) for i in range(len(self._w))]
