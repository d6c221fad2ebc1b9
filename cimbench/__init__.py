"""cimbench: learning rules trained in situ on simulated compute-in-memory arrays."""

import os as _os

__version__ = "0.1.0"

# One BLAS thread unless the user says otherwise (CIMBENCH_BLAS_THREADS): a matrix product
# summed in another order by another thread count changes the last bits, and stochastic
# pulse rounding can amplify that, so results would depend on the machine's core count.
# Set before NumPy is imported (the command line imports cimbench first); it overrides
# OMP_NUM_THREADS & co., which would otherwise make results depend on the user's shell.
BLAS_THREADS = _os.environ.get("CIMBENCH_BLAS_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ[_var] = BLAS_THREADS
