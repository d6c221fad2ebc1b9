"""Estimator: published trends, the MLP+NeuroSim reference, and directions of every knob."""

import json
import types

import numpy as np
import pytest

from cimbench.hardware import estimate, expected_trace, load_hardware
from cimbench.trace import LayerTrace, Trace

# rram-like device: the DNN+NeuroSim V2.x defaults (DESIGN.md)
RRAM = types.SimpleNamespace(name="rram", kind="analog", levels_ltp=32, levels_ltd=32, on_off=10.0,
                             r_on=100e3, v_write_ltp=4.0, v_write_ltd=-4.0, pulse_width_ltp=50e-9,
                             pulse_width_ltd=50e-9, v_read=0.5)
# Ag:a-Si, MLP+NeuroSim V3.0 table
AGSI = types.SimpleNamespace(name="agsi", kind="analog", levels_ltp=97, levels_ltd=100, on_off=12.5,
                             r_on=26e6, v_write_ltp=3.2, v_write_ltd=-2.8, pulse_width_ltp=300e-6,
                             pulse_width_ltd=300e-6, v_read=0.5)
HW = load_hardware("32nm")
NET = [784, 256, 256, 10]


def run(algo, sizes=NET, hw=HW, device=RRAM, batch=200, iters=5):
    return estimate(expected_trace(sizes, algo, batch, iters, device), device, hw)


# ------------------------------------------------------------------ output format

SUMMARY_KEYS = {"area_mm2", "latency_s", "energy_j", "latency_s_per_epoch", "energy_j_per_epoch",
                "latency_fw_s", "latency_ag_s", "latency_wg_s", "latency_wu_s", "energy_fw_j",
                "energy_ag_j", "energy_wg_j", "energy_wu_j", "leakage_w", "tops", "tops_per_w",
                "read_latency_s", "write_latency_s", "read_energy_j", "write_energy_j"}


@pytest.mark.parametrize("algo", ["bp", "fa", "dfa", "drtp", "shallow"])
def test_report_format(algo):
    rep = run(algo)
    assert SUMMARY_KEYS <= set(rep.summary)
    json.dumps(rep.summary)
    json.dumps(rep.rows)
    for k in SUMMARY_KEYS:
        assert isinstance(rep.summary[k], float) and rep.summary[k] >= 0
    assert rep.summary["latency_s"] == pytest.approx(
        sum(rep.summary[f"latency_{p}_s"] for p in ("fw", "ag", "wg", "wu")))
    units = {"area": "m^2", "latency": "s", "energy": "J", "leakage": "W"}
    for r in rep.rows:
        assert set(r) == {"phase", "layer", "component", "metric", "value", "unit"}
        assert r["unit"] == units[r["metric"]]
        assert r["layer"] == "all" or isinstance(r["layer"], int)
    assert rep.summary["energy_j"] == pytest.approx(rep.total("energy"))


def test_phase_structure():
    bp, dfa, sh = run("bp"), run("dfa"), run("shallow")
    # no AG at layer 0 for any rule; none at all for shallow; shallow trains only the last layer
    assert bp.total("energy", phase="ag", layer=0) == 0
    assert sh.total("energy", phase="ag") == 0
    assert sh.total("energy", phase="wu", layer=0) == 0 and sh.total("energy", phase="wu", layer=2) > 0
    # bp's AG reads the trained arrays transposed (row-side ADCs); dfa reads small feedback arrays
    assert bp.total("area", component="feedback_array") == 0
    assert dfa.total("area", component="feedback_array") > 0
    assert bp.total("energy", phase="ag") > dfa.total("energy", phase="ag")
    # dfa has one WG unit per layer, bp one shared unit
    assert len([r for r in dfa.rows if r["component"] == "wg_unit" and r["metric"] == "area"]) == 3
    assert len([r for r in bp.rows if r["component"] == "wg_unit" and r["metric"] == "area"]) == 1


def test_phases_scale_with_counts():
    a = run("bp", iters=5).summary
    b = run("bp", iters=10).summary
    for k in ("energy_fw_j", "energy_wu_j", "latency_s"):
        assert b[k] == pytest.approx(2 * a[k], rel=1e-3)
    assert b["area_mm2"] == pytest.approx(a["area_mm2"])


# ------------------------------------------------------------------ published trends

