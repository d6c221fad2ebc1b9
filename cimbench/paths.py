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
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def looks_like_path(name: str) -> bool:
    """A preset argument is a file path if it ends in .toml or names a folder; else a name."""
    import os
    return name.endswith(".toml") or os.sep in name or (os.altsep or os.sep) in name
