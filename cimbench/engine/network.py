"""MLP pieces: activations (with derivatives in terms of the output where cheap), output
layers and losses, weight initialization. float32 throughout."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a clipped argument: no overflow warnings, exact to float32 precision
    return 1.0 / (1.0 + np.exp(np.minimum(np.maximum(z, -30.0), 30.0) * -1.0))


def _d_sigmoid(z, a):
    return a * (1.0 - a)


def _tanh(z):
    return np.tanh(z)


def _d_tanh(z, a):
    return 1.0 - a * a


def _relu(z):
    return np.maximum(z, 0.0)


def _d_relu(z, a):
    return (z > 0).astype(np.float32)


ACTIVATIONS = {
    "sigmoid": (sigmoid, _d_sigmoid),
    "tanh": (_tanh, _d_tanh),
    "relu": (_relu, _d_relu),
}


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def output_and_error(z: np.ndarray, target: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Output activations, dL/dz per sample, and the batch-mean loss.

    ce: softmax + cross-entropy, dL/dz = p - t.
    mse: sigmoid + squared error sum_k (t_k - a_k)^2, dL/dz = -2 a (1 - a) (t - a)
    (the MLP+NeuroSim V3.0 rule)."""
    if loss == "ce":
        p = softmax(z)
        logp = np.log(np.clip(p, 1e-30, None))
        return p, p - target, float(-(target * logp).sum(axis=1).mean())
    a = sigmoid(z)
    diff = target - a
    return a, -2.0 * a * (1.0 - a) * diff, float((diff * diff).sum(axis=1).mean())


def xavier_limits(sizes: tuple[int, ...]) -> list[float]:
    """Glorot-uniform limits sqrt(6 / (fan_in + fan_out)) per layer."""
    return [float(np.sqrt(6.0 / (a + b))) for a, b in zip(sizes[:-1], sizes[1:])]


def init_weights(sizes: tuple[int, ...], init: str, gains: list[float],
                 rng: np.random.Generator) -> list[np.ndarray]:
    """Initial device-domain weights w in [-1, 1] (network weight = gain x w).

    xavier: Glorot-uniform network weights, divided by the gain.
    levels: uniform over the 7 values {-1, -2/3, ..., 1} (MLP+NeuroSim V3.0)."""
    out = []
    for (a, b), lim, g in zip(zip(sizes[:-1], sizes[1:]), xavier_limits(sizes), gains):
        if init == "levels":
            w = rng.integers(-3, 4, size=(a, b)) / 3.0
        else:
            w = rng.uniform(-lim, lim, size=(a, b)) / g
        out.append(np.clip(w, -1.0, 1.0).astype(np.float32))
    return out


def layer_gains(sizes: tuple[int, ...], gain: float | None, init: str) -> list[float]:
    """Scale from device weights to network weights per layer: fixed, 1 for 'levels', or
    2 x the Xavier limit (initial weights then span the middle half of the device range)."""
    if gain is not None:
        return [float(gain)] * (len(sizes) - 1)
    if init == "levels":
        return [1.0] * (len(sizes) - 1)
    return [2.0 * lim for lim in xavier_limits(sizes)]
