"""Layers written in plain NumPy, each with a correct and a realistically buggy backward.

These modules never use diffcheck: they are code as an ML engineer writes it, which
``tests/checking/test_numpy_layers.py`` checks with ``dc.check_vjp``. Each module has
``forward``, ``backward`` (right), ``backward_buggy`` (a named mistake) and ``example()``,
the inputs ``at``.
"""
