"""The engine against independent expectations: finite differences, alignment with the true
gradient, exact quantizer grids, the weight store's arithmetic, and seed reproducibility."""

import numpy as np
import pytest

from cimbench.config import build_config
from cimbench.dataset import Dataset
from cimbench.engine.quant import pow2_scale, quantize, quantize_scaled, stochastic_round
from cimbench.engine.rules import RULES
from cimbench.engine.store import IdealStore
from cimbench.engine.train import Trainer
from cimbench.trace import Trace


def synthetic(n=256, d=12, k=4, seed=0) -> Dataset:
    """A linearly separable-ish toy problem: class = argmax of a fixed projection."""
    rng = np.random.default_rng(seed)
    x = rng.random((2 * n, d), dtype=np.float32)
    y = (x @ rng.standard_normal((d, k))).argmax(axis=1)
    return Dataset("toy", x[:n], y[:n], x[n:], y[n:], (3, 4), n_classes=k)


def toy_trainer(algo="bp", sizes=(12, 9, 7, 4), act="tanh", loss="ce", **train) -> Trainer:
    cfg = build_config(device="ideal", overrides={
        "network": {"sizes": sizes, "activation": act, "loss": loss},
        "quant": {"activation": None, "gradient": None, "error": None},
        "train": {"algo": algo, **train},
    })
    return Trainer(cfg, synthetic(d=sizes[0], k=sizes[-1]))


def loss_of(tr: Trainer, x, y) -> float:
    _, _, z = tr.forward(x, train=False)
    from cimbench.engine.network import output_and_error
    return output_and_error(z.astype(np.float64), np.eye(tr.n_classes)[y], tr.cfg.network.loss)[2]


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_bp_gradients_match_finite_differences(act, loss):
    tr = toy_trainer("bp", act=act, loss=loss)
    tr.store._w = [w.astype(np.float64) for w in tr.store._w]  # check the maths, not float32
    x, y = tr.data.x_train[:16].astype(np.float64), tr.data.y_train[:16]
    grads, _, _ = tr.gradients(x, y)
    rng = np.random.default_rng(1)
    eps = 1e-6
    for l, g in enumerate(grads):
        w = tr.store._w[l]
        for _ in range(8):
            i, j = rng.integers(w.shape[0]), rng.integers(w.shape[1])
            old = w[i, j]
            w[i, j] = old + eps
            up = loss_of(tr, x, y)
            w[i, j] = old - eps
            down = loss_of(tr, x, y)
            w[i, j] = old
            numeric = (up - down) / (2 * eps) / tr.gains[l]  # dL/dW = dL/dw / gain
            assert g[i, j] == pytest.approx(numeric, rel=1e-4, abs=1e-7), (l, i, j)


def _angle(a, b) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


@pytest.mark.parametrize("algo", ["fa", "dfa"])
def test_feedback_alignment_updates_align_with_true_gradient(algo):
    """After a little training on MNIST the hidden-layer updates point within 90 degrees
    of the true (BP) gradient, measured on held-out images (Lillicrap 2016, Noekland 2016)."""
    from cimbench.runner import load_data
    cfg = build_config(device="ideal", overrides={
        "network": {"sizes": (784, 64, 64, 10)},
        "quant": {"activation": None, "gradient": None, "error": None},
        "train": {"algo": algo, "epochs": 1}, "data": {"train_limit": 3000, "test_limit": 500}})
    tr = Trainer(cfg, load_data(cfg))
    tr.fit(quiet=True)
    x, y = tr.data.x_test, tr.data.y_test
    rule_grads, _, _ = tr.gradients(x, y)
    tr.rule = RULES["bp"]
    true_grads, _, _ = tr.gradients(x, y)
    for l in range(len(true_grads) - 1):
        assert _angle(rule_grads[l], true_grads[l]) < 90.0, l
    assert _angle(rule_grads[-1], true_grads[-1]) < 0.1  # the output layer gets the true error


def test_shallow_trains_only_the_output_layer():
    tr = toy_trainer("shallow", epochs=1)
    before = [tr.store.weights(l) for l in range(3)]
    tr.fit(quiet=True)
    after = [tr.store.weights(l) for l in range(3)]
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])
    assert not np.array_equal(before[2], after[2])


def test_quantizer_yields_exactly_the_representable_values():
    x = np.linspace(-2, 2, 10001, dtype=np.float32)
    for b in (2, 3, 5, 8):
        q = quantize(x, b)
        grid = np.arange(-(2 ** (b - 1) - 1), 2 ** (b - 1)) / 2 ** (b - 1)
        assert set(np.unique(q)) <= set(grid.astype(np.float32))
        assert set(np.unique(q)) == set(grid.astype(np.float32))  # every level is reachable
        assert np.max(np.abs(q)) == pytest.approx(1 - 2 ** (1 - b))


