"""Component models: small pure functions, SI units (m^2, s, J, W) unless stated.

Areas given in F^2 are multiplied by ``f2`` (the area of one F^2 in m^2, F = feature size).
Each function prices ONE instance or one event; the estimator multiplies by counts.
"""

from __future__ import annotations

import math


# --------------------------------------------------------------------------- memory arrays

def array_area(rows: int, cols: int, cell_area_f2: float, f2: float) -> float:
    """Area (m^2) of a rows x cols cell array: rows * cols * cell_area_f2 * f2."""
    return rows * cols * cell_area_f2 * f2


def cell_read_energy(v_read: float, g: float, t_read: float) -> float:
    """Energy (J) of one cell conducting during a read: V^2 * G * t."""
    return v_read * v_read * g * t_read


def line_charge_energy(c_line: float, v: float) -> float:
    """Energy (J) to charge one line of capacitance c_line (F) to v (V): C * V^2."""
    return c_line * v * v


def line_capacitance(n_cells: int, cell_pitch_m: float, wire_cap_per_m: float) -> float:
    """Capacitance (F) of a row or column wire spanning n_cells cells of pitch cell_pitch_m (m)."""
    return n_cells * cell_pitch_m * wire_cap_per_m


def cell_pitch(cell_area_f2: float, feature_m: float) -> float:
    """Pitch (m) of a square cell of area cell_area_f2 F^2: sqrt(cell_area_f2) * F."""
    return math.sqrt(cell_area_f2) * feature_m


# --------------------------------------------------------------------------- ADC

def flash_adc_area(bits: int, comparator_area_f2: float, encoder_area_f2_per_bit: float,
                   f2: float) -> float:
    """Area (m^2) of a flash ADC of ``bits``: (2^bits - 1) sense-amp comparators + an encoder
    growing with bits: ((2^b - 1) * A_cmp + b * A_enc) * f2."""
    return ((2 ** bits - 1) * comparator_area_f2 + bits * encoder_area_f2_per_bit) * f2


def flash_adc_energy(bits: int, comparator_energy: float, encoder_energy_per_bit: float) -> float:
    """Energy (J) of one flash conversion: (2^b - 1) * E_cmp + b * E_enc."""
    return (2 ** bits - 1) * comparator_energy + bits * encoder_energy_per_bit


def sar_adc_area(bits: int, logic_area_f2_per_bit: float, unitcap_area_f2: float, f2: float) -> float:
    """Area (m^2) of a SAR ADC: b bits of SAR logic + a binary C-DAC of 2^b unit capacitors:
    (b * A_logic + 2^b * A_unitcap) * f2."""
    return (bits * logic_area_f2_per_bit + 2 ** bits * unitcap_area_f2) * f2


def sar_adc_energy(bits: int, energy_per_bit: float, unitcap_energy: float) -> float:
    """Energy (J) of one SAR conversion: b * E_bit + 2^b * E_unitcap (C-DAC switching)."""
    return bits * energy_per_bit + 2 ** bits * unitcap_energy


def sar_adc_latency(bits: int, cycle: float) -> float:
    """Latency (s) of one SAR conversion: one clock cycle per bit."""
    return bits * cycle


def adc_area(hw, bits: int) -> float:
    """Area (m^2) of one ADC of the hardware's adc_type."""
    if hw.adc_type == "sar":
        return sar_adc_area(bits, hw.sar_logic_area_f2_per_bit, hw.sar_unitcap_area_f2, hw.f2)
    return flash_adc_area(bits, hw.comparator_area_f2, hw.encoder_area_f2_per_bit, hw.f2)


def adc_energy(hw, bits: int) -> float:
    """Energy (J) of one conversion."""
    if hw.adc_type == "sar":
        return sar_adc_energy(bits, hw.sar_energy_per_bit, hw.sar_unitcap_energy)
    return flash_adc_energy(bits, hw.comparator_energy, hw.encoder_energy_per_bit)


def adc_latency(hw, bits: int) -> float:
    """Latency (s) of one conversion (flash: constant; SAR: bits cycles)."""
    if hw.adc_type == "sar":
        return sar_adc_latency(bits, hw.cycle)
    return hw.flash_latency


def adc_comparators(hw, bits: int) -> int:
    """Comparators per ADC (leakage): 2^b - 1 for flash, 1 for SAR."""
    return 2 ** bits - 1 if hw.adc_type == "flash" else 1


# --------------------------------------------------------------------------- periphery

