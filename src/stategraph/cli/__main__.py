"""``python -m stategraph.cli``."""

import sys

from stategraph.cli._main import main

sys.exit(main())
