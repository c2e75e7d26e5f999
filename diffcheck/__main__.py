"""``python -m diffcheck`` is the ``diffcheck`` command."""

import sys

from diffcheck.cli import main

sys.exit(main())
