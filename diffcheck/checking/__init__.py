"""The check pipeline: points, which reference is affordable, three derivations, one comparison.

``pipeline.run_check`` is the one run behind ``dc.check``, ``dc.check_gradient`` and
``dc.check_chain``; ``report`` is what it returns.
"""
