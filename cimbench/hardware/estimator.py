"""Area / latency / energy of in-situ training, per phase, layer and component (NeuroSim-style).

``estimate(trace, device, hw)`` prices the operation and pulse counts of a :class:`Trace`.

Architecture (one set of subarrays per weight layer, all subarrays of a layer work in parallel):

* **Trained arrays**: layer (n_in x n_out) tiled on ``subarray_rows x subarray_cols`` subarrays
  (``n_rb x n_cb`` of them; cells per weight: 1, 2 for a differential mapping, or one SRAM bit
  per weight bit for digital/ideal devices). Column-side ADCs (one per ``col_mux`` columns)
  for forward reads; bp adds row-side ADCs (one per ``col_mux`` rows) for transposed reads.
* **Feedback arrays** (fa/dfa/drtp): fixed random matrices in the same cells, with their own
  column ADCs. fa: B_l of shape n_out x n_in for layers 2..L; dfa/drtp: n_classes x n_in(l).
* **WG units**: SRAM compute arrays (DNN+NeuroSim computes weight gradients in separate SRAM
  arrays). A pass stores ``wg_samples_per_pass`` samples of the layer's input activations X
  (as rows, n_in x act_bits bit-sliced columns) and streams their errors E bit-serially, one
  output neuron at a time: ``n_out x err_bits`` reads per pass, ``ceil(batch / samples)``
  passes per update. The default, one sample per pass, is DNN+NeuroSim V2.1's: per-sample
  outer products whose partial gradients go to DRAM and back, so WG scales with batch x
  iterations; more samples per pass accumulate the batch in the array instead. Columns share
  ADCs ``wg_col_mux`` to one. bp/fa/shallow: one unit sized for the largest trained layer
  (no use of its spare columns by smaller layers); dfa/drtp: one per trained layer.
* **Chip level**: global buffer, H-tree between all subarrays, off-chip DRAM (HBM2).

Phases (counts from the trace; all read phases are bit-serial over the input bits):

* **FW**: per vector and layer, ``act_bits x mux_steps`` read steps on all subarrays in parallel,
  then the adder tree and activation; the layer input is written to DRAM for WG.
* **AG** (layers 2..L): the error read (transposed / feedback array); the new error goes to DRAM.
* **WG**: per update: X and E read back from DRAM, X written into the WG unit, the passes above;
  each pass writes its partial dW (``grad_bits`` per weight) to DRAM, each pass after the first
  reads the running sum back and adds to it.
* **WU**: per update: dW read from DRAM; rows written one at a time per subarray (subarrays in
  parallel), ``row_max_ltp * pw_ltp + row_max_ltd * pw_ltd`` shared by the ``n_rb``
  row-blocks (the fullest block, min(rows, n_in) rows, sets the pace); energy per pulse ``V^2 G_mean t + C_line V^2``.
  Digital/ideal weights are written as SRAM bits (ideal devices have no pulse physics; they are
  costed as ``weight_bits_digital``-bit SRAM weights, one clock cycle per written row).

Per-vector transfers through buffer and H-tree are double-buffered: a vector's latency is the
larger of its read time and its transfer time. DRAM transfers add latency at the HBM2 bandwidth.

Operations: 1 MAC = 2 ops; counted MACs are the FW, AG and WG multiply-accumulates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cimbench.hardware import components as C
from cimbench.hardware.config import HardwareConfig, load_hardware
from cimbench.hardware.schedule import backward_latency, critical_layers, forward_latency, rule
from cimbench.trace import Trace

PHASES = ("fw", "ag", "wg", "wu")
INPUT_BIT_ACTIVITY = 0.5   # mean fraction of 1-bits in bit-serial inputs (uniform data assumption)


@dataclass
class HardwareReport:
    """Tidy rows (phase, layer, component, metric, value, unit) and a flat summary dict."""

    rows: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def add(self, phase: str, layer, component: str, metric: str, value: float, unit: str) -> None:
        self.rows.append({"phase": phase, "layer": layer if layer == "all" else int(layer),
                          "component": component, "metric": metric, "value": float(value),
                          "unit": unit})

    def total(self, metric: str, phase: str | None = None, component: str | None = None,
              layer=None) -> float:
        return float(sum(r["value"] for r in self.rows if r["metric"] == metric
                         and (phase is None or r["phase"] == phase)
                         and (component is None or r["component"] == component)
                         and (layer is None or r["layer"] == layer)))

    def by_component(self, metric: str) -> dict[str, float]:
        """Sum of one metric per component, over phases and layers."""
        out: dict[str, float] = {}
        for r in self.rows:
            if r["metric"] == metric:
                out[r["component"]] = out.get(r["component"], 0.0) + r["value"]
        return out

    def area_by_component(self) -> dict[str, float]:
        return self.by_component("area")

    def energy_by_component(self) -> dict[str, float]:
        return self.by_component("energy")


# ------------------------------------------------------------------------------ device view

@dataclass(frozen=True)
class _Dev:
    kind: str
    cells_per_weight: int
    cell_area_f2: float
    v_read: float
    g_mean: float
    v_ltp: float
    v_ltd: float
    pw_ltp: float
    pw_ltd: float


def _device_view(device, hw: HardwareConfig) -> _Dev:
    kind = getattr(device, "kind", "analog") or "analog"
    v_read = getattr(device, "v_read", None) or hw.read_voltage
    if kind == "analog":
        r_on = getattr(device, "r_on", None)
        if not r_on:
            from cimbench.errors import ConfigError
            raise ConfigError(f"device '{getattr(device, 'name', '?')}': analog device needs r_on "
                              "for the hardware estimate")
        gmax = 1.0 / r_on
        gmin = gmax / getattr(device, "on_off", 1.0)
        g_mean = getattr(device, "g_mean", None) or (gmax + gmin) / 2
        cpw = 2 if getattr(device, "mapping", "reference") == "differential" else 1
        return _Dev("analog", cpw, hw.cell_area_f2 if hw.cell == "1T1R" else 4.0, v_read, g_mean,
                    abs(getattr(device, "v_write_ltp", 0.0) or 0.0),
                    abs(getattr(device, "v_write_ltd", 0.0) or 0.0),
                    getattr(device, "pulse_width_ltp", 0.0) or 0.0,
                    getattr(device, "pulse_width_ltd", 0.0) or 0.0)
    if kind == "digital":
        levels = max(getattr(device, "levels_ltp", 2) or 2, 2)
        bits = max(1, math.ceil(math.log2(levels)))
    else:  # ideal: costed as a digital SRAM weight of weight_bits_digital bits (documented choice)
        bits = hw.weight_bits_digital
    return _Dev(kind, bits, hw.sram_cell_area_f2, v_read, 0.0, 0.0, 0.0, 0.0, 0.0)


# ------------------------------------------------------------------------------ geometry

@dataclass(frozen=True)
class _Array:
    """A matrix of rows_used x cols_used cells tiled on R x Cc subarrays."""

    rows_used: int
    cols_used: int
    R: int
    Cc: int
    n_rb: int
    n_cb: int

    @property
    def subarrays(self) -> int:
        return self.n_rb * self.n_cb


def _tile(rows: int, cols: int, hw: HardwareConfig) -> _Array:
    if hw.fit_arrays_to_layers:
        return _Array(rows, cols, rows, cols, 1, 1)
    R, Cc = hw.subarray_rows, hw.subarray_cols
    return _Array(rows, cols, R, Cc, math.ceil(rows / R), math.ceil(cols / Cc))


def _adcs_per_side(lines: int, mux: int) -> int:
    return math.ceil(lines / mux)


def _mux_steps(used_per_sub: int, lines: int, mux: int) -> int:
    """Sequential conversions per input bit: columns per ADC actually in use."""
    n_adc = _adcs_per_side(lines, mux)
    return max(1, min(mux, math.ceil(used_per_sub / n_adc)))


# ------------------------------------------------------------------------------ estimator

def estimate(trace: Trace, device, hw: HardwareConfig | str = "32nm") -> HardwareReport:
    """Price a training trace on a device and hardware preset. See the module docstring."""
    if not isinstance(hw, HardwareConfig):
        hw = load_hardware(hw)
    r = rule(trace.algo)
    dev = _device_view(device, hw)
    layers = trace.layers
    L = len(layers)
    rep = HardwareReport()
    f2 = hw.f2
    n_classes = layers[-1].n_out if L else 0
    batch = max(int(trace.batch_size or 1), 1)
    cyc = hw.cycle
    t_step = max(hw.read_pulse_width, C.adc_latency(hw, hw.adc_bits), hw.shift_add_latency)
    e_adc = C.adc_energy(hw, hw.adc_bits)
    a_adc = C.adc_area(hw, hw.adc_bits)
    pitch = C.cell_pitch(dev.cell_area_f2, hw.feature_m)
    trained = [l for l in range(L) if r.hidden_learn or l == L - 1]

    # ------------------------------------------------------------------ geometry per layer
    arrays = [_tile(ly.n_in, ly.n_out * dev.cells_per_weight, hw) for ly in layers]
    fb: list[_Array | None] = [None] * L       # feedback array read at layer l (AG of layer l)
    # errors exist for real inputs only: an always-on bias row has no error to carry back
    n_err = [ly.n_in - int(trace.bias) for ly in layers]
    for l in range(1, L):
        if r.feedback == "layer":
            fb[l] = _tile(layers[l].n_out, n_err[l] * dev.cells_per_weight, hw)
        elif r.feedback == "direct":
            fb[l] = _tile(n_classes, n_err[l] * dev.cells_per_weight, hw)

    # ------------------------------------------------------------------ areas
    comparators = 0
    line_drivers = 0
    sram_bits = 0
    act_units = 0
    core_area = 0.0
    leaves = 0

    def add_area(layer, comp, value):
        nonlocal core_area
        rep.add("area", layer, comp, "area", value, "m^2")
        core_area += value

    for l, a in enumerate(arrays):
        sub = a.subarrays
        leaves += sub
        add_area(l, "array", sub * C.array_area(a.R, a.Cc, dev.cell_area_f2, f2))
        n_adc = sub * _adcs_per_side(a.Cc, hw.col_mux)
        n_mux = sub * a.Cc
        if r.transposed_read and l > 0:  # row-side ADCs for the transposed read
            n_adc += sub * _adcs_per_side(a.R, hw.col_mux)
            n_mux += sub * a.R
        add_area(l, "adc", n_adc * a_adc)
        comparators += n_adc * C.adc_comparators(hw, hw.adc_bits)
        add_area(l, "mux", C.mux_area(n_mux, hw.mux_area_f2, f2))
        lines = sub * (a.R + a.Cc)
        line_drivers += lines
        add_area(l, "drivers", C.driver_area(lines, hw.driver_area_f2, f2))
        if l in trained:
            add_area(l, "write_drivers", C.driver_area(lines, hw.write_driver_area_f2, f2))
        acc_bits = hw.act_bits + hw.adc_bits
        add_area(l, "accumulation", C.shift_add_area(n_adc, hw.shift_add_area_f2, f2)
                 + C.adder_tree_area(a.n_rb, layers[l].n_out, acc_bits + math.ceil(math.log2(a.n_rb + 1)),
                                     hw.adder_area_f2_per_bit, f2))
        n_act = layers[l].n_out + (layers[l].n_in if l > 0 and r.feedback != "none" or
                                   (r.transposed_read and l > 0) else 0)
        act_units += n_act
        add_area(l, "activation", n_act * hw.activation_area_f2 * f2)
        b = fb[l]
        if b is not None:
            leaves += b.subarrays
            add_area(l, "feedback_array", b.subarrays * C.array_area(b.R, b.Cc, dev.cell_area_f2, f2))
            nb_adc = b.subarrays * _adcs_per_side(b.Cc, hw.col_mux)
            add_area(l, "adc", nb_adc * a_adc)
            comparators += nb_adc * C.adc_comparators(hw, hw.adc_bits)
            add_area(l, "mux", C.mux_area(b.subarrays * b.Cc, hw.mux_area_f2, f2))
            blines = b.subarrays * (b.R + b.Cc)
            line_drivers += blines
            add_area(l, "drivers", C.driver_area(blines, hw.driver_area_f2, f2))
            add_area(l, "accumulation", C.shift_add_area(nb_adc, hw.shift_add_area_f2, f2)
                     + C.adder_tree_area(b.n_rb, layers[l].n_in, acc_bits, hw.adder_area_f2_per_bit, f2))

    # WG units
    wg_rows = min(batch, hw.wg_samples_per_pass)

    def wg_geom(n_in: int) -> _Array:
        return _Array(wg_rows, n_in * hw.act_bits, hw.subarray_rows, hw.subarray_cols, 1,
                      math.ceil(n_in * hw.act_bits / hw.subarray_cols))

    def wg_unit_area(g: _Array) -> tuple[float, int, int]:
        n_adc = g.subarrays * _adcs_per_side(g.Cc, hw.wg_col_mux)
        a = (g.subarrays * C.array_area(g.R, g.Cc, hw.sram_cell_area_f2, f2)
             + n_adc * C.adc_area(hw, hw.wg_adc_bits)
             + C.shift_add_area(n_adc, hw.shift_add_area_f2, f2)
             + C.mux_area(g.subarrays * g.Cc, hw.mux_area_f2, f2)
             + C.driver_area(g.subarrays * (g.R + g.Cc), hw.driver_area_f2, f2))
        return a, n_adc, g.subarrays * g.R * g.Cc

    if hw.include_wg_unit and trained:
        units = ([(l, wg_geom(layers[l].n_in)) for l in trained] if r.wg_unit_per_layer
                 else [("all", wg_geom(max(layers[l].n_in for l in trained)))])
        for lay, g in units:
            a, n_adc, bits = wg_unit_area(g)
            add_area(lay, "wg_unit", a)
            leaves += g.subarrays
            comparators += n_adc * C.adc_comparators(hw, hw.wg_adc_bits)
            sram_bits += bits
            line_drivers += g.subarrays * (g.R + g.Cc)

    # buffer, H-tree
    buf_bits = 0
    if hw.include_buffer:
        buf_bits = hw.buffer_vectors * max((ly.n_in + ly.n_out) * max(hw.act_bits, hw.err_bits)
                                           for ly in layers)
        add_area("all", "buffer", C.buffer_area(buf_bits, hw.sram_cell_area_f2,
                                                hw.buffer_area_overhead, f2))
        sram_bits += buf_bits
    side = math.sqrt(core_area)
    tiles = max(math.ceil(leaves / hw.subarrays_per_tile), 1)
    path = C.htree_path_length(side, tiles) if hw.include_htree else 0.0
    if hw.include_htree:
        rep.add("area", "all", "interconnect",
                "area", C.htree_area(side, tiles, hw.htree_bus_bits,
                                     hw.htree_wire_pitch_f * hw.feature_m), "m^2")
    e_move = (hw.buffer_energy_per_bit if hw.include_buffer else 0.0,
              path * hw.htree_energy_per_bit_m if hw.include_htree else 0.0)
    bus_bw = hw.htree_bus_bits * hw.clock_hz

    def move(phase, l, bits, count):
        """Per-vector on-chip movement: buffer + H-tree energy rows; returns transfer latency."""
        if hw.include_buffer:
            rep.add(phase, l, "buffer", "energy", count * C.transfer_energy(bits, e_move[0]), "J")
        if hw.include_htree:
            rep.add(phase, l, "interconnect", "energy", count * C.transfer_energy(bits, e_move[1]), "J")
        return C.transfer_latency(bits, bus_bw) if (hw.include_buffer or hw.include_htree) else 0.0

    bw_dram = [0.0] * L   # per layer: off-chip transfer time of its AG, WG and WU phases

    def dram(phase, l, bits):
        """Off-chip traffic (total bits over the run): energy row; returns latency."""
        if not hw.include_dram or bits <= 0:
            return 0.0
        rep.add(phase, l, "dram", "energy", C.transfer_energy(bits, hw.dram_energy_per_bit), "J")
        t = C.transfer_latency(bits, hw.dram_bandwidth)
        if phase != "fw":
            bw_dram[l] += t
        return t

    # ------------------------------------------------------------------ array read (one vector)
    def read(phase, l, a: _Array, in_lines: int, out_lines: int, transposed: bool, in_bits: int,
             count: float, n_in_logical: int, n_out_logical: int) -> float:
        """Price ``count`` bit-serial vector reads of array ``a``; returns latency of one read.
        in_lines/out_lines: used input/output lines (rows/cols or cols/rows when transposed)."""
        if count <= 0:
            return 0.0
        side_lines = a.R if transposed else a.Cc       # lines on the ADC side of one subarray
        in_blocks = a.n_cb if transposed else a.n_rb    # partial sums to add per output
        used_per_sub = min(out_lines, side_lines)
        steps = _mux_steps(used_per_sub, side_lines, hw.col_mux)
        conv = in_bits * in_blocks * out_lines           # one conversion per used output line and bit
        cells = in_lines * INPUT_BIT_ACTIVITY * out_lines
        if dev.kind == "analog":
            e_cell = C.cell_read_energy(dev.v_read, dev.g_mean, hw.read_pulse_width)
            c_line = C.line_capacitance(a.Cc if not transposed else a.R, pitch, hw.wire_cap_per_m)
            e_arr = in_bits * (cells * e_cell + in_lines * INPUT_BIT_ACTIVITY
                               * C.line_charge_energy(c_line, dev.v_read))
        else:
            e_arr = in_bits * cells * hw.wg_sram_read_energy_per_bit
        rep.add(phase, l, "array", "energy", count * e_arr, "J")
        rep.add(phase, l, "adc", "energy", count * conv * e_adc, "J")
        rep.add(phase, l, "mux", "energy", count * conv * hw.mux_energy, "J")
        rep.add(phase, l, "drivers", "energy",
                count * in_bits * (in_lines + in_blocks * out_lines) * hw.driver_energy, "J")
        acc_bits = hw.act_bits + hw.adc_bits
        rep.add(phase, l, "accumulation", "energy",
                count * (conv * hw.shift_add_energy
                         + C.adder_tree_energy(in_blocks, out_lines, acc_bits, hw.adder_energy_per_bit)),
                "J")
        rep.add(phase, l, "activation", "energy", count * n_out_logical * hw.activation_energy, "J")
        t_read = in_bits * steps * t_step
        t_move = move(phase, l, (n_in_logical + n_out_logical) * in_bits, count)
        lat = (max(t_read, t_move) + C.adder_tree_latency(in_blocks, cyc) + cyc)
        return lat

    fw_lat = [0.0] * L
    ag_lat = [0.0] * L
    wg_lat = [0.0] * L
    wu_lat = [0.0] * L
    macs = 0.0
    for l, ly in enumerate(layers):
        a = arrays[l]
        # FW
        nv = ly.fw_vectors
        t = read("fw", l, a, ly.n_in, ly.n_out * dev.cells_per_weight, False, hw.act_bits, nv,
                 ly.n_in, ly.n_out)
        fw_lat[l] = nv * t + dram("fw", l, nv * ly.n_in * hw.act_bits)
        rep.add("fw", l, "total", "latency", fw_lat[l], "s")
        macs += nv * ly.n_in * ly.n_out
        # AG
        if l > 0 and r.hidden_learn:
            nv = ly.ag_vectors
            if r.transposed_read:
                t = read("ag", l, a, ly.n_out * dev.cells_per_weight, ly.n_in, True, hw.err_bits,
                         nv, ly.n_out, ly.n_in)
                macs += nv * ly.n_in * ly.n_out
            elif fb[l] is not None:
                b = fb[l]
                t = read("ag", l, b, b.rows_used, n_err[l] * dev.cells_per_weight, False,
                         hw.err_bits, nv, b.rows_used, n_err[l])
                macs += nv * b.rows_used * n_err[l]
            else:
                t = 0.0
            # error x f'(z) in the activation units is booked above; the new error goes to DRAM
            ag_lat[l] = nv * t + dram("ag", l, nv * n_err[l] * hw.err_bits)
            rep.add("ag", l, "total", "latency", ag_lat[l], "s")
        # WG
        if l in trained and ly.updates > 0:
            u = ly.updates
            nv = ly.wg_vectors or u * batch
            per_update = nv / u
            chunk = min(per_update, hw.wg_samples_per_pass)   # samples stored per pass
            passes = math.ceil(per_update / hw.wg_samples_per_pass)
            grad = ly.n_in * ly.n_out * hw.grad_bits
            # every pass writes its partial gradient to DRAM; passes after the first read the
            # running sum back (per-sample gradients to DRAM and back, as DNN+NeuroSim V2.1)
            t_dram = dram("wg", l, nv * (ly.n_in * hw.act_bits + ly.n_out * hw.err_bits)
                          + u * (2 * passes - 1) * grad)
            if passes > 1:
                rep.add("wg", l, "accumulation", "energy",
                        u * (passes - 1) * grad * hw.adder_energy_per_bit, "J")
            macs += nv * ly.n_in * ly.n_out
            t_unit = 0.0
            if hw.include_wg_unit:
                g = wg_geom(ly.n_in)
                wsteps = _mux_steps(min(ly.n_in * hw.act_bits, g.Cc), g.Cc, hw.wg_col_mux)
                t_wstep = max(hw.read_pulse_width, C.adc_latency(hw, hw.wg_adc_bits), hw.shift_add_latency)
                reads = passes * ly.n_out * hw.err_bits                  # per update
                conv = reads * ly.n_in * hw.act_bits
                rows_on = chunk * INPUT_BIT_ACTIVITY
                e = (per_update * ly.n_in * hw.act_bits * hw.sram_write_energy_per_bit  # store X
                     + reads * rows_on * ly.n_in * hw.act_bits * hw.wg_sram_read_energy_per_bit
                     + conv * (C.adc_energy(hw, hw.wg_adc_bits) + hw.shift_add_energy + hw.mux_energy))
                rep.add("wg", l, "wg_unit", "energy", u * e, "J")
                t_unit = passes * (chunk * cyc + ly.n_out * hw.err_bits * wsteps * t_wstep)
            wg_lat[l] = u * t_unit + t_dram
            rep.add("wg", l, "total", "latency", wg_lat[l], "s")
        # WU
        if l in trained and ly.updates > 0:
            u = ly.updates
            t_dram = dram("wu", l, u * ly.n_in * ly.n_out * hw.grad_bits)
            move("wu", l, ly.n_in * ly.n_out * hw.grad_bits, u)
            if dev.kind == "analog":
                c_line = C.line_capacitance(a.R, pitch, hw.wire_cap_per_m)
                e = (ly.ltp_pulses * C.write_pulse_energy(dev.v_ltp, dev.g_mean, dev.pw_ltp, c_line)
                     + ly.ltd_pulses * C.write_pulse_energy(dev.v_ltd, dev.g_mean, dev.pw_ltd, c_line))
                t_write = C.row_write_latency(ly.row_max_ltp, ly.row_max_ltd, dev.pw_ltp, dev.pw_ltd)
            else:
                cells = ly.cells_written or (u * ly.n_in * ly.n_out if dev.kind == "ideal" else 0)
                rows = ly.rows_written or (u * ly.n_in if dev.kind == "ideal" else 0)
                e = cells * dev.cells_per_weight * hw.sram_write_energy_per_bit
                t_write = rows * cyc
            rep.add("wu", l, "write", "energy", e, "J")
            rows_w = ly.rows_written if dev.kind == "analog" else 0
            rep.add("wu", l, "write_drivers", "energy",
                    (rows_w + (ly.ltp_pulses + ly.ltd_pulses)) * hw.driver_energy, "J")
            # row-blocks write in parallel; the fullest block (min(R, n_in) rows) sets the pace
            wu_lat[l] = t_write * min(a.R, a.rows_used) / a.rows_used + t_dram
            rep.add("wu", l, "total", "latency", wu_lat[l], "s")

    # ------------------------------------------------------------------ schedule
    t_fw = forward_latency(fw_lat)
    t_bw = backward_latency(trace.algo, ag_lat, wg_lat, wu_lat, shared=bw_dram)
    if r.parallel_backward:
        k = critical_layers(trace.algo, ag_lat, wg_lat, wu_lat)[0]
        crit = {"ag": ag_lat[k + 1] if k + 1 < L else 0.0, "wg": wg_lat[k], "wu": wu_lat[k]}
    elif r.hidden_learn:
        crit = {"ag": sum(ag_lat), "wg": sum(wg_lat), "wu": sum(wu_lat)}
    else:
        crit = {"ag": 0.0, "wg": wg_lat[-1], "wu": wu_lat[-1]}
    latency = t_fw + t_bw
    rep.add("all", "all", "schedule", "latency", latency, "s")

    # ------------------------------------------------------------------ leakage
    leak = (comparators * hw.leak_per_comparator + sram_bits * hw.leak_per_sram_bit
            + line_drivers * hw.leak_per_line_driver + act_units * hw.leak_per_activation_unit)
    rep.add("all", "all", "chip", "leakage", leak, "W")
    rep.add("all", "all", "leakage", "energy", leak * latency, "J")

    # ------------------------------------------------------------------ summary
    area = rep.total("area")
    e_phase = {p: rep.total("energy", phase=p) for p in PHASES}
    energy = rep.total("energy")
    epochs = max(int(trace.epochs or 1), 1)
    ops = 2.0 * macs
    s = {
        "area_mm2": area * 1e6,
        "area_m2": area,
        "latency_s": latency,
        "energy_j": energy,
        "latency_s_per_epoch": latency / epochs,
        "energy_j_per_epoch": energy / epochs,
        "latency_fw_s": t_fw,
        "latency_ag_s": crit["ag"],
        "latency_wg_s": crit["wg"],
        "latency_wu_s": crit["wu"],
        "energy_fw_j": e_phase["fw"],
        "energy_ag_j": e_phase["ag"],
        "energy_wg_j": e_phase["wg"],
        "energy_wu_j": e_phase["wu"],
        "energy_leakage_j": leak * latency,
        "leakage_w": leak,
        "read_latency_s": t_fw + crit["ag"],
        "write_latency_s": crit["wu"],
        "read_energy_j": e_phase["fw"] + e_phase["ag"],
        "write_energy_j": e_phase["wu"],
        "ops": ops,
        "tops": ops / latency / 1e12 if latency > 0 else 0.0,
        "tops_per_w": ops / energy / 1e12 if energy > 0 else 0.0,
    }
    rep.summary = {k: float(v) for k, v in s.items()}
    return rep
