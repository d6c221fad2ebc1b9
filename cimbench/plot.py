"""Figures from results CSVs (matplotlib, Agg backend; the optional 'plot' extra).

* curves:    test accuracy (or --y) per epoch, from each run's epochs.csv;
* sweep:     a metric (default test_acc) against a swept column, one line per --by (algo),
             mean over seeds with std error bars;
* breakdown: stacked bars per run of area by component, latency by phase, energy by component
             and energy by phase, from each run's hardware.csv.

Run directories are found in ``cells/<run_id>`` next to the CSV (a sweep), or under --runs.
"""

from __future__ import annotations

from pathlib import Path

from cimbench.errors import CimbenchError

MISSING = "plotting needs the 'plot' extra: pip install 'cimbench[plot]'"


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise CimbenchError(MISSING) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def make_plot(results, kind: str, dest, **kw) -> Path:
    from cimbench.analysis import read_results

    plt = _pyplot()
    dest = Path(dest)
    if dest.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise CimbenchError(f"--out must end in .png, .svg or .pdf, got '{dest.name}'")
    df = read_results(results)
    if df.empty:
        raise CimbenchError(f"{results}: no rows to plot")
    runs = Path(kw.pop("runs", None) or Path(results).parent / "cells")
    fn = {"curves": _curves, "sweep": _sweep, "breakdown": _breakdown}.get(kind)
    if fn is None:
        raise CimbenchError(f"unknown plot kind '{kind}'; choose one of: curves, sweep, breakdown")
    fig = fn(plt, df, runs, results=results, **kw)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp{dest.suffix}")
    fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(dest)
    return dest


def _labels(df, by: str) -> list[str]:
    """A short label per row: --by value plus the columns that vary (grid_*, device, seed)."""
    cand = [c for c in df.columns if c.startswith("grid_")] or \
        [c for c in ("device", "network", "seed") if c in df.columns]
    vary = [c for c in cand if df[c].nunique() > 1 and c != f"grid_{by}"]
    out = []
    for _, r in df.iterrows():
        parts = [str(r[by])] if by in df.columns else []
        parts += [f"{c.removeprefix('grid_')}={r[c]}" for c in vary]
        out.append(" ".join(parts) or str(r.get("run_id", "")))
    return out


def _run_file(runs: Path, row, name: str) -> Path:
    rid = row.get("run_id", "")
    p = runs / str(rid) / name
    if not rid or not p.is_file():
        raise CimbenchError(f"no {name} for run '{rid}' in {runs} (use --runs DIR)")
    return p


def _curves(plt, df, runs, y=None, by="algo", **_):
    import pandas as pd

    y = y or "test_acc"
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for lab, (_, r) in zip(_labels(df, by), df.iterrows()):
        ep = pd.read_csv(_run_file(runs, r, "epochs.csv"))
        if y not in ep.columns:
            raise CimbenchError(f"epochs.csv has no column '{y}'; columns: {', '.join(ep.columns)}")
        ax.plot(ep["epoch"], ep[y], marker="o" if len(ep) < 30 else None, ms=3, label=lab)
    ax.set_xlabel("epoch")
    ax.set_ylabel(y)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2 if len(df) > 8 else 1)
    return fig


def _swept_column(df, by: str, results) -> str:
    grid = [c for c in df.columns if c.startswith("grid_") and c not in (f"grid_{by}", "grid_seed")]
    vary = [c for c in grid if df[c].nunique() > 1] or grid
    if vary:
        return vary[0]
    raise CimbenchError(f"{results}: no swept column found; name one with --x")


