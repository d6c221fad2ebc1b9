"""IDX reading and preprocessing against the published facts of MNIST."""

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from cimbench.dataset import FILES, load_dataset, read_idx
from cimbench.errors import DataError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def test_embedded_mnist_has_published_shape_and_statistics(mnist):
    assert mnist.x_train.shape == (60000, 784) and mnist.x_test.shape == (10000, 784)
    assert mnist.x_train.dtype == np.float32
    assert float(mnist.x_train.mean()) == pytest.approx(0.1307, abs=1e-4)
    assert float(mnist.x_train.std()) == pytest.approx(0.3081, abs=1e-4)
    assert np.bincount(mnist.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918,
                                                   6265, 5851, 5949]


def test_crop_and_binarize():
    d = load_dataset("mnist", crop=20, binarize=0.5, train_limit=100, test_limit=10)
    assert d.x_train.shape == (100, 400) and d.image_shape == (20, 20)
    assert set(np.unique(d.x_train)) == {0.0, 1.0}
    full = load_dataset("mnist", train_limit=100, test_limit=10)
    img = full.x_train.reshape(-1, 28, 28)[:, 4:24, 4:24].reshape(100, -1)
    assert np.array_equal(d.x_train, (img >= 0.5).astype(np.float32))


def _write_idx(path: Path, arr: np.ndarray, magic_dims: int | None = None):
    dims = arr.ndim if magic_dims is None else magic_dims
    header = bytes([0, 0, 8, dims]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def _fake_dir(tmp_path: Path, n=20) -> Path:
    rng = np.random.default_rng(0)
    for key, stem in FILES.items():
        shape = (n, 8, 8) if key.endswith("images") else (n,)
        _write_idx(tmp_path / f"{stem}.gz", rng.integers(0, 256 if len(shape) > 1 else 3, shape))
    return tmp_path


def test_any_idx_directory_loads(tmp_path):
    d = load_dataset("idx", str(_fake_dir(tmp_path)))
    assert d.x_train.shape == (20, 64) and d.n_classes == 3


def test_bad_magic_is_rejected(tmp_path):
    path = tmp_path / "x.gz"
    _write_idx(path, np.zeros((2, 3, 3)), magic_dims=1)
    with pytest.raises(DataError, match="bad IDX magic"):
        read_idx(path, 3)


def test_truncated_file_is_rejected(tmp_path):
    path = tmp_path / "x.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + bytes(5))
    with pytest.raises(DataError, match="header promises"):
        read_idx(path, 1)


def test_checksum_mismatch_is_rejected(tmp_path):
    folder = _fake_dir(tmp_path)
    (folder / "SHA256SUMS").write_text("0" * 64 + "  train-labels-idx1-ubyte.gz\n")
    with pytest.raises(DataError, match="checksum"):
        load_dataset("idx", str(folder))


def test_missing_directory_and_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_dataset("idx", str(tmp_path / "nope"))
    with pytest.raises(DataError, match="missing"):
        load_dataset("idx", str(tmp_path))
    with pytest.raises(DataError, match="needs --data-dir"):
        load_dataset("fashion-mnist")


@pytest.mark.skipif(not (SHARED / "fashion-mnist").is_dir(), reason="shared data not present")
def test_fashion_mnist_from_directory_with_known_checksums(tmp_path):
    d = load_dataset("fashion-mnist", str(SHARED / "fashion-mnist"), test_limit=10)
    assert float(d.x_train.mean()) == pytest.approx(0.2860, abs=1e-4)
    # a corrupted copy fails the built-in checksum
    for f in (SHARED / "fashion-mnist").iterdir():
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").chmod(0o644)
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "rb") as f:
        raw = bytearray(f.read())
    raw[-1] = (raw[-1] + 1) % 10
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(bytes(raw))
    with pytest.raises(DataError, match="checksum"):
        load_dataset("fashion-mnist", str(tmp_path))