def test_quantizer_rounds_to_nearest_grid_point():
    assert quantize(np.float32([0.3, -0.3, 0.0625, 0.9]), 3).tolist() == [0.25, -0.25, 0.0, 0.75]


def test_stochastic_rounding_is_unbiased():
    rng = np.random.default_rng(0)
    x = np.full(200000, 0.3, np.float32)
    r = stochastic_round(x, rng)
    assert set(np.unique(r)) == {0.0, 1.0}
    assert r.mean() == pytest.approx(0.3, abs=0.005)


def test_scaled_quantizer_uses_nearest_power_of_two():
    assert pow2_scale(np.float32([0.0, 0.3, -0.2])) == 0.25
    assert pow2_scale(np.zeros(3, np.float32)) == 1.0
    q = quantize_scaled(np.float32([0.3, -0.1, 0.01]), 4)
    assert np.all(np.isin(q / 0.25, np.arange(-7, 8) / 8))


def test_quantized_ideal_store_keeps_weights_on_grid_and_counts_steps():
    trace = Trace.for_network("bp", 1, [3, 2])
    store = IdealStore([np.zeros((3, 2), np.float32)], trace, np.random.default_rng(0), weight_bits=4)
    store.write(0, np.float32([[0.25, 0], [0, -0.375], [0.125, 0]]))   # 2, -3, 1 steps of 1/8
    w = store.weights(0)
    assert np.array_equal(w * 8, np.rint(w * 8))
    assert w.tolist() == [[0.25, 0], [0, -0.375], [0.125, 0]]
    t = trace.layers[0]
    assert (t.ltp_pulses, t.ltd_pulses, t.row_max_ltp, t.row_max_ltd) == (3, 3, 3, 3)
    assert (t.cells_written, t.rows_written, t.updates) == (3, 3, 1)


def test_same_seed_same_result_other_seed_other_result():
    a, b, c = (toy_trainer("dfa", epochs=2, seed=s) for s in (3, 3, 4))
    for t in (a, b, c):
        t.fit(quiet=True)
    assert [r.test_acc for r in a.history] == [r.test_acc for r in b.history]
    assert np.array_equal(a.store.weights(0), b.store.weights(0))
    assert not np.array_equal(a.store.weights(0), c.store.weights(0))


def test_diverging_run_is_reported_not_raised():
    tr = toy_trainer("bp", act="relu", lr=(1e20,), momentum=0.0, epochs=3)
    tr.fit(quiet=True)
    assert tr.status == "diverged"


@pytest.mark.parametrize("algo", ["bp", "fa", "dfa", "drtp", "shallow"])
def test_trace_counts_reads_and_updates_per_phase(algo):
    tr = toy_trainer(algo, epochs=1, batch_size=32)
    tr.fit(quiet=True)
    n, steps, last = 256, 8, 2
    for l, layer in enumerate(tr.trace.layers):
        learns = algo != "shallow" or l == last
        assert layer.fw_vectors == n
        assert layer.wg_vectors == (n if learns else 0)
        assert layer.updates == (steps if learns else 0)
        assert layer.ag_vectors == (0 if l == 0 or algo == "shallow" else n)
        assert layer.n_in == tr.sizes[l] + 1 and tr.trace.bias  # the bias row is counted
    assert tr.trace.iterations == steps and tr.trace.test_vectors == 256


def test_drtp_hidden_update_is_target_projection_times_derivative():
    """DRTP's hidden delta needs no output error: it is (-t B_l) * f'(z_l), whatever the output."""
    tr = toy_trainer("drtp", epochs=1)
    x, y = tr.data.x_train[:8], tr.data.y_train[:8]
    inputs, derivs, _ = tr.forward(x, train=True)
    grads, _, _ = tr.gradients(x, y)
    t = np.eye(tr.n_classes, dtype=np.float32)[y]
    for l in range(len(derivs)):
        delta = (-t @ tr.feedback[l]) * derivs[l]
        np.testing.assert_allclose(grads[l], inputs[l].T @ delta / len(x), rtol=1e-5, atol=1e-7)


def test_test_set_size_does_not_change_training():
    """Test reads draw read noise from their own stream, so evaluating more test images
    leaves the training trajectory untouched."""
    from cimbench.runner import load_data
    hist = []
    for test_limit in (100, 200):
        cfg = build_config(device="rram", overrides={
            "network": {"sizes": (784, 16, 10)}, "device": {"read_noise": 0.05},
            "train": {"epochs": 2}, "data": {"train_limit": 300, "test_limit": test_limit}})
        tr = Trainer(cfg, load_data(cfg))
        tr.fit(quiet=True)
        hist.append([(r.train_loss, r.train_acc) for r in tr.history])
    assert hist[0] == hist[1]
