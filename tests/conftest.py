"""Fixtures shared across the suite."""

import pytest

from diffcheck.ops import REGISTRY


@pytest.fixture
def plant_matmul_bug(monkeypatch):
    """Scale the VJPs of matmul's ``inputs`` by ``factor``: a wrong rule the tape then runs."""
    record = type(REGISTRY["matmul"])
    original = record._rule

    def plant(factor: float = 2.0, inputs: tuple[int, ...] = (0, 1)) -> None:
        def rule(k, *case):
            correct = original(k, *case)
            return (lambda *args: factor * correct(*args)) if k in inputs else correct

        monkeypatch.setattr(record, "_rule", staticmethod(rule))

    return plant
