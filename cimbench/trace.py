"""Operation and pulse counts of a training run, per layer: what the hardware estimator prices.

The trace is the only thing the estimator sees of a run, so it can also price a checkpoint
or an analytical (expected) trace. Every field is a plain count; JSON-serializable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class LayerTrace:
    """Counts for one weight layer (one crossbar array of n_in rows x n_out columns)."""

    n_in: int
    n_out: int
    fw_vectors: int = 0      # input vectors read forward through the array during training
    ag_vectors: int = 0      # error vectors sent through this layer's backward path (AG phase)
    wg_vectors: int = 0      # samples accumulated into this layer's outer-product gradient (WG)
    updates: int = 0         # weight-update events (optimizer steps) applied to the array (WU)
    ltp_pulses: int = 0      # potentiating pulses fired, summed over all cells and updates
    ltd_pulses: int = 0      # depressing pulses fired (counted as positive numbers)
    row_max_ltp: int = 0     # sum over updates and rows of that row's largest LTP pulse count
    row_max_ltd: int = 0     # same for LTD: rows are written one at a time, LTP then LTD
    cells_written: int = 0   # sum over updates of cells that received at least one pulse
    rows_written: int = 0    # sum over updates of rows that received at least one pulse

    @property
    def weights(self) -> int:
        return self.n_in * self.n_out

    def add_write(self, ltp: int, ltd: int, row_max_ltp: int, row_max_ltd: int,
                  cells: int, rows: int) -> None:
        """Record one weight-update event."""
        self.updates += 1
        self.ltp_pulses += int(ltp)
        self.ltd_pulses += int(ltd)
        self.row_max_ltp += int(row_max_ltp)
        self.row_max_ltd += int(row_max_ltd)
        self.cells_written += int(cells)
        self.rows_written += int(rows)


@dataclass
class Trace:
    """Counts of a whole training run (training only; inference reads are in test_vectors)."""

    algo: str
    batch_size: int
    layers: list[LayerTrace] = field(default_factory=list)
    iterations: int = 0      # optimizer steps taken
    epochs: int = 0
    train_samples: int = 0   # training samples seen (batch_size x iterations, last batch may be short)
    test_vectors: int = 0    # inference vectors evaluated (not part of the training cost)
    bias: bool = False       # each array's last row is an always-on bias input (n_in counts it)

    @classmethod
    def for_network(cls, algo: str, batch_size: int, sizes: list[int] | tuple[int, ...]) -> "Trace":
        layers = [LayerTrace(n_in=a, n_out=b) for a, b in zip(sizes[:-1], sizes[1:])]
        return cls(algo=algo, batch_size=batch_size, layers=layers)

    def add_bias_row(self) -> None:
        """Every array gets an always-on bias input: one more row each."""
        self.bias = True
        for layer in self.layers:
            layer.n_in += 1

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Trace":
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names and k != "layers"}
        return cls(layers=[LayerTrace(**layer) for layer in d.get("layers", [])], **kw)
