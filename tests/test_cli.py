"""The command line as a user meets it: every command, every kind of bad input."""

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cimbench.cli import cli
from cimbench.report import TIMING_COLUMNS

QUICK = ["--network", "784-32-10", "--epochs", "1", "--train-limit", "600", "--test-limit", "200",
         "--quiet"]


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("cmd", [[], ["run"], ["train"], ["evaluate"], ["presets"],
                                 ["presets", "list"], ["presets", "show"]])
def test_help_of_every_command(cmd):
    r = invoke(*cmd, "--help")
    assert r.exit_code == 0 and "Usage" in r.output
    if cmd in ([], ["run"], ["train"], ["evaluate"], ["presets"]):
        assert "Example" in r.output


def test_run_writes_all_reports(tmp_path):
    out = tmp_path / "r"
    r = invoke("run", "--algo", "bp", "--device", "ideal", *QUICK, "--out", str(out),
               "--format", "csv")
    assert r.exit_code == 0, r.output
    printed = pd.read_csv(io.StringIO(r.output))
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 1 and list(printed.columns) == list(summary.columns)
    row = summary.iloc[0]
    for col in ("run_id", "algo", "device", "network", "activation", "dataset", "epochs",
                "batch_size", "lr", "seed", "bits", "status", "test_acc", "train_acc",
                "train_seconds"):
        assert col in summary.columns, col
    assert row.status == "ok" and 0.5 < row.test_acc <= 1.0 and 0 < row.train_acc <= 1.0
    epochs = pd.read_csv(out / "epochs.csv")
    assert list(epochs.epoch) == [1]
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 0 and m["config"]["train"]["algo"] == "bp"
    assert {"cimbench", "python", "numpy"} <= set(m["versions"])
    assert not list(out.glob(".*tmp*"))


def test_same_command_twice_gives_identical_csv(tmp_path):
    outs = []
    for name in ("a", "b"):
        invoke("run", "--algo", "dfa", "--device", "rram", *QUICK, "--out", str(tmp_path / name))
        outs.append(tmp_path / name)
    for f in ("summary.csv", "epochs.csv"):
        a, b = (pd.read_csv(o / f) for o in outs)
        keep = [c for c in a.columns if c not in TIMING_COLUMNS]
        pd.testing.assert_frame_equal(a[keep], b[keep])


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600)])
def test_result_files_get_the_usual_permissions(tmp_path, umask, mode):
    """Atomic writes go through a private temporary file; the result still gets the mode any
    other new file would (0644 under umask 022), as checkpoint.npz does."""
    import os
    import stat

    old = os.umask(umask)
    try:
        out = tmp_path / "run"
        r = invoke("run", "--algo", "bp", "--device", "ideal", *QUICK, "--out", str(out))
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.output
    for name in ("summary.csv", "epochs.csv", "hardware.csv", "manifest.json", "trace.json",
                 "checkpoint.npz"):
        assert stat.S_IMODE((out / name).stat().st_mode) == mode, name


