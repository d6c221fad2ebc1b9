"""Per-rule structure and phase schedules.

Conventions (layers 0-indexed, L layers, layer l maps n_in(l) x n_out(l)):

* ``ag[l]`` is the AG (activation-gradient) work done *at* layer l: the read that turns the error
  of layer l into the error of layer l-1. ``ag[0]`` is always 0 (the input needs no error).
  bp reads layer l's own array transposed; fa reads a fixed random array B_l of the transposed
  shape; dfa/drtp read a fixed random array that projects the output error (dfa) or the target
  (drtp) straight to layer l-1. shallow has no AG.
* ``wg[l]``, ``wu[l]``: weight-gradient and weight-update work of layer l.

Schedules (latency of the backward phase, from per-layer latencies, same units in and out):

* bp, fa: strictly sequential from the output layer backwards. Layer l's AG waits for layer
  l+1's AG, and WG/WU of a layer follow its error; bp/fa share ONE WG unit, so nothing overlaps:
  ``sum_l (ag[l] + wg[l] + wu[l])``.
* dfa, drtp: the output error (target) is broadcast to all layers at once; each layer's chain is
  projection -> WG -> WU on its own WG unit, all chains overlap: ``max_l chain[l]`` with
  ``chain[l] = ag[l+1] + wg[l] + wu[l]`` (the projection producing layer l's error is the AG
  booked at layer l+1; the last layer gets its error from the loss). The chains share one
  off-chip DRAM channel, so the overlap can be no shorter than all layers' transfers one after
  another: ``max(max_l chain[l], sum_l shared[l])`` (``shared[l]``: layer l's DRAM time).
* shallow: only the last layer learns: ``wg[-1] + wu[-1]``.
* Forward: sequential for every rule, ``sum_l fw[l]``.

Because every chain is a sum of per-iteration costs that scale with the iteration count, the
max over layers of the *total* chain equals iterations x the max of the per-iteration chains when
per-iteration costs are uniform; with non-uniform iterations it is the usual mean-field estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from cimbench.errors import ConfigError


@dataclass(frozen=True)
class RuleHardware:
    """What a learning rule needs from the chip."""

    name: str
    transposed_read: bool     # AG reads the trained arrays transposed (row-side ADCs)
    feedback: str             # "none" | "layer" (B_l like W_l^T) | "direct" (n_classes -> layer)
    parallel_backward: bool   # chains of all layers overlap
    wg_unit_per_layer: bool   # one WG unit per trained layer (else one shared unit)
    hidden_learn: bool = True  # hidden layers have WG/WU (False for shallow)


RULES = {
    "bp": RuleHardware("bp", transposed_read=True, feedback="none", parallel_backward=False,
                       wg_unit_per_layer=False),
    "fa": RuleHardware("fa", transposed_read=False, feedback="layer", parallel_backward=False,
                       wg_unit_per_layer=False),
    "dfa": RuleHardware("dfa", transposed_read=False, feedback="direct", parallel_backward=True,
                        wg_unit_per_layer=True),
    "drtp": RuleHardware("drtp", transposed_read=False, feedback="direct", parallel_backward=True,
                         wg_unit_per_layer=True),
    "shallow": RuleHardware("shallow", transposed_read=False, feedback="none",
                            parallel_backward=False, wg_unit_per_layer=False, hidden_learn=False),
}


def rule(algo: str) -> RuleHardware:
    try:
        return RULES[algo.lower()]
    except KeyError:
        raise ConfigError(f"unknown algorithm '{algo}' for the hardware estimator; valid: "
                          f"{', '.join(RULES)}") from None


def forward_latency(fw: list[float]) -> float:
    """Forward pass: layers one after the other (every rule)."""
    return float(sum(fw))


def chains(algo: str, ag: list[float], wg: list[float], wu: list[float]) -> list[float]:
    """Per-layer backward chain latencies (see module docstring)."""
    n = len(wg)
    r = rule(algo)
    if not r.hidden_learn:
        return [0.0] * (n - 1) + [wg[-1] + wu[-1]]
    if r.parallel_backward:
        return [(ag[l + 1] if l + 1 < n else 0.0) + wg[l] + wu[l] for l in range(n)]
    return [(ag[l] if l > 0 else 0.0) + wg[l] + wu[l] for l in range(n)]


def backward_latency(algo: str, ag: list[float], wg: list[float], wu: list[float],
                     shared: list[float] | None = None) -> float:
    """Backward-phase latency: sum of chains (bp, fa, shallow) or their max (dfa, drtp), the
    latter at least the sum of the layers' time on the shared DRAM channel (`shared`, s)."""
    c = chains(algo, ag, wg, wu)
    if rule(algo).parallel_backward:
        return float(max(max(c) if c else 0.0, sum(shared or ())))
    return float(sum(c))


def critical_layers(algo: str, ag: list[float], wg: list[float], wu: list[float]) -> list[int]:
    """Layers whose chains make up the backward latency (all of them, or the slowest one)."""
    c = chains(algo, ag, wg, wu)
    if rule(algo).parallel_backward:
        return [max(range(len(c)), key=lambda i: c[i])] if c else []
    return list(range(len(c)))
