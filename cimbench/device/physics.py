"""Vectorized device physics of the NeuroSim family: nonlinear pulse response, C2C and D2D
variation, stuck-at faults, read noise and ADC quantization.

Conventions
-----------
A device's state is its *normalized position* ``u = (G - Gmin) / (Gmax - Gmin)`` in [0, 1]
(Gmin, Gmax are the device's own bounds, which differ per device under D2D spread). The
conductance response to identical pulses, P = pulse number, Pmax = number of levels, is

    G(P) = B * (1 - exp(-P / A)) + Gmin,    B = (Gmax - Gmin) / (1 - exp(-Pmax / A))

An update of n pulses finds the device's position on its curve, P0 = -A ln(1 - (G - Gmin) / B),
and sets G = G(P0 + n). Eliminating P0 gives a form with a single exponential and no logarithm,
which is what this module evaluates (with c = 1/A in 1/pulse, normalized to u):

    u_new = u + expm1(-c n) * (u + 1 / expm1(-c Pmax))

(the last bracket is evaluated without cancellation, see update_constants). The signed A is used as is: A > 0 gives a curve that is steep near P = 0 and flattens towards
P = Pmax (concave, "saturating" in the pulse direction of LTP); A < 0 gives the mirrored, convex
curve, g_{-A}(x) = 1 - g_{A}(1 - x). An LTD curve (n < 0) with a label of the opposite sign to the
LTP label therefore saturates on both sides, as the reference text says. The linear case
(NL = 0, A = inf) is handled by substituting a vanishing c (1e-12 per pulse): expm1 keeps full
relative precision there, so the update is n / Pmax to ~1e-10, with no branch.

Everything here is pure NumPy, takes explicit ``np.random.Generator`` objects and never
imports the training engine.
"""

from __future__ import annotations

import functools

import numpy as np

#: Largest |NL| label supported (labels above are clipped to it). At |NL| = 9.00 the normalized A
#: is 0.0225; the max-deviation target 0.07*sqrt(2)*|NL| reaches 1 (a step function) at ~10.1.
NL_MAX = 9.00
_NL_MAX_IDX = int(round(NL_MAX * 100))
#: Stand-in for 1/A of a linear device (A = inf); see module docstring.
C_LINEAR = 1e-12
_NL_TARGET = 0.07 * np.sqrt(2.0)


# ----------------------------------------------------------------------------- NL label -> A

def _max_deviation(a: np.ndarray) -> np.ndarray:
    """max over x in [0, 1] of g(x) - x for g(x) = (1 - exp(-x/a)) / (1 - exp(-1/a)), a > 0.

    g'(x) = 1 at x* = -a ln(a (1 - exp(-1/a))), so the max is 1/(1 - exp(-1/a)) - a - x*.
    """
    e = -np.expm1(-1.0 / a)
    return 1.0 / e - a + a * np.log(a * e)


@functools.lru_cache(maxsize=1)
def nl_table() -> np.ndarray:
    """Normalized |A| for |NL| = k / 100, k = 0 .. NL_MAX*100 (float64; entry 0 is inf).

    Solved by bisection in log A (the max deviation decreases monotonically in A), to float64
    precision: NL 2.40 -> 0.499181, NL 4.88 -> 0.200303.
    """
    k = np.arange(1, _NL_MAX_IDX + 1, dtype=np.float64)
    target = _NL_TARGET * k / 100.0
    lo = np.full(k.shape, np.log(1e-6))
    hi = np.full(k.shape, np.log(1e7))
    for _ in range(120):
        mid = 0.5 * (lo + hi)
        too_bent = _max_deviation(np.exp(mid)) > target   # A too small
        lo = np.where(too_bent, mid, lo)
        hi = np.where(too_bent, hi, mid)
    table = np.empty(_NL_MAX_IDX + 1, dtype=np.float64)
    table[0] = np.inf
    table[1:] = np.exp(0.5 * (lo + hi))
    table.setflags(write=False)
    return table


def nl_index(nl) -> np.ndarray:
    """Table index int(|NL| * 100), i.e. the label truncated to 0.01 steps (0.105 -> 10).

    A 1e-9 guard absorbs binary representation error (0.29 * 100 = 28.999999999999996 -> 29);
    labels above NL_MAX are clipped to NL_MAX.
    """
    mag = np.abs(np.asarray(nl, dtype=np.float64))
    idx = np.floor(mag * 100.0 + 1e-9)
    return np.minimum(idx, _NL_MAX_IDX).astype(np.int64)