def test_every_setting_lands_in_summary_and_manifest(tmp_path):
    """Settings given with --set (not only the named flags) appear as summary columns."""
    out = tmp_path / "s"
    sets = {"train.lr_schedule": "constant", "train.samples_per_epoch": "500",
            "network.init": "levels", "network.gain": "0.5", "network.bias": "false",
            "network.binarize_hidden": "true", "data.crop": "20", "data.binarize": "0.5",
            "network.activation": "sigmoid"}
    args = [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    quick = ["400-32-10" if a == "784-32-10" else a for a in QUICK]   # 20 x 20 crop
    r = invoke("run", "--algo", "bp", "--device", "ideal", *quick, *args, "--out", str(out))
    assert r.exit_code == 0, r.output
    row = pd.read_csv(out / "summary.csv", dtype=str, keep_default_na=False).iloc[0]
    want = {"train_lr_schedule": "constant", "train_samples_per_epoch": "500",
            "network_init": "levels", "network_gain": "0.5", "network_bias": "False",
            "network_binarize_hidden": "True", "data_crop": "20", "data_binarize": "0.5",
            "activation": "sigmoid"}
    assert {k: row[k] for k in want} == want
    m = json.loads((out / "manifest.json").read_text())["config"]
    assert m["train"]["lr_schedule"] == "constant" and m["data"]["crop"] == 20


def test_idx_sets_in_different_directories_get_different_run_ids(tmp_path):
    """Any set of IDX files (--dataset idx) is told apart by its directory; a known set
    (checksummed) is not, so its run id does not depend on where the files are."""
    import shutil

    from cimbench.dataset import EMBEDDED

    for name in ("a", "b"):
        shutil.copytree(EMBEDDED / "mnist", tmp_path / name)
    ids = []
    for name in ("a", "b"):
        r = invoke("run", "--dataset", "idx", "--data-dir", str(tmp_path / name), *QUICK,
                   "--out", str(tmp_path / f"run-{name}"), "--format", "csv")
        assert r.exit_code == 0, r.output
        ids.append(pd.read_csv(io.StringIO(r.output)).run_id.iloc[0])
    assert ids[0] != ids[1]
    plain = [invoke("estimate", "--dataset", "mnist", *([] if d is None else ["--data-dir", d]),
                    "--format", "csv").output for d in (None, str(tmp_path / "a"))]
    assert len({pd.read_csv(io.StringIO(t)).run_id.iloc[0] for t in plain}) == 1


def test_train_then_evaluate_checkpoint(tmp_path):
    out = tmp_path / "t"
    r = invoke("train", "--algo", "fa", "--device", "ideal", *QUICK, "--out", str(out))
    assert r.exit_code == 0, r.output
    assert (out / "checkpoint.npz").is_file() and (out / "trace.json").is_file()
    trained = pd.read_csv(out / "epochs.csv").test_acc.iloc[-1]
    r = invoke("evaluate", str(out), "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["test_acc"] == pytest.approx(trained)


def test_evaluate_repeats_the_last_test_pass_under_read_noise(tmp_path):
    """Read noise is random, but each epoch's test pass has its own stream: evaluating the
    checkpoint after 2 epochs gives the run's own epoch-2 figures exactly."""
    out = tmp_path / "noisy"
    r = invoke("train", "--algo", "dfa", "--device", "agsi", "--read-noise", "0.05",
               *QUICK, "--epochs", "2", "--out", str(out))   # the last --epochs counts
    assert r.exit_code == 0, r.output
    last = pd.read_csv(out / "epochs.csv").iloc[-1]
    assert last.epoch == 2
    got = json.loads(invoke("evaluate", str(out), "--format", "json").output)
    assert (got["test_acc"], got["test_loss"]) == (last.test_acc, pytest.approx(last.test_loss,
                                                                               rel=1e-12))


def test_truncated_checkpoint_is_one_line_error(tmp_path):
    out = tmp_path / "t"
    invoke("train", "--algo", "bp", "--device", "ideal", *QUICK, "--out", str(out))
    ck = out / "checkpoint.npz"
    ck.write_bytes(ck.read_bytes()[:500])
    r = CliRunner().invoke(cli, ["evaluate", str(out)])
    assert r.exit_code == 2 and len(r.output.splitlines()) == 1, r.output
    assert "checkpoint.npz" in r.output and "Traceback" not in r.output


def test_train_learns_from_the_whole_training_split_like_run(tmp_path):
    """`train` is the same run as `run`: every epoch row matches (timing aside), on the same
    --train-limit images."""
    r = invoke("train", "--algo", "bp", "--device", "ideal", *QUICK, "--out", str(tmp_path / "t"))
    assert r.exit_code == 0, r.output
    invoke("run", "--algo", "bp", "--device", "ideal", *QUICK, "--out", str(tmp_path / "r"))
    a, b = (pd.read_csv(tmp_path / d / "epochs.csv") for d in ("t", "r"))
    keep = [c for c in a.columns if c not in TIMING_COLUMNS]
    pd.testing.assert_frame_equal(a[keep], b[keep])
    assert a.test_acc.iloc[-1] > 0.4   # 6 updates on 600 images: well above chance (0.1)


def test_diverged_run_is_reported_as_diverged(tmp_path):
    r = invoke("run", "--algo", "bp", "--device", "ideal", *QUICK, "--activation", "relu",
               "--lr", "1e20", "--momentum", "0", "--bits", "none", "--out", str(tmp_path / "d"),
               "--format", "csv")
    assert r.exit_code == 0, r.output
    assert pd.read_csv(tmp_path / "d" / "summary.csv").status.iloc[0] == "diverged"


BAD = {
    "unknown rule": (["--algo", "sgd"], "bp"),
    "unknown device": (["--device", "unobtainium"], "rram"),
    "unknown dataset": (["--dataset", "cifar"], "mnist"),
    "network not matching data": (["--network", "100-10"], "784"),
    "network not matching classes": (["--network", "784-32-7"], "10 classes"),
    "network text": (["--network", "784-abc-10"], "784-256-10"),
    "bits out of range": (["--bits", "5,8,1,8"], "2..16"),
    "bits malformed": (["--bits", "5,8"], "W,A,G,E"),
    "weight bits on an analog device": (["--device", "rram", "--bits", "5,8,5,8"],
                                        "ideal store only"),
    "missing data dir": (["--dataset", "fashion-mnist", "--data-dir", "/nonexistent/x"],
                         "not found"),
    "data dir needed": (["--dataset", "fashion-mnist"], "--data-dir"),
    "unknown protocol": (["--protocol", "nope"], "minibatch"),
    "bad set section": (["--set", "foo.bar=1"], "device"),
    "bad set field": (["--set", "train.speed=1"], "valid fields"),
    "bad set type": (["--set", "train.epochs=many"], "int"),
    "negative epochs": (["--epochs", "0"], ">= 1"),
    "momentum range": (["--momentum", "1.5"], "[0, 1)"),
    "device field range": (["--c2c", "-0.1"], "c2c"),
    "stuck fractions over 1": (["--stuck-at", "0.7,0.6"], "0.7 + 0.6 = 1.3"),
    "unknown option": (["--colour", "red"], "--colour"),
    "tech and hw": (["--tech", "45", "--hw", "22nm"], "--tech"),
    "unknown tech": (["--tech", "7"], "7nm"),
    "subarray shape": (["--subarray", "128x128x5"], "ROWSxCOLS"),
    "lr per layer count": (["--lr", "0.1,0.1,0.1"], "lr needs 1 or 2 values"),
    "device file not toml": (["--device", "/bin/ls"], "/bin/ls"),
    "full-scale adc on a G+/G- pair": (["--device", "rram", "--set", "device.mapping=differential",
                                        "--set", "hw.adc_range=full-scale"], "reference"),
    "unknown adc range": (["--set", "hw.adc_range=auto"], "calibrated"),
    "full-scale adc with tanh inputs": (["--device", "epiram", "--set", "hw.adc_range=full-scale"],
                                        "sigmoid"),
}


# estimate prices Fashion-MNIST without its files (known shape; tested on its own)
BAD_CASES = [(cmd, case) for cmd in ("run", "train", "estimate") for case in BAD
             if not (cmd == "estimate" and case == "data dir needed")]


@pytest.mark.parametrize("cmd,case", BAD_CASES)
def test_bad_input_is_one_line_error_with_no_files(case, cmd, tmp_path):
    args, hint = BAD[case]
    out = tmp_path / "out"
    quick = [a for a in QUICK if a != "--quiet"] if cmd == "estimate" else QUICK  # no bars there
    r = CliRunner().invoke(cli, [cmd, *quick, *args, "--out", str(out)])
    assert r.exit_code != 0
    lines = [l for l in r.output.splitlines() if l.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith("error:") and hint in lines[0], lines[0]
    assert "Traceback" not in r.output
    assert not out.exists()


def test_evaluate_of_missing_run_is_one_line_error(tmp_path):
    r = CliRunner().invoke(cli, ["evaluate", str(tmp_path)])
    assert r.exit_code != 0 and r.output.startswith("error:") and len(r.output.splitlines()) == 1


def test_estimate_prices_config_without_training():
    r = invoke("estimate", "--algo", "dfa", "--device", "rram", "--network", "784-256-256-10",
               "--format", "json")
    assert r.exit_code == 0, r.output
    row = json.loads(r.output)
    assert row["pulse_counts"] == "expected" and row["area_mm2"] > 0 and row["energy_j"] > 0


def test_estimate_of_a_known_data_set_needs_no_files_but_checks_its_shape():
    """Pricing needs no images: Fashion-MNIST without --data-dir is checked against its
    published 28 x 28, 10-class shape (and its 20 x 20 crop)."""
    r = invoke("estimate", "--dataset", "fashion-mnist", "--network", "784-32-10", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert pd.read_csv(io.StringIO(r.output)).latency_s.iloc[0] > 0
    for net, extra, hint in (("100-10", [], "784"), ("784-32-7", [], "10 classes"),
                             ("784-32-10", ["--set", "data.crop=20"], "400")):
        r = CliRunner().invoke(cli, ["estimate", "--dataset", "fashion-mnist", "--network", net,
                                     *extra])
        assert r.exit_code == 2 and hint in r.output and len(r.output.splitlines()) == 1, r.output


def test_estimate_of_finished_run_matches_run_and_reprices(tmp_path):
    out = tmp_path / "r"
    invoke("run", "--algo", "bp", "--device", "rram", *QUICK, "--out", str(out))
    ran = pd.read_csv(out / "summary.csv").iloc[0]
    r = invoke("estimate", str(out), "--format", "json")
    again = json.loads(r.output)
    assert again["pulse_counts"] == "measured"
    for col in ("area_mm2", "latency_s", "energy_j"):
        assert again[col] == pytest.approx(ran[col], rel=1e-12)
    big = json.loads(invoke("estimate", str(out), "--adc-bits", "8", "--format", "json").output)
    small = json.loads(invoke("estimate", str(out), "--adc-bits", "3", "--format", "json").output)
    assert big["area_mm2"] > small["area_mm2"] and big["energy_j"] > small["energy_j"]
    assert big["run_id"] == again["run_id"] == ran.run_id and big["adc_bits"] == 8  # whose pulses
    for flag in (["--algo", "dfa"], ["--protocol", "minibatch"]):  # even a default, if given
        bad = CliRunner().invoke(cli, ["estimate", str(out), *flag])
        assert bad.exit_code != 0 and bad.output.startswith("error:")
        assert len(bad.output.splitlines()) == 1


def test_presets_list_and_show():
    r = invoke("presets", "list", "--format", "csv")
    names = set(pd.read_csv(io.StringIO(r.output)).name)
    assert {"rram", "agsi", "taox-hfox", "pcmo", "alox-hfo2", "gst-pcm", "epiram", "hzo-fefet",
            "sram", "ideal"} <= names
    shown = invoke("presets", "show", "pcm").output  # alias of gst-pcm
    assert shown.startswith("gst-pcm") and "A_ltp (derived)" in shown
    gmin = [l for l in invoke("presets", "show", "agsi").output.splitlines()
            if l.startswith("gmin")][0]
    assert float(gmin.split()[2]) == pytest.approx(1 / 26e6 / 12.5, rel=1e-5)


def test_unwritable_out_is_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = CliRunner().invoke(cli, ["run", *QUICK, "--device", "ideal", "--out", str(blocker / "x")])
    assert r.exit_code != 0 and r.output.startswith("error:") and len(r.output.splitlines()) == 1


def test_files_named_like_presets_do_not_hijack_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rram").write_text("not toml")
    (tmp_path / "32nm").mkdir()
    r = invoke("estimate", "--algo", "dfa", "--device", "rram", "--network", "784-32-10",
               "--format", "json")
    assert r.exit_code == 0, r.output


def test_presets_list_every_kind():
    for kind, name in (("hardware", "32nm"), ("protocol", "neurosim-mlp"), ("device", "agsi")):
        r = invoke("presets", "list", "--kind", kind, "--format", "csv")
        assert r.exit_code == 0 and name in set(pd.read_csv(io.StringIO(r.output)).name)


def test_presets_list_experiments_counts_each_grid_product():
    """One row per presets/experiments/*.toml, with as many cells as the product of its grid's
    list lengths (read here straight from the files)."""
    import math

    from cimbench.paths import presets_dir, read_toml   # a plain TOML parser

    want = {}
    for f in sorted((presets_dir() / "experiments").glob("*.toml")):
        grid = read_toml(f)["grid"]
        want[f.stem] = math.prod(len(v) if isinstance(v, list) else 1 for v in grid.values())
    r = invoke("presets", "list", "--kind", "experiment", "--format", "csv")
    assert r.exit_code == 0, r.output
    got = pd.read_csv(io.StringIO(r.output)).set_index("name").cells.to_dict()
    assert got == want and want["c2c"] == 2 * 5 * 2


def test_corrupt_manifest_is_one_line_error(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    r = CliRunner().invoke(cli, ["evaluate", str(tmp_path)])
    assert r.exit_code != 0 and r.output.startswith("error:") and len(r.output.splitlines()) == 1
