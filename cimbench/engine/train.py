"""The training loop: forward reads through the weight store, a learning rule for the deltas,
WAGE quantization, momentum SGD, and updates handed back to the store. Counts go to the trace."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from cimbench.config import RunConfig
from cimbench.dataset import Dataset
from cimbench.engine.network import ACTIVATIONS, init_weights, layer_gains, output_and_error
from cimbench.engine.quant import quantize, quantize_scaled
from cimbench.engine.rules import RULES, Signals, feedback_matrices
from cimbench.engine.seeds import eval_stream, streams
from cimbench.engine.store import IdealStore
from cimbench.trace import Trace


def make_store(cfg: RunConfig, weights: list[np.ndarray], trace: Trace, rngs: dict):
    """Ideal presets get the float (optionally quantized) store; all others the analog array."""
    if cfg.device.kind == "ideal":
        return IdealStore(weights, trace, rngs["round"], weight_bits=cfg.quant.weight)
    from cimbench.device.array import AnalogStore
    return AnalogStore(weights=weights, trace=trace, preset=cfg.device, adc_bits=cfg.hw.adc_bits,
                       rngs={k: rngs[k] for k in ("d2d", "c2c", "read", "round")},
                       adc_range=cfg.hw.adc_range)


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    seconds: float       # training time of the epoch (test evaluation excluded)
    pulses: int          # cumulative LTP + LTD pulses fired so far


@dataclass
class Trainer:
    """Holds the network state of one run; `fit` trains it epoch by epoch."""

    cfg: RunConfig
    data: Dataset
    history: list[EpochRecord] = field(default_factory=list)
    status: str = "ok"
    epochs_done: int = 0

    def __post_init__(self):
        cfg = self.cfg
        self.sizes = cfg.network.sizes
        self.rngs = streams(cfg.train.seed)
        self.rule = RULES[cfg.train.algo]
        self.gains = [np.float32(g) for g in layer_gains(self.sizes, cfg.network.gain, cfg.network.init)]
        n_layers = len(self.sizes) - 1
        lr = cfg.train.lr or (self.rule.lr,)
        self.lr = [np.float32(v) for v in (lr * n_layers if len(lr) == 1 else lr)]
        self.bias = cfg.network.bias
        self.trace = Trace.for_network(cfg.train.algo, cfg.train.batch_size, self.sizes)
        weights = init_weights(self.sizes, cfg.network.init, self.gains, self.rngs["weights"])
        if self.bias:  # one extra always-on input row per array, initialized to zero
            weights = [np.vstack([w, np.zeros((1, w.shape[1]), np.float32)]) for w in weights]
            self.trace.add_bias_row()
        self.feedback = feedback_matrices(cfg.train.algo, self.sizes, self.rngs["feedback"])
        self.store = make_store(cfg, weights, self.trace, self.rngs)
        self.velocity = [np.zeros_like(w) for w in weights]
        self.act, self.dact = ACTIVATIONS[cfg.network.activation]
        self.n_classes = self.sizes[-1]
        self.eye = np.eye(self.n_classes, dtype=np.float32)

    # ------------------------------------------------------------------ passes
    def forward(self, x: np.ndarray, train: bool) -> tuple[list, list, np.ndarray]:
        """Inputs of every layer, hidden derivatives f'(z), and the output pre-activation."""
        q = self.cfg.quant
        inputs, derivs = [], []
        a = x
        last = len(self.sizes) - 2
        for l in range(last + 1):
            if self.bias:
                a = np.hstack([a, np.ones((len(a), 1), np.float32)])
            inputs.append(a)
            z = self.gains[l] * self.store.read(l, a)
            if l == last:
                return inputs, derivs, z
            h = self.act(z)
            if train:
                derivs.append(self.dact(z, h))
            a = (h >= 0.5).astype(np.float32) if self.cfg.network.binarize_hidden else h
            a = quantize(a, q.activation)
        raise AssertionError("unreachable")

    def gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[list, float, int]:
        """Per-layer weight gradients dL/dW (None where the rule leaves a layer alone),
        the batch-mean loss and the number of correct predictions. Counts reads in the trace."""
        q = self.cfg.quant
        n = len(x)
        target = self.eye[y]
        inputs, derivs, z = self.forward(x, train=True)
        out, err, loss = output_and_error(z, target, self.cfg.network.loss)
        seen: dict[int, tuple] = {}

        def qe(e: np.ndarray) -> np.ndarray:
            """Errors enter arrays at E bits; each error array is quantized once."""
            if q.error is None:
                return e
            if id(e) not in seen:
                qv = quantize_scaled(e, q.error)
                seen[id(e)] = (e, qv)    # holding e and qv keeps their ids unique
                seen[id(qv)] = (qv, qv)  # an error already on the grid is not quantized again
            return seen[id(e)][1]

        signals = Signals(
            error=qe(err), target=target, derivs=derivs, feedback=self.feedback,
            transpose=lambda l, d: self.gains[l] * self.store.read_t(l, qe(d))[:, :self.sizes[l]],
            project=lambda B, e: self.store.read_fixed(B, qe(e)),
        )
        grads = []
        deltas = self.rule.fn(signals)
        for l, d in enumerate(deltas):
            layer = self.trace.layers[l]
            layer.fw_vectors += n
            if d is None:
                grads.append(None)
                continue
            if l > 0 and deltas[l - 1] is not None:  # an error read at l fed layer l - 1
                layer.ag_vectors += n
            layer.wg_vectors += n
            if n == 1:  # online learning: an outer product, 3x faster by broadcasting
                g = inputs[l].T * qe(d)
            else:  # the batch mean folded into the small error, not the large product
                g = inputs[l].T @ (qe(d) * np.float32(1.0 / n))
            grads.append(quantize_scaled(g, q.gradient, self.rngs["quant"]))
        return grads, loss, int((out.argmax(axis=1) == y).sum())

    def apply(self, grads: list) -> None:
        """Momentum SGD on the network weights, handed to the store in device units."""
        mu = np.float32(self.cfg.train.momentum)
        for l, g in enumerate(grads):
            if g is None:
                continue
            scale = -(self.lr[l] * self.lr_factor) / self.gains[l]
            if mu:
                v = self.velocity[l]
                v *= mu
                v += g
                self.store.write(l, np.multiply(v, scale, out=g))  # g is spent: reuse it
            else:  # plain SGD: scale the fresh gradient in place, no copies
                g *= scale
                self.store.write(l, g)

    def step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """One optimizer step on a batch; returns (mean loss, correct predictions)."""
        grads, loss, correct = self.gradients(x, y)
        self.apply(grads)
        self.trace.iterations += 1
        self.trace.train_samples += len(x)
        return loss, correct

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch: int = 1000,
                 epoch: int | None = None) -> tuple[float, float]:
        """Test loss and accuracy, reading the arrays as inference hardware would, after
        `epoch` (default: the epochs trained or restored so far)."""
        losses, correct = 0.0, 0
        # test reads draw their own noise, per epoch: the test-set size never shifts training,
        # and evaluating a checkpoint repeats the run's own last test pass
        epoch = self.epochs_done if epoch is None else epoch
        with self.store.read_stream(eval_stream(self.cfg.train.seed, epoch)):
            for i in range(0, len(x), batch):
                xb, yb = x[i:i + batch], y[i:i + batch]
                _, _, z = self.forward(xb, train=False)
                out, _, loss = output_and_error(z, self.eye[yb], self.cfg.network.loss)
                losses += loss * len(xb)
                correct += int((out.argmax(axis=1) == yb).sum())
        self.trace.test_vectors += len(x)
        return losses / len(x), correct / len(x)

    # ------------------------------------------------------------------ loop
    lr_factor = np.float32(1.0)

    def schedule(self, epoch: int) -> np.float32:
        """Learning-rate factor of an epoch: 1, or a cosine from 1 (first epoch) towards 0."""
        if self.cfg.train.lr_schedule == "constant":
            return np.float32(1.0)
        e = self.cfg.train.epochs
        return np.float32(0.5 * (1 + np.cos(np.pi * (epoch - 1) / e)))

    def epoch_order(self) -> np.ndarray:
        n = len(self.data.y_train)
        k = self.cfg.train.samples_per_epoch
        rng = self.rngs["data"]
        return rng.permutation(n) if k is None else rng.integers(0, n, size=k)

    def fit(self, quiet: bool = False, on_epoch=None) -> list[EpochRecord]:
        cfg = self.cfg
        bs = cfg.train.batch_size
        show = not quiet and sys.stderr.isatty()
        for epoch in range(1, cfg.train.epochs + 1):
            t0 = time.perf_counter()
            order = self.epoch_order()
            self.lr_factor = self.schedule(epoch)
            loss_sum, correct, seen = 0.0, 0, 0
            steps = range(0, len(order), bs)
            # no tqdm object at all when hidden: it would create a multiprocessing lock, which a
            # sweep worker stopped by Ctrl-C leaves behind ("leaked semaphore" warnings)
            bar = tqdm(steps, desc=f"epoch {epoch}/{cfg.train.epochs}", leave=False,
                       file=sys.stderr, unit="batch") if show else steps
            with np.errstate(over="ignore", invalid="ignore"):
                for i in bar:
                    idx = order[i:i + bs]
                    loss, ok = self.step(self.data.x_train[idx], self.data.y_train[idx])
                    loss_sum += loss * len(idx)
                    correct += ok
                    seen += len(idx)
                    if not np.isfinite(loss):
                        self.status = "diverged"
                        break
                train_loss = loss_sum / seen
                seconds = time.perf_counter() - t0
                if self.status == "diverged":
                    test_loss, test_acc = float("nan"), float("nan")
                else:
                    test_loss, test_acc = self.evaluate(self.data.x_test, self.data.y_test,
                                                        epoch=epoch)
            self.trace.epochs = self.epochs_done = epoch
            pulses = sum(l.ltp_pulses + l.ltd_pulses for l in self.trace.layers)
            rec = EpochRecord(epoch, train_loss, correct / seen, test_loss, test_acc, seconds, pulses)
            self.history.append(rec)
            if on_epoch is not None:
                on_epoch(rec)
            if self.status == "diverged":
                break
        return self.history

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, np.ndarray]:
        d = {f"store.{k}": v for k, v in self.store.state_dict().items()}
        d.update({f"velocity.{i}": v for i, v in enumerate(self.velocity)})
        d.update({f"feedback.{i}": B for i, B in enumerate(self.feedback)})
        return d

    def load_state_dict(self, d: dict[str, np.ndarray]) -> None:
        self.store.load_state_dict({k[6:]: v for k, v in d.items() if k.startswith("store.")})
        self.velocity = [d[f"velocity.{i}"] for i in range(len(self.velocity))]
        self.feedback = [d[f"feedback.{i}"] for i in range(len(self.feedback))]
