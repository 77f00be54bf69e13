"""Dates of service as clerks type them ("11/15/2026", "2026-11-15", "11-15-26"), read the US way, month first."""

from __future__ import annotations

import datetime as dt

from dateutil import parser as date_parser


class DateOfServiceError(ValueError):
    """Text that is not a complete date."""


# Two different fill-in defaults: a date that needs either of them was missing a part (no year, no day...).
_DEFAULTS = (dt.datetime(1904, 1, 1), dt.datetime(1908, 12, 28))


def parse_date_of_service(text: str, today: dt.date | None = None) -> dt.date:
    """A complete date, month before day as in the US ("03/04/2026" is March 4); "today" and "t" mean today."""
    cleaned = text.strip()
    if cleaned.lower() in ("today", "t", ""):
        return today or dt.date.today()
    try:
        readings = {date_parser.parse(cleaned, default=default, dayfirst=False).date() for default in _DEFAULTS}
    except (ValueError, OverflowError):
        raise DateOfServiceError(f"“{cleaned}” is not a date: type it like 11/15/2026 or 2026-11-15") from None
    if len(readings) != 1:
        raise DateOfServiceError(f"“{cleaned}” is not a complete date: give month, day and year (11/15/2026)")
    day = readings.pop()
    if not 1990 <= day.year <= 2100:
        raise DateOfServiceError(f"{day.isoformat()} is not a plausible date of service")
    return day
