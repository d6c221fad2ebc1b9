"""Run configuration: a tree of small validated dataclasses, built from a protocol file
(presets/protocols/*.toml), a device preset, a hardware preset and the user's overrides.

Every value is checked when the configuration is built, so a bad flag fails before any data
is loaded or any file is written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from cimbench.errors import ConfigError
from cimbench.paths import presets_dir, read_toml

ACTIVATIONS = ("sigmoid", "tanh", "relu")
LOSSES = ("ce", "mse")
INITS = ("xavier", "levels")


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)


@dataclass(frozen=True)
class DataConfig:
    """Which data set and how it is preprocessed (crop: side of the central square, pixels)."""

    dataset: str = "mnist"
    data_dir: str | None = None
    train_limit: int | None = None
    test_limit: int | None = None
    crop: int | None = None
    binarize: float | None = None

    def __post_init__(self):
        from cimbench.dataset import DATASETS
        _check(self.dataset in DATASETS,
               f"unknown dataset '{self.dataset}'; choose one of: {', '.join(DATASETS)}")
        for name in ("train_limit", "test_limit", "crop"):
            v = getattr(self, name)
            _check(v is None or v >= 1, f"data.{name} must be >= 1, got {v}")
        _check(self.binarize is None or 0.0 < self.binarize < 1.0,
               f"data.binarize must be in (0, 1), got {self.binarize}")


@dataclass(frozen=True)
class NetworkConfig:
    """MLP shape and nonlinearity. bias: an always-on extra input row per array. gain: per-layer scale between device weights w in [-1, 1]
    and the network's weights (None: 2 x the Xavier limit, so init fills half the range)."""

    sizes: tuple[int, ...] = (784, 256, 256, 10)
    activation: str = "sigmoid"
    loss: str = "ce"
    init: str = "xavier"
    gain: float | None = None
    bias: bool = True
    binarize_hidden: bool = False

    def __post_init__(self):
        _check(len(self.sizes) >= 2 and all(s >= 1 for s in self.sizes),
               f"network needs at least two layer sizes >= 1, got {'-'.join(map(str, self.sizes))}")
        _check(self.activation in ACTIVATIONS,
               f"unknown activation '{self.activation}'; choose one of: {', '.join(ACTIVATIONS)}")
        _check(self.loss in LOSSES, f"unknown loss '{self.loss}'; choose one of: {', '.join(LOSSES)}")
        _check(self.init in INITS, f"unknown init '{self.init}'; choose one of: {', '.join(INITS)}")
        _check(self.gain is None or self.gain > 0, f"network.gain must be > 0, got {self.gain}")

    @property
    def label(self) -> str:
        return "-".join(map(str, self.sizes))


@dataclass(frozen=True)
class QuantConfig:
    """WAGE bit widths (None = float): weights, activations, gradients, errors."""

    weight: int | None = None
    activation: int | None = None
    gradient: int | None = None
    error: int | None = None

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            _check(v is None or 2 <= v <= 16, f"quant.{f.name} bits must be in 2..16, got {v}")

    @property
    def label(self) -> str:
        return ",".join("-" if v is None else str(v)
                        for v in (self.weight, self.activation, self.gradient, self.error))


@dataclass(frozen=True)
class TrainConfig:
    """Learning rule and optimizer. lr: one value, or one per layer; None: the rule's default.
    samples_per_epoch: None = one pass without replacement; N = N samples drawn with replacement."""

    algo: str = "bp"
    epochs: int = 5
    batch_size: int = 100
    lr: tuple[float, ...] | None = None
    momentum: float = 0.9
    seed: int = 0
    lr_schedule: str = "cosine"
    samples_per_epoch: int | None = None

    def __post_init__(self):
        from cimbench.engine.rules import RULES
        _check(self.lr_schedule in ("constant", "cosine"),
               f"unknown lr_schedule '{self.lr_schedule}'; choose one of: constant, cosine")
        _check(self.algo in RULES, f"unknown algo '{self.algo}'; choose one of: {', '.join(RULES)}")
        _check(self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}")
        _check(self.batch_size >= 1, f"batch size must be >= 1, got {self.batch_size}")
        _check(self.lr is None or (len(self.lr) >= 1 and all(v > 0 for v in self.lr)),
               f"lr must be > 0 (one value, or one per layer: 0.4,0.2), got "
               f"{','.join(f'{v:g}' for v in self.lr or ())}")
        _check(0.0 <= self.momentum < 1.0, f"momentum must be in [0, 1), got {self.momentum}")
        _check(0 <= self.seed < 2**32, f"seed must be in 0..2^32-1, got {self.seed}")
        _check(self.samples_per_epoch is None or self.samples_per_epoch >= 1,
               f"samples_per_epoch must be >= 1, got {self.samples_per_epoch}")


