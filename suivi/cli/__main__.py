"""`python -m suivi.cli …`, as the `suivi` console script."""

import sys

from suivi.cli import main

sys.exit(main())
