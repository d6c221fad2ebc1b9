"""Studies over many runs: the CI regression check against a committed baseline, `check`
semantics (planted regressions, improvements, missing rows, errors), `report` and `plot`.

The baseline tests/baseline/quick.csv is the summary of QUICK_SWEEP below. After an intended
change of the numerics, regenerate it with

    CIMBENCH_UPDATE_BASELINE=1 python -m pytest tests/test_study.py -k baseline

(or: cimbench sweep <QUICK_SWEEP flags> --out /tmp/q && cp /tmp/q/summary.csv tests/baseline/quick.csv)
"""

import csv
import io
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cimbench.cli import cli

BASELINE = Path(__file__).parent / "baseline" / "quick.csv"
QUICK_SWEEP = ["--algo", "bp,dfa", "--device", "rram", "--network", "784-16-10",
               "--train-limit", "300", "--test-limit", "100", "--epochs", "1"]
# test_acc: 100 test images, so one image is 0.01; the hardware estimate is deterministic given
# the pulse counts, which cross-machine float noise may nudge by a pulse or two.
TOLERANCES = ["--tol", "test_acc=0.02", "--rtol", "energy_j=1e-4", "--rtol", "latency_s=1e-4",
              "--rtol", "area_mm2=1e-9"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick") / "sweep"
    r = invoke("sweep", *QUICK_SWEEP, "--out", out, "-q")
    assert r.exit_code == 0, r.output
    return out / "summary.csv"


def edited(src: Path, dst: Path, fn) -> Path:
    df = pd.read_csv(src, dtype=str, keep_default_na=False)
    fn(df)
    df.to_csv(dst, index=False)
    return dst


# ----------------------------------------------------------------------------- CI regression

def test_quick_sweep_matches_committed_baseline(quick):
    if os.environ.get("CIMBENCH_UPDATE_BASELINE"):
        BASELINE.parent.mkdir(exist_ok=True)
        shutil.copyfile(quick, BASELINE)
        pytest.skip("baseline rewritten from this run: nothing to compare it with")
    assert BASELINE.is_file(), "missing baseline; see this module's docstring"
    r = invoke("check", quick, "--baseline", BASELINE, *TOLERANCES)
    assert r.exit_code == 0, r.output
    assert "PASS" in r.output


# ----------------------------------------------------------------------------- check

def test_check_passes_on_identical_data(quick):
    r = invoke("check", quick, "--baseline", quick, *TOLERANCES)
    assert r.exit_code == 0 and "0 regression(s)" in r.output
    r = invoke("check", quick, "--baseline", quick)  # default tolerances
    assert r.exit_code == 0


def test_check_fails_on_planted_accuracy_drop(quick, tmp_path):
    def drop(df):
        df.loc[0, "test_acc"] = repr(float(df.loc[0, "test_acc"]) - 0.05)
    new = edited(quick, tmp_path / "new.csv", drop)
    r = invoke("check", new, "--baseline", quick, *TOLERANCES)
    assert r.exit_code == 1
    line = [ln for ln in r.output.splitlines() if ln.startswith("REGRESSION")]
    assert len(line) == 1 and "test_acc" in line[0] and "0.02" in line[0]
    assert "FAIL" in r.output


def test_check_cost_rise_fails_and_drop_is_improved(quick, tmp_path):
    def rise(df):
        df.loc[1, "energy_j"] = repr(float(df.loc[1, "energy_j"]) * 1.01)
    def fall(df):
        df.loc[1, "energy_j"] = repr(float(df.loc[1, "energy_j"]) * 0.9)
        df.loc[0, "test_acc"] = repr(float(df.loc[0, "test_acc"]) + 0.1)
    r = invoke("check", edited(quick, tmp_path / "a.csv", rise), "--baseline", quick, *TOLERANCES)
    assert r.exit_code == 1 and "energy_j" in r.output
    r = invoke("check", edited(quick, tmp_path / "b.csv", fall), "--baseline", quick, *TOLERANCES)
    assert r.exit_code == 0, r.output
    assert "2 improved" in r.output and "PASS" in r.output
    assert sum(ln.startswith("improved") for ln in r.output.splitlines()) == 2


def test_check_within_tolerance_passes(quick, tmp_path):
    def nudge(df):
        df.loc[0, "test_acc"] = repr(float(df.loc[0, "test_acc"]) - 0.01)
    r = invoke("check", edited(quick, tmp_path / "n.csv", nudge), "--baseline", quick, *TOLERANCES)
    assert r.exit_code == 0 and "ok" in r.output


def test_check_missing_row_fails(quick, tmp_path):
    new = tmp_path / "one.csv"
    lines = quick.read_text().splitlines(keepends=True)
    new.write_text("".join(lines[:2]))
    r = invoke("check", new, "--baseline", quick, *TOLERANCES)
    assert r.exit_code == 1 and "MISSING" in r.output
    # extra rows in the results are only listed
    r = invoke("check", quick, "--baseline", new, *TOLERANCES)
    assert r.exit_code == 0 and "new" in r.output


@pytest.mark.parametrize("args, msg", [
    (["--baseline", "nope.csv"], "file not found"),
    (["--tol", "no_such_col=0.1"], "no_such_col"),
    (["--tol", "test_acc"], "COLUMN=NUMBER"),
    (["--on", "no_such_key"], "no_such_key"),
])
def test_check_errors_are_one_line(quick, tmp_path, args, msg):
    if "--baseline" not in args:
        args = args + ["--baseline", str(quick)]
    r = CliRunner().invoke(cli, ["check", str(quick), *args])
    assert r.exit_code == 2, r.output
    assert msg in r.output and len(r.output.strip().splitlines()) == 1


def test_check_tells_apart_cells_that_differ_only_in_a_set_field(tmp_path):
    """A sweep over a --set field (here the learning-rate schedule) has rows that differ in
    no named flag: check matches them on that setting's own column, against itself and
    against a copy where one cell lost accuracy."""
    out = tmp_path / "sched"
    r = invoke("sweep", "--algo", "bp", "--device", "ideal", "--network", "784-16-10",
               "--epochs", "2", "--train-limit", "300", "--test-limit", "100",
               "--set", "train.lr_schedule=constant;cosine", "--out", out, "-q")
    assert r.exit_code == 0, r.output
    summary = out / "summary.csv"
    assert set(pd.read_csv(summary).train_lr_schedule) == {"constant", "cosine"}
    assert invoke("check", summary, "--baseline", summary).exit_code == 0
    worse = edited(summary, tmp_path / "worse.csv", lambda d: d.__setitem__(
        "test_acc", ["0.0", *d.test_acc[1:]]))
    r = invoke("check", worse, "--baseline", summary)
    assert r.exit_code == 1 and "regression" in r.output


# ----------------------------------------------------------------------------- report

def test_report_mean_std_over_seeds(tmp_path):
    rows = []
    for algo, accs in (("bp", [0.9, 0.8]), ("dfa", [0.5, 0.7])):
        for seed, acc in enumerate(accs):
            rows.append({"algo": algo, "device": "rram", "seed": seed, "test_acc": acc,
                         "network": "784-16-10"})
    path = tmp_path / "r.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    r = invoke("report", path, "--rows", "algo", "--cols", "device", "--format", "markdown")
    assert r.exit_code == 0, r.output
    assert "0.85 ± 0.071" in r.output and "0.6 ± 0.14" in r.output
    r = invoke("report", path, "--rows", "algo", "--cols", "device", "--format", "csv")
    got = pd.read_csv(io.StringIO(r.output))
    assert list(got.columns) == ["algo", "rram:mean", "rram:std", "rram:n"]
    assert got["rram:mean"].round(6).tolist() == [0.85, 0.6] and got["rram:n"].tolist() == [2, 2]
    r = invoke("report", path, "--rows", "algo", "--group", "seed", "--format", "latex")
    assert r.exit_code == 0 and r.output.count("\\begin{tabular}") == 2
    # pasteable as is: the caption is a LaTeX comment, not a stray text line
    assert r.output.startswith("% test_acc: mean")
    r = invoke("report", path, "--rows", "algo", "--value", "energy_j")
    assert r.exit_code == 2 and "energy_j" in r.output


def test_report_of_a_sweep(quick):
    r = invoke("report", quick, "--rows", "algo", "--cols", "device", "--value", "energy_j",
               "--format", "github")
    assert r.exit_code == 0 and "bp" in r.output and "dfa" in r.output


def test_report_takes_a_swept_flag_by_its_flag_name(tmp_path):
    """`--cols c2c` means the sweep's grid_c2c column; a near miss names the columns it meant."""
    rows = [{"grid_c2c": c, "device_c2c": c, "algo": "bp", "test_acc": a}
            for c, a in (("0.01", 0.9), ("0.05", 0.7))]
    path = tmp_path / "s.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    by_flag = invoke("report", path, "--rows", "algo", "--cols", "c2c", "--format", "csv")
    by_column = invoke("report", path, "--rows", "algo", "--cols", "grid_c2c", "--format", "csv")
    assert by_flag.exit_code == 0 and by_flag.output == by_column.output
    assert "0.01:mean" in by_flag.output
    r = invoke("report", path, "--rows", "c2c_typo")
    assert r.exit_code == 2 and "c2c_typo" in r.output and "did you mean" not in r.output
    pd.DataFrame([{**rows[0], "device_levels_ltp": 32}]).to_csv(path, index=False)
    r = invoke("report", path, "--rows", "algo", "--cols", "levels_ltp")
    assert r.exit_code == 2 and "did you mean device_levels_ltp?" in r.output


# ----------------------------------------------------------------------------- plot

@pytest.mark.parametrize("kind", ["curves", "sweep", "breakdown"])
def test_plot_kinds(quick, tmp_path, kind):
    pytest.importorskip("matplotlib")
    dest = tmp_path / f"{kind}.png"
    args = ["--x", "grid_algo", "--by", "device"] if kind == "sweep" else []
    r = invoke("plot", quick, "--kind", kind, "--out", dest, *args)
    assert r.exit_code == 0, r.output
    assert dest.stat().st_size > 1000


def test_plot_without_matplotlib_is_a_one_line_error(quick, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    r = CliRunner().invoke(cli, ["plot", str(quick), "--out", str(tmp_path / "x.png")])
    assert r.exit_code == 2
    assert "pip install 'cimbench[plot]'" in r.output and len(r.output.strip().splitlines()) == 1


def test_summary_rows_in_grid_order(quick):
    rows = list(csv.DictReader(quick.open()))
    assert [r["cell"] for r in rows] == ["0", "1"] and [r["algo"] for r in rows] == ["bp", "dfa"]


@pytest.mark.parametrize("cmd", ["sweep", "report", "check", "plot"])
def test_help_of_study_commands(cmd):
    r = invoke(cmd, "--help")
    assert r.exit_code == 0 and "Example" in r.output


def test_experiment_sweep_writes_csv_and_plot(tmp_path):
    out = tmp_path / "bd"
    r = invoke("sweep", "--experiment", "breakdown", "--quick", "--out", out, "-q")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["algo"] for r in rows] == ["bp", "dfa"]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not (out / "plot.png").exists()
    else:
        assert (out / "plot.png").stat().st_size > 1000
