"""Benchmark: one mini-batch epoch of 784-256-256-10 (batch 100, DFA) on `rram` with NL,
C2C, D2D and a 6-bit ADC on, divided by the same epoch on `ideal`. Target: at most 2.0.

Each is timed twice, interleaved, and the fastest kept.
Run: python bench/device_overhead.py   (prints the ratio measured in this one run)
"""

from cimbench.config import build_config
from cimbench.engine.train import Trainer
from cimbench.runner import load_data


def epoch_seconds(device: str, data=None, **device_overrides) -> float:
    cfg = build_config(device=device, overrides={
        "train": {"algo": "dfa", "epochs": 1, "batch_size": 100},
        "network": {"sizes": (784, 256, 256, 10)}, "hw": {"adc_bits": 6},
        **({"device": device_overrides} if device_overrides else {})})
    trainer = Trainer(cfg, data if data is not None else load_data(cfg))
    trainer.fit(quiet=True)
    return trainer.history[-1].seconds


def main():
    from cimbench.config import build_config
    data = load_data(build_config(device="ideal"))
    ideal, rram = [], []
    for _ in range(2):  # interleaved; the fastest of each is kept (shared, noisy machines)
        ideal.append(epoch_seconds("ideal", data))
        rram.append(epoch_seconds("rram", data, c2c=0.01, d2d=0.2))
    ideal, rram = min(ideal), min(rram)
    print(f"ideal epoch: {ideal:.2f} s; rram epoch (NL 1.75/1.46, C2C 1 %, D2D 0.2, 6-bit ADC): "
          f"{rram:.2f} s")
    print(f"ratio rram / ideal = {rram / ideal:.2f}  (target <= 2.0)")


if __name__ == "__main__":
    main()
