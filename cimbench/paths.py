"""Where the presets live: inside the package in a wheel, at the repo's top level in a checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import cimbench

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def presets_dir() -> Path:
    """The presets folder: cimbench/presets in a wheel, else ../presets next to the package."""
    packaged = Path(cimbench.__file__).parent / "presets"
    return packaged if packaged.is_dir() else Path(cimbench.__file__).parent.parent / "presets"


def read_toml(path: Path) -> dict:
    """Parse a TOML file; syntax errors become one-line ConfigErrors naming the file."""
    from cimbench.errors import ConfigError

    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
