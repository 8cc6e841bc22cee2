"""``python -m augment.cli ...``: the ``augment`` command without the console script."""

import sys

from augment.cli import main

sys.exit(main())
