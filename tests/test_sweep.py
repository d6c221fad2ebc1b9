"""Sweeps: grid syntax, cell order, validation before any file, experiment files, resume after
SIGKILL, and results independent of the number of jobs or the executor."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import cimbench
from cimbench import sweep as sw
from cimbench.analysis import strip_timing
from cimbench.cli import cli
from cimbench.errors import ConfigError

TINY = ["--device", "rram", "--network", "784-16-10", "--train-limit", "300", "--test-limit",
        "100", "--epochs", "1"]
GRID4 = ["--algo", "bp,dfa", "--seed", "0..1", *TINY]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def summary_rows(out: Path) -> list[str]:
    return strip_timing((out / "summary.csv").read_text()).splitlines()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted 4-cell sweep with --jobs 1."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    r = invoke("sweep", *GRID4, "--out", out, "-q")
    assert r.exit_code == 0, r.output
    return out


# ----------------------------------------------------------------------------- grid syntax

def test_alternatives_commas_ranges_semicolons():
    assert sw.split_alternatives("c2c", "0.01,0.02") == ["0.01", "0.02"]
    assert sw.split_alternatives("seed", "0..2") == ["0", "1", "2"]
    assert sw.split_alternatives("seed", "0..1,5") == ["0", "1", "5"]
    assert sw.split_alternatives("lr", "0.4,0.2;0.2,0.1") == ["0.4,0.2", "0.2,0.1"]
    assert sw.split_alternatives("nl", "2.4,-4.88") == ["2.4,-4.88"]
    assert sw.split_alternatives("sets", "train.lr_schedule=constant;cosine") == [
        "train.lr_schedule=constant", "train.lr_schedule=cosine"]
    assert sw.split_alternatives("device", "../my.toml,rram") == ["../my.toml", "rram"]
    with pytest.raises(ConfigError):
        sw.split_alternatives("seed", "3..1")
    with pytest.raises(ConfigError):
        sw.split_alternatives("c2c", "0.01,,0.02")


def test_cells_are_the_product_in_grid_order():
    g = sw.grid_from_flags({"algo": "bp,dfa", "c2c": "0.01,0.02,0.03", "epochs": "1",
                            "lr": "0.4,0.2;0.1", "sets": ("train.lr_schedule=constant",)})
    cells = sw.expand(g)
    assert len(cells) == 2 * 3 * 2
    assert [(c.flags["algo"], c.flags["c2c"], c.flags["lr"]) for c in cells[:4]] == [
        ("bp", 0.01, "0.4,0.2"), ("bp", 0.01, "0.1"), ("bp", 0.02, "0.4,0.2"), ("bp", 0.02, "0.1")]
    assert all(c.flags["epochs"] == 1 and c.flags["sets"] == ("train.lr_schedule=constant",)
               for c in cells)
    assert [c.index for c in cells] == list(range(12))
    assert [c.params for c in sw.expand(g)] == [c.params for c in cells]  # deterministic


def test_bad_cell_fails_before_any_file(tmp_path):
    out = tmp_path / "s"
    r = invoke("sweep", "--algo", "bp,nope", *TINY, "--out", out)
    assert r.exit_code != 0
    assert r.output.strip().startswith("error:") and len(r.output.strip().splitlines()) == 1
    assert "nope" in r.output and not out.exists()
    r = invoke("sweep", "--algo", "bp", *TINY, "--c2c", "0.01..0.05", "--out", out)
    assert r.exit_code != 0 and not out.exists()
    r = invoke("sweep", "--algo", "bp", "--device", "rram", "--network", "784-16-10,400-16-10",
               *TINY[4:], "--out", out)  # a network that does not fit the data set
    assert r.exit_code != 0 and "cell 1" in r.output and not out.exists()


@pytest.mark.parametrize("name", sw.list_experiments())
def test_experiment_files_validate(name):
    grid, desc = sw.load_experiment(name)
    assert desc and sw.validate(sw.expand(grid), check_data=False)
    quick, _ = sw.load_experiment(name, quick=True)
    cells = sw.validate(sw.expand(quick), check_data=False)
    assert 1 <= len(cells) <= 4, "quick variants must stay CI-sized"


def test_required_experiments_exist():
    assert {"c2c", "width", "adc", "depth", "breakdown", "devices",
            "neurosim-devices"} <= set(sw.list_experiments())


# ----------------------------------------------------------------------------- resume

def test_rerun_skips_finished_cells(reference):
    before = (reference / "summary.csv").read_text()
    r = CliRunner().invoke(cli, ["sweep", *GRID4, "--out", str(reference)])
    assert r.exit_code == 0
    assert "4 resumed, 0 ran" in r.output
    assert (reference / "summary.csv").read_text() == before


def start_sweep(out: Path, cwd: Path, jobs: int = 1, **popen) -> subprocess.Popen:
    """The GRID4 sweep as a separate `python -m cimbench` process (this checkout's code)."""
    env = dict(os.environ)
    root = str(Path(cimbench.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "cimbench", "sweep", *GRID4, "--out", str(out), "-q",
           "--jobs", str(jobs)]
    return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, **popen)


def test_sigkill_then_resume_equals_uninterrupted(reference, tmp_path):
    out = tmp_path / "killed"
    p = start_sweep(out, tmp_path)
    summary = out / "summary.csv"
    deadline = time.time() + 60
    try:
        while time.time() < deadline and p.poll() is None:
            if summary.is_file() and len(summary.read_text().splitlines()) >= 2:
                break
            time.sleep(0.01)
        p.send_signal(signal.SIGKILL)
    finally:
        p.wait()
    assert p.returncode == -signal.SIGKILL, p.stderr.read().decode()
    rows_at_kill = len(summary.read_text().splitlines()) - 1
    assert 1 <= rows_at_kill < 4
    r = CliRunner().invoke(cli, ["sweep", *GRID4, "--out", str(out)])
    assert r.exit_code == 0, r.output
    # a cell may have finished between the last summary rebuild and the kill
    assert f"{rows_at_kill} resumed" in r.output or f"{rows_at_kill + 1} resumed" in r.output
    assert summary_rows(out) == summary_rows(reference)
    assert len(list((out / "cells").iterdir())) == 4


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_stops_at_once_then_resume_equals_uninterrupted(reference, tmp_path, jobs):
    """Ctrl-C (SIGINT to the whole process group) ends the sweep with 'interrupted' and exit
    130, without a traceback and without running the cells already handed to the workers."""
    out = tmp_path / "ctrl-c"
    p = start_sweep(out, tmp_path, jobs, start_new_session=True)   # own group, as a terminal's
    done = lambda: len(list(out.glob("cells/*/summary.csv")))  # noqa: E731
    deadline = time.time() + 60
    try:
        while time.time() < deadline and p.poll() is None and done() < 1:
            time.sleep(0.01)
        at_signal = done()
        os.killpg(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    err = err.decode()
    assert p.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err
    # the running cells may just have finished; the queued ones must not have started
    assert 1 <= at_signal <= done() <= at_signal + jobs and done() < 4
    r = CliRunner().invoke(cli, ["sweep", *GRID4, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert summary_rows(out) == summary_rows(reference)


def test_leftovers_of_an_interrupted_cell_are_redone(reference, tmp_path):
    out = tmp_path / "partial"
    flags = {k[2:].replace("-", "_"): v for k, v in zip(TINY[::2], TINY[1::2])}
    cells = sw.validate(sw.expand(sw.grid_from_flags({"algo": "bp", "seed": "0", **flags})))
    d = out / "cells" / cells[0].run_id
    d.mkdir(parents=True)
    (d / "manifest.json").write_text("{}")
    (d / "junk.txt").write_text("half a run")
    r = invoke("sweep", "--algo", "bp", "--seed", "0", *TINY, "--out", out, "-q")
    assert r.exit_code == 0, r.output
    assert (d / "summary.csv").is_file() and not (d / "junk.txt").exists()
    ref = reference / "cells" / cells[0].run_id / "summary.csv"
    assert ref.is_file()
    assert strip_timing((d / "summary.csv").read_text()) == strip_timing(ref.read_text())


# ----------------------------------------------------------------------------- executors

def test_jobs_2_equals_jobs_1(reference, tmp_path):
    out = tmp_path / "j2"
    r = invoke("sweep", *GRID4, "--out", out, "--jobs", "2", "-q")
    assert r.exit_code == 0, r.output
    assert summary_rows(out) == summary_rows(reference)  # timing columns aside


def test_dask_executor_equals_local(reference, tmp_path):
    pytest.importorskip("distributed")
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
                      dashboard_address=None) as cluster:
        out = tmp_path / "dask"
        r = invoke("sweep", *GRID4, "--out", out, "--executor", "dask", "--scheduler",
                   cluster.scheduler_address, "-q")
    assert r.exit_code == 0, r.output
    assert summary_rows(out) == summary_rows(reference)


def test_dask_without_scheduler_is_a_one_line_error(tmp_path):
    r = invoke("sweep", "--algo", "bp", *TINY, "--executor", "dask", "--out", tmp_path / "d")
    assert r.exit_code != 0 and "--scheduler" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_command_line_set_overrides_an_experiments_set(tmp_path):
    """A --set on the command line replaces the experiment's value of that field, whether the
    experiment fixes it or sweeps it."""
    exp = tmp_path / "e.toml"
    exp.write_text('[fixed]\n"train.momentum" = 0.5\n'
                   '[grid]\nalgo = ["bp", "dfa"]\n"train.lr_schedule" = ["constant", "cosine"]\n')
    base, _ = sw.load_experiment(str(exp))
    assert len(sw.expand(base)) == 4
    g = sw.merge(base, sw.grid_from_flags({"sets": ("train.lr_schedule=constant",
                                                    "train.momentum=0.9")}))
    cells = sw.expand(g)
    assert len(cells) == 2
    assert all(sorted(c.flags["sets"]) == ["train.lr_schedule=constant", "train.momentum=0.9"]
               for c in cells)
    # and a swept --set replaces a fixed one
    g = sw.merge(base, sw.grid_from_flags({"sets": ("train.momentum=0.1;0.2",)}))
    assert {tuple(sorted(c.flags["sets"])) for c in sw.expand(g)} >= {
        ("train.lr_schedule=constant", "train.momentum=0.1")}
    assert not any("train.momentum=0.5" in c.flags["sets"] for c in sw.expand(g))


def test_command_line_flags_override_an_experiment():
    base, _ = sw.load_experiment("c2c", quick=True)
    g = sw.merge(base, sw.grid_from_flags({"c2c": "0.03", "seed": "0..1"}))
    cells = sw.expand(g)
    assert g.fixed["c2c"] == "0.03" and "c2c" not in g.dims
    assert len(cells) == 4 and {c.flags["c2c"] for c in cells} == {0.03}
    assert g.name == "c2c-quick"