def nl_to_a(nl):
    """NL label(s) -> normalized A (for a curve with Pmax = 1), signed like the label.

    Vectorized (scalar in, float out; array in, array out). NL = 0 (after truncation to
    hundredths) returns +inf, meaning a linear device.
    """
    nl_arr = np.asarray(nl, dtype=np.float64)
    a = nl_table()[nl_index(nl_arr)]
    a = np.where(nl_arr < 0, -a, a)
    return float(a) if np.ndim(a) == 0 else a


def inv_a(nl, pmax) -> np.ndarray:
    """1/A in 1/pulse for labels `nl` and `pmax` levels; linear devices get C_LINEAR (float64)."""
    a = np.asarray(nl_to_a(nl), dtype=np.float64) * float(pmax)
    c = np.where(np.isinf(a), C_LINEAR, 1.0 / np.where(np.isinf(a), 1.0, a))
    return c


def curve_constant(c, pmax) -> np.ndarray:
    """k = 1 / expm1(-c * Pmax): u(P) = expm1(-c P) * k on the curve (float64)."""
    return 1.0 / np.expm1(-np.asarray(c, dtype=np.float64) * float(pmax))


def update_constants(c, pmax) -> tuple[np.ndarray, np.ndarray]:
    """(q, off) with u + k = (u - off) + q, computed without cancellation (float64).

    The update needs u + k, the (signed) distance to the curve's asymptote. For c > 0 the
    asymptote lies just above u = 1 and u + k = (u - 1) - 1/expm1(c Pmax): u - 1 is exact near 1
    and the second term keeps its precision however bent the curve is (off = 1). For c < 0 the
    asymptote lies just below 0 and u + k has no cancellation (off = 0, q = k).
    """
    c = np.asarray(c, dtype=np.float64)
    pos = c > 0
    with np.errstate(over="ignore", divide="ignore"):
        q = np.where(pos, -1.0 / np.expm1(np.abs(c) * float(pmax)), curve_constant(c, pmax))
    return q, pos.astype(np.float64)


# ----------------------------------------------------------------------------- curves

def conductance(p, a_pulses, pmax, gmin, gmax):
    """G(P) = B (1 - exp(-P/A)) + Gmin for A in pulses (np.inf = linear)."""
    p = np.asarray(p, dtype=np.float64)
    a = np.asarray(a_pulses, dtype=np.float64)
    lin = np.isinf(a)
    a_safe = np.where(lin, 1.0, a)
    frac = np.where(lin, p / pmax, np.expm1(-p / a_safe) / np.expm1(-pmax / a_safe))
    return gmin + (gmax - gmin) * frac


