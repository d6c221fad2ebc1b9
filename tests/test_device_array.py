"""AnalogStore: mapping, programming, pulse updates, trace counts, reads, state."""

from __future__ import annotations

import numpy as np
import pytest

import cimbench.device.array as array_mod
from cimbench.device import physics
from cimbench.device.preset import load_preset
from cimbench.errors import ConfigError
from device_helpers import make_rngs, make_store


_rngs, _store = make_rngs, make_store


def _linear(**kw):
    base = dict(nl_ltp=0.0, nl_ltd=0.0, c2c=0.0, levels_ltp=64, levels_ltd=64,
                rounding="nearest", mapping="reference")
    base.update(kw)
    return load_preset("agsi").with_overrides(**base)


def _levels_w(p):
    """Weights of the levels reachable by whole LTP pulses from Gmin (reference mapping)."""
    c = physics.inv_a(p.nl_ltp, p.levels_ltp)
    u = np.expm1(-c * np.arange(p.levels_ltp + 1)) * physics.curve_constant(c, p.levels_ltp)
    return 2 * u - 1


@pytest.mark.parametrize("name", ["agsi", "rram", "epiram", "pcmo", "sram"])
def test_weights_round_trip_through_conductances_within_half_a_level(name):
    p = load_preset(name).with_overrides(c2c=0.0)
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (60, 50))
    s = _store(p, [w])
    got = s.weights(0).astype(np.float64)
    lv = _levels_w(p)
    pos = np.searchsorted(lv, w)
    lo = lv[np.clip(pos - 1, 0, lv.size - 1)]
    hi = lv[np.clip(pos, 0, lv.size - 1)]
    half_gap = (hi - lo) / 2 + 1e-6
    assert np.all(np.abs(got - w) <= half_gap)
    # and it is the nearest level
    nearest = lv[np.argmin(np.abs(w[..., None] - lv), axis=-1)]
    np.testing.assert_allclose(got, nearest, atol=1e-5)


def test_a_requested_change_of_k_levels_fires_k_pulses():
    p = _linear()
    s = _store(p, [np.zeros((10, 8))])
    w0 = s.weights(0)
    assert np.allclose(w0, 0, atol=1e-6)               # 64 levels: mid level is exact
    k = np.arange(-4, 4).astype(np.float32)            # per column
    s.write(0, np.tile(k * 2.0 / 64, (10, 1)))
    np.testing.assert_allclose(s.weights(0) - w0, np.tile(k * 2.0 / 64, (10, 1)), atol=1e-6)
    t = s.trace.layers[0]
    assert t.ltp_pulses == 10 * (1 + 2 + 3) and t.ltd_pulses == 10 * (1 + 2 + 3 + 4)
    assert t.updates == 1
    # non-integer requests round half away from zero (0.5 level -> 1 pulse)
    s.write(0, np.full((10, 8), 0.5 * 2.0 / 64, dtype=np.float32))
    assert t.ltp_pulses == 60 + 80


@pytest.mark.parametrize("sparse", [True, False])
def test_trace_counts_for_a_hand_made_update(sparse, monkeypatch):
    monkeypatch.setattr(array_mod, "_SPARSE_FRAC", 2.0 if sparse else -1.0)
    p = _linear()
    s = _store(p, [np.zeros((3, 4))])
    n = np.array([[2, 0, -1, 3], [0, 0, 0, 0], [0, -4, 0, 1]], dtype=np.float32)
    s.write(0, n * 2.0 / 64)
    t = s.trace.layers[0]
    assert (t.ltp_pulses, t.ltd_pulses) == (6, 5)
    assert (t.row_max_ltp, t.row_max_ltd) == (3 + 1, 1 + 4)
    assert (t.cells_written, t.rows_written, t.updates) == (5, 2, 1)
    s.write(0, np.zeros((3, 4)))
    assert t.updates == 2 and t.cells_written == 5


