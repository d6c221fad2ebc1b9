"""Analytical (expected) trace: operation and pulse counts of a run without training it.

Vector counts are exact for the rule (batch x iterations per layer and phase). Pulse counts come
from a stated heuristic, not from device physics:

* Per update, the pulse count of each cell is ``n = round(N(0, sigma))``, clipped to
  ``+-cap`` (LTP for n > 0, LTD for n < 0).
* Default ``sigma = levels / 8`` and ``cap = levels / 2``: with the WAGE protocol of DNN+NeuroSim
  (gradients scaled by 2^round(log2 max|g|) and mapped as ``n = round(g / 2 * levels)``) the
  largest gradient of a layer maps to about ``levels / 2`` pulses; assuming near-Gaussian
  gradient entries, that largest of ~10^4..10^5 entries sits at about 4 sigma, so
  sigma ~ levels / 8. This is an assumption about the gradient distribution, stated here so it
  can be replaced by a measured trace (``cimbench train`` records the real counts).
* ``row_activity``: fraction of rows that can receive pulses in an update (rows whose input was
  non-zero somewhere in the batch). 1.0 by default (mini-batches); online training on sparse
  inputs should pass the input activity.
* Expected row maxima use independence: E[max_j n_j^+] = sum_{m>=1} (1 - P(n < m)^n_out).

Counts are rounded to integers per layer (the trace stores ints).
"""

from __future__ import annotations

import math

from cimbench.hardware.schedule import rule
from cimbench.trace import Trace


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def pulse_distribution(sigma: float, cap: int) -> list[float]:
    """P(n = k) for k = 0..cap of one direction (k >= 1: probability of k pulses in that
    direction, the other direction and zero together make up the rest). Returns [P0, P1, ...]."""
    if sigma <= 0 or cap < 1:
        return [1.0]
    p = [0.0] * (cap + 1)
    p[0] = _phi(0.5 / sigma) - _phi(-0.5 / sigma)
    for k in range(1, cap):
        p[k] = _phi((k + 0.5) / sigma) - _phi((k - 0.5) / sigma)
    p[cap] = 1.0 - _phi((cap - 0.5) / sigma)
    return p


def expected_direction(sigma: float, cap: int, n_cols: int) -> tuple[float, float, float]:
    """Per cell: (E[pulses in this direction], P(any pulse in this direction)); per row of
    n_cols cells: E[max pulses in this direction]."""
    p = pulse_distribution(sigma, cap)
    mean = sum(k * pk for k, pk in enumerate(p))
    p_any = sum(p[1:])
    # P(n < m) in this direction includes all of the other direction and zero: 1 - P(n >= m)
    tail = 0.0
    e_max = 0.0
    for m in range(cap, 0, -1):
        tail += p[m]
        e_max += 1.0 - (1.0 - tail) ** n_cols
    return mean, p_any, e_max


def expected_trace(sizes, algo: str, batch_size: int, iterations: int, device, epochs: int = 1,
                   *, pulse_sigma: float | None = None, row_activity: float = 1.0) -> Trace:
    """Expected trace of ``iterations`` optimizer steps of ``batch_size`` on network ``sizes``."""
    sizes = [int(s) for s in sizes]
    r = rule(algo)
    tr = Trace.for_network(algo, batch_size, sizes)
    L = len(tr.layers)
    n_vec = batch_size * iterations
    lv_ltp = int(getattr(device, "levels_ltp", 0) or 0)
    lv_ltd = int(getattr(device, "levels_ltd", 0) or 0) or lv_ltp
    kind = getattr(device, "kind", "analog")
    if kind == "ideal" or lv_ltp <= 0:
        lv_ltp = lv_ltd = 64
    for l, ly in enumerate(tr.layers):
        ly.fw_vectors = n_vec
        learns = r.hidden_learn or l == L - 1
        if l > 0 and r.hidden_learn:
            ly.ag_vectors = n_vec
        if not learns:
            continue
        ly.wg_vectors = n_vec
        ly.updates = iterations
        rows = row_activity * ly.n_in
        tot_p = tot_d = max_p = max_d = 0.0
        p_cell = 0.0
        for levels, is_ltp in ((lv_ltp, True), (lv_ltd, False)):
            cap = max(levels // 2, 1)
            sigma = pulse_sigma if pulse_sigma is not None else levels / 8.0
            mean, p_any, e_max = expected_direction(sigma, cap, ly.n_out)
            if is_ltp:
                tot_p, max_p = mean, e_max
            else:
                tot_d, max_d = mean, e_max
            p_cell += p_any
        p_cell = min(p_cell, 1.0)
        ly.ltp_pulses = round(iterations * rows * ly.n_out * tot_p)
        ly.ltd_pulses = round(iterations * rows * ly.n_out * tot_d)
        ly.row_max_ltp = round(iterations * rows * max_p)
        ly.row_max_ltd = round(iterations * rows * max_d)
        ly.cells_written = round(iterations * rows * ly.n_out * p_cell)
        ly.rows_written = round(iterations * rows * (1.0 - (1.0 - p_cell) ** ly.n_out))
    tr.iterations = iterations
    tr.epochs = epochs
    tr.train_samples = n_vec
    return tr
