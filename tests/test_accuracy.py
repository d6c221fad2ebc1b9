"""Accuracy claims on real MNIST: each rule reaches its floor, every nonideality costs
accuracy, and (slow, on demand: pytest -m slow) the published full-length results."""

import numpy as np
import pytest

from cimbench.config import build_config
from cimbench.engine.train import Trainer
from cimbench.runner import load_data

_DATA = {}


def train(protocol="minibatch", preset="ideal", **sections) -> Trainer:
    cfg = build_config(protocol=protocol, device=preset, overrides=sections)
    key = (cfg.data.dataset, cfg.data.crop, cfg.data.binarize, cfg.data.train_limit,
           cfg.data.test_limit)
    if key not in _DATA:
        _DATA[key] = load_data(cfg)
    tr = Trainer(cfg, _DATA[key])
    tr.fit(quiet=True)
    return tr


@pytest.fixture(scope="module")
def three_epoch_results():
    """784-256-10, 3 epochs, ideal device, every other setting at its default."""
    return {algo: train(network={"sizes": (784, 256, 10)}, train={"algo": algo, "epochs": 3})
            .history[-1].test_acc for algo in ("bp", "fa", "dfa", "drtp", "shallow")}


@pytest.mark.parametrize("algo,floor", [("bp", 0.97), ("fa", 0.95), ("dfa", 0.95),
                                        ("drtp", 0.90)])
def test_rule_reaches_its_floor_and_beats_shallow(three_epoch_results, algo, floor):
    acc = three_epoch_results[algo]
    assert acc >= floor
    assert acc > three_epoch_results["shallow"]


SHORT = dict(network={"sizes": (784, 64, 10)}, data={"train_limit": 4000, "test_limit": 1000},
             train={"epochs": 2, "algo": "dfa", "seed": 1})

# (what changes, the clean setting, the degraded setting); all on the rram preset
NONIDEALITIES = {
    "levels": ({"device": {"levels_ltp": 64, "levels_ltd": 64}},
               {"device": {"levels_ltp": 2, "levels_ltd": 2}}),
    # with round-to-nearest pulses (MLP+NeuroSim), updates under half a level are lost
    "levels_nearest": ({"device": {"levels_ltp": 64, "levels_ltd": 64, "rounding": "nearest"}},
                       {"device": {"levels_ltp": 8, "levels_ltd": 8, "rounding": "nearest"}}),
    "adc_bits": ({"hw": {"adc_bits": 8}}, {"hw": {"adc_bits": 2}}),
    "stuck_at": ({"device": {"stuck_at_gmin": 0.0, "stuck_at_gmax": 0.0}},
                 {"device": {"stuck_at_gmin": 0.15, "stuck_at_gmax": 0.15}}),
    "read_noise": ({"device": {"read_noise": 0.0}}, {"device": {"read_noise": 0.3}}),
}


@pytest.mark.parametrize("name", list(NONIDEALITIES))
def test_accuracy_drops_with_each_nonideality(name):
    clean, worse = NONIDEALITIES[name]
    a = train(preset="rram", **SHORT, **clean).history[-1].test_acc
    b = train(preset="rram", **SHORT, **worse).history[-1].test_acc
    assert b < a - 0.01, (name, a, b)


ONLINE = {
    # a strongly saturating device (NL +5 / -5) against a linear one, no C2C noise
    "nonlinearity": ({"nl_ltp": 0.0, "nl_ltd": 0.0, "c2c": 0.0},
                     {"nl_ltp": 5.0, "nl_ltd": -5.0, "c2c": 0.0}),
    "c2c": ({"c2c": 0.0, "c2c_mode": "per-pulse"}, {"c2c": 0.05, "c2c_mode": "per-pulse"}),
}


@pytest.mark.parametrize("name", list(ONLINE))
def test_online_accuracy_drops_with_nonlinearity_and_c2c(name):
    """The online NeuroSim protocol (Ag:a-Si), shortened to 3 x 4000 images."""
    short = dict(train={"epochs": 3, "samples_per_epoch": 4000}, data={"test_limit": 2000})
    clean, worse = ONLINE[name]
    a = train("neurosim-mlp", "agsi", device=clean, **short).history[-1].test_acc
    b = train("neurosim-mlp", "agsi", device=worse, **short).history[-1].test_acc
    assert b < a - 0.05, (name, a, b)


# ----------------------------------------------------------------------- slow, on demand

@pytest.mark.slow
@pytest.mark.parametrize("algo,floor", [("bp", 0.980), ("fa", 0.975), ("dfa", 0.975)])
def test_full_run_784_256_256_10_twenty_epochs(algo, floor):
    tr = train(network={"sizes": (784, 256, 256, 10)}, train={"algo": algo, "epochs": 20})
    assert tr.history[-1].test_acc >= floor


@pytest.mark.slow
@pytest.mark.parametrize("device,lo,hi", [
    ("agsi", 0.66, 0.78),
    ("epiram", 0.89, 0.95),
    ("ideal", 0.95, 1.0)])
def test_neurosim_mlp_protocol_reproduces_published_accuracy(device, lo, hi):
    """MLP+NeuroSim V3.0: Ag:a-Si about 72 %, EpiRAM about 92 %, software >= 95 %
    (mean test accuracy over the last 10 of 125 epochs)."""
    tr = train("neurosim-mlp", device)
    mean10 = float(np.mean([r.test_acc for r in tr.history[-10:]]))
    assert lo <= mean10 <= hi
