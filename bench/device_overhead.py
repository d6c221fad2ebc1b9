"""Benchmark: one mini-batch epoch of 784-256-256-10 (batch 100, DFA) on `rram` with NL,
C2C, D2D and a 6-bit ADC on, divided by the same epoch on `ideal`. Target: at most 2.0.

Run: python bench/device_overhead.py   (prints the ratio measured in this one run)
"""

from cimbench.config import build_config
from cimbench.engine.train import Trainer
from cimbench.runner import load_data


def epoch_seconds(device: str, **device_overrides) -> float:
    cfg = build_config(device=device, overrides={
        "train": {"algo": "dfa", "epochs": 1, "batch_size": 100},
        "network": {"sizes": (784, 256, 256, 10)}, "hw": {"adc_bits": 6},
        **({"device": device_overrides} if device_overrides else {})})
    trainer = Trainer(cfg, load_data(cfg))
    trainer.fit(quiet=True)
    return trainer.history[-1].seconds


def main():
    ideal = epoch_seconds("ideal")
    rram = epoch_seconds("rram", c2c=0.01, d2d=0.2)
    print(f"ideal epoch: {ideal:.2f} s; rram epoch (NL 1.75/1.46, C2C 1 %, D2D 0.2, 6-bit ADC): "
          f"{rram:.2f} s")
    print(f"ratio rram / ideal = {rram / ideal:.2f}  (target <= 2.0)")


if __name__ == "__main__":
    main()
