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


def _unary_elementwise():
    for name, record in sorted(REGISTRY.items()):
        if record.sympy_route == "elementwise":
            for sample in record.samples:
                if len(sample.shapes) == 1 and len(sample.shapes[0]) >= 1:
                    yield name, sample


@pytest.mark.parametrize(("name", "sample"), list(_unary_elementwise()))
def test_an_elementwise_op_is_probed_one_element_with_the_whole_nodes_counts(name, sample, monkeypatch):
    record = REGISTRY[name]
    shape = (2, 3) if len(sample.shapes[0]) > 1 else (4,)
    node = apply(name, Var("x", shape), **sample.params)
    sympy_size.local_paths.cache_clear()
    one = sympy_size.local_paths(record, (shape,), node.params)
    monkeypatch.setattr(type(record), "sympy_route", "lower")
    sympy_size.local_paths.cache_clear()
    whole = sympy_size.local_paths(record, (shape,), node.params)
    sympy_size.local_paths.cache_clear()
    assert counts(one) == counts(whole)
    np.testing.assert_array_equal(one.own, whole.own)
