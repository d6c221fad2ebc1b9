"""Result tables (`cimbench report`) and baseline comparison (`cimbench check`).

Regression direction (check)
----------------------------
* higher is better: accuracy columns (name contains ``acc``) and throughput (``tops``,
  ``tops_per_w``): a DROP beyond the tolerance is a regression, a rise beyond it is 'improved';
* lower is better: cost columns (name starts with or contains ``energy``, ``latency``, ``area``,
  ``leakage``, ``pulses``, ``loss``): a RISE beyond the tolerance is a regression, a drop is
  'improved';
* any other column: a change beyond the tolerance either way is a regression ('changed').

The allowed change of a value is ``tol + rtol * |baseline|`` (either may be zero). NaN equals
NaN; NaN against a number is a regression. A baseline row with no match in the results is a
regression ('missing'); result rows absent from the baseline are listed as 'new' and pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from cimbench.errors import CimbenchError
from cimbench.report import TIMING_COLUMNS
from cimbench.runner import SETTING_COLUMNS

HIGHER_BETTER = ("acc", "tops")
LOWER_BETTER = ("energy", "latency", "area", "leakage", "pulses", "loss")
DEFAULT_TOL = {"test_acc": 0.01}
DEFAULT_RTOL = {"energy_j": 0.05, "latency_s": 0.05, "area_mm2": 0.05}


def read_results(path: str | Path):
    """A results CSV as a DataFrame of strings (exact text, for matching)."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise CimbenchError(f"file not found: {p}")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as e:
        raise CimbenchError(f"{p}: not a readable CSV ({str(e).splitlines()[0]})") from None
    return df