def depth_ratios(shape, batch=100, iters=2, hw=HW):
    """{N: (latency BP / DFA, energy BP / DFA)} for N = 2..8 layers of weights."""
    out = {}
    for n in range(2, 9):
        bp, dfa = (run(a, shape(n), batch=batch, iters=iters, hw=hw).summary
                   for a in ("bp", "dfa"))
        out[n] = (bp["latency_s"] / dfa["latency_s"], bp["energy_j"] / dfa["energy_j"])
    return out


def test_dfa_latency_speedup_approaches_depth_for_equal_layers():
    """N layers of 256 x 256: every backward chain costs the same, and a layer's weight gradient
    (256 error columns streamed per sample) dwarfs its forward read (one read per sample), so
    BP's sequential backward pass takes about N chains where DFA's takes one."""
    r = depth_ratios(lambda n: [256] * (n + 1))
    lat = [r[n][0] for n in range(2, 9)]
    assert all(b > a for a, b in zip(lat, lat[1:])), lat
    for n in range(2, 9):
        assert 0.9 * n <= r[n][0] <= n, (n, r[n])
        assert 0.9 <= r[n][1] <= 1.1, (n, r[n])


def test_mnist_depth_sweep_speedup_falls_one_layer_short_energy_equal():
    """784-[256 x (N-1)]-10: the output layer streams 10 error columns per sample against a
    hidden layer's 256, so only N - 1 chains are heavy and DFA's slowest chain (the input
    layer's, with three times the gradient traffic) sets its pace: N - 2 < BP / DFA < N - 0.75,
    rising with N; energy equal (both rules move the same activations, errors and gradients)."""
    for batch in (100, 200):
        r = depth_ratios(lambda n: [784] + [256] * (n - 1) + [10], batch=batch)
        lat = [r[n][0] for n in range(2, 9)]
        assert all(b > a for a, b in zip(lat, lat[1:])), lat
        assert all(b / (n + 1) > a / n for n, (a, b) in enumerate(zip(lat, lat[1:]), start=2))
        for n in range(3, 9):
            assert n - 2 < r[n][0] < n - 0.75, (n, r[n])
        for n in range(2, 9):
            assert 0.9 <= r[n][1] <= 1.1, (n, r[n])


def test_dfa_speedup_vanishes_when_the_shared_dram_channel_is_the_bottleneck():
    """With DRAM 10,000 x slower, every layer's per-sample gradient traffic dwarfs its compute;
    DFA's chains still share one channel, so they cannot overlap and BP / DFA falls to ~1."""
    r = depth_ratios(lambda n: [256] * (n + 1), hw=HW.with_overrides(dram_bandwidth=2.048e8))
    for n in range(2, 9):
        assert 0.95 <= r[n][0] <= 1.1, (n, r[n])


@pytest.mark.parametrize("algo", ["bp", "fa", "dfa", "drtp", "shallow"])
def test_phase_latencies_add_up_to_the_total_unless_dram_bound(algo):
    s = run(algo).summary
    phases = sum(s[f"latency_{p}_s"] for p in ("fw", "ag", "wg", "wu"))
    assert s["latency_s"] == pytest.approx(phases, rel=1e-12)
    slow = run(algo, sizes=[256] * 5, hw=HW.with_overrides(dram_bandwidth=2.048e8)).summary
    phases = sum(slow[f"latency_{p}_s"] for p in ("fw", "ag", "wg", "wu"))
    if algo in ("dfa", "drtp"):   # the shared channel, not the slowest chain, sets the pace
        assert slow["latency_s"] > 1.5 * phases
    else:
        assert slow["latency_s"] == pytest.approx(phases, rel=1e-12)


def test_phase_bars_of_the_breakdown_plot_add_up_to_latency():
    """The plot's latency-by-phase bars (from summary text, as read from a CSV) add up to
    latency_s; a DRAM-bound DFA run gets a 'dram wait' slice, an unbound one none."""
    from cimbench.plot import phase_latencies

    for hw, wait in ((HW, False), (HW.with_overrides(dram_bandwidth=2.048e8), True)):
        s = run("dfa", sizes=[256] * 5, hw=hw).summary
        bars = phase_latencies({k: repr(v) for k, v in s.items()})
        assert ("dram wait" in bars) is wait
        assert sum(bars.values()) == pytest.approx(s["latency_s"], rel=1e-9)
    assert phase_latencies({"latency_s": "1.0"}) is None


