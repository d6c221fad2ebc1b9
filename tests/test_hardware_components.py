"""Component models against hand-computed values."""

import math

import pytest

from cimbench.hardware import components as C
from cimbench.hardware import HardwareConfig

F2 = (32e-9) ** 2   # 1.024e-15 m^2


def test_array_area():
    # 128 x 128 cells of 12 F^2 at 32 nm: 16384 * 12 * 1.024e-15
    assert C.array_area(128, 128, 12, F2) == pytest.approx(2.01326592e-10)


def test_flash_adc_grows_with_levels():
    # 6 bits: 63 comparators * 8000 F^2 + 6 * 2000 F^2 = 516000 F^2
    assert C.flash_adc_area(6, 8000, 2000, F2) == pytest.approx(516000 * 1.024e-15)
    # energy 63 * 4 fJ + 6 * 2 fJ = 264 fJ
    assert C.flash_adc_energy(6, 4e-15, 2e-15) == pytest.approx(264e-15)
    assert C.flash_adc_area(7, 8000, 2000, F2) / C.flash_adc_area(6, 8000, 2000, F2) == pytest.approx(
        (127 * 8000 + 14000) / 516000)


def test_sar_adc():
    assert C.sar_adc_area(8, 3000, 60, F2) == pytest.approx((24000 + 256 * 60) * 1.024e-15)
    assert C.sar_adc_energy(8, 15e-15, 0.5e-15) == pytest.approx(120e-15 + 128e-15)
    assert C.sar_adc_latency(8, 1e-9) == pytest.approx(8e-9)


def test_adc_dispatch():
    hw = HardwareConfig()
    assert C.adc_area(hw, 6) == pytest.approx(C.flash_adc_area(6, hw.comparator_area_f2,
                                                               hw.encoder_area_f2_per_bit, hw.f2))
    assert C.adc_comparators(hw, 6) == 63
    sar = hw.with_overrides(adc_type="sar")
    assert C.adc_latency(sar, 6) == pytest.approx(6e-9)
    assert C.adc_comparators(sar, 6) == 1


def test_periphery():
    assert C.mux_area(128, 60, F2) == pytest.approx(7680 * 1.024e-15)
    assert C.driver_area(256, 300, F2) == pytest.approx(76800 * 1.024e-15)
    assert C.shift_add_area(16, 1500, F2) == pytest.approx(24000 * 1.024e-15)
    assert C.adder_tree_adders(7, 256) == 6 * 256
    assert C.adder_tree_area(7, 256, 14, 250, F2) == pytest.approx(1536 * 14 * 250 * 1.024e-15)
    assert C.adder_tree_energy(2, 10, 14, 5e-15) == pytest.approx(10 * 14 * 5e-15)
    assert C.adder_tree_latency(7, 1e-9) == pytest.approx(3e-9)
    assert C.adder_tree_latency(1, 1e-9) == 0.0
    assert C.buffer_area(1000, 146, 1.5, F2) == pytest.approx(219000 * 1.024e-15)


def test_transfers():
    assert C.transfer_energy(1e6, 3.9e-12) == pytest.approx(3.9e-6)
    assert C.transfer_latency(2.048e12, 2.048e12) == pytest.approx(1.0)


def test_htree():
    # 4 leaves: levels k=1,2: side/2 + side/2 = side; total length 1*side/2 + 2*side/2
    assert C.htree_path_length(1e-3, 4) == pytest.approx(1e-3)
    assert C.htree_total_length(1e-3, 4) == pytest.approx(1.5e-3)
    assert C.htree_path_length(1e-3, 1) == 0.0
    assert C.htree_area(1e-3, 4, 128, 128e-9) == pytest.approx(1.5e-3 * 128 * 128e-9)
    assert C.htree_energy(100, 1e-3, 0.2e-9) == pytest.approx(100 * 1e-3 * 0.2e-9)


def test_write_pulse_and_row_latency():
    # rram: 4 V, G_mean = (1e-5 + 1e-6)/2, 50 ns, C_line 10 fF
    e = C.write_pulse_energy(4.0, 5.5e-6, 50e-9, 10e-15)
    assert e == pytest.approx(16 * 5.5e-6 * 50e-9 + 10e-15 * 16)
    assert C.row_write_latency(10, 4, 50e-9, 100e-9) == pytest.approx(10 * 50e-9 + 4 * 100e-9)


def test_read_and_lines():
    assert C.cell_read_energy(0.5, 1e-5, 1e-9) == pytest.approx(2.5e-15)
    assert C.line_charge_energy(2e-15, 0.5) == pytest.approx(0.5e-15)
    p = C.cell_pitch(12, 32e-9)
    assert p == pytest.approx(math.sqrt(12) * 32e-9)
    assert C.line_capacitance(128, p, 0.2e-9) == pytest.approx(128 * p * 0.2e-9)
