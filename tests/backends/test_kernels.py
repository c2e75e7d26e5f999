"""Every fast path in ``backends.kernels`` equals the record's plain rule on random inputs."""

import numpy as np
import pytest

from diffcheck.backends import kernels
from diffcheck.ops import REGISTRY
from diffcheck.ops.arithmetic import Pow
from diffcheck.ops.arrays import unbroadcast
from diffcheck.ops.linalg import Matmul
from diffcheck.ops.reductions import Reduction


def test_every_specialised_class_is_tested_here():
    assert set(kernels.SPECIALISED) == {Matmul, Pow, Reduction}


def assert_kernel_equals_plain(record, in_shapes, batch, inputs, params=None, g=None, rng=None):
    """The rule the tape runs and the plain rule agree for every input; returns both per input."""
    params = params or {}
    out = record.forward(*inputs, **params)
    g = rng.standard_normal(batch + np.shape(out)) if g is None else g
    for k in range(len(inputs)):
        fast = kernels.vjp_for(record, k, in_shapes, np.shape(out), len(batch), params)
        plain = kernels.plain_vjp(record, k, in_shapes, np.shape(out), len(batch))
        expected = plain(g, out, *inputs, **params)
        np.testing.assert_allclose(fast(g, out, *inputs, **params), expected, rtol=1e-13, atol=1e-15)
        assert np.shape(expected) == batch + in_shapes[k]


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((70, 60), (60,)), ((60,), (60, 70)), ((50, 60), (60, 40))]  # the last three: large


@pytest.mark.parametrize("x_shape, y_shape", MATMUL_SHAPES)
@pytest.mark.parametrize("batch", [(), (3,), (2, 2)])
def test_matmul_kernels_equal_the_plain_rule(x_shape, y_shape, batch):
    rng = np.random.default_rng(sum(x_shape) + len(batch))
    inputs = (rng.standard_normal(x_shape), rng.standard_normal(y_shape))
    assert_kernel_equals_plain(REGISTRY["matmul"], (x_shape, y_shape), batch, inputs, rng=rng)


@pytest.mark.parametrize("x_shape, y_shape", [((4, 3), (3,)), ((3,), (3, 4)), ((3,), (3,))])
def test_matmul_kernels_on_a_jacobian_seed_take_the_sparse_route_exactly(x_shape, y_shape):
    """A diagonal seed (few non-zeros per row) goes through the sparse outer product."""
    rng = np.random.default_rng(1)
    inputs = (rng.standard_normal(x_shape), rng.standard_normal(y_shape))
    out_shape = np.shape(inputs[0] @ inputs[1])
    m = int(np.prod(out_shape))
    seed = np.eye(m).reshape((m,) + out_shape)
    assert_kernel_equals_plain(REGISTRY["matmul"], (x_shape, y_shape), (m,), inputs, g=seed, rng=rng)


@pytest.mark.parametrize("nonzero", [1, 3, 12])
def test_outer_products_are_exact_on_the_sparse_and_dense_routes(nonzero):
    rng = np.random.default_rng(nonzero)
    g = np.zeros((4, 3))
    g.flat[rng.choice(12, nonzero, replace=False)] = rng.standard_normal(nonzero)
    v = rng.standard_normal(5)
    np.testing.assert_array_equal(kernels.outer(g, v), g[..., None] * v)


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), ())])
def test_small_products_run_forward_through_np_dot_with_the_same_values(shapes):
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    record = REGISTRY["matmul"]
    assert kernels.forward_for(record, (x.shape, y.shape)) is np.dot
    assert kernels.forward_for(record, ((100, 50), (50, 40))) is record.forward
    np.testing.assert_allclose(np.dot(x, y), record.forward(x, y), rtol=1e-14)
    assert kernels.forward_for(REGISTRY["add"], shapes) is REGISTRY["add"].forward


@pytest.mark.parametrize("exponent", [2.0, 3.0, 0.0, -1.0, 0.5])
@pytest.mark.parametrize("x_shape", [(2, 3), ()])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_pow_kernel_equals_the_plain_rule(exponent, x_shape, batch):
    rng = np.random.default_rng(4)
    inputs = (rng.uniform(0.5, 2.0, x_shape), np.array(exponent))
    assert_kernel_equals_plain(REGISTRY["pow"], (x_shape, ()), batch, inputs, rng=rng)


def test_pow_kernel_applies_only_to_a_scalar_exponents_base():
    record = REGISTRY["pow"]
    assert kernels.SPECIALISED[Pow](record, 0, ((2,), (2,)), (2,), 0, {}) is None
    assert kernels.SPECIALISED[Pow](record, 1, ((2,), ()), (2,), 0, {}) is None


@pytest.mark.parametrize("name", ["sum", "mean"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (0, 1, 2)])
@pytest.mark.parametrize("batch", [(), (3,)])
def test_reduction_kernels_equal_the_plain_rule(name, axis, batch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4))
    record = REGISTRY[name]
    params = record.canonical(x.shape, axis=axis)
    assert_kernel_equals_plain(record, (x.shape,), batch, (x,), params, rng=rng)


@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 1), (1, 3)), ((), (2, 3)),
                                    ((2, 3), (2, 3))])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_unbroadcast_over_fixed_axes_equals_the_dynamic_one(shapes, batch):
    rng = np.random.default_rng(6)
    out_shape = np.broadcast_shapes(*shapes)
    g = rng.standard_normal(batch + out_shape)
    for shape in shapes:
        wrapped = kernels.unbroadcast_to(lambda g, out, x, y: g * 2.0, shape, out_shape, len(batch))
        expected = unbroadcast(g * 2.0, shape, len(out_shape))
        np.testing.assert_array_equal(wrapped(g, None, None, None), expected)


def test_a_stand_in_gives_its_shape_and_refuses_arithmetic():
    unread = kernels.Unread((2, 3))
    assert (unread.shape, unread.ndim, unread.size, unread.dtype) == ((2, 3), 2, 6, np.float64)
    for use in (lambda u: np.ones(3) * u, lambda u: np.cos(u), lambda u: u > 0, lambda u: np.asarray(u)):
        with pytest.raises(TypeError):
            use(unread)
    with pytest.raises(AttributeError):
        unread.T  # noqa: B018
