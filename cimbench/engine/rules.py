"""Learning rules, registered by name. Each maps the output error, the hidden layers'
activation derivatives and the fixed feedback matrices to per-layer deltas dL/dz
(None = that layer does not learn). The weight gradient is then a_{l-1}^T delta_l for all.

Layers are indexed 0..L-1; hidden layer l feeds layer l+1; derivs[l] = f'(z_l) for l < L-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class Signals:
    """What a rule may use. transpose(l, d) reads d @ W_l^T through the trained array
    (only BP uses it); project(B, x) reads x @ B through a fixed random feedback array."""

    error: np.ndarray                 # dL/dz of the output layer, (batch, n_classes)
    target: np.ndarray                # one-hot targets, (batch, n_classes)
    derivs: list[np.ndarray]          # f'(z_l) of hidden layers, (batch, n_l)
    feedback: list[np.ndarray]        # per hidden layer, shapes from the rule's `feedback`
    transpose: Callable[[int, np.ndarray], np.ndarray]
    project: Callable[[np.ndarray, np.ndarray], np.ndarray]


def bp(s: Signals) -> list[np.ndarray | None]:
    """Backpropagation: the error travels back through the transposed weights, layer by layer."""
    deltas = [s.error]
    for l in range(len(s.derivs) - 1, -1, -1):
        deltas.insert(0, s.transpose(l + 1, deltas[0]) * s.derivs[l])
    return deltas


def fa(s: Signals) -> list[np.ndarray | None]:
    """Feedback alignment (Lillicrap et al. 2016): like BP, through fixed random B_{l+1}."""
    deltas = [s.error]
    for l in range(len(s.derivs) - 1, -1, -1):
        deltas.insert(0, s.project(s.feedback[l], deltas[0]) * s.derivs[l])
    return deltas


def dfa(s: Signals) -> list[np.ndarray | None]:
    """Direct feedback alignment (Noekland 2016): the output error straight to every layer."""
    return [s.project(B, s.error) * d for B, d in zip(s.feedback, s.derivs)] + [s.error]


def drtp(s: Signals) -> list[np.ndarray | None]:
    """Direct random target projection (Frenkel et al. 2021): the target, not the error, is
    projected; -t is the sign-consistent surrogate of the error (e = p - t)."""
    return [s.project(B, -s.target) * d for B, d in zip(s.feedback, s.derivs)] + [s.error]


def shallow(s: Signals) -> list[np.ndarray | None]:
    """Only the output layer learns: the floor every rule must beat."""
    return [None] * len(s.derivs) + [s.error]


@dataclass(frozen=True)
class Rule:
    fn: Callable[[Signals], list]
    feedback: str      # "none" | "layer" (shape of W_{l+1}^T) | "direct" (n_classes x n_l)
    lr: float          # default learning rate (mini-batch, momentum 0.9, softmax CE)
    description: str


RULES: dict[str, Rule] = {
    "bp": Rule(bp, "none", 0.1, "backpropagation"),
    "fa": Rule(fa, "layer", 0.1, "feedback alignment"),
    "dfa": Rule(dfa, "direct", 0.1, "direct feedback alignment"),
    "drtp": Rule(drtp, "direct", 0.1, "direct random target projection"),
    "shallow": Rule(shallow, "none", 0.1, "only the output layer learns"),
}


def feedback_matrices(rule: str, sizes: tuple[int, ...], rng: np.random.Generator) -> list[np.ndarray]:
    """Fixed random feedback matrices, Glorot-uniform for their own shape (float32)."""
    kind = RULES[rule].feedback
    hidden = sizes[1:-1]
    if kind == "layer":
        shapes = [(sizes[l + 2], sizes[l + 1]) for l in range(len(hidden))]
    elif kind == "direct":
        shapes = [(sizes[-1], n) for n in hidden]
    else:
        return []
    return [rng.uniform(-1, 1, size=s).astype(np.float32) * np.float32(np.sqrt(6.0 / sum(s)))
            for s in shapes]