def test_wg_latency_scales_with_batch_times_iterations():
    """DNN+NeuroSim: FW, AG and WG scale with batch x iterations, WU with iterations. A WG unit
    that accumulates a whole batch in its rows (wg_samples_per_pass = 128) instead takes one
    pass per update: its compute shrinks by about the batch size (100) and its gradient
    traffic by 2 x 100 - 1 round trips to one write."""
    hw128 = HW.with_overrides(wg_samples_per_pass=128)
    a, b = run("dfa", batch=100, iters=4), run("dfa", batch=200, iters=4)
    wg = lambda rep: rep.total("energy", phase="wg", component="wg_unit")  # noqa: E731
    for k in ("latency_fw_s", "latency_wg_s"):
        assert b.summary[k] == pytest.approx(2 * a.summary[k], rel=0.01), k
    assert b.summary["latency_wu_s"] == pytest.approx(a.summary["latency_wu_s"], rel=1e-12)
    assert wg(b) == pytest.approx(2 * wg(a), rel=1e-9)
    one = run("dfa", batch=100, iters=4, hw=hw128)
    t = lambda rep: rep.summary["latency_wg_s"]  # noqa: E731
    assert 80 < t(a) / t(one) < 130       # about the batch size, plus the saved round trips
    assert one.summary["energy_j"] < a.summary["energy_j"]  # no per-sample gradient round trips


def test_wg_phase_latency_hand_computed():
    """One 16 x 8 layer, one update of a batch of 4, 32 nm defaults. Per sample: store x (1 clock),
    then 8 error columns x 8 bits x 8 mux steps of max(0.5 ns read, 0.5 ns flash, 0.5 ns
    shift-add) = 257 ns. DRAM: x and e of 4 samples (4 x (16 + 8) x 8 bits) plus the 16 x 8 x 8-bit
    gradient written 4 times and read back 3 times, at 2.048e12 bit/s."""
    tr = Trace(algo="bp", batch_size=4, layers=[LayerTrace(16, 8, fw_vectors=4, wg_vectors=4,
                                                           updates=1)], iterations=1, epochs=1)
    rep = estimate(tr, RRAM, HW)
    dram_bits = 4 * (16 + 8) * 8 + (2 * 4 - 1) * 16 * 8 * 8
    want = 4 * (1e-9 + 8 * 8 * 8 * 0.5e-9) + dram_bits / 2.048e12
    assert rep.total("latency", phase="wg", component="total") == pytest.approx(want, rel=1e-12)
    assert rep.total("energy", phase="wg", component="dram") == pytest.approx(dram_bits * 3.9e-12)


def one_layer(updates, batch=4, algo="bp"):
    return Trace(algo=algo, batch_size=batch, iterations=updates, epochs=1, layers=[
        LayerTrace(16, 8, fw_vectors=batch * updates, wg_vectors=batch * updates, updates=updates)])


def test_wg_unit_and_accumulation_energy_hand_computed():
    """The 16 x 8 layer, one update of 4 samples, 2 samples per pass (2 passes): store 4 x 16 x 8
    input bits; 2 passes x 8 error columns x 8 bits = 128 reads, each driving 2 x 0.5 active rows
    over 128 SRAM columns and converting the 128 columns (4-bit flash ADC, shift-add, mux); one
    partial gradient (16 x 8 x 8 bits) added to the running sum."""
    hw = HW.with_overrides(wg_samples_per_pass=2)
    rep = estimate(one_layer(1), RRAM, hw)
    adc4 = hw.comparator_energy * (2 ** 4 - 1) + hw.encoder_energy_per_bit * 4   # flash, 4 bits
    want = (4 * 16 * 8 * hw.sram_write_energy_per_bit
            + 128 * (2 * 0.5) * 128 * hw.wg_sram_read_energy_per_bit
            + 128 * 128 * (adc4 + hw.shift_add_energy + hw.mux_energy))
    assert rep.total("energy", phase="wg", component="wg_unit") == pytest.approx(want, rel=1e-12)
    assert rep.total("energy", phase="wg", component="accumulation") == pytest.approx(
        16 * 8 * 8 * hw.adder_energy_per_bit, rel=1e-12)
    dram_bits = 4 * (16 + 8) * 8 + (2 * 2 - 1) * 16 * 8 * 8
    assert rep.total("energy", phase="wg", component="dram") == pytest.approx(dram_bits * 3.9e-12)


