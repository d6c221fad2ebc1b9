"""Sweeps: a grid of `run` configurations, executed locally (one or more processes) or on a Dask
cluster, resumable after any interruption.

Grid syntax (command line and experiment files)
-----------------------------------------------
Every flag of `cimbench run` becomes a grid dimension when it holds several alternatives:

* ``--c2c 0.01,0.02,0.05`` -- comma-separated alternatives;
* ``--seed 0..4`` -- an inclusive integer range (0, 1, 2, 3, 4);
* flags whose single value already contains commas (``--lr``, ``--nl``, ``--bits``,
  ``--stuck-at``, ``--set``) separate alternatives with ``;``: ``--lr "0.4,0.2;0.2,0.1"``
  sweeps two per-layer rate pairs; ``--set "train.lr_schedule=constant;cosine"`` two schedules.

Cells are the cartesian product of the dimensions; the last dimension varies fastest. Their
order (grid order) is fixed by the dimension order: for the command line the order of the `run`
flags, for an experiment file the order of its ``[grid]`` table.

Experiment files (presets/experiments/NAME.toml)::

    description = "..."
    [fixed]            # flag = value (one value; lists are joined as the flag expects)
    network = "784-256-10"
    [grid]             # flag = [alternatives]; "section.field" keys are --set dimensions
    algo = ["bp", "dfa"]
    c2c = [0.01, 0.02]
    [quick.fixed]      # with --quick: overrides for a CI-sized variant
    [quick.grid]
    [plot]             # what `sweep --experiment` plots next to the CSV (kind, x, y)

Layout of a sweep directory: ``OUT/sweep.json`` (the grid), ``OUT/cells/<run_id>/`` (a full run
directory per cell) and ``OUT/summary.csv`` (one row per finished cell, in grid order, with a
leading ``cell`` index and a ``grid_<flag>`` column per swept flag).

Resume: a cell is finished when its run directory holds ``summary.csv`` (written atomically,
last). OUT/summary.csv is rebuilt from those files, in grid order, atomically, at the start and
after every finished cell, so an interrupt (Ctrl-C, SIGKILL) loses no finished row and never
duplicates one; rerunning the same command runs only the unfinished cells. A cell directory
left half-written by an interrupt is deleted and the cell run afresh.

Executors: every cell depends only on its own configuration (its seed included). Local cells
run in spawned worker processes (``--jobs N``, also for N = 1) with single-threaded BLAS, since
a multi-threaded BLAS may sum in another order and the results must not depend on the number
of jobs; the workers die with the sweep process. ``--executor dask`` submits the cells to an
existing cluster; each worker runs its cell in a private temporary folder and ships the files
back, so no shared file system is needed (Dask's nanny starts workers with one BLAS thread).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import itertools
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from cimbench.errors import CimbenchError, ConfigError
from cimbench.report import atomic_write_bytes

#: run flags whose one value may contain commas: their sweep alternatives are split on ';'
SEMICOLON_FLAGS = ("lr", "nl", "bits", "stuck_at", "sets")
#: flags joined with '-' when an experiment file gives a list for one value
DASH_FLAGS = ("network", "subarray")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


# ----------------------------------------------------------------------------- run flags

@functools.lru_cache(maxsize=1)
def run_params() -> dict[str, Any]:
    """The click parameters of `cimbench run` by name (protocol, algo, ..., sets)."""
    from cimbench.cli import RUN_OPTIONS
    from cimbench.option_groups import with_options

    holder = with_options(RUN_OPTIONS)(lambda: None)
    return {p.name: p for p in reversed(holder.__click_params__)}


def flag_name(key: str) -> str:
    """'batch-size' / '--batch_size' / 'set' -> the run parameter name ('batch_size', 'sets')."""
    k = key.strip().lstrip("-").replace("-", "_")
    return "sets" if k == "set" else k


def cli_flag(name: str) -> str:
    return "--set" if name == "sets" else "--" + name.replace("_", "-")


def _range(text: str) -> list[str] | None:
    a, sep, b = text.partition("..")
    if not sep:
        return None
    try:
        lo, hi = int(a), int(b)
    except ValueError:
        raise ConfigError(f"range '{text}' must be two integers like 0..4") from None
    if hi < lo:
        raise ConfigError(f"range '{text}' is empty (end before start)")
    return [str(v) for v in range(lo, hi + 1)]


def integer_flag(name: str) -> bool:
    p = run_params().get(name)
    return p is not None and getattr(p.type, "name", "") == "integer"


def split_alternatives(name: str, text: str) -> list[str]:
    """'0.01,0.02' -> ['0.01', '0.02']; integer flags: '0..2' -> ['0', '1', '2'];
    lr/nl/bits/stuck_at/set: split on ';'."""
    text = str(text).strip()
    sep = ";" if name in SEMICOLON_FLAGS else ","
    out: list[str] = []
    for part in text.split(sep):
        part = part.strip()
        if not part:
            raise ConfigError(f"{cli_flag(name)}: empty alternative in '{text}'")
        if name == "sets":
            # "train.x=a;b" -> section.field=a, section.field=b (the key carries over)
            if "=" in part:
                key = part.split("=", 1)[0]
            elif out:
                part = f"{key}={part}"
            else:
                raise ConfigError(f"--set expects SECTION.FIELD=VALUE[;VALUE...], got '{text}'")
            out.append(part)
            continue
        r = _range(part) if integer_flag(name) else None
        out.extend(r if r is not None else [part])
    return out


def _value_text(name: str, v: Any) -> str:
    """One value from an experiment file as the run flag's text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ("-" if name in DASH_FLAGS else ",").join(_value_text(name, x) for x in v)
    return str(v)


