"""Probing the element-wise closed form's size: a group-by-group op is probed one group
at a time, with the same counts as probing the whole node."""

import numpy as np
import pytest

from diffcheck.backends import sympy_size
from diffcheck.ir import Var, apply
from diffcheck.ops import REGISTRY


def counts(paths):
    return counts_of(paths.reads[0])


def counts_of(reads):
    rows, cols, n = reads
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


def _elementwise():
    for name, record in sorted(REGISTRY.items()):
        if record.sympy_route == "elementwise":
            samples = [s for s in record.samples if s.shapes and len(s.shapes[0]) >= 1]
            if samples:
                yield name, samples[0]


@pytest.mark.parametrize(("name", "sample"), list(_elementwise()))
def test_an_elementwise_op_is_probed_one_element_with_the_whole_nodes_counts(name, sample, monkeypatch):
    record = REGISTRY[name]
    shape = (2, 3) if len(sample.shapes[0]) > 1 else (4,)
    node = apply(name, *(Var(n, shape) for n in "xyz"[:len(sample.shapes)]), **sample.params)
    sympy_size.local_paths.cache_clear()
    shapes = (shape,) * len(sample.shapes)
    one = sympy_size.local_paths(record, shapes, node.params)
    monkeypatch.setattr(type(record), "sympy_route", "lower")
    sympy_size.local_paths.cache_clear()
    whole = sympy_size.local_paths(record, shapes, node.params)
    sympy_size.local_paths.cache_clear()
    assert len(one.reads) == len(shapes)
    assert [counts_of(r) for r in one.reads] == [counts_of(r) for r in whole.reads]
    np.testing.assert_array_equal(one.own, whole.own)
