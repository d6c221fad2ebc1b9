"""Data sets: an IDX reader that checks magic numbers, shapes and checksums; the embedded MNIST;
preprocessing (scale to [0, 1], central crop, binarize).

IDX format (LeCun et al.): big-endian header, magic 0x00000801 (labels, uint8) or 0x00000803
(images, uint8, rows x cols), then the raw bytes.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cimbench.errors import DataError

EMBEDDED = Path(__file__).parent / "data"

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# SHA-256 of the gzip files (shared/data/SHA256SUMS; gzip -6 -n, reproducible bytes).
KNOWN_SHA256 = {
    "mnist": {
        "t10k-images-idx3-ubyte.gz": "c99a2fc9c8f7934dac9481251fc235227437fdcccfb8de53efcb767a8c3b057e",
        "t10k-labels-idx1-ubyte.gz": "e2650e6732b191c90c7705906a2d65c6c0a20efb31f5c53d1b2b0bda74d911e9",
        "train-images-idx3-ubyte.gz": "12bacf187eba4f770a04d97be5dbaad9289fe5d89a89729b6af3255c8bbfa9e1",
        "train-labels-idx1-ubyte.gz": "7f4ede8117c9f121a708539f3c1b71dc8cb827447542df31cdf7b815d0762e1f",
    },
    "fashion-mnist": {
        "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    },
}

DATASETS = ("mnist", "fashion-mnist", "idx")
KNOWN_SHAPES = {"mnist": ((28, 28), 10), "fashion-mnist": ((28, 28), 10)}  # image, classes


@dataclass(frozen=True)
class Dataset:
    """Images as float32 rows in [0, 1] (or {0, 1} when binarized), labels as int64."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    n_classes: int = 10

    @property
    def n_inputs(self) -> int:
        return int(self.x_train.shape[1])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_sums(folder: Path) -> dict[str, str]:
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return {}
    out = {}
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[Path(parts[1].lstrip("*")).name] = parts[0]
    return out


def read_idx(path: Path, expect_dims: int) -> np.ndarray:
    """Read one IDX file (plain or .gz) of unsigned bytes with `expect_dims` dimensions."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if len(raw) < 4:
        raise DataError(f"{path}: too short to be an IDX file")
    zero, dtype_code, ndim = int.from_bytes(raw[0:2], "big"), raw[2], raw[3]
    if zero != 0 or dtype_code != 0x08 or ndim != expect_dims:
        magic = raw[0:4].hex()
        want = f"0000080{expect_dims}"
        raise DataError(f"{path}: bad IDX magic 0x{magic}, expected 0x{want}")
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + int(np.prod(dims)):
        raise DataError(f"{path}: {len(raw) - header} data bytes, header promises shape {dims}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing {stem}[.gz] (an IDX data directory holds "
                    f"{', '.join(FILES.values())})")


def load_idx_dir(folder: Path, name: str, known: dict[str, str] | None = None) -> Dataset:
    """Load the four standard IDX files from a folder, verifying checksums where known."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"data directory not found: {folder}")
    sums = dict(known or {})
    sums.update(_read_sums(folder))
    arrays = {}
    for key, stem in FILES.items():
        path = _find(folder, stem)
        if path.name in sums and _sha256(path) != sums[path.name]:
            raise DataError(f"{path}: SHA-256 checksum mismatch (file corrupt or not {name})")
        arrays[key] = read_idx(path, 3 if key.endswith("images") else 1)
    for split in ("train", "test"):
        ni, nl = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if ni != nl:
            raise DataError(f"{folder}: {split} set has {ni} images but {nl} labels")
    shape = arrays["train_images"].shape[1:]
    if arrays["test_images"].shape[1:] != shape:
        raise DataError(f"{folder}: train images are {shape}, test images "
                        f"{arrays['test_images'].shape[1:]}")
    n_classes = int(max(arrays["train_labels"].max(), arrays["test_labels"].max())) + 1
    return Dataset(
        name=name,
        x_train=arrays["train_images"], y_train=arrays["train_labels"].astype(np.int64),
        x_test=arrays["test_images"], y_test=arrays["test_labels"].astype(np.int64),
        image_shape=(int(shape[0]), int(shape[1])), n_classes=n_classes,
    )


def preprocess(images: np.ndarray, crop: int | None, binarize: float | None) -> np.ndarray:
    """uint8 images (n, h, w) -> float32 rows in [0, 1]: central crop, then optional threshold."""
    if crop is not None:
        h, w = images.shape[1:]
        top, left = (h - crop) // 2, (w - crop) // 2
        images = images[:, top:top + crop, left:left + crop]
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
    if binarize is not None:
        x = (x >= binarize).astype(np.float32)
    return x


def _cropped(h: int, w: int, crop: int | None) -> tuple[int, int]:
    """Image side after the central crop (checked against the images)."""
    if crop is not None and not 0 < crop <= min(h, w):
        raise DataError(f"crop {crop} does not fit images of {h}x{w}")
    return (crop, crop) if crop is not None else (h, w)


def known_shape(name: str, crop: int | None = None) -> Dataset:
    """An empty Dataset with the published shape of a known set (for checks that need no
    images, e.g. pricing a configuration without training)."""
    (h, w), n_classes = KNOWN_SHAPES[name]
    side = _cropped(h, w, crop)
    empty = np.zeros((0, side[0] * side[1]), np.float32)
    labels = np.zeros(0, np.int64)
    return Dataset(name, empty, labels, empty, labels, side, n_classes)


def load_dataset(name: str, data_dir: str | None = None, crop: int | None = None,
                 binarize: float | None = None, train_limit: int | None = None,
                 test_limit: int | None = None) -> Dataset:
    """Load a data set by name ('mnist' is embedded; others need data_dir) and preprocess it."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset '{name}'; choose one of: {', '.join(DATASETS)}")
    if name == "mnist" and data_dir is None:
        raw = load_idx_dir(EMBEDDED / "mnist", "mnist")
    else:
        if data_dir is None:
            raise DataError(f"dataset '{name}' needs --data-dir DIR holding its four IDX files")
        raw = load_idx_dir(Path(data_dir), name, KNOWN_SHA256.get(name))
    side = _cropped(*raw.image_shape, crop)
    ntr = len(raw.y_train) if train_limit is None else min(train_limit, len(raw.y_train))
    nte = len(raw.y_test) if test_limit is None else min(test_limit, len(raw.y_test))
    return Dataset(
        name=name,
        x_train=preprocess(raw.x_train[:ntr], crop, binarize), y_train=raw.y_train[:ntr],
        x_test=preprocess(raw.x_test[:nte], crop, binarize), y_test=raw.y_test[:nte],
        image_shape=side, n_classes=raw.n_classes,
    )
