"""Hardware (technology + architecture) configuration: a frozen dataclass loaded from TOML.

Presets live in ``presets/hardware/<name>.toml``; every field of :class:`HardwareConfig` may appear
in a preset, unknown fields are rejected. A preset only has to give the fields it changes: the
dataclass defaults are the 32 nm values (``presets/hardware/32nm.toml`` repeats them with their
sources).

Units are SI throughout (m, s, J, W, F, V) except where the field name says otherwise
(``*_f2``: area in units of F^2, F = feature size = ``tech_nm``).
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from cimbench.config import coerce_value
from cimbench.errors import ConfigError
from cimbench.paths import looks_like_path, presets_dir, read_toml


ADC_TYPES = ("flash", "sar")
ADC_RANGES = ("calibrated", "full-scale")
CELLS = ("1T1R", "1R")


def hardware_dir() -> Path:
    return presets_dir() / "hardware"


@dataclass(frozen=True)
class HardwareConfig:
    """Technology and architecture constants of the training chip (defaults: 32 nm)."""

    name: str = "32nm"
    description: str = ""
    citation: str = ""

    # --- technology -------------------------------------------------------------------------
    tech_nm: float = 32.0              # feature size F, nm
    vdd: float = 0.9                   # V, logic supply (PTM 32 nm HP)
    clock_hz: float = 1e9              # digital clock

    # --- arrays -----------------------------------------------------------------------------
    subarray_rows: int = 128
    subarray_cols: int = 128
    fit_arrays_to_layers: bool = False  # True: one array per layer of exactly n_in x n_out cells
    col_mux: int = 8                   # columns sharing one ADC
    adc_bits: int = 6
    adc_type: str = "flash"            # "flash" (sense-amp comparators) or "sar"
    adc_range: str = "calibrated"      # forward-read full scale: "calibrated" (max |y| of each
    #                                    read) or "full-scale" (all rows at Gmax, MLP+NeuroSim)
    cell: str = "1T1R"                 # "1T1R" or "1R" (cross-point)
    cell_area_f2: float = 12.0         # analog eNVM cell (1T1R) area in F^2
    sram_cell_area_f2: float = 146.0   # 6T/8T SRAM bit cell area in F^2
    read_voltage: float = 0.5          # V, used when the device gives none
    read_pulse_width: float = 0.5e-9   # s, array read (bit-line settle + sense) per input bit and mux step
    wire_cap_per_m: float = 0.2e-9     # F/m (0.2 fF/um), on-chip local wire
    feedback_cells: str = "same"       # fixed feedback arrays: "same" device cells as the weights

    # --- precisions (traffic and digital datapath) -------------------------------------------
    act_bits: int = 8
    err_bits: int = 8
    grad_bits: int = 8                 # bits per weight-gradient word moved WG -> WU
    weight_bits_digital: int = 6       # bits per weight for kind "ideal" (costed as SRAM cells)

    # --- ADC --------------------------------------------------------------------------------
    comparator_area_f2: float = 8000.0   # one current sense amplifier + reference, F^2
    comparator_energy: float = 4e-15     # J per comparator decision
    encoder_area_f2_per_bit: float = 2000.0
    encoder_energy_per_bit: float = 2e-15
    flash_latency: float = 0.5e-9        # s per conversion
    sar_logic_area_f2_per_bit: float = 3000.0
    sar_unitcap_area_f2: float = 60.0
    sar_energy_per_bit: float = 15e-15
    sar_unitcap_energy: float = 0.5e-15

    # --- array periphery --------------------------------------------------------------------
    mux_area_f2: float = 60.0            # per multiplexed column (transmission gate + decoder share)
    mux_energy: float = 0.5e-15          # J per column switch event
    driver_area_f2: float = 300.0        # WL/BL driver + decoder + switch matrix, per line
    driver_energy: float = 5e-15         # J per line activation
    write_driver_area_f2: float = 800.0  # high-voltage (level-shifted) write driver, per line
    shift_add_area_f2: float = 1500.0    # per ADC
    shift_add_energy: float = 20e-15     # J per ADC output accumulated
    shift_add_latency: float = 0.5e-9    # s, circuit delay (not clocked), pipelined with the read
    adder_area_f2_per_bit: float = 250.0
    adder_energy_per_bit: float = 5e-15
    activation_area_f2: float = 3000.0   # per output neuron unit (ReLU/sigmoid LUT + quantizer)
    activation_energy: float = 50e-15

    # --- buffers, interconnect, DRAM ---------------------------------------------------------
    buffer_energy_per_bit: float = 0.1e-12   # J per bit read or written (global SRAM buffer)
    buffer_area_overhead: float = 1.5        # periphery factor on the buffer's SRAM cells
    buffer_vectors: int = 2                  # double buffering of input + output vectors
    htree_energy_per_bit_m: float = 0.2e-9   # J per bit per m of H-tree (C*V^2 of 1 m wire + repeaters)
    htree_bus_bits: int = 128
    subarrays_per_tile: int = 16             # H-tree leaves are tiles of this many subarrays
    htree_wire_pitch_f: float = 4.0          # wire pitch in F
    dram_energy_per_bit: float = 3.9e-12     # J/bit, HBM2
    dram_bandwidth: float = 2.048e12         # bit/s, one HBM2 stack (256 GB/s)

    # --- weight-gradient (WG) unit: SRAM compute arrays --------------------------------------
    include_wg_unit: bool = True
    wg_samples_per_pass: int = 1        # samples whose outer products one pass accumulates in the
    #                                     array (as rows); 1 = per sample, summed over the batch in DRAM
    wg_col_mux: int = 8
    wg_adc_bits: int = 4
    wg_sram_read_energy_per_bit: float = 1e-15   # J per SRAM cell read (bit line + cell)
    sram_write_energy_per_bit: float = 10e-15     # J per SRAM bit written

    # --- which chip-level blocks exist (MLP+NeuroSim models only the cores) -----------------
    include_buffer: bool = True
    include_htree: bool = True
    include_dram: bool = True

    # --- leakage (W) ------------------------------------------------------------------------
    leak_per_comparator: float = 10e-9
    leak_per_sram_bit: float = 0.5e-9
    leak_per_line_driver: float = 2e-9
    leak_per_activation_unit: float = 20e-9

    # ----------------------------------------------------------------------------------------
    @property
    def feature_m(self) -> float:
        return self.tech_nm * 1e-9

    @property
    def f2(self) -> float:
        """Area of one F^2 in m^2."""
        return self.feature_m ** 2

    @property
    def cycle(self) -> float:
        return 1.0 / self.clock_hz

    def validate(self, source: str = "hardware config") -> "HardwareConfig":
        _validate(self, source)
        return self

    def with_overrides(self, **kw: Any) -> "HardwareConfig":
        """Copy with fields replaced (values may be strings, as from ``--set hw.FIELD=VALUE``)."""
        names = _field_types()
        conv = {}
        for k, v in kw.items():
            if k not in names:
                raise ConfigError(f"{self.name}: unknown hardware field '{k}'; valid fields: "
                                  f"{', '.join(sorted(names))}")
            conv[k] = _coerce(k, v, names[k], f"{self.name} override")
        out = replace(self, **conv)
        return out.validate(f"{self.name} (with overrides)")

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(HardwareConfig)


def _coerce(name: str, value: Any, typ: Any, source: str) -> Any:
    return coerce_value(typ, value, f"{source}: field '{name}'")


_POSITIVE_INT = ("subarray_rows", "subarray_cols", "col_mux", "adc_bits", "act_bits", "err_bits",
                 "grad_bits", "weight_bits_digital", "htree_bus_bits", "wg_col_mux", "wg_adc_bits",
                 "wg_samples_per_pass",
                 "buffer_vectors", "subarrays_per_tile")


_POSITIVE = ("tech_nm", "vdd", "clock_hz", "read_pulse_width", "cell_area_f2",
             "sram_cell_area_f2", "dram_bandwidth")


def _validate(hw: HardwareConfig, source: str) -> None:
    for name in _POSITIVE_INT:   # first, so that -1 and 0 name the same rule
        if getattr(hw, name) < 1:
            raise ConfigError(f"{source}: field '{name}' must be >= 1, got {getattr(hw, name)}")
    for name in _POSITIVE:
        if not getattr(hw, name) > 0:
            raise ConfigError(f"{source}: field '{name}' must be > 0, got {getattr(hw, name)}")
    for f in fields(hw):
        v = getattr(hw, f.name)
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"{source}: field '{f.name}' must be finite, got {v}")
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
            raise ConfigError(f"{source}: field '{f.name}' must be >= 0, got {v}")
    if not 1 <= hw.adc_bits <= 12:
        raise ConfigError(f"{source}: field 'adc_bits' must be in 1..12, got {hw.adc_bits}")
    if not 1 <= hw.wg_adc_bits <= 12:
        raise ConfigError(f"{source}: field 'wg_adc_bits' must be in 1..12, got {hw.wg_adc_bits}")
    if hw.col_mux > hw.subarray_cols or hw.col_mux > hw.subarray_rows:
        raise ConfigError(f"{source}: field 'col_mux' ({hw.col_mux}) must not exceed the subarray "
                          f"size ({hw.subarray_rows}x{hw.subarray_cols})")
    if hw.wg_col_mux > hw.subarray_cols:
        raise ConfigError(f"{source}: field 'wg_col_mux' ({hw.wg_col_mux}) must not exceed "
                          f"subarray_cols ({hw.subarray_cols})")
    if hw.wg_samples_per_pass > hw.subarray_rows:
        raise ConfigError(f"{source}: field 'wg_samples_per_pass' ({hw.wg_samples_per_pass}) must "
                          f"not exceed subarray_rows ({hw.subarray_rows})")
    if hw.adc_range not in ADC_RANGES:
        raise ConfigError(f"{source}: field 'adc_range' must be one of {', '.join(ADC_RANGES)}, "
                          f"got {hw.adc_range!r}")
    if hw.adc_type not in ADC_TYPES:
        raise ConfigError(f"{source}: field 'adc_type' must be one of {', '.join(ADC_TYPES)}, "
                          f"got {hw.adc_type!r}")
    if hw.cell not in CELLS:
        raise ConfigError(f"{source}: field 'cell' must be one of {', '.join(CELLS)}, got {hw.cell!r}")
    if not 1 <= hw.tech_nm <= 1000:
        raise ConfigError(f"{source}: field 'tech_nm' must be in 1..1000 nm, got {hw.tech_nm}")


def _resolve(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if looks_like_path(str(name_or_path)):
        if not p.is_file():
            raise ConfigError(f"hardware preset file not found: {p}")
        return p
    cand = hardware_dir() / f"{name_or_path}.toml"
    if not cand.is_file():
        raise ConfigError(f"unknown hardware preset '{name_or_path}'; available: "
                          f"{', '.join(list_hardware()) or '(none)'}")
    return cand


def load_hardware(name_or_path: str | Path = "32nm") -> HardwareConfig:
    """Load and validate a hardware preset by name (``presets/hardware/<name>.toml``) or path."""
    if isinstance(name_or_path, HardwareConfig):
        return name_or_path
    path = _resolve(name_or_path)
    data = read_toml(path)
    types = _field_types()
    unknown = sorted(set(data) - set(types))
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {', '.join(unknown)}; valid fields: "
                          f"{', '.join(sorted(types))}")
    kw = {k: _coerce(k, v, types[k], str(path)) for k, v in data.items()}
    kw.setdefault("name", path.stem)
    hw = HardwareConfig(**kw)
    return hw.validate(str(path))


def list_hardware() -> list[str]:
    d = hardware_dir()
    return sorted(p.stem for p in d.glob("*.toml")) if d.is_dir() else []
