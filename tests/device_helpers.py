"""Shared builders for the device tests: an AnalogStore on given weights with seeded streams."""

import numpy as np

from cimbench.device.array import AnalogStore
from cimbench.trace import Trace


def make_rngs(seed=0):
    return {k: np.random.default_rng([seed, i]) for i, k in
            enumerate(["d2d", "c2c", "read", "round"])}


def make_store(preset, w, adc_bits=None, seed=0, adc_range="calibrated"):
    w = [np.asarray(x, dtype=np.float64) for x in w]
    trace = Trace.for_network("bp", 1, [w[0].shape[0]] + [x.shape[1] for x in w])
    return AnalogStore(weights=w, trace=trace, preset=preset, adc_bits=adc_bits,
                       rngs=make_rngs(seed), adc_range=adc_range)
