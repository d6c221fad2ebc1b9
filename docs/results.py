"""Rebuild the README's result tables from the experiment outputs.

Usage: python docs/results.py OUT_DIR
where OUT_DIR holds the sweeps of `cimbench sweep --experiment NAME --out OUT_DIR/NAME`, the depth
experiment on agsi in OUT_DIR/depth-agsi, and the learning-rule sweeps OUT_DIR/rules
(`cimbench sweep --algo bp,fa,dfa,drtp,shallow --device ideal --network 784-256-10 --epochs 3`)
and OUT_DIR/rules20 (`--algo bp,fa,dfa --network 784-256-256-10 --epochs 20`).
Copies each sweep's summary.csv (and plot) to docs/results/.
"""

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(sys.argv[1])
DOCS = Path(__file__).parent / "results"


PUBLISHED = {"ideal": "96-97 % (software)", "agsi": "72 % (66-79 %)", "epiram": "92 %"}
HW_REFERENCE = [  # MLP+NeuroSim V3.0 Ag:a-Si run, 1,000,000 online updates (DESIGN.md)
    ("area (m^2)", "area_m2", 6.2923e-9), ("read latency (s)", "read_latency_s", 7.2030e-2),
    ("write latency (s)", "write_latency_s", 3.1997e4), ("read energy (J)", "read_energy_j", 4.1964e-4),
    ("write energy (J)", "write_energy_j", 1.3019e-2), ("leakage (W)", "leakage_w", 105.65e-6)]


def md(df: pd.DataFrame, floatfmt=".4f") -> str:
    return df.to_markdown(floatfmt=floatfmt)


def mean_std(df, rows, cols, value):
    g = df.groupby([rows, cols])[value]
    order = (list(pd.unique(df[rows])), list(pd.unique(df[cols])))  # grid order, not lexical
    m, s, n = (x.unstack().loc[order[0], order[1]] for x in (g.mean(), g.std(), g.count()))
    text = m.map(lambda x: f"{x:.4f}" if np.isfinite(x) else "")
    if (n.fillna(0) > 1).any().any():
        text = text + s.map(lambda x: f" ± {x:.4f}" if np.isfinite(x) else "")
    return text


def section(title: str, body: str) -> None:
    print(f"\n### {title}\n\n{body}\n")


def copy(name: str, dest: str | None = None) -> pd.DataFrame:
    """OUT/name's summary.csv (and plot, if any) to docs/results/dest.csv (.png)."""
    DOCS.mkdir(parents=True, exist_ok=True)
    src, dest = OUT / name, dest or name
    shutil.copy(src / "summary.csv", DOCS / f"{dest}.csv")
    if (src / "plot.png").is_file():
        shutil.copy(src / "plot.png", DOCS / f"{dest}.png")
    return pd.read_csv(src / "summary.csv")


def main():
    # plain sweeps of run flags (commands in the README): rules (784-256-10, 3 epochs), rules20
    # (784-256-256-10, 20 epochs); and the depth experiment on agsi
    for name, dest in (("rules", "rules"), ("rules20", "rules-20-epochs")):
        if (OUT / name).is_dir():
            d = copy(name, dest)
            section(dest, md(d.set_index("algo")[["test_acc", "train_acc", "train_seconds"]]))
    if (OUT / "depth-agsi").is_dir():
        copy("depth-agsi")
    if (OUT / "neurosim-devices").is_dir() and "agsi" in set(pd.read_csv(OUT / "neurosim-devices" / "summary.csv").device):
        d = copy("neurosim-devices")
        t = d.set_index("device")[["mean_last10_test_acc", "test_acc", "best_test_acc"]]
        t["published"] = t.index.map(PUBLISHED).fillna("")
        section("neurosim-devices", md(t))
        a = d.set_index("device").loc["agsi"]
        ref = pd.DataFrame(
            [(k, a[col], v, a[col] / v) for k, col, v in HW_REFERENCE],
            columns=["figure", "cimbench", "MLP+NeuroSim V3.0", "ratio"]).set_index("figure")
        section("agsi-hardware", md(ref, ".4g"))
    for name, rows, cols in (("devices", "device", "algo"), ("c2c", "algo", "device_c2c"),
                             ("adc", "algo", "hw_adc_bits"), ("width", "algo", "network")):
        if (OUT / name).is_dir():
            d = copy(name)
            section(name, md(mean_std(d, rows, cols, "test_acc")))
    if (OUT / "depth").is_dir():
        d = copy("depth").copy()
        d["N"] = d.network.str.count("-")
        d["backward_s"] = d.latency_s - d.latency_fw_s   # phases + any wait for the DRAM channel
        p = d.pivot(index="N", columns="algo",
                    values=["latency_s", "backward_s", "energy_j", "area_mm2", "test_acc"])
        t = pd.DataFrame({
            "latency BP (s)": p["latency_s"]["bp"], "latency DFA (s)": p["latency_s"]["dfa"],
            "latency BP/DFA": p["latency_s"]["bp"] / p["latency_s"]["dfa"],
            "(ratio)/N": p["latency_s"]["bp"] / p["latency_s"]["dfa"] / p.index,
            "backward BP/DFA": p["backward_s"]["bp"] / p["backward_s"]["dfa"],
            "energy BP/DFA": p["energy_j"]["bp"] / p["energy_j"]["dfa"],
            "area BP (mm2)": p["area_mm2"]["bp"], "area DFA (mm2)": p["area_mm2"]["dfa"],
            "acc BP": p["test_acc"]["bp"], "acc DFA": p["test_acc"]["dfa"]})
        section("depth", md(t, ".3f"))
    if (OUT / "breakdown").is_dir():
        copy("breakdown")
        parts = []
        for f in sorted((OUT / "breakdown" / "cells").glob("*/hardware.csv")):
            h = pd.read_csv(f)
            algo = f.parent.name.split("-")[0]
            keep = ~h.component.isin(["total", "chip", "schedule"])
            for metric in ("area", "energy"):
                s = h[keep & (h.metric == metric)].groupby("component").value.sum()
                parts.append((algo, metric, (100 * s / s.sum()).round(1)))
        t = pd.DataFrame({f"{a} {m} %": s for a, m, s in parts}).fillna(0.0)
        section("breakdown", md(t.sort_values(t.columns[0], ascending=False), ".1f"))


if __name__ == "__main__":
    main()