def _require(df, cols, path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        cols = list(df.columns)
        near = [c for m in missing for c in cols if c.endswith("_" + m)]
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        shown = ", ".join(cols[:15]) + (f", ... ({len(cols)} columns)" if len(cols) > 15 else "")
        raise CimbenchError(f"{path}: no column(s) {', '.join(missing)}{hint}; columns: {shown}")


def _swept(df, names: list[str]) -> list[str]:
    """A swept flag by its flag name: c2c -> grid_c2c when only the latter is a column."""
    return [n if n in df.columns or f"grid_{n}" not in df.columns else f"grid_{n}" for n in names]


def _num(series):
    import pandas as pd
    return pd.to_numeric(series.replace({"": "nan"}), errors="coerce")


def _split(values) -> list[str]:
    out = []
    for v in values or ():
        out += [x.strip() for x in str(v).split(",") if x.strip()]
    return out


# ----------------------------------------------------------------------------- report

TABLE_FORMATS = {"markdown": "pipe", "github": "github", "latex": "latex_booktabs",
                 "plain": "simple"}


def report_table(path, rows, cols, value: str, groups=(), fmt: str = "github",
                 digits: int = 4) -> str:
    """Pivot of mean +- std of VALUE over everything not in rows/cols/groups (seeds, ...).

    Tables: cells read 'mean ± std' (std when more than one run). CSV: mean, std and n
    columns per column key, one CSV block per group."""
    from tabulate import tabulate

    rows, cols, groups = _split(rows), _split(cols), _split(groups)
    if not rows:
        raise CimbenchError("--rows needs at least one column")
    df = read_results(path)
    rows, cols, groups = _swept(df, rows), _swept(df, cols), _swept(df, groups)
    _require(df, rows + cols + groups + [value], path)
    df[value] = _num(df[value])
    if df[value].isna().all() and len(df):
        raise CimbenchError(f"{path}: column '{value}' holds no numbers")
    blocks = []
    keys = [()] if not groups else list(dict.fromkeys(map(tuple, df[groups].values.tolist())))
    for key in keys:
        sub = df
        title = ""
        if groups:
            mask = (df[groups] == list(key)).all(axis=1)
            sub = df[mask]
            title = ", ".join(f"{g}={v}" for g, v in zip(groups, key))
        agg = _aggregate(sub, rows, cols, value)
        if fmt == "csv":
            text = agg.to_csv(lineterminator="\n")
            blocks.append((f"# {title}\n" if title else "") + text)
            continue
        table = _cell_text(agg, cols, digits)
        headers = [" / ".join(rows) + (f" \\ {' / '.join(cols)}" if cols else "")] + \
            [c if not isinstance(c, tuple) else " / ".join(map(str, c)) for c in table.columns]
        body = [[(" / ".join(map(str, i)) if isinstance(i, tuple) else i), *r]
                for i, r in zip(table.index, table.values.tolist())]
        text = tabulate(body, headers=headers, tablefmt=TABLE_FORMATS[fmt], disable_numparse=True)
        head = ""
        if title:
            head = f"\\paragraph{{{title}}}\n" if fmt == "latex" else f"### {title}\n\n"
        blocks.append(head + text + "\n")
    caption = f"{value}: mean ± std over the runs in each cell"
    if fmt == "csv":
        return "".join(blocks)
    if fmt == "latex":   # pasted into a document: the caption as a comment, not as text
        return f"% {caption}\n" + "\n".join(blocks)
    return f"{caption}\n\n" + "\n".join(blocks)


def _aggregate(df, rows, cols, value):
    """mean/std/n of value per (rows, cols) in first-seen (grid) order; with cols, a pivot
    whose columns are flattened to 'colkey:mean', 'colkey:std', 'colkey:n'."""
    import pandas as pd

    keys = rows + cols
    g = df.groupby(keys, sort=False)[value].agg(["mean", "std", "count"]).reset_index()
    g = g.rename(columns={"count": "n"})
    g["n"] = g["n"].astype("Int64")
    if not cols:
        return g.set_index(rows)[["mean", "std", "n"]]
    wide = g.pivot(index=rows, columns=cols, values=["mean", "std", "n"])
    row_order = list(dict.fromkeys(map(tuple, g[rows].values.tolist())))
    col_order = list(dict.fromkeys(map(tuple, g[cols].values.tolist())))
    idx = row_order if len(rows) > 1 else [r[0] for r in row_order]
    wide = wide.reindex(idx)
    data = {}
    for ck in col_order:
        name = "/".join(map(str, ck))
        for stat in ("mean", "std", "n"):
            data[f"{name}:{stat}"] = wide[(stat, *ck)]
    return pd.DataFrame(data, index=wide.index)


def _cell_text(agg, cols, digits):
    import pandas as pd

    def fmt(m, s, n):
        if m is None or (isinstance(m, float) and math.isnan(m)):
            return ""
        t = f"{m:.{digits}g}"
        if n and n > 1 and s == s:
            t += f" ± {s:.2g}"
        return t

    if not cols:
        return pd.DataFrame({"value": [fmt(m, s, n) for m, s, n in
                                       zip(agg["mean"], agg["std"], agg["n"])]}, index=agg.index)
    names = list(dict.fromkeys(c.rsplit(":", 1)[0] for c in agg.columns))
    data = {nm: [fmt(m, s, n) for m, s, n in zip(agg[f"{nm}:mean"], agg[f"{nm}:std"],
                                                   agg[f"{nm}:n"])] for nm in names}
    return pd.DataFrame(data, index=agg.index)


# ----------------------------------------------------------------------------- check

@dataclass
class Finding:
    status: str          # regression | improved | ok | changed | missing | new
    row: str
    column: str = ""
    baseline: float | str = ""
    new: float | str = ""
    allowed: float | str = ""


@dataclass
class CheckResult:
    keys: list[str]
    compared: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(f.status in ("regression", "changed", "missing") for f in self.findings)

    def count(self, status) -> int:
        return sum(f.status == status for f in self.findings)


def direction(column: str) -> int:
    """+1: higher is better, -1: lower is better, 0: any change is a change."""
    c = column.lower()
    if any(t in c for t in LOWER_BETTER):
        return -1
    if any(t in c for t in HIGHER_BETTER):
        return 1
    return 0


def parse_tolerances(items, what: str) -> dict[str, float]:
    out = {}
    for item in items or ():
        col, sep, val = str(item).partition("=")
        try:
            if not sep or not col.strip():
                raise ValueError
            v = float(val)
            if v < 0 or math.isnan(v):
                raise ValueError
        except ValueError:
            raise CimbenchError(f"{what} expects COLUMN=NUMBER >= 0, got '{item}'") from None
        out[col.strip()] = v
    return out


def match_keys(new, base, on=None) -> list[str]:
    """Columns rows are matched on: --on, else the configuration columns present in both
    (run_id is left out: it also hashes preset descriptions), else run_id."""
    if on:
        keys = _split(on)
        _require(new, keys, "results")
        _require(base, keys, "baseline")
        return keys
    both = [c for c in base.columns if c in new.columns]
    keys = [c for c in both if c in SETTING_COLUMNS or c.startswith(("device_", "hw_", "grid_"))]
    if not keys and "run_id" in both:
        keys = ["run_id"]
    if not keys:
        raise CimbenchError("results and baseline share no configuration columns; "
                            "name the columns to match rows on with --on")
    return keys


def check(results, baseline, tol=None, rtol=None, on=None) -> CheckResult:
    tol = dict(tol or {})
    rtol = dict(rtol or {})
    if not tol and not rtol:
        tol, rtol = dict(DEFAULT_TOL), dict(DEFAULT_RTOL)
    new = read_results(results)
    base = read_results(baseline)
    metrics = list(dict.fromkeys([*tol, *rtol]))
    _require(new, metrics, results)
    _require(base, metrics, baseline)
    keys = match_keys(new, base, on)
    for df, p in ((new, results), (base, baseline)):
        dup = df.duplicated(keys)
        if dup.any():
            raise CimbenchError(f"{p}: {int(dup.sum())} row(s) share their values of the match "
                                f"columns; choose unique ones with --on")
    res = CheckResult(keys=keys)
    varying = [k for k in keys if base[k].nunique() > 1 or new[k].nunique() > 1]
    label_cols = varying or keys[:3]

    def label(r) -> str:
        return " ".join(f"{k}={r[k]}" for k in label_cols)

    new_idx = {tuple(r[k] for k in keys): r for _, r in new.iterrows()}
    base_keys = set()
    for _, b in base.iterrows():
        k = tuple(b[c] for c in keys)
        base_keys.add(k)
        r = new_idx.get(k)
        if r is None:
            res.findings.append(Finding("missing", label(b)))
            continue
        for m in metrics:
            res.compared += 1
            f = _compare(m, b[m], r[m], tol.get(m, 0.0), rtol.get(m, 0.0), label(b))
            if f is not None:
                res.findings.append(f)
    for k, r in new_idx.items():
        if k not in base_keys:
            res.findings.append(Finding("new", label(r)))
    return res


def _float(text: str) -> float:
    try:
        return float(text) if text != "" else math.nan
    except ValueError:
        return math.nan


def _compare(col, btxt, ntxt, tol, rtol, row) -> Finding | None:
    b, n = _float(btxt), _float(ntxt)
    allowed = tol + rtol * abs(b) if not math.isnan(b) else tol
    if math.isnan(b) and math.isnan(n):
        return None
    if math.isnan(b) or math.isnan(n):
        return Finding("regression", row, col, b, n, allowed)
    delta = n - b
    if delta == 0:
        return None
    if abs(delta) <= allowed:
        return Finding("ok", row, col, b, n, allowed)
    d = direction(col)
    if d == 0:
        return Finding("changed", row, col, b, n, allowed)
    return Finding("improved" if delta * d > 0 else "regression", row, col, b, n, allowed)


def check_text(res: CheckResult) -> str:
    from tabulate import tabulate

    rows = [[f.status.upper() if f.status in ("regression", "changed", "missing") else f.status,
             f.row, f.column, _g(f.baseline), _g(f.new), _g(f.allowed)]
            for f in res.findings]
    lines = []
    if rows:
        lines.append(tabulate(rows, headers=["status", "row", "column", "baseline", "new",
                                             "allowed"], tablefmt="simple",
                              disable_numparse=True))
    bad = res.count("regression") + res.count("changed")
    lines.append(f"check: {res.compared} values compared (rows matched on "
                 f"{len(res.keys)} column(s)); {bad} regression(s), {res.count('missing')} "
                 f"missing row(s), {res.count('improved')} improved, {res.count('new')} new "
                 f"row(s): {'FAIL' if res.failed else 'PASS'}")
    return "\n".join(lines)


def _g(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def strip_timing(text: str) -> str:
    """A results CSV without its timing columns (for byte comparisons)."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    keep = [i for i, c in enumerate(rows[0]) if c not in TIMING_COLUMNS]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow([r[i] for i in keep])
    return buf.getvalue()
