"""Modules imported on first use, so ``import diffcheck`` (and its pytest plugin) stays light."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    """A stand-in that imports the real module the first time an attribute is read."""

    def __init__(self, name: str):
        super().__init__(name)
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


sympy: Any = LazyModule("sympy")