def _sweep(plt, df, runs, x=None, y=None, by="algo", results="", **_):
    import numpy as np
    import pandas as pd

    x = x or _swept_column(df, by, results)
    y = y or "test_acc"
    for c in (x, y):
        if c not in df.columns:
            raise CimbenchError(f"{results}: no column '{c}'")
    d = df.copy()
    d[y] = pd.to_numeric(d[y], errors="coerce")
    xs = list(dict.fromkeys(d[x]))  # grid order
    xnum = pd.to_numeric(pd.Series(xs), errors="coerce")
    numeric = not xnum.isna().any()
    pos = dict(zip(xs, xnum if numeric else range(len(xs))))
    groups = list(dict.fromkeys(d[by])) if by in d.columns else [None]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for g in groups:
        sub = d if g is None else d[d[by] == g]
        st = sub.groupby(x, sort=False)[y].agg(["mean", "std"]).reindex(
            [v for v in xs if v in set(sub[x])])
        px = [pos[v] for v in st.index]
        ax.errorbar(px, st["mean"], yerr=np.nan_to_num(st["std"].to_numpy()), marker="o",
                    capsize=3, label=str(g) if g is not None else y)
    if not numeric:
        ax.set_xticks(range(len(xs)))
        ax.set_xticklabels(xs, rotation=30 if max(map(len, xs)) > 6 else 0, ha="right"
                           if max(map(len, xs)) > 6 else "center", fontsize=8)
    elif len(xs) > 2 and float(xnum.min()) > 0 and float(xnum.max()) / float(xnum.min()) > 20:
        ax.set_xscale("log", base=2)
    ax.set_xlabel(x.removeprefix("grid_"))
    ax.set_ylabel(y)
    ax.grid(alpha=0.3)
    ax.legend(title=by if by in d.columns else None)
    return fig


def phase_latencies(row) -> dict[str, float] | None:
    """Latency (s) by phase on the critical path, from a summary row's latency_*_s columns,
    plus a 'dram wait' slice when latency_s is longer (DFA held up by the shared DRAM
    channel), so the bars add up to latency_s. None when the columns are absent."""
    crit = {ph: row.get(f"latency_{ph}_s", "") for ph in ("fw", "ag", "wg", "wu")}
    if any(v == "" for v in crit.values()):
        return None
    crit = {ph: float(v) for ph, v in crit.items()}
    wait = float(row.get("latency_s") or 0.0) - sum(crit.values())
    if wait > 1e-9 * sum(crit.values()):
        crit["dram wait"] = wait
    return crit


def _breakdown(plt, df, runs, by="algo", **_):
    import numpy as np
    import pandas as pd

    labels = _labels(df, by)
    hws = []
    for _, r in df.iterrows():
        h = pd.read_csv(_run_file(runs, r, "hardware.csv"))
        need = {"phase", "layer", "component", "metric", "value", "unit"}
        if not need <= set(h.columns):
            raise CimbenchError(f"hardware.csv of {r.get('run_id')} lacks columns "
                                f"{', '.join(sorted(need - set(h.columns)))}")
        lat = h[(h["metric"] == "latency") & (h["component"] == "total")]
        h = h[~h["component"].isin(["total", "chip", "schedule"])]
        # latency by phase: the schedule's critical path per phase (summary columns) where
        # present, else the sum over layers
        crit = phase_latencies(r)
        if crit is not None:
            lat = pd.DataFrame({"phase": list(crit), "metric": "latency",
                                "component": "total", "value": list(crit.values())})
        hws.append(pd.concat([h, lat], ignore_index=True))
    panels = [("area", "component", "area by component", 1e6, "mm²"),
              ("latency", "phase", "latency by phase", 1.0, "s"),
              ("energy", "component", "energy by component", 1.0, "J"),
              ("energy", "phase", "energy by phase", 1.0, "J")]
    fig, axes = plt.subplots(1, 4, figsize=(4 + 2.2 * len(df) * 1.3, 4.5), squeeze=False)
    for ax, (metric, key, title, scale, unit) in zip(axes[0], panels):
        tabs = [h[h["metric"] == metric].groupby(key)["value"].sum() * scale for h in hws]
        keys = list(dict.fromkeys(k for t in tabs for k in t.index))
        bottom = np.zeros(len(tabs))
        cmap = plt.get_cmap("tab20")
        for i, k in enumerate(keys):
            vals = np.array([float(t.get(k, 0.0)) for t in tabs])
            ax.bar(range(len(tabs)), vals, bottom=bottom, label=str(k), color=cmap(i % 20))
            bottom += vals
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(unit)
        ax.set_xticks(range(len(tabs)))
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=7)
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    fig.tight_layout()
    return fig
