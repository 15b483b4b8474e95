"""What a stopped app would have cost per hour, from the dated price table ``prices.json`` beside this file.

The table names its source and date. An instance type it does not list is counted as unknown, never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from domain_steward.autostop.apps import SweptApp

PRICE_TABLE = Path(__file__).with_name("prices.json")


@cache
def price_table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(PRICE_TABLE.read_text())
    return table


def hourly_price(app: SweptApp) -> float | None:
    """The app's on-demand price per hour, or ``None`` when the table does not know it."""
    table = price_table()
    by_app_type = table.get("app_types", {})
    if app.app_type in by_app_type:
        return float(by_app_type[app.app_type])
    if app.instance_type and app.instance_type in table.get("instance_types", {}):
        return float(table["instance_types"][app.instance_type])
    return None


@dataclass
class Savings:
    """The hourly price of the apps stopped, and how many had no known price."""

    hourly: float = 0.0
    unknown: int = 0
    unknown_types: set[str] = field(default_factory=set)

    def add(self, app: SweptApp) -> None:
        price = hourly_price(app)
        if price is None:
            self.unknown += 1
            self.unknown_types.add(app.instance_type or f"{app.app_type} (no instance type)")
        else:
            self.hourly += price
