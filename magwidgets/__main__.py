"""``python -m magwidgets`` runs the command-line interface."""

import sys

from magwidgets.cli import main

sys.exit(main())