# ----------------------------------------------------------------------------- grid

@dataclass
class Cell:
    index: int
    flags: dict[str, Any]          # run flag values, as `cimbench run` would receive them
    params: dict[str, str]         # swept flag -> this cell's alternative (text)
    run_id: str = ""

    @property
    def label(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.params.items()) or "(single cell)"


@dataclass
class Grid:
    fixed: dict[str, str] = field(default_factory=dict)        # flag -> value text
    dims: dict[str, list[str]] = field(default_factory=dict)   # flag -> alternatives (text)
    sets_fixed: list[str] = field(default_factory=list)        # --set assignments for all cells
    name: str | None = None
    plot: dict = field(default_factory=dict)

    def digest(self) -> str:
        spec = {"fixed": self.fixed, "dims": self.dims, "sets": self.sets_fixed}
        return hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]


def _coerce(name: str, text: str, params: dict) -> Any:
    """A value text -> what click would hand `run` for that flag (int/float/str)."""
    p = params[name]
    tname = getattr(p.type, "name", "text")
    try:
        if tname == "integer":
            return int(text)
        if tname == "float":
            return float(text)
    except ValueError:
        kind = "an integer" if tname == "integer" else "a number"
        raise ConfigError(f"{cli_flag(name)} expects {kind}, got '{text}'") from None
    return text


def grid_from_flags(values: dict[str, Any]) -> Grid:
    """Sweep flag texts (None = not given; sets = tuple) -> Grid."""
    g = Grid()
    for name, text in values.items():
        if text is None or text == ():
            continue
        if name == "sets":
            for item in text:
                alts = split_alternatives("sets", item)
                if len(alts) == 1:
                    g.sets_fixed.append(alts[0])
                else:
                    g.dims[f"set.{alts[0].split('=', 1)[0].strip()}"] = alts
            continue
        alts = split_alternatives(name, text)
        if len(alts) == 1:
            g.fixed[name] = alts[0]
        else:
            g.dims[name] = alts
    return g


def experiments_dir() -> Path:
    from cimbench.paths import presets_dir
    return presets_dir() / "experiments"


def list_experiments() -> list[str]:
    d = experiments_dir()
    return sorted(p.stem for p in d.glob("*.toml")) if d.is_dir() else []


def load_experiment(name: str, quick: bool = False) -> tuple[Grid, str]:
    """presets/experiments/NAME.toml (or a path) -> (Grid, description)."""
    from cimbench.paths import read_toml

    p = Path(name)
    path = p if p.suffix == ".toml" and p.is_file() else experiments_dir() / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"unknown experiment '{name}'; choose one of: "
                          f"{', '.join(list_experiments()) or '(none)'}")
    d = read_toml(path)
    valid = {"description", "citation", "fixed", "grid", "quick", "plot"}
    bad = sorted(set(d) - valid)
    if bad:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(bad)}; valid: {', '.join(sorted(valid))}")
    fixed = dict(d.get("fixed", {}))
    grid = dict(d.get("grid", {}))
    if quick:
        q = d.get("quick", {})
        fixed.update(q.get("fixed", {}))
        for k, v in q.get("grid", {}).items():
            grid[k] = v
        # a flag fixed by quick leaves the grid, and vice versa
        for k in q.get("fixed", {}):
            grid.pop(k, None)
        for k in q.get("grid", {}):
            fixed.pop(k, None)
    g = Grid(name=path.stem + ("-quick" if quick else ""), plot=dict(d.get("plot", {})))
    params = run_params()
    for k, v in fixed.items():
        if "." in k:
            g.sets_fixed.append(f"{k}={_value_text(k, v)}")
            continue
        n = flag_name(k)
        if n not in params:
            raise ConfigError(f"{path}: [fixed] unknown flag '{k}'")
        if n == "sets":
            g.sets_fixed += [_value_text(n, x) for x in (v if isinstance(v, list) else [v])]
        else:
            g.fixed[n] = _value_text(n, v)
    for k, v in grid.items():
        vals = v if isinstance(v, list) else [v]
        if not vals:
            raise ConfigError(f"{path}: [grid] '{k}' has no values")
        if "." in k:
            g.dims[f"set.{k}"] = [f"{k}={_value_text(k, x)}" for x in vals]
            continue
        n = flag_name(k)
        if n not in params or n == "sets":
            raise ConfigError(f"{path}: [grid] unknown flag '{k}'")
        g.dims[n] = [_value_text(n, x) for x in vals]
    return g, str(d.get("description", ""))