def pulse_position(g, a_pulses, pmax, gmin, gmax):
    """Inverse curve: P0 = -A ln(1 - (G - Gmin) / B) (linear: P0 = Pmax (G - Gmin)/(Gmax - Gmin))."""
    u = (np.asarray(g, dtype=np.float64) - gmin) / (gmax - gmin)
    a = np.asarray(a_pulses, dtype=np.float64)
    lin = np.isinf(a)
    a_safe = np.where(lin, 1.0, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(lin, u * pmax, -a_safe * np.log1p(u * np.expm1(-pmax / a_safe)))


def apply_pulses(u, n, c, q, off):
    """Move devices at normalized positions `u` by signed pulse counts `n` along their curves.

    `c` = 1/A (1/pulse) and (`q`, `off`) = update_constants(c, Pmax) of the direction each
    device is pulsed in (arrays broadcastable to u, or scalars). Returns u_new clipped to
    [0, 1]; cells with n == 0 keep u. Equivalent to P0 = inverse curve, G = G(P0 + n), clip:

        u_new = u + expm1(-c n) * (u + 1/expm1(-c Pmax)),   u + 1/expm1(-c Pmax) = (u - off) + q
    """
    em = np.expm1(-c * n)
    return np.clip(u + em * ((u - off) + q), 0.0, 1.0)


# ----------------------------------------------------------------------------- D2D, faults

def draw_d2d(rng: np.random.Generator, shape, nl_ltp: float, nl_ltd: float, d2d: float,
             levels_ltp: int, levels_ltd: int, d2d_g: float, stuck_gmin: float,
             stuck_gmax: float) -> dict:
    """Per-device constants, drawn once from `rng` and fixed for the devices' life.

    The same number of variates is drawn in the same order whatever the sigmas (standard
    normals for the LTP label, LTD label, Gmax and Gmin factor, then a uniform for faults), so
    switching one nonideality on does not reshuffle the others. Returns float64 arrays:
    c_ltp, c_ltd (1/A per direction, see apply_pulses), gmax_f, gmin_f (multiplicative factors
    of the nominal Gmax/Gmin, 1 = nominal), and int8 `stuck` (0 free, 1 stuck at Gmin, 2 stuck
    at Gmax).
    """
    z_ltp = rng.standard_normal(shape)
    z_ltd = rng.standard_normal(shape)
    z_max = rng.standard_normal(shape)
    z_min = rng.standard_normal(shape)
    f = rng.random(shape)
    c_ltp = inv_a(nl_ltp + d2d * z_ltp, levels_ltp)
    c_ltd = inv_a(nl_ltd + d2d * z_ltd, levels_ltd)
    gmax_f = np.maximum(1.0 + d2d_g * z_max, 0.05)
    gmin_f = np.maximum(1.0 + d2d_g * z_min, 0.05)
    stuck = np.zeros(shape, dtype=np.int8)
    stuck[f < stuck_gmin] = 1
    stuck[(f >= stuck_gmin) & (f < stuck_gmin + stuck_gmax)] = 2
    return dict(c_ltp=c_ltp, c_ltd=c_ltd, gmax_f=gmax_f, gmin_f=gmin_f, stuck=stuck)


# ----------------------------------------------------------------------------- reads

def noisy_matmul(x: np.ndarray, w: np.ndarray, g2: np.ndarray | None, sigma: float,
                 rng: np.random.Generator | None) -> np.ndarray:
    """y = x @ w plus read noise, exact in distribution without per-cell draws.

    Each cell current is I = V G (1 + N(0, sigma)), independent across cells and reads, so a
    column sum is x @ w + sigma * sqrt((x*x) @ (G*G)) * N(0, 1) per output: one draw per output
    instead of batch * n_in * n_out. `g2` holds G*G with G in the units of `w` (the caller
    caches it). sigma == 0 or g2 None -> plain matmul.
    """
    y = x @ w
    if sigma > 0 and g2 is not None:
        sd = np.sqrt((x * x) @ g2)
        y = y + (sigma * sd * rng.standard_normal(y.shape, dtype=np.float32)).astype(y.dtype)
    return y


def adc_full_scale(y: np.ndarray, x_sum: np.ndarray, rows: int, g_ref: float,
                   bits: int) -> np.ndarray:
    """Fixed full-scale read-out of one device per weight against a reference column
    (MLP+NeuroSim V3.0, Train.cpp / Test.cpp): the column current and the reference column's
    current are each converted by a b-bit ADC whose full scale is all `rows` cells at Gmax minus
    all at Gmin, with truncation (floor); the weighted sum is twice the digit difference times
    rows / (2^b - 1).

    In cimbench units (conductances in units of Gmax - Gmin, w = 2 (G - Gref)): the column holds
    g_ref * sum(x) + y / 2 and the reference g_ref * sum(x), so the output steps are
    2 rows / (2^b - 1) in weight-sum units. Inputs must lie in [0, 1] (MLP+NeuroSim feeds bits).
    Digits are clipped to [0, 2^b - 1], as a converter saturates (MLP+NeuroSim does not clip):
    the column current includes the Gmin offset, so it exceeds the full scale only when more
    than (Gmax - Gmin) / Gmax of the rows are on at high conductance.
    The full scale and the reference use nominal Gmin/Gmax (a per-device spread, d2d_g, moves
    the cells but not the scale; MLP+NeuroSim sums each cell's own extremes).
    `x_sum`: sum of each input vector (batch,), `y`: x @ w (batch, n_out).
    """
    k = float((1 << int(bits)) - 1)
    per = k / rows                                   # digits per unit of conductance-sum
    ref = (g_ref * x_sum.astype(np.float64))[:, None]
    d_col = np.clip(np.floor((ref + 0.5 * y) * per), 0, k)
    d_ref = np.clip(np.floor(ref * per), 0, k)
    return (2.0 * (d_col - d_ref) / per).astype(y.dtype, copy=False)


def adc_quantize(y: np.ndarray, bits: int | None) -> np.ndarray:
    """Quantize array outputs with a b-bit ADC (None = ideal, no ADC).

    Range rule: signed outputs are quantized over [-R, R] with R = max |y| over the whole read
    batch (all samples and columns of this read of this layer): a calibrated, per-read full
    scale. The 2^b levels are uniformly spaced and include both end points (mid-rise:
    -R + k * 2R / (2^b - 1), k = 0 .. 2^b - 1), so at most 2^b distinct values come out and
    1 bit is sign(y) * R. R == 0 returns zeros.
    """
    if bits is None:
        return y
    r = float(np.abs(y).max()) if y.size else 0.0
    if r == 0.0 or not np.isfinite(r):
        return np.zeros_like(y)
    steps = (1 << int(bits)) - 1
    scale = steps / (2.0 * r)
    k = np.rint((y + r) * scale)  # in [0, steps] since |y| <= r: no clip needed
    return (k / scale - r).astype(y.dtype, copy=False)