SECTIONS = {"data": DataConfig, "network": NetworkConfig, "quant": QuantConfig,
            "train": TrainConfig}


@dataclass(frozen=True)
class RunConfig:
    """Everything a run depends on; its hash names the run."""

    protocol: str
    data: DataConfig
    network: NetworkConfig
    quant: QuantConfig
    train: TrainConfig
    device: Any
    hw: Any

    def __post_init__(self):
        n_layers = len(self.network.sizes) - 1
        lr = self.train.lr
        _check(lr is None or len(lr) in (1, n_layers),
               f"lr needs 1 or {n_layers} values for network {self.network.label}, got {len(lr or ())}")
        w, dev = self.quant.weight, self.device
        _check(w is None or dev.kind == "ideal",
               f"--bits W = {w} quantizes the ideal store only; device '{dev.name}' ({dev.kind}) "
               f"has {dev.levels_ltp}/{dev.levels_ltd} levels for that (use '-' for W, or --levels)")
        self._check_full_scale()

    def _check_full_scale(self) -> None:
        """MLP+NeuroSim's fixed-scale read-out models one device per weight against a reference
        column, read by inputs in [0, 1]: the reference mapping and sigmoid (or binarized)
        hidden layers."""
        dev, hw, net = self.device, self.hw, self.network
        if getattr(hw, "adc_range", "calibrated") != "full-scale" or dev.kind == "ideal":
            return
        _check(dev.mapping == "reference",
               f"hw.adc_range 'full-scale' needs the 'reference' mapping; device '{dev.name}' uses "
               f"'{dev.mapping}' (set device.mapping=reference or hw.adc_range=calibrated)")
        _check(net.binarize_hidden or net.activation == "sigmoid",
               f"hw.adc_range 'full-scale' reads inputs in [0, 1]: it needs activation 'sigmoid' "
               f"(or binarized hidden layers), got '{net.activation}' (or use hw.adc_range=calibrated)")

    def to_dict(self) -> dict:
        return {
            "protocol": self.protocol,
            **{name: dataclasses.asdict(getattr(self, name)) for name in SECTIONS},
            "device": self.device.to_dict(),
            "hw": self.hw.to_dict(),
        }

    def digest(self) -> str:
        """Short stable hash of the configuration. data_dir is a location, not a setting, and is
        left out for the known sets (their files are checksummed); for `idx`, any set of IDX
        files, its absolute path is what tells two sets apart."""
        d = self.to_dict()
        data_dir = d["data"].pop("data_dir", None)
        if self.data.dataset == "idx" and data_dir is not None:
            d["data"]["idx_dir"] = str(Path(data_dir).resolve())
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:8]

    @property
    def run_id(self) -> str:
        return f"{self.train.algo}-{self.device.name}-s{self.train.seed}-{self.digest()}"


# ----------------------------------------------------------------------------- coercion

