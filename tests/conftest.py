"""Fixtures shared across the suite."""

import pytest

from diffcheck.ops import REGISTRY


@pytest.fixture
def plant_matmul_bug(monkeypatch):
    """Scale the VJPs of matmul's ``inputs`` by ``factor``: a wrong rule the tape then runs
    (whichever kernel or plain rule ``backends.kernels`` picks for it)."""
    from diffcheck.backends import kernels

    original = kernels.vjp_for

    def plant(factor: float = 2.0, inputs: tuple[int, ...] = (0, 1)) -> None:
        def vjp_for(record, k, *case):
            correct = original(record, k, *case)
            if record is not REGISTRY["matmul"] or k not in inputs:
                return correct
            return lambda *args, **params: factor * correct(*args, **params)

        monkeypatch.setattr(kernels, "vjp_for", vjp_for)

    return plant
