"""``python -m domain_steward_cli``."""

import sys

from domain_steward_cli import main

sys.exit(main())
