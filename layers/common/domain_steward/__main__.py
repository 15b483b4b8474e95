"""``python -m domain_steward``: the operator CLI, where it is installed (``pip install -e .``).

The CLI lives in ``domain_steward_cli``, outside the layer, so that the layer never needs click or rich; this
module imports it only when run, and importing it (as the built-artifact check does) runs nothing.
"""

from __future__ import annotations

import sys


def run() -> int:
    try:
        from domain_steward_cli import main
    except ImportError:
        print("domain-steward: the CLI is not installed here (pip install -e path/to/domain-steward)", file=sys.stderr)
        return 1
    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(run())
