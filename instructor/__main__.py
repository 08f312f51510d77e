"""``python -m instructor COMMAND``: see :mod:`instructor.cli`."""

import sys

from .cli import main

sys.exit(main())
