"""The operator CLI ``domain-steward``: its own package, so that the Lambda layer never needs click or rich."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``domain-steward`` with ``argv``; returns the exit code. Imported late, so importing this is cheap."""
    from domain_steward_cli.cli import main as run

    return run(argv)