@pytest.mark.parametrize("per_pass", [1, 2, 4])
def test_wg_costs_are_linear_in_updates(per_pass):
    """Three updates of the same batch cost exactly three times one update, component by
    component: nothing in the WG phase may depend on the run's length other than linearly."""
    hw = HW.with_overrides(wg_samples_per_pass=per_pass)
    one, three = estimate(one_layer(1), RRAM, hw), estimate(one_layer(3), RRAM, hw)
    for comp in ("wg_unit", "dram", "accumulation"):
        assert three.total("energy", phase="wg", component=comp) == pytest.approx(
            3 * one.total("energy", phase="wg", component=comp), rel=1e-12, abs=0.0), comp
    assert three.total("latency", phase="wg", component="total") == pytest.approx(
        3 * one.total("latency", phase="wg", component="total"), rel=1e-12)


def test_area_breakdown():
    """As every minibatch run is costed: one always-on bias row per array."""
    for algo, top in (("bp", "adc"), ("dfa", "wg_unit")):
        tr = expected_trace(NET, algo, 100, 2, RRAM)
        tr.add_bias_row()
        a = estimate(tr, RRAM, HW).area_by_component()
        total = sum(a.values())
        assert max(a, key=a.get) == top, (algo, a)
        assert (a["array"] + a.get("feedback_array", 0.0)) / total < 0.05


def test_traffic_dominates_energy():
    e = run("dfa").energy_by_component()
    traffic = e["dram"] + e["buffer"] + e["interconnect"]
    assert traffic / sum(e.values()) > 0.5


# ------------------------------------------------------------------ knobs move figures the right way

def test_more_adc_bits_more_adc_area_and_energy():
    lo, hi = run("bp", hw=HW.with_overrides(adc_bits=4)), run("bp", hw=HW.with_overrides(adc_bits=8))
    assert hi.total("area", component="adc") > lo.total("area", component="adc")
    assert hi.total("energy", component="adc") > lo.total("energy", component="adc")
    assert hi.summary["area_mm2"] > lo.summary["area_mm2"]


def test_larger_subarrays_fewer_adcs():
    small = run("bp", hw=HW.with_overrides(subarray_rows=64, subarray_cols=64))
    big = run("bp", hw=HW.with_overrides(subarray_rows=256, subarray_cols=256))
    assert big.total("area", component="adc") < small.total("area", component="adc")


def test_more_col_mux_fewer_adcs_slower_reads():
    a, b = run("bp", hw=HW.with_overrides(col_mux=4)), run("bp", hw=HW.with_overrides(col_mux=16))
    assert b.total("area", component="adc") < a.total("area", component="adc")
    assert b.summary["latency_fw_s"] > a.summary["latency_fw_s"]


@pytest.mark.parametrize("algo", ["bp", "dfa"])
def test_finer_node_less_area_and_energy(algo):
    s = {n: run(algo, hw=load_hardware(n)).summary for n in ("45nm", "32nm", "22nm")}
    assert s["45nm"]["area_mm2"] > s["32nm"]["area_mm2"] > s["22nm"]["area_mm2"]
    assert s["45nm"]["energy_j"] > s["32nm"]["energy_j"] > s["22nm"]["energy_j"]
    # the --tech override alone also shrinks area
    assert run(algo, hw=HW.with_overrides(tech_nm=22)).summary["area_mm2"] < s["32nm"]["area_mm2"]


def test_longer_pulses_slower_writes():
    slow = types.SimpleNamespace(**{**vars(RRAM), "pulse_width_ltp": 100e-9, "pulse_width_ltd": 100e-9})
    assert run("dfa", device=slow).summary["write_latency_s"] > run("dfa").summary["write_latency_s"]
    assert run("dfa", device=slow).summary["write_energy_j"] > run("dfa").summary["write_energy_j"]


def test_digital_and_ideal_devices():
    sram = types.SimpleNamespace(name="sram", kind="digital", levels_ltp=64, levels_ltd=64, v_read=0.5,
                                 r_on=None)
    ideal = types.SimpleNamespace(name="ideal", kind="ideal")
    for dev in (sram, ideal):
        s = run("bp", device=dev).summary
        assert s["write_energy_j"] > 0 and s["area_mm2"] > 0


