"""csm-kit: customer-success analytics, computed correctly and explained.

>>> import csm_kit
>>> ds = csm_kit.load_dataset("data/sample")        # doctest: +SKIP
>>> csm_kit.metrics.nps([10, 9, 3]).score            # doctest: +SKIP
33.33...
"""
from __future__ import annotations

import importlib

from .contract import TABLES
from .dataset import Dataset
from .exceptions import DataValidationError, DataValidationWarning, MissingTableError, NotFittedError

__version__ = "0.1.0"

# Heavier parts load on first use, so `import csm_kit` stays fast in notebooks.
_LAZY = {
    "load_dataset": ("csm_kit.io.loaders", "load_dataset"),
    "simulate": ("csm_kit.simulator", "simulate"),
    "load_cdnow": ("csm_kit.datasets", "load_cdnow"),
    "load_sample": ("csm_kit.datasets", "load_sample"),
    "report_data": ("csm_kit.datasets", "report_data"),
    "from_snapshot": ("csm_kit.io.snapshot_import", "from_snapshot"),
    "metrics": ("csm_kit.metrics", None),
    "models": ("csm_kit.models", None),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'csm_kit' has no attribute {name!r}")
    module, attr = _LAZY[name]
    mod = importlib.import_module(module)
    return mod if attr is None else getattr(mod, attr)


__all__ = [
    "Dataset",
    "TABLES",
    "DataValidationError",
    "DataValidationWarning",
    "MissingTableError",
    "NotFittedError",
    *_LAZY,
]
