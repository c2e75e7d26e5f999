"""diffcheck's pytest plugin under its documented name: ``-p diffcheck.pytest_plugin``.

The plugin itself is the top-level module ``_diffcheck_pytest`` (the ``pytest11`` entry
point ``diffcheck``), so that pytest can load it without importing this package; this
module is replaced by that same module object, so both names are one plugin.
"""

import sys

import _diffcheck_pytest

sys.modules[__name__] = _diffcheck_pytest