# ------------------------------------------------------------------ MLP+NeuroSim V3.0 reference

# Per-update pulse statistics MEASURED with cimbench's own engine on the neurosim-mlp protocol
# (400-100-10, binarized 20x20 MNIST, batch 1, lr 0.4/0.2, full-scale 8-bit read-out, agsi device;
# 125 epochs x 8000 images; the neurosim-devices sweep of the README), per update:
# (ltp, ltd, row_max_ltp, row_max_ltd, cells_written, rows_written).
# (That run: test accuracy 73.0 % after epoch 125, 73.1 % over the last 10, in the published band.)
MEASURED = {0: (66.07, 36.16, 50.63, 26.37, 94.65, 56.33),
            1: (11.37, 7.79, 11.37, 5.07, 11.56, 6.32)}


def reference_trace(updates=1_000_000):
    tr = Trace(algo="bp", batch_size=1, layers=[LayerTrace(400, 100), LayerTrace(100, 10)],
               iterations=updates, epochs=125, train_samples=updates)
    for l, ly in enumerate(tr.layers):
        ly.fw_vectors = ly.wg_vectors = ly.updates = updates
        ly.ag_vectors = updates if l > 0 else 0
        ltp, ltd, mp, md, cells, rows = MEASURED[l]
        ly.ltp_pulses, ly.ltd_pulses = round(ltp * updates), round(ltd * updates)
        ly.row_max_ltp, ly.row_max_ltd = round(mp * updates), round(md * updates)
        ly.cells_written, ly.rows_written = round(cells * updates), round(rows * updates)
    return tr


def test_mlp_neurosim_agsi_reference():
    s = estimate(reference_trace(), AGSI, load_hardware("neurosim-mlp")).summary
    pub = {"area_m2": (6.2923e-9, 3), "write_latency_s": (3.1997e4, 2),
           "write_energy_j": (1.3019e-2, 3), "read_energy_j": (4.1964e-4, 3)}
    for k, (ref, tol) in pub.items():
        assert ref / tol <= s[k] <= ref * tol, (k, s[k], ref)


# ------------------------------------------------------------------ expected trace

def test_expected_pulse_counts_match_a_monte_carlo_of_the_stated_heuristic():
    """expected.py's closed forms against a seeded simulation of what its docstring states:
    per update and cell n = round(N(0, levels / 8)) clipped to +-levels / 2 (rram: 32 levels)."""
    iters, sizes = 200, (40, 30, 10)
    tr = expected_trace(sizes, "bp", 1, iters, RRAM)
    rng = np.random.default_rng(0)
    for ly in tr.layers:
        n = np.clip(np.rint(rng.normal(0, 32 / 8, (iters, ly.n_in, ly.n_out))), -16, 16)
        pos, neg = np.maximum(n, 0), np.maximum(-n, 0)
        sim = {"ltp_pulses": pos.sum(), "ltd_pulses": neg.sum(),
               "row_max_ltp": pos.max(axis=2).sum(), "row_max_ltd": neg.max(axis=2).sum(),
               "cells_written": (n != 0).sum(), "rows_written": (n != 0).any(axis=2).sum()}
        for k, v in sim.items():
            assert getattr(ly, k) == pytest.approx(v, rel=0.02), (ly.n_in, k)


def test_expected_trace_counts():
    tr = expected_trace(NET, "dfa", 200, 10, RRAM, epochs=2)
    assert tr.iterations == 10 and tr.epochs == 2 and tr.train_samples == 2000
    for l, ly in enumerate(tr.layers):
        assert ly.fw_vectors == 2000 and ly.updates == 10
        assert ly.ag_vectors == (2000 if l > 0 else 0)
    sh = expected_trace(NET, "shallow", 200, 10, RRAM)
    assert sh.layers[0].updates == 0 and sh.layers[-1].updates == 10
    assert all(ly.ag_vectors == 0 for ly in sh.layers)
    # fewer active rows -> fewer pulses
    sparse = expected_trace(NET, "dfa", 200, 10, RRAM, row_activity=0.2)
    assert sparse.layers[0].ltp_pulses < tr.layers[0].ltp_pulses