def coerce_value(tp: Any, value: Any, where: str) -> Any:
    """Coerce a TOML value or a command-line string to the annotated type; `where` names the
    field in the error."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)) and type(None) in args:
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            return None
        inner = [a for a in args if a is not type(None)][0]
        return coerce_value(inner, value, where)
    if origin is tuple:
        elem = args[0]
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            items = [items]
        return tuple(coerce_value(elem, v, where) for v in items)
    try:
        if tp is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
                return value.lower() in ("true", "1", "yes", "on")
            raise ValueError
        if tp is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if tp is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if tp is str:
            if not isinstance(value, str):
                raise ValueError
            return value
    except (TypeError, ValueError):
        pass
    else:
        return value
    raise ConfigError(f"{where} must be of type {getattr(tp, '__name__', tp)}, got {value!r}")


def make_section(cls: type, values: dict, where: str) -> Any:
    """Build a section dataclass from a dict, rejecting unknown keys and coercing types."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    kwargs = {}
    for key, value in values.items():
        if key not in names:
            raise ConfigError(f"{where}: unknown field '{key}'; valid fields: {', '.join(names)}")
        kwargs[key] = coerce_value(hints[key], value, f"{where}.{key}")
    return cls(**kwargs)


def coerce_fields(cls: type, values: dict, where: str) -> dict:
    """Coerce strings from the command line to the types of a preset's fields; unknown
    names pass through for the preset's own validation to reject with the valid list."""
    hints = typing.get_type_hints(cls)
    return {k: coerce_value(hints[k], v, f"{where}.{k}") if k in hints else v
            for k, v in values.items()}


def parse_assignment(text: str) -> tuple[str, str, str]:
    """'section.field=value' -> (section, field, value)."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ConfigError(f"--set expects SECTION.FIELD=VALUE, got '{text}'")
    key, value = text.split("=", 1)
    section, name = key.split(".", 1)
    valid = list(SECTIONS) + ["device", "hw"]
    if section not in valid:
        raise ConfigError(f"--set: unknown section '{section}'; choose one of: {', '.join(valid)}")
    return section, name.strip(), value.strip()


# ----------------------------------------------------------------------------- protocols

def protocols() -> list[str]:
    return sorted(p.stem for p in (presets_dir() / "protocols").glob("*.toml"))


def load_protocol(name: str) -> dict:
    path = presets_dir() / "protocols" / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"unknown protocol '{name}'; choose one of: {', '.join(protocols())}")
    d = read_toml(path)
    valid = set(SECTIONS) | {"device", "hw", "description", "citation"}
    for key in d:
        if key not in valid:
            raise ConfigError(f"{path}: unknown section '{key}'; valid: {', '.join(sorted(valid))}")
    return d


def build_config(protocol: str = "minibatch", device: str | None = None, hw: str | None = None,
                 overrides: dict[str, dict[str, Any]] | None = None) -> RunConfig:
    """Protocol defaults <- overrides (per section) -> validated RunConfig.

    device / hw name a preset or a TOML path; None takes the protocol's choice."""
    from cimbench.device.preset import load_preset
    from cimbench.hardware.config import load_hardware

    base = load_protocol(protocol)
    overrides = overrides or {}
    sections = {}
    for name, cls in SECTIONS.items():
        values = dict(base.get(name, {}))
        values.update(overrides.get(name, {}))
        sections[name] = make_section(cls, values, name)

    def preset(key: str, chosen: str | None, default: str, load):
        """The chosen (or the protocol's) preset with the protocol's and the caller's fields."""
        values = dict(base.get(key, {}))
        name = chosen or values.pop("preset", default)
        values.pop("preset", None)
        p = load(name)
        over = {**values, **overrides.get(key, {})}
        return p.with_overrides(**over) if over else p  # with_overrides coerces strings

    return RunConfig(protocol=protocol, device=preset("device", device, "ideal", load_preset),
                     hw=preset("hw", hw, "32nm", load_hardware), **sections)


def config_from_dict(d: dict) -> RunConfig:
    """Rebuild a RunConfig from to_dict() output (checkpoints, manifests)."""
    from cimbench.device.preset import preset_from_dict
    from cimbench.hardware.config import HardwareConfig

    sections = {name: make_section(cls, d[name], name) for name, cls in SECTIONS.items()}
    hw = HardwareConfig(**d["hw"]).validate("run manifest")
    return RunConfig(protocol=d["protocol"], device=preset_from_dict(d["device"], "run manifest"),
                     hw=hw, **sections)
