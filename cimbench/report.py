"""Result files: atomic writes of CSV and JSON, the summary row of a run, and printing."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import secrets
from pathlib import Path
from typing import Iterable

TIMING_COLUMNS = ("seconds", "train_seconds", "wall_seconds")


def atomic_write_text(path: Path, text: str) -> None:
    """Write text atomically (UTF-8, newlines as given)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a unique name opened with mode 0666, so the umask applies as for any new file (mkstemp
    # would make it 0600)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fmt(v) -> str:
    """Stable text for a CSV cell: floats with repr (round-trip exact), None as empty."""
    if v is None:
        return ""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else repr(v)
    return str(v)


def csv_text(rows: Iterable[dict], columns: list[str] | None = None) -> str:
    rows = list(rows)
    if columns is None:
        columns = []
        for r in rows:
            columns += [k for k in r if k not in columns]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_fmt(r.get(c)) for c in columns])
    return buf.getvalue()


def write_csv(path: Path, rows: Iterable[dict], columns: list[str] | None = None) -> None:
    atomic_write_text(path, csv_text(rows, columns))


def write_json(path: Path, data: dict) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def table_text(rows: list[dict], columns: list[str], fmt: str = "github") -> str:
    from tabulate import tabulate
    return tabulate([[_short(r.get(c)) for c in columns] for r in rows], headers=columns,
                    tablefmt=fmt)


def _short(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return v
