"""Probing the element-wise closed form's size: a group-by-group op is probed one group
at a time, with the same counts as probing the whole node."""

import numpy as np
import pytest

from diffcheck.backends import sympy_size
from diffcheck.ir import Var, apply
from diffcheck.ops import REGISTRY


def counts(paths):
    rows, cols, n = paths.reads[0]
    return sorted(zip(rows.tolist(), cols.tolist(), n.tolist()))


@pytest.mark.parametrize("name, shape, params", [
    ("layer_norm", (3, 5), {}), ("softmax", (4, 3), {"axis": 0}), ("log_softmax", (2, 3, 4), {"axis": 1}),
])
def test_one_group_probed_gives_the_whole_nodes_counts(name, shape, params, monkeypatch):
    record = REGISTRY[name]
    node = apply(name, Var("x", shape), **params)
    sympy_size.local_paths.cache_clear()
    grouped = sympy_size.local_paths(record, (shape,), node.params)
    monkeypatch.setattr(type(record), "groups", None)
    sympy_size.local_paths.cache_clear()
    whole = sympy_size.local_paths(record, (shape,), node.params)
    sympy_size.local_paths.cache_clear()
    assert counts(grouped) == counts(whole)
    np.testing.assert_array_equal(grouped.own, whole.own)
