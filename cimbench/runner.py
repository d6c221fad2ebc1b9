"""One run end to end: load data, train, evaluate, estimate hardware cost, write the reports.

Everything that can be wrong with the input is checked before the run directory is created,
so a bad command leaves no files behind. Result files are written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import sys
import zipfile
from pathlib import Path

import numpy as np

import cimbench
from cimbench.config import SECTIONS, RunConfig, config_from_dict
from cimbench.dataset import Dataset, load_dataset
from cimbench.errors import CimbenchError, ConfigError
from cimbench.report import write_csv, write_json
from cimbench.trace import Trace

CHECKPOINT = "checkpoint.npz"


def load_data(cfg: RunConfig) -> Dataset:
    """The run's data set, with the network's input and output sizes checked against it."""
    d = cfg.data
    data = load_dataset(d.dataset, d.data_dir, d.crop, d.binarize, d.train_limit, d.test_limit)
    check_fits(cfg, data)
    return data


def check_data(cfg: RunConfig, cache: dict | None = None, files: bool = True) -> None:
    """The data set exists and fits the network, without preparing it: shapes do not depend on
    limits or binarization, so one sample a split is read (once per (set, directory, crop)
    when a cache is given). files=False: a known set given without --data-dir is checked
    against its published shape instead (pricing a configuration needs no images)."""
    from cimbench.dataset import KNOWN_SHAPES, known_shape

    d = cfg.data
    if not files and d.data_dir is None and d.dataset in KNOWN_SHAPES:
        return check_fits(cfg, known_shape(d.dataset, d.crop))
    key = (d.dataset, d.data_dir, d.crop)
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = load_dataset(d.dataset, d.data_dir, d.crop, train_limit=1, test_limit=1)
    check_fits(cfg, cache[key])


def check_fits(cfg: RunConfig, data: Dataset) -> None:
    """The network's first and last sizes match the data's inputs and classes."""
    sizes = cfg.network.sizes
    if sizes[0] != data.n_inputs:
        h, w = data.image_shape
        raise ConfigError(f"network {cfg.network.label} has {sizes[0]} inputs but {data.name} "
                          f"images are {h}x{w} = {data.n_inputs}; use --network "
                          f"{data.n_inputs}-{'-'.join(map(str, sizes[1:]))}")
    if sizes[-1] != data.n_classes:
        raise ConfigError(f"network {cfg.network.label} has {sizes[-1]} outputs but {data.name} "
                          f"has {data.n_classes} classes")


# Summary columns of the settings: the named ones below, then "<section>_<field>" for every
# other field of these sections (derived, so a new setting cannot be left out of summary.csv;
# data_dir is a location, not a setting). device_* and hw_* follow.
_NAMED = {"train": ("algo", "epochs", "batch_size", "lr", "momentum", "seed"),
          "network": ("sizes", "activation", "loss"),
          "data": ("dataset", "data_dir", "train_limit", "test_limit")}
_OTHER = tuple((sec, f.name) for sec, named in _NAMED.items()
               for f in dataclasses.fields(SECTIONS[sec]) if f.name not in named)
SETTING_COLUMNS = ("protocol", "algo", "device", "network", "activation", "loss", "dataset",
                   "train_limit", "test_limit", "epochs", "batch_size", "lr", "momentum", "seed",
                   "bits") + tuple(f"{sec}_{name}" for sec, name in _OTHER)


def config_columns(cfg: RunConfig) -> dict:
    """The settings of a run as flat summary columns (what `check` matches rows on)."""
    dev = cfg.device.to_dict()
    row = {
        "run_id": cfg.run_id, "protocol": cfg.protocol, "algo": cfg.train.algo,
        "device": cfg.device.name, "network": cfg.network.label,
        "activation": cfg.network.activation, "loss": cfg.network.loss,
        "dataset": cfg.data.dataset, "train_limit": cfg.data.train_limit,
        "test_limit": cfg.data.test_limit, "epochs": cfg.train.epochs,
        "batch_size": cfg.train.batch_size,
        "lr": ",".join(repr(v) for v in cfg.train.lr) if cfg.train.lr else "default",
        "momentum": cfg.train.momentum, "seed": cfg.train.seed, "bits": cfg.quant.label,
        **{f"{sec}_{name}": getattr(getattr(cfg, sec), name) for sec, name in _OTHER},
    }
    for k, v in dev.items():
        if k not in ("name", "description", "citation", "aliases"):
            row[f"device_{k}"] = v
    hw = cfg.hw.to_dict()
    for k, v in hw.items():
        if k not in ("description", "citation") and not isinstance(v, (dict, list)):
            row[f"hw_{k}"] = v
    return row


def manifest(cfg: RunConfig, argv: list[str] | None, status: str) -> dict:
    return {
        "run_id": cfg.run_id,
        "status": status,
        "command": ["cimbench", *(argv if argv is not None else sys.argv[1:])],
        "config": cfg.to_dict(),
        "seed": cfg.train.seed,
        "versions": {"cimbench": cimbench.__version__, "python": platform.python_version(),
                     "numpy": np.__version__},
        "blas_threads": cimbench.BLAS_THREADS,
    }


def _epoch_rows(trainer) -> list[dict]:
    return [vars(r).copy() for r in trainer.history]


def train_run(cfg: RunConfig, out: Path, argv=None, quiet=False, data: Dataset | None = None):
    """Train and write epochs.csv, trace.json, checkpoint and manifest; return the trainer."""
    from cimbench.engine.train import Trainer

    if data is None:
        data = load_data(cfg)
    trainer = Trainer(cfg, data)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "manifest.json", manifest(cfg, argv, "running"))

    def on_epoch(rec):
        write_csv(out / "epochs.csv", _epoch_rows(trainer))
        if not quiet:
            print(f"epoch {rec.epoch:3d}  train_loss {rec.train_loss:.4f}  train_acc "
                  f"{rec.train_acc:.4f}  test_acc {rec.test_acc:.4f}  ({rec.seconds:.1f} s)",
                  file=sys.stderr)

    trainer.fit(quiet=quiet, on_epoch=on_epoch)
    _save_checkpoint(out, trainer)
    write_json(out / "trace.json", trainer.trace.to_dict())
    write_json(out / "manifest.json", manifest(cfg, argv, trainer.status))
    return trainer


def _save_checkpoint(out: Path, trainer) -> None:
    tmp = out / (".tmp-" + CHECKPOINT)
    with open(tmp, "wb") as f:
        np.savez_compressed(f, **trainer.state_dict())
    tmp.replace(out / CHECKPOINT)


def load_run(run_dir: Path):
    """(config, trace, manifest) of a finished run directory."""
    run_dir = Path(run_dir)
    mpath = run_dir / "manifest.json"
    if not mpath.is_file():
        raise CimbenchError(f"not a run directory (no manifest.json): {run_dir}")
    try:
        m = json.loads(mpath.read_text())
        cfg = config_from_dict(m["config"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CimbenchError(f"{mpath}: not a cimbench manifest ({type(exc).__name__}: {exc})") from None
    tpath = run_dir / "trace.json"
    trace = Trace.from_dict(json.loads(tpath.read_text())) if tpath.is_file() else None
    return cfg, trace, m


def restore_trainer(run_dir: Path, data: Dataset | None = None):
    """A trainer with the weights (conductances) of a finished run, for evaluation: without
    `data`, only the test split is prepared (one training sample keeps the set's shape)."""
    from cimbench.engine.train import Trainer

    cfg, trace, _ = load_run(run_dir)
    ck = Path(run_dir) / CHECKPOINT
    if not ck.is_file():
        raise CimbenchError(f"no {CHECKPOINT} in {run_dir}: train it first (cimbench train --out DIR)")
    if data is None:
        d = cfg.data
        data = load_dataset(d.dataset, d.data_dir, d.crop, d.binarize, 1, d.test_limit)
        check_fits(cfg, data)
    trainer = Trainer(cfg, data)
    try:
        with np.load(ck) as z:
            trainer.load_state_dict({k: z[k] for k in z.files})
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise CimbenchError(f"{ck}: not a readable cimbench checkpoint "
                            f"({type(e).__name__}: {e}); train the run again") from None
    trainer.epochs_done = trace.epochs if trace is not None else cfg.train.epochs
    return cfg, trainer


def hardware_summary(cfg: RunConfig, trace: Trace):
    """Price a trace on the run's hardware."""
    from cimbench.hardware.estimator import estimate

    return estimate(trace, cfg.device, cfg.hw)


def reprice_config(cfg: RunConfig, hw: str | None, overrides: dict) -> RunConfig:
    """The same run on other hardware (a preset and/or field overrides)."""
    import dataclasses

    from cimbench.hardware.config import load_hardware

    hwc = load_hardware(hw) if hw else cfg.hw
    if overrides:
        hwc = hwc.with_overrides(**overrides)  # coerces command-line strings itself
    return dataclasses.replace(cfg, hw=hwc)


def expected_run_trace(cfg: RunConfig) -> Trace:
    """Pulse counts expected for a configuration, without training. Samples per epoch:
    samples_per_epoch, else train_limit, else 60,000 (MNIST and Fashion-MNIST)."""
    import math

    from cimbench.hardware.expected import expected_trace

    n = cfg.train.samples_per_epoch or cfg.data.train_limit or 60000
    per_epoch = math.ceil(n / cfg.train.batch_size)
    trace = expected_trace(cfg.network.sizes, cfg.train.algo, cfg.train.batch_size,
                           per_epoch * cfg.train.epochs, cfg.device, epochs=cfg.train.epochs)
    if cfg.network.bias:
        trace.add_bias_row()
    trace.train_samples = n * cfg.train.epochs
    return trace


def summarize(cfg: RunConfig, trainer, hw_report=None, run_dir: Path | None = None) -> dict:
    hist = trainer.history
    last = hist[-1]
    tail = [r.test_acc for r in hist[-10:]]
    row = config_columns(cfg)
    row.update({
        "status": trainer.status,
        "test_acc": last.test_acc,
        "train_acc": last.train_acc,
        "best_test_acc": float(np.nanmax([r.test_acc for r in hist])) if any(
            np.isfinite(r.test_acc) for r in hist) else float("nan"),
        "mean_last10_test_acc": float(np.mean(tail)),
        "test_loss": last.test_loss,
        "train_loss": last.train_loss,
        "epochs_run": len(hist),
        "iterations": trainer.trace.iterations,
        "pulses_ltp": sum(l.ltp_pulses for l in trainer.trace.layers),
        "pulses_ltd": sum(l.ltd_pulses for l in trainer.trace.layers),
        "train_seconds": float(sum(r.seconds for r in hist)),
    })
    if hw_report is not None:
        row.update(hw_report.summary)
    return row


def run(cfg: RunConfig, out: Path, argv=None, quiet=False) -> dict:
    """Train + evaluate + estimate: write every report of a run; return its summary row."""
    data = load_data(cfg)
    trainer = train_run(cfg, out, argv, quiet, data)
    hw = hardware_summary(cfg, trainer.trace)
    write_csv(out / "hardware.csv", hw.rows)
    row = summarize(cfg, trainer, hw)
    write_csv(out / "summary.csv", [row])
    return row
