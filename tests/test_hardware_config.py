"""HardwareConfig loading, validation and overrides."""

import pytest

from cimbench.errors import ConfigError
from cimbench.hardware import HardwareConfig, list_hardware, load_hardware, presets_dir


def test_presets_found_and_valid():
    names = list_hardware()
    assert {"32nm", "22nm", "45nm", "neurosim-mlp"} <= set(names)
    assert (presets_dir() / "hardware" / "32nm.toml").is_file()
    for n in names:
        hw = load_hardware(n)
        assert hw.name == n


def test_default_matches_dataclass_defaults():
    hw = load_hardware("32nm")
    d = HardwareConfig()
    for f in ("tech_nm", "subarray_rows", "subarray_cols", "col_mux", "adc_bits", "adc_type",
              "clock_hz", "dram_energy_per_bit", "cell"):
        assert getattr(hw, f) == getattr(d, f)
    assert (hw.subarray_rows, hw.subarray_cols, hw.col_mux, hw.adc_bits) == (128, 128, 8, 6)
    assert hw.dram_energy_per_bit == pytest.approx(3.9e-12)


def test_unknown_field_rejected_one_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('tech_nm = 32\nadc_bitz = 5\n')
    with pytest.raises(ConfigError) as e:
        load_hardware(p)
    msg = str(e.value)
    assert "\n" not in msg and "adc_bitz" in msg and "adc_bits" in msg and "bad.toml" in msg


@pytest.mark.parametrize("text,field", [("adc_bits = 0", "adc_bits"), ("adc_type = 'pipeline'", "adc_type"),
                                        ("adc_range = 'auto'", "adc_range"),
                                        ("col_mux = 'x'", "col_mux"), ("tech_nm = -5", "tech_nm"),
                                        ("col_mux = 1000", "col_mux")])
def test_bad_values(tmp_path, text, field):
    p = tmp_path / "h.toml"
    p.write_text(text + "\n")
    with pytest.raises(ConfigError) as e:
        load_hardware(p)
    assert field in str(e.value) and "\n" not in str(e.value)


def test_unknown_preset_lists_available():
    with pytest.raises(ConfigError) as e:
        load_hardware("7nm")
    assert "32nm" in str(e.value)


def test_overrides_coerce_and_validate():
    hw = load_hardware("32nm")
    h2 = hw.with_overrides(adc_bits="4", subarray_rows="256", include_dram="false", tech_nm=22)
    assert h2.adc_bits == 4 and h2.subarray_rows == 256 and h2.include_dram is False
    assert h2.tech_nm == 22.0 and hw.adc_bits == 6       # original untouched (frozen)
    with pytest.raises(ConfigError):
        hw.with_overrides(adc_bits="4.5")
    with pytest.raises(ConfigError):
        hw.with_overrides(nonsense=1)
    with pytest.raises(ConfigError):
        hw.with_overrides(adc_bits=40)