def _set_field(assignment: str) -> str:
    """'train.lr=0.1' -> 'train.lr' (the field a --set assigns)."""
    return assignment.split("=", 1)[0].strip()


def merge(base: Grid, over: Grid) -> Grid:
    """Command-line flags over an experiment: a flag given on the command line replaces it,
    and so does a --set of a field (fixed or swept) over the experiment's value of that field."""
    over_sets = {_set_field(a) for a in over.sets_fixed} | {k[4:] for k in over.dims
                                                              if k.startswith("set.")}
    g = Grid(fixed=dict(base.fixed), dims=dict(base.dims),
             sets_fixed=[a for a in base.sets_fixed if _set_field(a) not in over_sets],
             name=base.name, plot=dict(base.plot))
    for f in over_sets:
        g.dims.pop(f"set.{f}", None)
    for k, v in over.fixed.items():
        g.dims.pop(k, None)
        g.fixed[k] = v
    for k, v in over.dims.items():
        g.fixed.pop(k, None)
        g.dims[k] = v
    g.sets_fixed += over.sets_fixed
    return g


def expand(grid: Grid) -> list[Cell]:
    """The cells of a grid in grid order (last dimension fastest); flags typed like click's."""
    params = run_params()
    base: dict[str, Any] = {name: (() if name == "sets" else None) for name in params}
    base["protocol"] = params["protocol"].default
    for k, v in grid.fixed.items():
        base[k] = _coerce(k, v, params)
    names = list(grid.dims)
    cells = []
    for i, combo in enumerate(itertools.product(*(grid.dims[n] for n in names))):
        flags = dict(base)
        sets = list(grid.sets_fixed)
        for n, v in zip(names, combo):
            if n.startswith("set."):
                sets.append(v)
            else:
                flags[n] = _coerce(n, v, params)
        flags["sets"] = tuple(sets)
        params_txt = {n: (v.split("=", 1)[1] if n.startswith("set.") else v)
                      for n, v in zip(names, combo)}
        cells.append(Cell(i, flags, params_txt))
    return cells


def grid_column(dim: str) -> str:
    """Column of OUT/summary.csv holding a swept flag's value: c2c -> grid_c2c."""
    return "grid_" + (dim[4:] if dim.startswith("set.") else dim)


# ----------------------------------------------------------------------------- validation

def validate(cells: list[Cell], check_data: bool = True) -> list[Cell]:
    """Build every cell's configuration (and check it against its data set) before anything
    runs; fill run_id; drop duplicate configurations (keeping the first). Raises ConfigError
    naming the first bad cell."""
    from cimbench import runner
    from cimbench.cli import config_from_flags

    seen: dict[str, int] = {}
    data_cache: dict = {}
    out = []
    for c in cells:
        try:
            cfg = config_from_flags(c.flags)
            if check_data:
                runner.check_data(cfg, data_cache)
        except CimbenchError as e:
            raise type(e)(f"cell {c.index} ({c.label}): {e}") from None
        c.run_id = cfg.run_id
        if c.run_id in seen:
            print(f"warning: cell {c.index} ({c.label}) repeats cell {seen[c.run_id]}; "
                  "skipped", file=sys.stderr)
            continue
        seen[c.run_id] = c.index
        out.append(c)
    return out


# ----------------------------------------------------------------------------- workers

def _set_single_thread() -> None:
    for v in THREAD_VARS:
        os.environ[v] = "1"


