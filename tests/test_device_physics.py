"""Device physics: curve shape, NL table, C2C, D2D, faults, read noise, ADC."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimbench.device import physics
from cimbench.device.array import AnalogStore
from cimbench.device.preset import load_preset
from cimbench.errors import ConfigError
from cimbench.trace import Trace
from device_helpers import make_rngs, make_store

labels = st.floats(min_value=-9.0, max_value=9.0, allow_nan=False)
levels = st.integers(min_value=1, max_value=200)


def _consts(nl_ltp, nl_ltd, p_ltp, p_ltd):
    c_ltp, c_ltd = physics.inv_a(nl_ltp, p_ltp), physics.inv_a(nl_ltd, p_ltd)
    return ((c_ltp,) + physics.update_constants(c_ltp, p_ltp),
            (c_ltd,) + physics.update_constants(c_ltd, p_ltd))


def _step(u, n, consts):
    c, q, off = consts[0] if n > 0 else consts[1]
    return physics.apply_pulses(np.float64(u), float(n), c, q, off)


_rngs, _store = make_rngs, make_store


# ------------------------------------------------------------------ curve

@settings(max_examples=40, deadline=None)
@given(labels, labels, levels, st.floats(min_value=0.0, max_value=0.2),
       st.lists(st.floats(min_value=-3.0, max_value=3.0), min_size=1, max_size=12),
       st.booleans(), st.integers(min_value=0, max_value=2**31))
def test_conductance_stays_within_bounds_under_any_pulse_train(nl_ltp, nl_ltd, p, c2c, train,
                                                               dense, seed):
    """Through the analog store (both write paths, with C2C noise up to 20 % per pulse):
    every device stays in [Gmin, Gmax] whatever it is asked to do."""
    pre = load_preset("agsi").with_overrides(nl_ltp=nl_ltp, nl_ltd=nl_ltd, levels_ltp=p,
                                             levels_ltd=p, c2c=c2c)
    rng = np.random.default_rng(seed)
    s = _store(pre, [rng.uniform(-1, 1, (8, 6))], seed=seed)
    for x in train:
        dw = np.zeros((8, 6), dtype=np.float32)
        if dense:
            dw[...] = x * rng.random((8, 6))
        else:
            dw[rng.integers(0, 8)] = x               # one row: the sparse path
        s.write(0, dw)
        g = s.conductances(0)
        assert np.all(g >= pre.gmin * (1 - 1e-6)) and np.all(g <= pre.gmax * (1 + 1e-6))


@settings(max_examples=60, deadline=None)
@given(labels, labels, levels, levels, st.floats(min_value=0.0, max_value=1.0))
def test_response_is_monotone_in_pulse_count(nl_ltp, nl_ltd, p_ltp, p_ltd, u0):
    consts = _consts(nl_ltp, nl_ltd, p_ltp, p_ltd)
    resp = [_step(u0, n, consts) for n in range(-p_ltd, p_ltp + 1)]
    assert np.all(np.diff(resp) >= -1e-12)
    assert _step(u0, 0, consts) == pytest.approx(u0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(labels, labels, levels, levels)
def test_pmax_ltp_pulses_take_gmin_to_gmax_without_noise(nl_ltp, nl_ltd, p_ltp, p_ltd):
    consts = _consts(nl_ltp, nl_ltd, p_ltp, p_ltd)
    assert _step(0.0, p_ltp, consts) == pytest.approx(1.0, abs=1e-6)
    assert _step(1.0, -p_ltd, consts) == pytest.approx(0.0, abs=1e-6)
    # and in single pulses, through every level of the curve
    u = 0.0
    for _ in range(p_ltp):
        u = _step(u, 1, consts)
    assert u == pytest.approx(1.0, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(labels, levels, st.integers(min_value=0, max_value=200),
       st.integers(min_value=-200, max_value=200))
def test_update_matches_published_curve_form(nl, pmax, p0, n):
    """G(P0 + n) of the closed form equals the one-exponential update used by the store."""
    p0 = min(p0, pmax)
    n = int(np.clip(n, -pmax, pmax))
    a = physics.nl_to_a(nl) * pmax
    g0 = physics.conductance(p0, a, pmax, 1.0, 10.0)
    p_back = physics.pulse_position(g0, a, pmax, 1.0, 10.0)
    # the inverse is ill-conditioned on flat parts of very bent curves: compare in G
    assert physics.conductance(p_back, a, pmax, 1.0, 10.0) == pytest.approx(g0, abs=1e-9)
    g_ref = np.clip(physics.conductance(p0 + n, a, pmax, 1.0, 10.0), 1.0, 10.0)
    c = physics.inv_a(nl, pmax)
    u1 = physics.apply_pulses((g0 - 1.0) / 9.0, n, c, *physics.update_constants(c, pmax))
    assert 1.0 + 9.0 * u1 == pytest.approx(g_ref, abs=1e-6)


def test_nl_zero_is_linear():
    consts = _consts(0.0, 0.0, 50, 40)
    u = 0.0
    for k in range(1, 51):
        u = _step(u, 1, consts)
        assert u == pytest.approx(k / 50, abs=1e-9)
    for k in range(1, 41):
        u = _step(u, -1, consts)
        assert u == pytest.approx(1 - k / 40, abs=1e-9)
    assert np.isinf(physics.nl_to_a(0.0))
    assert np.isinf(physics.nl_to_a(0.009))    # truncates to 0.00


def test_nl_to_a_matches_published_check_points():
    assert physics.nl_to_a(2.4) == pytest.approx(0.499181, rel=1e-5)
    assert physics.nl_to_a(4.88) == pytest.approx(0.200303, rel=1e-5)
    assert physics.nl_to_a(-4.88) == pytest.approx(-0.200303, rel=1e-5)
    # vectorized
    a = physics.nl_to_a(np.array([2.4, -4.88, 0.0]))
    np.testing.assert_allclose(a[:2], [0.499181, -0.200303], rtol=1e-5)
    assert np.isinf(a[2])
    # the defining property: max deviation from linear is 0.07 sqrt(2) |NL|
    x = np.linspace(0, 1, 200001)
    for nl in (0.5, 2.4, 6.76):
        A = physics.nl_to_a(nl)
        g = -np.expm1(-x / A) / -np.expm1(-1 / A)
        assert np.max(g - x) == pytest.approx(0.07 * np.sqrt(2) * nl, rel=1e-6)


def test_nl_label_truncated_to_hundredths():
    assert physics.nl_to_a(0.105) == physics.nl_to_a(0.10)
    assert physics.nl_to_a(0.109) == physics.nl_to_a(0.10)
    assert physics.nl_to_a(0.105) != physics.nl_to_a(0.11)
    assert physics.nl_to_a(2.4099) == physics.nl_to_a(2.40)
    assert physics.nl_to_a(0.29) == physics.nl_to_a(0.2900001)  # binary 0.29*100 < 29
    assert physics.nl_index(0.105) == 10


def test_negative_label_mirrors_the_curve():
    """g_{-A}(x) = 1 - g_{A}(1 - x): a negative label bends the curve the other way."""
    x = np.linspace(0, 1, 11)
    a = physics.nl_to_a(3.0)
    g_pos = physics.conductance(x, a, 1, 0.0, 1.0)
    g_neg = physics.conductance(x, -a, 1, 0.0, 1.0)
    np.testing.assert_allclose(g_neg, 1 - g_pos[::-1], atol=1e-12)
    assert np.all(g_pos[1:-1] > x[1:-1]) and np.all(g_neg[1:-1] < x[1:-1])


# ------------------------------------------------------------------ C2C

def _linear_preset(**kw):
    base = dict(nl_ltp=0.0, nl_ltd=0.0, c2c=0.0, levels_ltp=64, levels_ltd=64,
                rounding="nearest", mapping="reference", d2d=0.0, read_noise=0.0)
    base.update(kw)
    return load_preset("agsi").with_overrides(**base)


def test_c2c_spread_grows_as_sqrt_n():
    """Per-pulse C2C: sd of the change after n pulses is sigma * sqrt(n) (range units).

    200 x 200 = 40,000 devices per n, seed 1; the sd estimate has ~0.4 % standard error, the
    tolerance is 3 %; the ratio for n = 16 vs n = 1 must be 4 +- 5 %.
    """
    sigma = 0.005
    p = _linear_preset(c2c=sigma, c2c_mode="per-pulse")
    sds = {}
    for n in (1, 4, 16):
        s = _store(p, [np.zeros((200, 200))], seed=1)
        u0 = s._layers[0].u.reshape(200, 200).astype(np.float64)
        s.write(0, np.full((200, 200), n * 2.0 / 64, dtype=np.float32))
        du = s._layers[0].u.reshape(200, 200).astype(np.float64) - u0 - n / 64
        sds[n] = du.std()
        assert sds[n] == pytest.approx(sigma * np.sqrt(n), rel=0.03)
        assert abs(du.mean()) < 4 * sigma * np.sqrt(n) / 200
    assert sds[16] / sds[1] == pytest.approx(4.0, rel=0.05)


def test_per_update_c2c_is_one_draw_per_changed_weight():
    """Per-update C2C: sd sigma whatever n; cells with no pulse do not move at all."""
    sigma = 0.01
    p = _linear_preset(c2c=sigma, c2c_mode="per-update")
    for n in (1, 9):
        s = _store(p, [np.zeros((200, 200))], seed=2)
        u0 = s._layers[0].u.reshape(200, 200).astype(np.float64)
        dw = np.zeros((200, 200), dtype=np.float32)
        dw[:, :100] = n * 2.0 / 64
        s.write(0, dw)
        du = s._layers[0].u.reshape(200, 200).astype(np.float64) - u0
        assert (du[:, 100:] == 0).all()
        assert (du[:, :100] - n / 64).std() == pytest.approx(sigma, rel=0.04)
    # the sparse (gather) path draws the same distribution
    s = _store(p, [np.zeros((200, 200))], seed=3)
    u0 = s._layers[0].u.reshape(200, 200).astype(np.float64)
    dw = np.zeros((200, 200), dtype=np.float32)
    dw[::10, :] = 4 * 2.0 / 64          # 10 % of cells, sparse path
    s.write(0, dw)
    du = s._layers[0].u.reshape(200, 200).astype(np.float64) - u0
    assert (du[1::10] == 0).all()
    assert (du[::10] - 4 / 64).std() == pytest.approx(sigma, rel=0.06)


# ------------------------------------------------------------------ D2D, faults

def test_d2d_draws_repeat_for_same_seed_and_differ_for_another():
    p = load_preset("agsi").with_overrides(d2d=0.5, d2d_g=0.05)
    w = [np.zeros((30, 20))]
    a, b, c = _store(p, w, seed=7), _store(p, w, seed=7), _store(p, w, seed=8)
    da, db, dc = a.state_dict(), b.state_dict(), c.state_dict()
    for key in ("c_ltp0", "c_ltd0", "gmin_f0", "gmax_f0"):
        np.testing.assert_array_equal(da[key], db[key])
        assert not np.allclose(da[key], dc[key])
        assert np.unique(da[key]).size > 100       # really per device
    # labels spread with sd = d2d: 1/A differs per device, and is fixed for life
    s = _store(p, w, seed=7)
    s.write(0, np.full((30, 20), 0.1, dtype=np.float32))
    np.testing.assert_array_equal(s.state_dict()["c_ltp0"], da["c_ltp0"])
    # without D2D every device has the nominal curve
    nom = _store(load_preset("agsi"), w, seed=7).state_dict()
    assert np.unique(nom["c_ltp0"]).size == 1
    # the D2D stream is separate: other streams do not change the devices
    r = _rngs(7)
    r["c2c"] = np.random.default_rng(999)
    other = AnalogStore(weights=w, trace=Trace.for_network("bp", 1, [30, 20]), preset=p,
                        adc_bits=None, rngs=r).state_dict()
    np.testing.assert_array_equal(other["c_ltp0"], da["c_ltp0"])


def test_stuck_devices_never_move():
    p = load_preset("agsi").with_overrides(stuck_at_gmin=0.1, stuck_at_gmax=0.1, c2c=0.05)
    rng = np.random.default_rng(0)
    s = _store(p, [rng.uniform(-1, 1, (40, 30))], seed=4)
    mask = s.stuck_mask(0)[0]
    assert 0.05 < (mask == 1).mean() < 0.15 and 0.05 < (mask == 2).mean() < 0.15
    g0 = s.conductances(0)[0]
    assert np.allclose(g0[mask == 1], p.gmin) and np.allclose(g0[mask == 2], p.gmax)
    for i in range(40):
        scale = 0.5 if i % 2 else 0.02           # dense and sparse paths
        s.write(0, rng.normal(0, scale, (40, 30)).astype(np.float32))
    g1 = s.conductances(0)[0]
    np.testing.assert_array_equal(g1[mask != 0], g0[mask != 0])
    assert (g1[mask == 0] != g0[mask == 0]).mean() > 0.9


# ------------------------------------------------------------------ reads

@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=8), st.integers(min_value=0, max_value=2**31))
def test_b_bit_adc_yields_at_most_2_to_the_b_values(bits, seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(0, rng.uniform(0.01, 100), (64, 40)).astype(np.float32)
    q = physics.adc_quantize(y, bits)
    assert np.unique(q).size <= 2 ** bits
    r = np.abs(y).max()
    assert np.abs(q).max() <= r * (1 + 1e-6)
    # quantization error at most half a step (step = 2R / (2^b - 1))
    assert np.max(np.abs(q - y)) <= r / (2 ** bits - 1) * (1 + 1e-4)
    assert physics.adc_quantize(y, None) is y


def test_adc_through_the_store():
    p = load_preset("agsi").with_overrides(c2c=0.0)
    rng = np.random.default_rng(1)
    s = _store(p, [rng.uniform(-1, 1, (50, 40))], adc_bits=3)
    x = rng.random((100, 50))
    assert np.unique(s.read(0, x)).size <= 8
    assert np.unique(s.read_t(0, rng.random((100, 40)))).size <= 8


PER = 255 / 400  # digits per unit of conductance sum: 400 rows, 8 bits


def _fs(y, g_ref, x_sum=100.0):
    out = physics.adc_full_scale(np.array([[y]], dtype=np.float32), np.array([x_sum]),
                                 rows=400, g_ref=g_ref, bits=8)
    return float(out[0, 0])


def test_full_scale_adc_hand_computed_example():
    """Reference 0.52 x 100 active rows = 52 -> 33.15 digits -> 33; column 52 + 10/2 = 57 ->
    36.34 -> 36; output 2 x (36 - 33) / PER = 9.4118 (weight-sum units)."""
    assert _fs(10.0, 0.52) == pytest.approx(2 * 3 / PER, rel=1e-6)


def test_full_scale_adc_truncates_rather_than_rounds():
    """Column 52 + 11.45/2 = 57.725 -> 36.80 digits: truncation keeps 36 (output 9.41);
    rounding would give 37 (12.55)."""
    assert _fs(11.45, 0.52) == pytest.approx(2 * 3 / PER, rel=1e-6)


def test_full_scale_adc_digitizes_the_reference_column_separately():
    """Reference 0.53176 x 100 = 53.176 -> 33.90 digits -> 33; column 53.176 + 6.902/2 =
    56.627 -> 36.10 -> 36: 3 digits (9.41). Converting the difference alone, 6.902/2 -> 2.20
    digits, would give 2 digits (6.27): separate truncations decide the result."""
    assert _fs(6.902, 0.53176) == pytest.approx(2 * 3 / PER, rel=1e-6)
    # and the other way: reference 52.4 -> 33.40 -> 33, column 52.4 + 1.2 = 53.6 -> 34.17 -> 34
    assert _fs(2.4, 0.524) == pytest.approx(2 * 1 / PER, rel=1e-6)


def test_full_scale_adc_saturates_at_the_top_code():
    """400 rows all on at 1.087 (Ag:a-Si Gmax in range units): the column, 434.8 -> 277 digits,
    clips at 255; the reference 0.5435 x 400 = 217.4 -> 138.6 -> 138: (255 - 138) x 2 / PER."""
    g_ref = 0.5435
    y = 2 * (1.087 - g_ref) * 400   # every weight at Gmax: w = 2 (G - Gref)
    assert _fs(y, g_ref, x_sum=400) == pytest.approx(2 * (255 - 138) / PER, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=10), st.integers(min_value=0, max_value=2**31))
def test_full_scale_adc_steps_and_error_bound(bits, seed):
    """Outputs sit on the grid 2 rows / (2^b - 1); two truncations leave |error| < one step."""
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(10, 500))
    x = (rng.random((30, rows)) < 0.4).astype(np.float32)
    w = rng.uniform(-1, 1, (rows, 7)).astype(np.float32)
    y = x @ w
    out = physics.adc_full_scale(y, x.sum(axis=1), rows, g_ref=0.55, bits=bits)
    step = 2.0 * rows / (2 ** bits - 1)
    k = out / step
    assert np.allclose(k, np.rint(k), atol=1e-3)
    assert np.all(np.abs(out - y) < step * (1 + 1e-6))
    zero = physics.adc_full_scale(np.zeros_like(y), x.sum(axis=1), rows, 0.55, bits)
    assert np.all(zero == 0)                       # column equals reference: equal digits


def test_full_scale_reads_through_the_store():
    p = load_preset("epiram").with_overrides(c2c=0.0)
    rng = np.random.default_rng(2)
    w = rng.uniform(-1, 1, (400, 30))
    s = make_store(p, [w], adc_bits=8, adc_range="full-scale")
    x = (rng.random((50, 400)) < 0.3).astype(np.float32)
    exact = x @ s.weights(0)
    out = s.read(0, x)
    step = 2 * 400 / 255
    assert np.all(np.abs(out - exact) < step) and np.unique(out / step).size > 5
    assert not np.allclose(out, exact, atol=step / 20)  # the coarse grid is really applied


def test_full_scale_needs_the_reference_mapping():
    p = load_preset("epiram").with_overrides(mapping="differential")
    with pytest.raises(ConfigError, match="reference"):
        make_store(p, [np.zeros((4, 3))], adc_bits=8, adc_range="full-scale")


def test_read_noise_std_matches_analytic():
    """The one-draw-per-output form has the distribution of per-cell noise I = G (1 + N)."""
    sigma = 0.1
    p = load_preset("agsi").with_overrides(read_noise=sigma, c2c=0.0)
    rng = np.random.default_rng(3)
    w = rng.uniform(-1, 1, (20, 6))
    s = _store(p, [w], seed=5)
    x = rng.random(20)
    xs = np.tile(x, (20000, 1))
    y = s.read(0, xs)
    g = s.conductances(0)[0] * 2.0 / (p.gmax - p.gmin)        # weight units
    # brute force Monte Carlo with a draw per cell and sample
    mc_rng = np.random.default_rng(11)
    cells = g[None] * (1 + sigma * mc_rng.standard_normal((20000,) + g.shape))
    y_mc = np.einsum("i,sij->sj", x, cells) - x.sum() * (p.gmax + p.gmin) / (p.gmax - p.gmin)
    np.testing.assert_allclose(y.mean(0), x @ s.weights(0), atol=0.01)
    np.testing.assert_allclose(y.std(0), y_mc.std(0), rtol=0.05)
    np.testing.assert_allclose(y.std(0), sigma * np.sqrt((x * x) @ (g * g)), rtol=0.05)
    # transposed read too
    e = rng.random(6)
    yt = s.read_t(0, np.tile(e, (20000, 1)))
    np.testing.assert_allclose(yt.std(0), sigma * np.sqrt((g * g) @ (e * e)), rtol=0.05)
