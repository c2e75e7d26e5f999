"""The op table: ``REGISTRY`` maps each op name to its one record (see ``base``).

Every module of this package is imported here, in name order, so an op is registered by
declaring it in any module of ``diffcheck/ops/``: no list of modules to edit.
"""

import importlib
import pkgutil

from diffcheck.ops.arrays import unbroadcast
from diffcheck.ops.base import REGISTRY, Op, op

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["REGISTRY", "Op", "op", "unbroadcast"]
