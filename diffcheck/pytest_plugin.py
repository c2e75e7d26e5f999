"""diffcheck's pytest plugin under its documented name: ``-p diffcheck.pytest_plugin``.

The plugin itself is the top-level module ``diffcheck_pytest`` (the ``pytest11`` entry
point ``diffcheck``), so that pytest can load it without importing this package; this
module is replaced by that same module object, so both names are one plugin.
"""

import sys

import diffcheck_pytest

sys.modules[__name__] = diffcheck_pytest