def run_cell(flags: dict, out_dir: str, run_id: str) -> str:
    """Run one cell into out_dir (top-level: picklable for spawn/forkserver pools).

    An unexpected exception becomes a CimbenchError (the sweep goes on with the other cells);
    its traceback is kept in out_dir/error.txt."""
    from cimbench import runner
    from cimbench.cli import config_from_flags

    try:
        cfg = config_from_flags(flags)
        if cfg.run_id != run_id:
            raise CimbenchError(f"cell {run_id}: worker built configuration {cfg.run_id} "
                                "(presets differ between the client and this worker?)")
        runner.run(cfg, Path(out_dir), _cell_argv(flags), quiet=True)
    except CimbenchError:
        raise
    except Exception as e:
        import traceback
        try:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            (Path(out_dir) / "error.txt").write_text(traceback.format_exc())
        except OSError:
            pass
        raise CimbenchError(f"{type(e).__name__}: {e} (traceback in {out_dir}/error.txt)") from None
    return run_id


def _worker_init() -> None:
    """Pool worker: die with the sweep process (Linux), so a killed sweep leaves no orphan
    writing into a cell that the resumed sweep redoes."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the sweep's to handle: it stops us
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if os.getppid() == 1:  # the parent died before prctl
                os._exit(1)
        except (OSError, AttributeError):
            pass


def _stop_workers(pool) -> None:
    """Shut a process pool down and terminate its workers: cancel_futures alone leaves the
    cells already handed to them (one running and one queued per worker) running to the end.
    Their half-written cell folders are deleted when the sweep resumes."""
    stop = getattr(pool, "terminate_workers", None)   # Python >= 3.14
    if stop is not None:
        stop()
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())   # gone after shutdown
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.terminate()


def run_cell_files(flags: dict, run_id: str) -> dict[str, bytes]:
    """Run one cell in a private temporary folder and return its files (for remote workers
    that share no file system with the client)."""
    tmp = tempfile.mkdtemp(prefix="cimbench-cell-")
    try:
        run_cell(flags, tmp, run_id)
        return {p.name: p.read_bytes() for p in Path(tmp).iterdir() if p.is_file()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cell_argv(flags: dict) -> list[str]:
    """The `cimbench run` command line that reproduces a cell (recorded in its manifest)."""
    argv = ["run"]
    for k, v in flags.items():
        if k == "sets":
            for s in v:
                argv += ["--set", s]
        elif v is not None:
            argv += [cli_flag(k), str(v)]
    return argv


# ----------------------------------------------------------------------------- results

SUMMARY = "summary.csv"


def cell_dir(out: Path, c: Cell) -> Path:
    return Path(out) / "cells" / c.run_id


def finished(out: Path, c: Cell) -> bool:
    return (cell_dir(out, c) / SUMMARY).is_file()


def _read_row(path: Path) -> tuple[list[str], list[str]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) != 2:
        raise CimbenchError(f"{path}: expected a header and one row")
    return rows[0], rows[1]


def summary_text(out: Path, cells: list[Cell], dims: Iterable[str],
                 read: dict[int, tuple] | None = None) -> str:
    """OUT/summary.csv from the finished cells' own summary.csv files, in grid order.

    Values are copied as text, so the file's bytes depend only on the cells' results. `read`
    (cell index -> its row) keeps rows already read, so each cell's file is read once."""
    from cimbench.report import csv_text

    dims = list(dims)
    read = {} if read is None else read
    lead = ["cell"] + [grid_column(d) for d in dims]
    columns: list[str] = []
    rows = []
    for c in cells:
        if c.index not in read:
            p = cell_dir(out, c) / SUMMARY
            if not p.is_file():
                continue
            read[c.index] = _read_row(p)
        head, vals = read[c.index]
        row = dict(zip(head, vals))
        row["cell"] = str(c.index)
        for d in dims:
            row[grid_column(d)] = c.params[d]
        columns += [h for h in head if h not in columns]
        rows.append(row)
    return csv_text(rows, lead + [h for h in columns if h not in lead])


def write_summary(out: Path, cells: list[Cell], dims: Iterable[str],
                  read: dict[int, tuple] | None = None) -> None:
    from cimbench.report import atomic_write_text
    atomic_write_text(Path(out) / SUMMARY, summary_text(out, cells, dims, read))


def write_spec(out: Path, grid: Grid, cells: list[Cell], description: str = "") -> None:
    from cimbench.report import write_json
    write_json(Path(out) / "sweep.json", {
        "name": grid.name, "description": description, "fixed": grid.fixed,
        "dims": grid.dims, "sets": grid.sets_fixed, "plot": grid.plot,
        "cells": [{"cell": c.index, "run_id": c.run_id, "params": c.params} for c in cells],
    })


# ----------------------------------------------------------------------------- executors

