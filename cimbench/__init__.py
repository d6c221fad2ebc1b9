"""cimbench: learning rules trained in situ on simulated compute-in-memory arrays."""

__version__ = "0.1.0"
