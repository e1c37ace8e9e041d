"""`python -m overpush_desktop`, the same as the `overpush-desktop` command."""

import sys

from overpush_desktop.cli import main

sys.exit(main())
