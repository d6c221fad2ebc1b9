"""Apply a list of click options as one decorator, so commands share flag groups."""

from __future__ import annotations


def with_options(options):
    """Decorate a command with every option in `options`, in the listed order of --help."""
    def deco(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco
