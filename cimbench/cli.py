"""Command line: parse flags, map them onto the configuration, call, print. No numerics here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from cimbench import __version__
from cimbench.errors import CimbenchError, ConfigError
from cimbench.option_groups import with_options


class CimbenchGroup(click.Group):
    """Every error is one line on stderr and a nonzero exit, never a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args=args, prog_name=prog_name or "cimbench",
                              complete_var=complete_var, standalone_mode=False, **extra)
        except click.ClickException as e:
            click.echo(f"error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)
        except CimbenchError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)
        except OSError as e:  # unwritable --out, full disk, ...: the file and the reason
            where = f"{e.filename}: " if e.filename else ""
            click.echo(f"error: {where}{e.strerror or e}", err=True)
            sys.exit(2)
        except (click.Abort, KeyboardInterrupt):
            click.echo("interrupted", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=CimbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cimbench")
def cli():
    """cimbench: learning rules (BP, FA, DFA, DRTP) trained in situ on simulated
    compute-in-memory arrays, with area, latency and energy estimates.

    \b
    Example:
      cimbench run --algo dfa --device rram
      cimbench presets list
    """


# ------------------------------------------------------------------------ shared options

def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.replace("x", "-").split("-"))
    except ValueError:
        raise ConfigError(f"{what} expects sizes like 784-256-10, got '{text}'") from None


def _floats(text: str, what: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in text.split(","))
    except ValueError:
        raise ConfigError(f"{what} expects comma-separated numbers, got '{text}'") from None


def _bits(text: str) -> dict:
    """'5,8,5,8' (W,A,G,E; '-' or 'f' = float) or 'none' -> quant section."""
    names = ("weight", "activation", "gradient", "error")
    if text.lower() in ("none", "float", "off"):
        return dict.fromkeys(names)
    parts = text.split(",")
    if len(parts) != 4:
        raise ConfigError(f"--bits expects W,A,G,E (e.g. 5,8,5,8; '-' for float), got '{text}'")
    out = {}
    for name, p in zip(names, parts):
        p = p.strip().lower()
        if p in ("-", "f", "float", "none"):
            out[name] = None
        elif p.isdigit():
            out[name] = int(p)
        else:
            raise ConfigError(f"--bits: {name} bits must be an integer or '-', got '{p}'")
    return out


RUN_OPTIONS = [
    click.option("--protocol", default="minibatch", show_default=True,
                 help="Training protocol preset (presets/protocols): minibatch, neurosim-mlp."),
    click.option("--algo", help="Learning rule: bp, fa, dfa, drtp, shallow."),
    click.option("--device", help="Device preset name or TOML path (cimbench presets list)."),
    click.option("--network", help="Layer sizes, e.g. 784-256-256-10."),
    click.option("--activation", help="Hidden activation: sigmoid, tanh, relu."),
    click.option("--loss", help="Loss: ce (softmax cross-entropy) or mse (squared error)."),
    click.option("--epochs", type=int, help="Training epochs."),
    click.option("--batch-size", type=int, help="Mini-batch size (1 = online learning)."),
    click.option("--lr", help="Learning rate, or one per layer: 0.4,0.2."),
    click.option("--momentum", type=float, help="Momentum in [0, 1)."),
    click.option("--seed", type=int, help="Master seed of every random draw."),
    click.option("--bits", help="WAGE bits W,A,G,E (e.g. 5,8,5,8; '-' = float; 'none')."),
    click.option("--dataset", help="mnist (embedded), fashion-mnist or idx (need --data-dir)."),
    click.option("--data-dir", type=click.Path(), help="Folder with the four IDX files."),
    click.option("--train-limit", type=int, help="Use only the first N training images."),
    click.option("--test-limit", type=int, help="Use only the first N test images."),
    click.option("--c2c", type=float, help="Cycle-to-cycle sigma, fraction of the range."),
    click.option("--d2d", type=float, help="Device-to-device sigma of the NL labels."),
    click.option("--levels", type=int, help="Conductance levels (LTP and LTD)."),
    click.option("--on-off", type=float, help="ON/OFF conductance ratio."),
    click.option("--nl", help="Nonlinearity labels LTP,LTD (e.g. 2.4,-4.88)."),
    click.option("--read-noise", type=float, help="Read noise sigma (fraction of G)."),
    click.option("--stuck-at", help="Fractions stuck at Gmin,Gmax (one value: split evenly)."),
    click.option("--adc-bits", type=int, help="ADC bits of array reads (simulation and cost)."),
    click.option("--hw", help="Hardware preset name or TOML path (presets/hardware)."),
    click.option("--subarray", help="Subarray size ROWSxCOLS or N."),
    click.option("--col-mux", type=int, help="Columns sharing one ADC."),
    click.option("--tech", type=int, help="Technology node in nm (picks the NNnm preset)."),
    click.option("--set", "sets", multiple=True, metavar="SECTION.FIELD=VALUE",
                 help="Any field: data., network., quant., train., device., hw. (repeatable)."),
]

