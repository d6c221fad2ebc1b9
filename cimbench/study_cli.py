"""Commands for studies over many runs: sweep, report, check, plot (registered on the main CLI)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cimbench.errors import CimbenchError
from cimbench.option_groups import with_options


def _sweep_options():
    """Every `run` flag, as text that may hold alternatives (see cimbench.sweep)."""
    from cimbench.sweep import SEMICOLON_FLAGS, integer_flag, run_params

    opts = []
    for name, p in run_params().items():
        sep = "';'" if name in SEMICOLON_FLAGS else "',' or A..B" if integer_flag(name) else "','"
        help_ = (p.help or "").rstrip(".") + f" (alternatives: {sep})."
        if name == "sets":
            opts.append(click.option(*p.opts, "sets", multiple=True,
                                     metavar="SECTION.FIELD=V1[;V2...]", help=help_))
        else:
            opts.append(click.option(*p.opts, name, type=str, default=None, help=help_))
    return opts


def register(cli: click.Group) -> None:
    cli.add_command(sweep)
    cli.add_command(report)
    cli.add_command(check)
    cli.add_command(plot)


# ----------------------------------------------------------------------------- sweep

@click.command()
@with_options(_sweep_options())
@click.option("--experiment", "-e", metavar="NAME",
              help="Experiment file presets/experiments/NAME.toml (or a path); flags given "
                   "as well replace the experiment's values.")
@click.option("--quick", is_flag=True, help="Use the experiment's [quick] variant (CI-sized).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Sweep directory (default sweeps/<experiment name or grid hash>).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local worker processes.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="local processes, or an existing Dask cluster.")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786).")
@click.option("--list", "list_only", is_flag=True, help="Print the cells and exit; run nothing.")
@click.option("--no-plot", is_flag=True, help="Do not draw the experiment's plot.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def sweep(experiment, quick, out, jobs, executor, scheduler, list_only, no_plot, quiet, **flags):
    """Run a grid of `run` configurations; one run directory per cell in OUT/cells/
    and one row per cell in OUT/summary.csv. Rerunning resumes: finished cells are skipped.

    Any `run` flag takes alternatives: comma lists (--c2c 0.01,0.02), integer ranges
    (--seed 0..2), or, for flags whose one value holds commas (--lr, --nl, --bits,
    --stuck-at, --set), ';'-separated alternatives (--lr "0.4,0.2;0.2,0.1").
    Cells are the cartesian product (last flag fastest); every cell is seeded by its own
    configuration, so results do not depend on --jobs or the executor.

    \b
    Examples:
      cimbench sweep --algo bp,dfa --c2c 0.01,0.03 --seed 0..2 --epochs 2 -j 2
      cimbench sweep --experiment c2c --quick
      cimbench sweep --experiment width --out sweeps/width --jobs 2
      cimbench sweep --experiment devices --executor dask --scheduler tcp://SCHEDULER:8786
    """
    from cimbench import sweep as sw

    grid = sw.grid_from_flags(flags)
    description = ""
    if experiment:
        base, description = sw.load_experiment(experiment, quick=quick)
        grid = sw.merge(base, grid)
    elif quick:
        raise CimbenchError("--quick needs --experiment NAME")
    if executor == "dask" and not scheduler:
        raise CimbenchError("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
    cells = sw.expand(grid)
    if list_only:
        cells = sw.validate(cells, check_data=False)
        for c in cells:
            click.echo(f"{c.index}\t{c.run_id}\t{c.label}")
        return
    cells = sw.validate(cells)  # every cell, before any file is written
    out_dir = Path(out) if out else sw.default_out(grid)
    if not quiet:
        click.echo(f"sweep {grid.name or grid.digest()}: {len(cells)} cells -> {out_dir}",
                   err=True)
    res = sw.run_sweep(grid, cells, out_dir, jobs=jobs, executor=executor, scheduler=scheduler,
                       quiet=quiet, description=description)
    summary = out_dir / sw.SUMMARY
    click.echo(f"{summary}: {res.total - len(res.failed)} of {res.total} cells finished "
               f"({res.skipped} resumed, {res.ran} ran)")
    if experiment and not no_plot and not res.failed:
        _experiment_plot(grid, summary)
    if res.failed:
        for c, err in res.failed:
            click.echo(f"error: cell {c.index} ({c.label}): {err}", err=True)
        raise CimbenchError(f"{len(res.failed)} of {res.total} cells failed; rerun to retry them")


def _experiment_plot(grid, summary: Path) -> None:
    """Draw the experiment's plot; without matplotlib (or on a bad spec) say why, go on."""
    from cimbench import plot as pl

    spec = dict(grid.plot)
    kind = spec.pop("kind", "sweep")
    dest = summary.parent / f"plot.{spec.pop('format', 'png')}"
    try:
        pl.make_plot(summary, kind, dest, **spec)
    except CimbenchError as e:
        click.echo(f"warning: no plot: {e}", err=True)
        return
    click.echo(f"{dest}")


