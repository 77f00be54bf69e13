"""Which release a source file holds and the dates of service it is valid for, read from its name and version."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from db.sources.errors import SourceFormatError

MONTHS = {"JAN": 1, "APR": 4, "JUL": 7, "OCT": 10}
MONTH_NAMES = {1: "January", 4: "April", 7: "July", 10: "October"}


@dataclass(frozen=True)
class ReleaseInfo:
    system: str
    content: str
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None

    def validity_text(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else "?"
        end = self.valid_to.isoformat() if self.valid_to else "?"
        return f"dates of service {start} to {end}"


def fiscal_year_dates(year: int) -> tuple[dt.date, dt.date]:
    """ICD-10 fiscal year YYYY covers dates of service from October 1 of the year before to September 30."""
    return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)


def _year_in_name(path: Path) -> int | None:
    match = re.search(r"(?<!\d)(20\d\d)(?!\d)", path.name)
    return int(match.group(1)) if match else None


def icd10_release(system: str, content: str, path: Path, version: str, label: str) -> ReleaseInfo:
    """ICD-10-CM/PCS: the fiscal year from the file's <version> (or name); April 1 updates from the name."""
    year = int(version) if version.strip().isdigit() else _year_in_name(path)
    if year is None:
        return ReleaseInfo(system, content, f"{label} (unknown year)", None, None)
    april = re.search(r"april(?![a-z])", path.name, re.IGNORECASE)
    start, end = fiscal_year_dates(year)
    if april:
        return ReleaseInfo(system, content, f"{label} FY{year} (April 1, {year} update)", dt.date(year, 4, 1), end)
    return ReleaseInfo(system, content, f"{label} FY{year}", start, end)


def hcpcs_release(path: Path) -> ReleaseInfo:
    """HCPCS quarterly files (HCPC2025_JUL_ANWEB...) are valid for that quarter; annual ones for Q1."""
    match = re.search(r"HCPC(?:S)?[_-]?(20\d\d)(?:[_-](JAN|APR|JUL|OCT))?", path.name, re.IGNORECASE)
    if not match:
        year = _year_in_name(path)
        if year is None:
            return ReleaseInfo("hcpcs", "codes", "HCPCS Level II (unknown release)", None, None)
        match_year, month = year, 1
    else:
        match_year, month = int(match.group(1)), MONTHS[(match.group(2) or "JAN").upper()]
    start = dt.date(match_year, month, 1)
    end_month = month + 2
    end = (
        dt.date(match_year, end_month + 1, 1) - dt.timedelta(days=1) if end_month < 12 else dt.date(match_year, 12, 31)
    )
    return ReleaseInfo("hcpcs", "codes", f"HCPCS Level II {MONTH_NAMES[month]} {match_year}", start, end)


def in_force_order(infos: list[ReleaseInfo]) -> list[ReleaseInfo]:
    """The releases of one code set, oldest first, each ending where the next one starts.

    A release ends at the end of its fiscal year (or quarter) or the day before a newer release of the same
    code set starts, whichever comes first. Dates between releases stay uncovered: nothing is stretched.
    Undated releases (a user's file whose year could not be read) sort first and keep no dates.
    """
    ordered = sorted(infos, key=lambda info: (info.valid_from is not None, info.valid_from or dt.date.min))
    closed: list[ReleaseInfo] = []
    for position, info in enumerate(ordered):
        following = ordered[position + 1] if position + 1 < len(ordered) else None
        end = info.valid_to
        if following is not None and following.valid_from is not None and info.valid_from is not None:
            day_before = following.valid_from - dt.timedelta(days=1)
            end = day_before if end is None else min(end, day_before)
        closed.append(ReleaseInfo(info.system, info.content, info.name, info.valid_from, end))
    return closed


T = TypeVar("T")


def ordered_releases(parsed: list[tuple[ReleaseInfo, Path, T]]) -> list[tuple[ReleaseInfo, T]]:
    """Releases of one code set oldest first, each closed where the next starts; the same release twice is
    refused (naming both files) rather than silently merged."""
    parsed = sorted(parsed, key=lambda item: (item[0].valid_from is not None, item[0].valid_from or dt.date.min))
    for (first, first_path, _a), (second, second_path, _b) in itertools.pairwise(parsed):
        if first.valid_from is not None and first.valid_from == second.valid_from:
            raise SourceFormatError(
                second_path, "release", f"holds the same release as {first_path.name} ({first.name}); load one of them"
            )
    closed = in_force_order([info for info, _path, _data in parsed])
    return [(info, data) for info, (_old, _path, data) in zip(closed, parsed, strict=True)]