OUTPUT_OPTIONS = [
    click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                 show_default=True, help="What to print on stdout."),
    click.option("--quiet", "-q", is_flag=True, help="No progress or per-epoch lines on stderr."),
]


def overrides_from_flags(o: dict) -> dict:
    """Map the flags the user gave onto configuration sections."""
    ov: dict[str, dict] = {k: {} for k in ("data", "network", "quant", "train", "device", "hw")}
    simple = {"algo": "train", "epochs": "train", "batch_size": "train", "momentum": "train",
              "seed": "train", "activation": "network", "loss": "network", "dataset": "data",
              "data_dir": "data", "train_limit": "data", "test_limit": "data",
              "c2c": "device", "d2d": "device", "on_off": "device", "read_noise": "device",
              "adc_bits": "hw", "col_mux": "hw"}
    for key, section in simple.items():
        if o.get(key) is not None:
            ov[section][key] = o[key]
    if o.get("network"):
        ov["network"]["sizes"] = _ints(o["network"], "--network")
    if o.get("lr"):
        ov["train"]["lr"] = _floats(o["lr"], "--lr")
    if o.get("bits"):
        ov["quant"].update(_bits(o["bits"]))
    if o.get("levels") is not None:
        ov["device"].update(levels_ltp=o["levels"], levels_ltd=o["levels"])
    if o.get("nl"):
        v = _floats(o["nl"], "--nl")
        if len(v) not in (1, 2):
            raise ConfigError(f"--nl expects LTP,LTD, got '{o['nl']}'")
        ov["device"].update(nl_ltp=v[0], nl_ltd=v[-1])
    if o.get("stuck_at"):
        v = _floats(o["stuck_at"], "--stuck-at")
        if len(v) not in (1, 2):
            raise ConfigError(f"--stuck-at expects GMIN[,GMAX] fractions, got '{o['stuck_at']}'")
        lo, hi = (v[0] / 2, v[0] / 2) if len(v) == 1 else v
        ov["device"].update(stuck_at_gmin=lo, stuck_at_gmax=hi)
    if o.get("subarray"):
        s = _ints(o["subarray"], "--subarray")
        if len(s) not in (1, 2):
            raise ConfigError(f"--subarray expects N or ROWSxCOLS, got '{o['subarray']}'")
        rows, cols = (s[0], s[0]) if len(s) == 1 else s
        ov["hw"].update(subarray_rows=rows, subarray_cols=cols)
    from cimbench.config import parse_assignment
    for text in o.get("sets") or ():
        section, name, value = parse_assignment(text)
        ov[section][name] = value
    return {k: v for k, v in ov.items() if v}


def hw_choice(o: dict) -> str | None:
    """--hw PRESET, or --tech N meaning the NNnm preset; not both."""
    if o.get("hw") and o.get("tech") is not None:
        raise ConfigError("--tech picks the hardware preset NNnm; give either --tech or --hw")
    return o.get("hw") or (f"{o['tech']}nm" if o.get("tech") is not None else None)


def config_from_flags(o: dict):
    from cimbench.config import build_config

    return build_config(protocol=o["protocol"], device=o.get("device"), hw=hw_choice(o),
                        overrides=overrides_from_flags(o))


def _argv() -> list[str]:
    return sys.argv[1:]


SUMMARY_COLUMNS = ["run_id", "algo", "device", "network", "epochs", "status", "test_acc",
                   "train_acc", "train_seconds", "area_mm2", "latency_s", "energy_j"]


def print_summary(row: dict, fmt: str, out_dir: Path) -> None:
    from cimbench.report import csv_text, table_text

    if fmt == "csv":
        click.echo(csv_text([row]), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(row, indent=2, default=str))
    else:
        cols = [c for c in SUMMARY_COLUMNS if c in row]
        click.echo(table_text([row], cols, "simple"))
        click.echo(f"results: {out_dir}")


def _out_dir(out: str | None, cfg) -> Path:
    return Path(out) if out else Path("runs") / cfg.run_id


# ------------------------------------------------------------------------ commands