# ----------------------------------------------------------------------------- report

@click.command()
@click.argument("results", type=click.Path())
@click.option("--rows", multiple=True, required=True, metavar="COL[,COL]",
              help="Column(s) of the table's rows (repeatable or comma list).")
@click.option("--cols", multiple=True, metavar="COL[,COL]", help="Column(s) of the table's columns.")
@click.option("--value", default="test_acc", show_default=True, help="Column to average.")
@click.option("--group", multiple=True, metavar="COL",
              help="One table per value of COL (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["github", "markdown", "csv", "latex", "plain"]),
              default="github", show_default=True)
@click.option("--digits", type=click.IntRange(1, 12), default=4, show_default=True,
              help="Significant digits of the means.")
def report(results, rows, cols, value, group, fmt, digits):
    """Table of VALUE, mean ± std over every column not in --rows/--cols/--group
    (seeds, ...), from a results CSV (a sweep's summary.csv, or concatenated run summaries).

    \b
    Examples:
      cimbench report sweeps/c2c/summary.csv --rows grid_c2c --cols algo
      cimbench report results.csv --rows algo --cols device --value energy_j --format latex
      cimbench report results.csv --rows algo --cols device --group network --format csv
    """
    from cimbench.analysis import report_table

    click.echo(report_table(results, rows, cols, value, group, fmt, digits), nl=False)


# ----------------------------------------------------------------------------- check

@click.command()
@click.argument("results", type=click.Path())
@click.option("--baseline", required=True, type=click.Path(), help="Baseline results CSV.")
@click.option("--tol", multiple=True, metavar="COL=ABS", help="Absolute tolerance (repeatable).")
@click.option("--rtol", multiple=True, metavar="COL=REL", help="Relative tolerance (repeatable).")
@click.option("--on", multiple=True, metavar="COL[,COL]",
              help="Columns to match rows on (default: the configuration columns in both).")
def check(results, baseline, tol, rtol, on):
    """Compare results with a baseline; exit 1 on a regression or a missing row.

    Accuracy (and TOPS) may not DROP by more than the tolerance; cost columns (energy,
    latency, area, leakage, pulses, loss) may not RISE by more; other columns may not move
    either way. A move the good way beyond the tolerance is reported as 'improved' and passes.
    Allowed change = tol + rtol * |baseline|. Without --tol/--rtol:
    --tol test_acc=0.01 --rtol energy_j=0.05 --rtol latency_s=0.05 --rtol area_mm2=0.05.

    \b
    Example:
      cimbench check sweeps/quick/summary.csv --baseline tests/baseline/quick.csv \\
          --tol test_acc=0.02 --rtol energy_j=1e-6
    """
    from cimbench.analysis import check as run_check, check_text, parse_tolerances

    res = run_check(results, baseline, parse_tolerances(tol, "--tol"),
                    parse_tolerances(rtol, "--rtol"), on)
    click.echo(check_text(res))
    return 1 if res.failed else 0


# ----------------------------------------------------------------------------- plot

@click.command()
@click.argument("results", type=click.Path())
@click.option("--kind", type=click.Choice(["curves", "sweep", "breakdown"]), default="sweep",
              show_default=True,
              help="curves: test accuracy per epoch; sweep: a metric against a swept column, "
                   "one line per rule; breakdown: area/latency/energy by component and phase.")
@click.option("--out", "dest", required=True, type=click.Path(dir_okay=False),
              help="Image file (.png, .svg, .pdf).")
@click.option("--x", "x", help="sweep: the column on the x axis (default: the swept one).")
@click.option("--y", "y", help="sweep: the metric (default test_acc); curves: epochs.csv column.")
@click.option("--by", default="algo", show_default=True, help="One line / bar group per value.")
@click.option("--runs", type=click.Path(file_okay=False),
              help="Folder of the run directories (default: cells/ next to RESULTS).")
def plot(results, kind, dest, x, y, by, runs):
    """Draw a results CSV with matplotlib (needs the 'plot' extra).

    \b
    Examples:
      cimbench plot sweeps/c2c/summary.csv --kind sweep --x grid_c2c --out c2c.png
      cimbench plot sweeps/c2c/summary.csv --kind curves --out curves.svg
      cimbench plot sweeps/breakdown/summary.csv --kind breakdown --out breakdown.png
    """
    from cimbench.plot import make_plot

    kw = {"by": by}
    if x:
        kw["x"] = x
    if y:
        kw["y"] = y
    if runs:
        kw["runs"] = runs
    make_plot(results, kind, dest, **kw)
    click.echo(dest)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: cimbench sweep|report|check|plot")