def test_differential_mapping_splits_pulses_between_the_pair():
    p = _linear(mapping="differential")
    s = _store(p, [np.zeros((2, 3))])
    n = np.array([[2, 0, -1], [0, 0, 0]], dtype=np.float32)
    s.write(0, n * 2.0 / 64)          # each device gets dw/2 -> n pulses, pair moves 2n levels/2
    t = s.trace.layers[0]
    assert (t.ltp_pulses, t.ltd_pulses) == (3, 3)      # G+ LTP 2, G- LTP 1; G+ LTD 1, G- LTD 2
    assert (t.cells_written, t.rows_written) == (4, 1)
    np.testing.assert_allclose(s.weights(0), n * 2.0 / 64, atol=1e-6)
    g = s.conductances(0)
    assert g.shape == (2, 2, 3)


def test_reads_match_x_at_w_when_noise_free_without_adc():
    p = load_preset("agsi").with_overrides(c2c=0.0)
    rng = np.random.default_rng(2)
    s = _store(p, [rng.uniform(-1, 1, (30, 20))])
    s.write(0, rng.normal(0, 0.1, (30, 20)).astype(np.float32))
    w = s.weights(0)
    x, e = rng.random((7, 30)).astype(np.float32), rng.random((7, 20)).astype(np.float32)
    np.testing.assert_allclose(s.read(0, x), x @ w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s.read_t(0, e), e @ w.T, rtol=1e-5, atol=1e-5)
    # and w is the reference-column form computed in conductance units
    g = s.conductances(0)[0]
    y_g = (x @ g - x.sum(1, keepdims=True) * (p.gmax + p.gmin) / 2) * 2 / (p.gmax - p.gmin)
    np.testing.assert_allclose(s.read(0, x), y_g, rtol=1e-4, atol=1e-4)


def test_ltd_saturates_at_gmin():
    for name in ("agsi", "rram", "gst-pcm"):
        p = load_preset(name).with_overrides(c2c=0.0)
        rng = np.random.default_rng(4)
        s = _store(p, [rng.uniform(-1, 1, (20, 10))])
        for _ in range(30):
            s.write(0, np.full((20, 10), -0.3, dtype=np.float32))
        np.testing.assert_allclose(s.conductances(0), p.gmin, rtol=1e-6)
        np.testing.assert_allclose(s.weights(0), -1.0, atol=1e-6)
        for _ in range(30):
            s.write(0, np.full((20, 10), 0.3, dtype=np.float32))
        np.testing.assert_allclose(s.conductances(0), p.gmax, rtol=1e-6)


@pytest.mark.parametrize("mapping", ["reference", "differential"])
@pytest.mark.parametrize("name,d2d", [("agsi", 0.0), ("rram", 0.5), ("pcmo", 1.0)])
def test_sparse_and_dense_write_paths_agree(name, d2d, mapping, monkeypatch):
    p = load_preset(name).with_overrides(c2c=0.0, mapping=mapping, rounding="nearest", d2d=d2d,
                                         d2d_g=0.05, stuck_at_gmin=0.02)
    out = []
    for frac in (2.0, -1.0):
        monkeypatch.setattr(array_mod, "_SPARSE_FRAC", frac)
        s = _store(p, [np.random.default_rng(0).uniform(-1, 1, (30, 20))], seed=3)
        r = np.random.default_rng(5)
        for _ in range(20):
            s.write(0, r.normal(0, 0.2, (30, 20)).astype(np.float32))
        out.append((s.weights(0), s.trace.layers[0]))
    np.testing.assert_allclose(out[0][0], out[1][0], atol=2e-4)
    assert out[0][1] == out[1][1]


def test_stochastic_rounding_is_unbiased():
    p = _linear(rounding="stochastic")
    s = _store(p, [np.zeros((100, 100))])
    s.write(0, np.full((100, 100), 0.3 * 2.0 / 64, dtype=np.float32))   # 0.3 of a level
    t = s.trace.layers[0]
    assert t.ltp_pulses == pytest.approx(3000, abs=4 * np.sqrt(10000 * 0.21))
    assert t.ltd_pulses == 0


