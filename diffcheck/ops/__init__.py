"""The op table: ``REGISTRY`` maps each op name to its one record (see ``base``)."""

from diffcheck.ops import arithmetic, elementwise, linalg, reductions  # noqa: F401  (registers)
from diffcheck.ops.base import REGISTRY, Op, op, unbroadcast

__all__ = ["REGISTRY", "Op", "op", "unbroadcast"]
