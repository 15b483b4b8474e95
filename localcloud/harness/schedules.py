"""EventBridge schedule expressions: validated at deploy as AWS validates them (cfn-lint does not look)."""

from __future__ import annotations

import re
from datetime import datetime

_RATE = re.compile(r"rate\((?P<value>\d+) (?P<unit>minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((?P<fields>[^)]*)\)")
_AT = re.compile(r"at\((?P<when>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

# (name, lowest, highest, names, extra single-element forms)
_FIELDS: list[tuple[str, int, int, list[str]]] = [
    ("minutes", 0, 59, []),
    ("hours", 0, 23, []),
    ("day-of-month", 1, 31, []),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, []),
]


def validate_schedule_expression(expression: str, *, allow_at: bool = False) -> None:
    """Raise ``ValueError`` saying what is wrong with a ``rate(...)``, ``cron(...)`` (or ``at(...)``) expression."""
    expression = expression.strip()
    rate = _RATE.fullmatch(expression)
    if rate:
        value, unit = int(rate["value"]), rate["unit"]
        if value <= 0:
            raise ValueError(f"{expression!r}: the rate must be a positive number")
        if (value == 1) == unit.endswith("s"):
            raise ValueError(f"{expression!r}: use the singular unit for 1 and the plural otherwise")
        return
    cron = _CRON.fullmatch(expression)
    if cron:
        _validate_cron(expression, cron["fields"].split())
        return
    at = _AT.fullmatch(expression)
    if at and allow_at:
        try:
            datetime.fromisoformat(at["when"])
        except ValueError:
            raise ValueError(f"{expression!r}: {at['when']} is not a valid date and time") from None
        return
    forms = (
        "rate(value unit), cron(fields) or at(yyyy-mm-ddThh:mm:ss)" if allow_at else "rate(value unit) or cron(fields)"
    )
    raise ValueError(f"{expression!r} is not a schedule expression: expected {forms}")


def _validate_cron(expression: str, fields: list[str]) -> None:
    if len(fields) != 6:
        raise ValueError(f"{expression!r}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)")
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
    for (name, low, high, names), text in zip(_FIELDS, fields, strict=True):
        if text == "?" and name in ("day-of-month", "day-of-week"):
            continue
        for element in text.split(","):
            if not _valid_element(element, name, low, high, names):
                raise ValueError(f"{expression!r}: {element!r} is not a valid {name} value")


def _valid_element(element: str, name: str, low: int, high: int, names: list[str]) -> bool:
    def value(token: str) -> bool:
        if token.upper() in names:
            return True
        return token.isdigit() and low <= int(token) <= high

    if name == "day-of-month" and (element in ("L", "LW") or (element.endswith("W") and value(element[:-1]))):
        return True
    if name == "day-of-week":
        if element == "L" or (element.endswith("L") and value(element[:-1])):
            return True
        if "#" in element:
            day, _, nth = element.partition("#")
            return value(day) and nth.isdigit() and 1 <= int(nth) <= 5
    base, _, step = element.partition("/")
    if step and not (step.isdigit() and int(step) > 0):
        return False
    if base == "*":
        return True
    start, _, end = base.partition("-")
    return value(start) and (not end or value(end))