def test_state_dict_round_trip():
    p = load_preset("agsi").with_overrides(d2d=0.3, d2d_g=0.05, stuck_at_gmax=0.05, c2c=0.0)
    rng = np.random.default_rng(6)
    s = _store(p, [rng.uniform(-1, 1, (15, 12)), rng.uniform(-1, 1, (12, 4))], seed=1)
    for _ in range(5):
        s.write(0, rng.normal(0, 0.1, (15, 12)).astype(np.float32))
    sd = s.state_dict()
    other = _store(p, [np.zeros((15, 12)), np.zeros((12, 4))], seed=99)
    other.load_state_dict(sd)
    for i in range(2):
        np.testing.assert_array_equal(other.weights(i), s.weights(i))
    # the D2D constants travel with the state: the same update has the same effect
    assert s.n_layers == 2 and isinstance(sd["w0"], np.ndarray)
    dw = rng.normal(0, 0.1, (15, 12)).astype(np.float32)
    s.write(0, dw)
    other.write(0, dw)
    np.testing.assert_array_equal(other.weights(0), s.weights(0))
    # with only w{i}, devices are programmed to those weights
    third = _store(p, [np.zeros((15, 12)), np.zeros((12, 4))], seed=1)
    third.load_state_dict({"w0": sd["w0"], "w1": sd["w1"]})
    assert np.abs(third.weights(0) - sd["w0"]).max() < 0.3


@pytest.mark.parametrize("name", ["agsi", "epiram", "rram"])
def test_reloaded_state_reads_exactly_the_trained_weights(name):
    """Sparse online writes on plain presets (no D2D, no stuck cells): the cached weights must
    be those of the stored device state, or a checkpoint evaluates another model."""
    p = load_preset(name)
    rng = np.random.default_rng(8)
    s = _store(p, [rng.uniform(-1, 1, (40, 30))], seed=2)
    for _ in range(200):
        dw = np.zeros((40, 30), dtype=np.float32)
        dw[rng.integers(0, 40, 3)] = rng.normal(0, 0.1, 30)   # a few rows: the sparse path
        s.write(0, dw)
    other = _store(p, [np.zeros((40, 30))], seed=99)
    other.load_state_dict(s.state_dict())
    np.testing.assert_array_equal(other.weights(0), s.weights(0))


def test_ideal_preset_is_refused_and_digital_is_linear():
    with pytest.raises(ConfigError, match="ideal"):
        _store(load_preset("ideal"), [np.zeros((2, 2))])
    s = _store(load_preset("sram"), [np.zeros((4, 4))])
    s.write(0, np.full((4, 4), 3 * 2.0 / 64, dtype=np.float32))
    # stochastic rounding of an exact integer is exact
    assert s.trace.layers[0].ltp_pulses == 3 * 16


@pytest.mark.parametrize("sparse", [True, False])
@pytest.mark.parametrize("name", ["agsi", "pcmo", "rram"])
def test_store_update_follows_the_published_curve_from_each_devices_position(
        name, sparse, monkeypatch):
    """Independent check of the store's update tables against DESIGN.md's closed form:
    P0 = -A ln(1 - (G - Gmin)/B), then G = G(P0 + n), on the curve of the pulse direction."""
    monkeypatch.setattr(array_mod, "_SPARSE_FRAC", 2.0 if sparse else -1.0)
    p = load_preset(name).with_overrides(c2c=0.0, d2d=0.0, rounding="nearest",
                                         mapping="reference")
    rng = np.random.default_rng(7)
    s = _store(p, [rng.uniform(-0.9, 0.9, (12, 9))])
    g0 = s.conductances(0)[0].astype(np.float64)
    n = rng.integers(-12, 13, size=(12, 9))
    pmax = np.where(n > 0, p.levels_ltp, p.levels_ltd)
    s.write(0, (n * 2.0 / pmax).astype(np.float32))
    expect = np.empty_like(g0)
    for direction, a, levels in ((n > 0, p.a_ltp_pulses, p.levels_ltp),
                                 (n <= 0, p.a_ltd_pulses, p.levels_ltd)):
        p0 = physics.pulse_position(g0[direction], a, levels, p.gmin, p.gmax)
        expect[direction] = physics.conductance(p0 + n[direction], a, levels, p.gmin, p.gmax)
    expect = np.clip(expect, p.gmin, p.gmax)
    np.testing.assert_allclose(s.conductances(0)[0], expect, atol=1e-5 * (p.gmax - p.gmin))
    assert s.trace.layers[0].ltp_pulses == n[n > 0].sum()
    assert s.trace.layers[0].ltd_pulses == -n[n < 0].sum()
