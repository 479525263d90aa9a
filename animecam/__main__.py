"""`python -m animecam ...` is the `animecam` command."""

import sys

from animecam.cli import main

sys.exit(main())