@cli.command()
@with_options(RUN_OPTIONS)
@click.option("--out", type=click.Path(file_okay=False), help="Run directory (default runs/<run_id>).")
@with_options(OUTPUT_OPTIONS)
def run(out, fmt, quiet, **o):
    """Train, evaluate and price one configuration; write epochs.csv, summary.csv,
    hardware.csv and manifest.json to the run directory.

    \b
    Examples:
      cimbench run --algo dfa --device rram
      cimbench run --algo bp --device ideal --network 784-256-10 --epochs 3
      cimbench run --protocol neurosim-mlp --device agsi --epochs 5 --format csv
    """
    from cimbench import runner

    cfg = config_from_flags(o)
    out_dir = _out_dir(out, cfg)
    row = runner.run(cfg, out_dir, _argv(), quiet or fmt != "table")
    print_summary(row, fmt, out_dir)


@cli.command()
@with_options(RUN_OPTIONS)
@click.option("--out", type=click.Path(file_okay=False), help="Run directory (default runs/<run_id>).")
@click.option("--quiet", "-q", is_flag=True, help="No progress or per-epoch lines on stderr.")
def train(out, quiet, **o):
    """Train only: write the checkpoint, trace and epochs.csv to the run directory
    (then `cimbench evaluate DIR` and `cimbench estimate DIR`).

    \b
    Example:
      cimbench train --algo bp --device rram --epochs 2 --out runs/bp-rram
    """
    from cimbench import runner

    cfg = config_from_flags(o)
    out_dir = _out_dir(out, cfg)
    trainer = runner.train_run(cfg, out_dir, _argv(), quiet)
    runner.write_csv(out_dir / "summary.csv", [runner.summarize(cfg, trainer)])
    click.echo(f"trained {cfg.run_id}: test_acc {trainer.history[-1].test_acc:.4f} "
               f"({trainer.status}); checkpoint in {out_dir}")


@cli.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@with_options(OUTPUT_OPTIONS)
def evaluate(run_dir, fmt, quiet):
    """Evaluate the checkpoint of a trained run on its test set.

    \b
    Example:
      cimbench evaluate runs/bp-rram
    """
    from cimbench import runner

    cfg, trainer = runner.restore_trainer(Path(run_dir))
    loss, acc = trainer.evaluate(trainer.data.x_test, trainer.data.y_test)
    row = {"run_id": cfg.run_id, "algo": cfg.train.algo, "device": cfg.device.name,
           "network": cfg.network.label, "test_acc": acc, "test_loss": loss}
    print_summary(row, fmt, Path(run_dir))


HW_FLAGS = ("hw", "adc_bits", "subarray", "col_mux", "tech")