@dataclass
class SweepResult:
    out: Path
    total: int
    skipped: int
    ran: int
    failed: list[tuple[Cell, str]]


def _progress(total: int, initial: int, quiet: bool):
    interactive = sys.stderr.isatty() and not quiet
    if not interactive:
        return None
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, unit="cell", file=sys.stderr, dynamic_ncols=True)


def run_sweep(grid: Grid, cells: list[Cell], out: Path, jobs: int = 1, executor: str = "local",
              scheduler: str | None = None, quiet: bool = False,
              description: str = "") -> SweepResult:
    """Run the unfinished cells; OUT/summary.csv is rebuilt after each finished cell."""
    out = Path(out)
    def log(s: str) -> None:
        print(s, file=sys.stderr)

    dims = list(grid.dims)
    client = _dask_client(scheduler) if executor == "dask" else None  # before any file
    out.mkdir(parents=True, exist_ok=True)
    write_spec(out, grid, cells, description)
    done = [c for c in cells if finished(out, c)]
    todo = [c for c in cells if not finished(out, c)]
    rows_read: dict[int, tuple] = {}
    write_summary(out, cells, dims, rows_read)
    if done and not quiet:
        log(f"resume: {len(done)} of {len(cells)} cells already finished")
    for c in todo:  # leftovers of an interrupted cell: start it afresh
        d = cell_dir(out, c)
        if d.exists():
            shutil.rmtree(d)
    bar = _progress(len(cells), len(done), quiet)
    failed: list[tuple[Cell, str]] = []
    n_ok = len(done)

    def on_done(c: Cell, err: str | None) -> None:
        nonlocal n_ok
        if err is None:
            write_summary(out, cells, dims, rows_read)
            n_ok += 1
        else:
            failed.append((c, err))
        if bar is not None:
            bar.update(1)
        elif not quiet:
            state = "ok" if err is None else f"FAILED: {err}"
            log(f"[{n_ok + len(failed)}/{len(cells)}] cell {c.index} {c.run_id} ({c.label}): {state}")

    try:
        if client is not None:
            _run_dask(todo, out, client, on_done)
        elif todo:
            _run_pool(todo, out, jobs, on_done)
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    return SweepResult(out, len(cells), len(done), len(todo) - len(failed), failed)


def _run_pool(todo: list[Cell], out: Path, jobs: int, on_done) -> None:
    """Cells in `jobs` spawned worker processes, each with single-threaded BLAS. Also for
    jobs=1: a multi-threaded BLAS may sum in another order, and results must not depend on
    the number of jobs (nor on the machine's core count)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    _set_single_thread()  # inherited by the workers, read when they import numpy
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=mp.get_context("spawn"),
                               initializer=_worker_init)
    try:
        futs = {pool.submit(run_cell, c.flags, str(cell_dir(out, c)), c.run_id): c for c in todo}
        for f in as_completed(futs):
            c = futs[f]
            try:
                f.result()
            except CimbenchError as e:
                on_done(c, str(e))
            except BrokenProcessPool:
                raise CimbenchError("a worker process died (out of memory? killed?); rerun the "
                                    "same command to resume") from None
            else:
                on_done(c, None)
    except BaseException:   # Ctrl-C, a broken pool: stop now, not after the queued cells
        _stop_workers(pool)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        for v, val in saved.items():
            if val is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = val


def _dask_client(scheduler: str | None):
    try:
        from dask.distributed import Client
    except ImportError:
        raise CimbenchError("the dask executor needs the 'distributed' extra: "
                            "pip install 'cimbench[distributed]'") from None
    if not scheduler:
        raise CimbenchError("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
    try:
        return Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as e:
        raise CimbenchError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None


def _run_dask(todo: list[Cell], out: Path, client, on_done) -> None:
    from dask.distributed import as_completed

    futs = {client.submit(run_cell_files, c.flags, c.run_id, key=f"cimbench-{c.run_id}",
                          pure=False): c for c in todo}
    try:
        for f in as_completed(list(futs)):
            c = futs[f]
            try:
                files = f.result()
            except CimbenchError as e:
                on_done(c, str(e))
                continue
            d = cell_dir(out, c)
            d.mkdir(parents=True, exist_ok=True)
            # summary.csv last: it marks the cell finished
            for name in sorted(files, key=lambda n: n == SUMMARY):
                atomic_write_bytes(d / name, files[name])
            on_done(c, None)
    except BaseException:   # Ctrl-C: cells already running on the cluster cannot be stopped;
        client.cancel(list(futs))   # they finish there and their files are never written here
        raise


def default_out(grid: Grid) -> Path:
    return Path("sweeps") / (grid.name or grid.digest())
