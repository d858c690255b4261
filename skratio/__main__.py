"""``python -m skratio``: the ``skratio`` command."""

import sys

from .cli import main

sys.exit(main())
