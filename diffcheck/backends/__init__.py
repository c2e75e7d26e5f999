"""The three independent derivations: ``symbolic`` (SymPy), ``tape`` (reverse mode), ``numeric``.

Each backend reads only its own fields of the op records; none calls another's rules.
"""