def mux_area(columns: int, mux_area_f2: float, f2: float) -> float:
    """Area (m^2) of column multiplexers: one switch per multiplexed column."""
    return columns * mux_area_f2 * f2


def driver_area(lines: int, driver_area_f2: float, f2: float) -> float:
    """Area (m^2) of line drivers / decoders / switch matrices: one per row or column line."""
    return lines * driver_area_f2 * f2


def shift_add_area(n_units: int, shift_add_area_f2: float, f2: float) -> float:
    """Area (m^2) of shift-add units (one per ADC)."""
    return n_units * shift_add_area_f2 * f2


def adder_tree_adders(n_inputs: int, n_outputs: int) -> int:
    """Two-input adders in an adder tree summing n_inputs partial sums for each of n_outputs."""
    return max(n_inputs - 1, 0) * n_outputs


def adder_tree_area(n_inputs: int, n_outputs: int, bits: int, area_f2_per_bit: float,
                    f2: float) -> float:
    """Area (m^2) of an adder tree: (n_inputs - 1) * n_outputs adders of ``bits`` bits."""
    return adder_tree_adders(n_inputs, n_outputs) * bits * area_f2_per_bit * f2


def adder_tree_energy(n_inputs: int, n_outputs: int, bits: int, energy_per_bit: float) -> float:
    """Energy (J) of one pass through the adder tree."""
    return adder_tree_adders(n_inputs, n_outputs) * bits * energy_per_bit


def adder_tree_latency(n_inputs: int, cycle: float) -> float:
    """Latency (s) of an adder tree: ceil(log2(n_inputs)) adder stages, one cycle each."""
    return math.ceil(math.log2(n_inputs)) * cycle if n_inputs > 1 else 0.0


def buffer_area(bits: int, sram_cell_area_f2: float, overhead: float, f2: float) -> float:
    """Area (m^2) of an SRAM buffer of ``bits`` bits: cells * periphery overhead factor."""
    return bits * sram_cell_area_f2 * overhead * f2


def transfer_energy(bits: float, energy_per_bit: float) -> float:
    """Energy (J) of moving ``bits`` through a buffer, bus or DRAM interface priced per bit."""
    return bits * energy_per_bit


def transfer_latency(bits: float, bandwidth_bits_per_s: float) -> float:
    """Latency (s) of moving ``bits`` over a link of the given bandwidth (bit/s)."""
    return bits / bandwidth_bits_per_s


# --------------------------------------------------------------------------- H-tree

def htree_path_length(side_m: float, n_leaves: int) -> float:
    """Root-to-leaf wire length (m) of an H-tree over a square of side ``side_m`` with n_leaves:
    levels alternate direction and halve the span every two levels, so the path is
    sum_{k=1..d} side / 2^ceil(k/2), d = ceil(log2 n_leaves)."""
    d = math.ceil(math.log2(n_leaves)) if n_leaves > 1 else 0
    return sum(side_m / 2 ** math.ceil(k / 2) for k in range(1, d + 1))


def htree_total_length(side_m: float, n_leaves: int) -> float:
    """Total wire length (m) of the same H-tree: level k has 2^(k-1) segments."""
    d = math.ceil(math.log2(n_leaves)) if n_leaves > 1 else 0
    return sum(2 ** (k - 1) * side_m / 2 ** math.ceil(k / 2) for k in range(1, d + 1))


def htree_area(side_m: float, n_leaves: int, bus_bits: int, wire_pitch_m: float) -> float:
    """Area (m^2) of the H-tree wiring: total length * bus width * wire pitch."""
    return htree_total_length(side_m, n_leaves) * bus_bits * wire_pitch_m


def htree_energy(bits: float, path_m: float, energy_per_bit_m: float) -> float:
    """Energy (J) of moving ``bits`` from root to a leaf over path_m metres."""
    return bits * path_m * energy_per_bit_m


# --------------------------------------------------------------------------- writes

def write_pulse_energy(v: float, g_mean: float, pulse_width: float, c_line: float) -> float:
    """Energy (J) of one programming pulse on a 1T1R cell: V^2 * G_mean * t_pulse + C_line * V^2."""
    return v * v * g_mean * pulse_width + c_line * v * v


def row_write_latency(row_max_ltp: float, row_max_ltd: float, pw_ltp: float, pw_ltd: float) -> float:
    """Latency (s) of writing rows one at a time, LTP phase then LTD phase, each as long as the
    row's largest pulse count: row_max_ltp * pw_ltp + row_max_ltd * pw_ltd (counts summed over rows)."""
    return row_max_ltp * pw_ltp + row_max_ltd * pw_ltd
