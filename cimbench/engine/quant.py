"""WAGE quantizers (Wu et al., ICLR 2018; as used by DNN+NeuroSim V2.x on-chip training).

Q(x, b) = round(x * 2^(b-1)) / 2^(b-1), clipped to +-(1 - 2^(1-b)); errors and gradients are
first divided by the power of two nearest their largest magnitude, so the b-bit grid covers them.
"""

from __future__ import annotations

import numpy as np


def stochastic_round(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Round to an adjacent integer with probability given by the distance (unbiased):
    floor(x + u), u ~ U[0, 1), rounds up with probability x - floor(x)."""
    u = rng.random(np.shape(x), dtype=np.float32)
    u += x
    return np.floor(u, out=u)


def quantize(x: np.ndarray, bits: int | None, rng: np.random.Generator | None = None) -> np.ndarray:
    """Q(x, b): b-bit fixed point in (-1, 1); stochastic rounding when rng is given."""
    if bits is None:
        return x
    scale = np.float32(2.0 ** (bits - 1))
    if rng is None:
        y = np.multiply(x, scale, dtype=np.float32)
        np.rint(y, out=y)
    else:
        y = stochastic_round(x * scale, rng)
    lim = scale - 1
    np.minimum(y, lim, out=y)
    np.maximum(y, -lim, out=y)
    y *= np.float32(1.0) / scale  # a power of two: exact, same as dividing
    return y


def pow2_scale(x: np.ndarray) -> np.float32:
    """2^round(log2(max|x|)): the shift that brings x into the quantizer's range (1 if x == 0)."""
    m = float(np.max(np.abs(x))) if x.size else 0.0
    if not np.isfinite(m) or m == 0.0:
        return np.float32(1.0)
    return np.float32(2.0 ** np.round(np.log2(m)))


def quantize_scaled(x: np.ndarray, bits: int | None,
                    rng: np.random.Generator | None = None) -> np.ndarray:
    """WAGE error/gradient quantizer: scale by pow2_scale, quantize, scale back."""
    if bits is None:
        return x
    s = pow2_scale(x)
    return quantize(x / s, bits, rng) * s