@cli.command()
@click.argument("run_dir", required=False, type=click.Path(file_okay=False))
@with_options(RUN_OPTIONS)
@click.option("--out", type=click.Path(file_okay=False),
              help="Write hardware.csv and estimate.csv to this directory.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="What to print on stdout.")
def estimate(run_dir, out, fmt, **o):
    """Area, latency and energy of training on a NeuroSim-style chip: of a finished run
    (its measured pulse counts), or of a configuration without training (expected pulse
    counts). Hardware flags (--hw, --adc-bits, --subarray, --col-mux, --tech, --set hw.X=V)
    re-price a finished run on other hardware. Expected counts come from a stated heuristic
    (cimbench/hardware/expected.py) that overstates writes: for the main job it gives 38x the
    measured write latency and 1.4x the write energy. Price a trained run for real figures.

    \b
    Examples:
      cimbench estimate runs/dfa-rram-s0-1a2b3c4d
      cimbench estimate --algo dfa --device rram --network 784-256-256-10
      cimbench estimate --algo bp --device rram --network 784-256-256-10 --adc-bits 4 --format csv
    """
    from cimbench import runner

    if run_dir is not None:
        cfg, trace, _ = runner.load_run(Path(run_dir))
        ctx = click.get_current_context()
        given = [k for k in o if ctx.get_parameter_source(k) is not ParameterSource.DEFAULT]
        extra = [k for k in given if k not in HW_FLAGS + ("sets",)]
        if extra or any(not t.startswith("hw.") for t in o.get("sets") or ()):
            raise ConfigError("a finished run can only be re-priced with hardware flags "
                              "(--hw, --adc-bits, --subarray, --col-mux, --tech, --set hw.X=V)")
        if trace is None:
            raise ConfigError(f"{run_dir} has no trace.json: train it first")
        run_id = cfg.run_id   # the run whose pulses are priced (a re-priced config has its own id)
        cfg = runner.reprice_config(cfg, hw_choice(o), overrides_from_flags(o).get("hw", {}))
    else:
        cfg = config_from_flags(o)
        runner.check_data(cfg, files=False)   # the network must fit the data, as for run
        trace = runner.expected_run_trace(cfg)
        run_id = cfg.run_id
    report = runner.hardware_summary(cfg, trace)
    row = {"run_id": run_id, "algo": cfg.train.algo, "device": cfg.device.name,
           "network": cfg.network.label, "hw": cfg.hw.name, "adc_bits": cfg.hw.adc_bits,
           "pulse_counts": "measured" if run_dir else "expected", **report.summary}
    if out:
        runner.write_csv(Path(out) / "hardware.csv", report.rows)
        runner.write_csv(Path(out) / "estimate.csv", [row])
    if fmt == "table":
        from cimbench.report import table_text
        cols = ["area_mm2", "latency_s", "energy_j", "leakage_w", "tops", "tops_per_w"]
        click.echo(table_text([row], ["algo", "device", "network", "hw", *cols], "simple"))
        parts = [{"metric": "area (m^2)", "part": c, "value": v}
                 for c, v in sorted(report.area_by_component().items())]
        parts += [{"metric": "energy (J)", "part": c, "value": v}
                  for c, v in sorted(report.energy_by_component().items())]
        parts += [{"metric": "latency (s)", "part": f"phase {ph.upper()}",
                   "value": report.summary[f"latency_{ph}_s"]} for ph in ("fw", "ag", "wg", "wu")]
        click.echo("")
        click.echo(table_text(parts, ["metric", "part", "value"], "simple"))
    else:
        print_summary(row, fmt, Path(out or "."))


@cli.group()
def presets():
    """List device, hardware and protocol presets; inspect a device preset.

    \b
    Example:
      cimbench presets list
      cimbench presets show agsi
    """


@presets.command("list")
@click.option("--kind", type=click.Choice(["device", "hardware", "protocol", "experiment"]),
              default="device",
              show_default=True, help="Which presets to list.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def presets_list(kind, fmt):
    """A table of the presets of one kind with their key figures.

    \b
    Examples:
      cimbench presets list
      cimbench presets list --kind hardware --format csv
      cimbench presets list --kind experiment     # for cimbench sweep --experiment NAME
    """
    from cimbench.report import csv_text, table_text

    rows = {"device": _device_rows, "hardware": _hardware_rows, "protocol": _protocol_rows,
            "experiment": _experiment_rows}[kind]()
    cols = list(rows[0])
    if fmt == "csv":
        click.echo(csv_text(rows), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:   # a field a preset does not use (None) reads '-' here, empty in csv, null in json
        click.echo(table_text([{k: "-" if v is None else v for k, v in r.items()} for r in rows],
                              cols, "simple"))


def _device_rows() -> list[dict]:
    from cimbench.device.preset import list_presets, load_preset

    rows = []
    for name in list_presets():
        p = load_preset(name)
        row = {"name": p.name, "kind": p.kind, "levels": f"{p.levels_ltp}/{p.levels_ltd}",
               "nl": f"{p.nl_ltp}/{p.nl_ltd}", "c2c": p.c2c, "on_off": p.on_off,
               "r_on_ohm": p.r_on, "aliases": ",".join(p.aliases)}
        if p.kind == "ideal":   # float weights: the device fields are not used
            row.update({k: None for k in ("levels", "nl", "c2c", "on_off", "r_on_ohm")})
        rows.append(row)
    return rows


def _hardware_rows() -> list[dict]:
    from cimbench.hardware.config import list_hardware, load_hardware

    return [{"name": h.name, "tech_nm": h.tech_nm, "subarray": f"{h.subarray_rows}x{h.subarray_cols}",
             "col_mux": h.col_mux, "adc_bits": h.adc_bits, "adc_type": h.adc_type}
            for h in map(load_hardware, list_hardware())]


def _protocol_rows() -> list[dict]:
    from cimbench.config import load_protocol, protocols

    return [{"name": n, "description": load_protocol(n).get("description", "")}
            for n in protocols()]


def _experiment_rows() -> list[dict]:
    from cimbench.sweep import expand, list_experiments, load_experiment

    rows = []
    for n in list_experiments():
        grid, description = load_experiment(n)
        rows.append({"name": n, "cells": len(expand(grid)), "description": description})
    return rows


@presets.command("show")
@click.argument("name")
def presets_show(name):
    """Every field of a device preset with units, plus derived values.

    \b
    Example:
      cimbench presets show agsi
    """
    from cimbench.device.preset import describe_preset, load_preset

    click.echo(describe_preset(load_preset(name)))


from cimbench.study_cli import register as _register_study  # noqa: E402
_register_study(cli)


def main(argv=None):
    cli.main(args=argv)


if __name__ == "__main__":  # pragma: no cover
    main()
