"""Device presets: plain TOML data files, validated into a frozen `DevicePreset`.

A new device needs no Python: drop a TOML file with the fields below into
``presets/devices/`` (or pass its path). Field names follow the NeuroSim literature tables.
Every validation error is a one-line `ConfigError` naming the file, the field and the rule.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from cimbench.config import coerce_fields
from cimbench.errors import ConfigError
from cimbench.paths import looks_like_path, presets_dir, read_toml

KINDS = ("analog", "digital", "ideal")
C2C_MODES = ("per-pulse", "per-update")
MAPPINGS = ("differential", "reference")
ROUNDINGS = ("nearest", "stochastic")


@dataclass(frozen=True)
class DevicePreset:
    """One memory device (and how weights are mapped onto it). Units in the comments."""

    name: str
    description: str = ""
    citation: str = ""
    kind: str = "analog"               # "analog" | "digital" | "ideal"
    aliases: tuple[str, ...] = ()      # other names `load_preset` accepts
    levels_ltp: int = 64               # Pmax of potentiation: pulses from Gmin to Gmax
    levels_ltd: int = 64               # Pmax of depression
    nl_ltp: float = 0.0                # nonlinearity label of LTP, signed (0 = linear)
    nl_ltd: float = 0.0                # nonlinearity label of LTD, signed
    c2c: float = 0.0                   # cycle-to-cycle sigma, fraction of Gmax - Gmin
    c2c_mode: str = "per-pulse"        # "per-pulse" (x sqrt|n|) | "per-update" (one draw)
    d2d: float = 0.0                   # device-to-device sigma added to the NL labels
    d2d_g: float = 0.0                 # device-to-device fractional sigma of Gmax and Gmin
    on_off: float | None = None        # Gmax / Gmin (ratio); required for analog
    r_on: float | None = None          # ON resistance 1/Gmax (ohm); required for analog
    v_write_ltp: float | None = None   # LTP write pulse amplitude (V, signed as published)
    v_write_ltd: float | None = None   # LTD write pulse amplitude (V, signed as published)
    pulse_width_ltp: float | None = None  # LTP pulse width (s)
    pulse_width_ltd: float | None = None  # LTD pulse width (s)
    v_read: float = 0.5                # read voltage (V)
    read_noise: float = 0.0            # read noise sigma, fraction of the cell current
    stuck_at_gmin: float = 0.0         # fraction of devices stuck at Gmin
    stuck_at_gmax: float = 0.0         # fraction of devices stuck at Gmax
    mapping: str = "reference"         # "reference" (1 device + reference column) | "differential"
    rounding: str = "nearest"          # pulse-count rounding: "nearest" | "stochastic"

    # -- derived ----------------------------------------------------------------------------
    @property
    def gmax(self) -> float:
        """Gmax = 1 / R_on (S); 1.0 (normalized) when R_on is not given (digital / ideal)."""
        return 1.0 / self.r_on if self.r_on else 1.0

    @property
    def gmin(self) -> float:
        """Gmin = Gmax / ON/OFF (S); 0 when no ratio is given."""
        return self.gmax / self.on_off if self.on_off else 0.0

    @property
    def g_mean(self) -> float:
        """Mean conductance (Gmax + Gmin) / 2 (S), e.g. for write energy V^2 G t."""
        return 0.5 * (self.gmax + self.gmin)

    @property
    def a_ltp_pulses(self) -> float:
        """A of the LTP curve in pulses (signed; inf = linear)."""
        from cimbench.device.physics import nl_to_a
        return nl_to_a(self.nl_ltp) * self.levels_ltp

    @property
    def a_ltd_pulses(self) -> float:
        """A of the LTD curve in pulses (signed; inf = linear)."""
        from cimbench.device.physics import nl_to_a
        return nl_to_a(self.nl_ltd) * self.levels_ltd

    # -- conversion --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["aliases"] = list(self.aliases)
        return d

    def with_overrides(self, **changes: Any) -> "DevicePreset":
        """A copy with some fields changed (values may be strings, as from
        ``--set device.FIELD=VALUE``), validated again."""
        d = self.to_dict()
        d.update(coerce_fields(DevicePreset, changes, "device"))
        return preset_from_dict(d, source=f"preset '{self.name}' (overrides)")


# ------------------------------------------------------------------------------ validation

_FIELDS = {f.name: f for f in fields(DevicePreset)}
_OPTIONAL_NUM = ("on_off", "r_on", "v_write_ltp", "v_write_ltd", "pulse_width_ltp",
                 "pulse_width_ltd")
_REQUIRED_ANALOG = ("on_off", "r_on", "pulse_width_ltp", "pulse_width_ltd")


def _fail(source: str, name: str, rule: str, value: Any) -> ConfigError:
    return ConfigError(f"{source}: field '{name}' {rule}, got {value!r}")


def _check_type(source: str, name: str, value: Any) -> Any:
    if name in ("name", "description", "citation", "kind", "c2c_mode", "mapping", "rounding"):
        if not isinstance(value, str):
            raise _fail(source, name, "must be a string", value)
        return value
    if name == "aliases":
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise _fail(source, name, "must be a list of strings", value)
        return tuple(value)
    if name in ("levels_ltp", "levels_ltd"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(source, name, "must be an integer", value)
        return value
    if value is None and name in _OPTIONAL_NUM:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(source, name, "must be a number", value)
    value = float(value)
    if not math.isfinite(value):
        raise _fail(source, name, "must be finite", value)
    return value


def _check_range(source: str, d: dict[str, Any]) -> None:
    def need(name: str, ok: bool, rule: str) -> None:
        if not ok:
            raise _fail(source, name, rule, d[name])

    need("name", bool(d["name"].strip()), "must not be empty")
    need("kind", d["kind"] in KINDS, f"must be one of {', '.join(KINDS)}")
    need("c2c_mode", d["c2c_mode"] in C2C_MODES, f"must be one of {', '.join(C2C_MODES)}")
    need("mapping", d["mapping"] in MAPPINGS, f"must be one of {', '.join(MAPPINGS)}")
    need("rounding", d["rounding"] in ROUNDINGS, f"must be one of {', '.join(ROUNDINGS)}")
    for n in ("levels_ltp", "levels_ltd"):
        need(n, 1 <= d[n] <= 1_000_000, "must be in [1, 1000000]")
    for n in ("nl_ltp", "nl_ltd"):
        need(n, -9.0 <= d[n] <= 9.0, "must be in [-9, 9] (NeuroSim NL label)")
    for n in ("c2c", "d2d_g", "read_noise", "stuck_at_gmin", "stuck_at_gmax"):
        need(n, 0.0 <= d[n] <= 1.0, "must be in [0, 1]")
    need("d2d", 0.0 <= d["d2d"] <= 10.0, "must be in [0, 10]")
    stuck = d["stuck_at_gmin"] + d["stuck_at_gmax"]
    if stuck > 1.0:
        raise ConfigError(f"{source}: fields 'stuck_at_gmin' + 'stuck_at_gmax' must be <= 1, got "
                          f"{d['stuck_at_gmin']:g} + {d['stuck_at_gmax']:g} = {stuck:g}")
    need("v_read", d["v_read"] > 0, "must be > 0")
    for n in ("on_off", "r_on", "pulse_width_ltp", "pulse_width_ltd"):
        if d[n] is not None:
            need(n, d[n] > (1.0 if n == "on_off" else 0.0),
                 "must be > 1" if n == "on_off" else "must be > 0")
    if d["kind"] == "analog":
        for n in _REQUIRED_ANALOG:
            need(n, d[n] is not None, "is required for kind 'analog'")


def preset_from_dict(d: dict[str, Any], source: str = "<dict>") -> DevicePreset:
    """Validate a mapping of field -> value and build a `DevicePreset`.

    `source` (a file name) is the prefix of every error message.
    """
    if not isinstance(d, dict):
        raise ConfigError(f"{source}: a device preset must be a table of fields")
    unknown = sorted(set(d) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{source}: unknown field '{unknown[0]}'; valid fields: "
                          f"{', '.join(_FIELDS)}")
    if "name" not in d:
        raise ConfigError(f"{source}: field 'name' is required")
    clean: dict[str, Any] = {}
    for name, f in _FIELDS.items():
        value = d.get(name, f.default)
        clean[name] = _check_type(source, name, value)
    _check_range(source, clean)
    return DevicePreset(**clean)


# ------------------------------------------------------------------------------ lookup

def _device_files() -> list[Path]:
    d = presets_dir() / "devices"
    return sorted(d.glob("*.toml")) if d.is_dir() else []


def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml(path)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(presets_dir().resolve().parent))
    except ValueError:
        return str(path)


def load_file(path: str | Path) -> DevicePreset:
    """Load and validate one device TOML file."""
    path = Path(path)
    return preset_from_dict(_read_toml(path), source=_display(path))


def _index() -> dict[str, Path]:
    """name or alias -> file, over the shipped presets (aliases come from the files' data)."""
    idx: dict[str, Path] = {}
    for f in _device_files():
        data = _read_toml(f)
        names = [data.get("name", f.stem)]
        aliases = data.get("aliases", [])
        if isinstance(aliases, list):
            names += [a for a in aliases if isinstance(a, str)]
        for n in names:
            idx.setdefault(str(n).lower(), f)
    return idx


def list_presets() -> list[str]:
    """Names of the shipped device presets (without aliases), sorted."""
    return sorted(str(_read_toml(f).get("name", f.stem)) for f in _device_files())


def load_preset(name_or_path: str | Path) -> DevicePreset:
    """A shipped preset by name or alias (case-insensitive), or a user TOML file by path."""
    s = str(name_or_path)
    p = Path(s)
    if looks_like_path(s):
        if not p.is_file():
            raise ConfigError(f"{s}: device preset file not found")
        return load_file(p)
    f = _index().get(s.lower())
    if f is None:
        valid = ", ".join(list_presets())
        raise ConfigError(f"unknown device preset '{s}'; valid names: {valid} "
                          f"(or a path to a .toml file)")
    return load_file(f)


UNITS = {"levels_ltp": "pulses", "levels_ltd": "pulses", "c2c": "fraction of Gmax-Gmin",
         "d2d": "sigma of NL label", "d2d_g": "fraction of Gmax, Gmin", "on_off": "Gmax/Gmin",
         "r_on": "ohm", "v_write_ltp": "V", "v_write_ltd": "V", "pulse_width_ltp": "s",
         "pulse_width_ltd": "s", "v_read": "V", "read_noise": "fraction of I",
         "stuck_at_gmin": "fraction of devices", "stuck_at_gmax": "fraction of devices"}


def describe_preset(p: DevicePreset) -> str:
    """Every field with its unit, then the derived values (what `presets show` prints)."""
    from tabulate import tabulate

    head = f"{p.name}: {p.description}\nsource: {p.citation}\n\n"
    rows = [[k, "" if v is None else (", ".join(v) if isinstance(v, (list, tuple)) else v),
             UNITS.get(k, "")] for k, v in p.to_dict().items()
            if k not in ("name", "description", "citation")]
    rows += [["gmax (derived)", f"{p.gmax:.6g}", "S"], ["gmin (derived)", f"{p.gmin:.6g}", "S"],
             ["A_ltp (derived)", f"{p.a_ltp_pulses:.6g}", "pulses (inf = linear)"],
             ["A_ltd (derived)", f"{p.a_ltd_pulses:.6g}", "pulses (inf = linear)"]]
    return head + tabulate(rows, headers=["field", "value", "unit"], tablefmt="simple")
