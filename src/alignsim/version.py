"""The installed version of alignsim, written into every output file (ledgers, batches, reports).

Its own module so that the modules writing outputs need not import the package's `__init__`
(which loads the public API).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alignsim")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0+unknown"

__all__ = ["__version__"]
