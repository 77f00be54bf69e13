"""Which release a detected file holds, from its content first (version, title, record dates), then its names."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from db.releases import MONTH_NAMES, ReleaseInfo, fiscal_year_dates
from db.sources.official import KnownFile

__all__ = ["Dated", "confirm_with_checksum", "hcpcs_release", "icd10_release", "order_file_release"]

_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
# 'April-1-2026', 'April-2025', 'apr1', 'APR': CDC and CMS name April 1 updates so; letters around it would
# make another word.
_APRIL = re.compile(r"(?<![a-z])apr(?:il)?(?![a-z])", re.IGNORECASE)
_MONTH = {"jan": 1, "january": 1, "apr": 4, "april": 4, "jul": 7, "july": 7, "oct": 10, "october": 10}
_MONTH_WORD = r"(?<![a-z])(jan|january|apr|april|jul|july|oct|october)(?![a-z])"
_YEAR_THEN_MONTH = re.compile(r"(?<!\d)(20\d\d)[_ -]?" + _MONTH_WORD, re.IGNORECASE)
_MONTH_THEN_YEAR = re.compile(_MONTH_WORD + r"[_ -]?(?:1[_ -])?(20\d\d)(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class Dated:
    release: ReleaseInfo
    evidence: str  # in words: what the release was read from


def _icd10_info(system: str, content: str, label: str, year: int | None, april: bool) -> ReleaseInfo:
    if year is None:
        return ReleaseInfo(system, content, f"{label} (unknown year)", None, None)
    start, end = fiscal_year_dates(year)
    if april:
        return ReleaseInfo(system, content, f"{label} FY{year} (April 1, {year} update)", dt.date(year, 4, 1), end)
    return ReleaseInfo(system, content, f"{label} FY{year}", start, end)


def _first(pattern: re.Pattern[str], names: Sequence[str]) -> tuple[re.Match[str], str] | None:
    for name in names:
        match = pattern.search(name)
        if match:
            return match, name
    return None


def icd10_release(names: Sequence[str], system: str, content: str, label: str, version: str, title: str) -> Dated:
    """Fiscal year from <version> (or the year in <title>); the April 1 update only from the names.

    The April tabulars of 2025 and 2026 differ from a plain fiscal-year file in nothing but their codes: the
    same <version>, title page and introduction. So an April update is known from its name (or checksum).
    """
    evidence: list[str] = []
    year: int | None = None
    if version.strip().isdigit() and len(version.strip()) == 4:
        year = int(version)
        evidence.append(f"FY{year} from <version>{version.strip()}</version>")
    elif (match := _YEAR.search(title)) is not None:
        year = int(match.group(1))
        evidence.append(f"FY{year} from the title {title!r}")
    named_year = _first(_YEAR, names)
    if year is None and named_year:
        year = int(named_year[0].group(1))
        evidence.append(f"FY{year} from the name {named_year[1]!r} only (the file does not state its year)")
    elif year is not None and named_year and int(named_year[0].group(1)) != year:
        evidence.append(f"the name {named_year[1]!r} says {named_year[0].group(1)}, the content wins")
    if year is None:
        evidence.append("neither the file nor its name states the year")
    # A name says April for its own year only: an FY2023 table in an April 2099 zip is no April update.
    april = next((name for name in names if _APRIL.search(name) and _YEAR.findall(name) in ([], [str(year)])), None)
    if april and year is not None:
        evidence.append(f"April 1 update from the name {april!r} (the file's content does not say)")
    return Dated(_icd10_info(system, content, label, year, april is not None), "; ".join(evidence))


def order_file_release(names: Sequence[str], system: str, label: str) -> Dated:
    """Order files carry no year at all: it comes from their name or the zip they came in."""
    return icd10_release(names, system, "order", label, "", "")


def _quarter_month(day: dt.date) -> int:
    return (day.month - 1) // 3 * 3 + 1


def _named_quarter(names: Sequence[str]) -> tuple[int, int, str, bool] | None:
    """(year, first month, the name, whether the month was named) from 'HCPC2025_JUL', 'july-2026', 'NOC_2019'."""
    for name in names:
        if (match := _YEAR_THEN_MONTH.search(name)) is not None:
            return int(match.group(1)), _MONTH[match.group(2).lower()], name, True
        if (match := _MONTH_THEN_YEAR.search(name)) is not None:
            return int(match.group(2)), _MONTH[match.group(1).lower()], name, True
    found = _first(_YEAR, names)
    if found:
        return int(found[0].group(1)), 1, found[1], False  # an annual file: effective January 1
    return None


def _hcpcs_info(content: str, year: int, month: int) -> ReleaseInfo:
    start = dt.date(year, month, 1)
    end = dt.date(year + 1, 1, 1) if month == 10 else dt.date(year, month + 3, 1)
    name = f"HCPCS Level II {MONTH_NAMES[month]} {year}"
    return ReleaseInfo("hcpcs", content, name, start, end - dt.timedelta(days=1))


def hcpcs_release(names: Sequence[str], content: str, newest: dt.date | None, what: str) -> Dated:
    """The quarter of the newest `what` date in the records, cross-checked with the name.

    No record of a quarterly file takes effect after the quarter it was published for, so the newest date is
    a lower bound: a name that says the same or a later quarter is taken (a quarter may add nothing), a name
    that says an earlier one is overruled by the records.
    """
    named = _named_quarter(names)
    if newest is None and named is None:
        return Dated(ReleaseInfo("hcpcs", content, "HCPCS Level II (unknown release)", None, None),
                     f"the file has no {what} and its name states no year")  # fmt: skip
    if newest is None:
        assert named is not None
        year, month, name, _ = named
        return Dated(_hcpcs_info(content, year, month), f"from the name {name!r} only (the file has no {what})")
    dated = (newest.year, _quarter_month(newest))
    if named is None:
        return Dated(_hcpcs_info(content, *dated), f"from the newest {what} {newest.isoformat()}")
    year, month, name, month_named = named
    quarter = f"{MONTH_NAMES[month]} {year}" if month_named else f"{year} (annual file, January)"
    if (year, month) == dated:
        return Dated(_hcpcs_info(content, year, month),
                     f"the newest {what} {newest.isoformat()} and the name {name!r} agree")  # fmt: skip
    if (year, month) > dated:
        return Dated(_hcpcs_info(content, year, month),
                     f"{quarter} from the name {name!r}; the newest {what} ({newest.isoformat()}) is older,"
                     " as when a quarter adds no codes")  # fmt: skip
    return Dated(_hcpcs_info(content, *dated),
                 f"from the newest {what} {newest.isoformat()}; the name {name!r} says {quarter}, but the records"
                 " are newer")  # fmt: skip


def confirm_with_checksum(dated: Dated, known: KnownFile) -> Dated:
    """A file that is a known official one takes that file's release (the April 1 updates need it)."""
    release = dated.release
    if known.release.startswith("FY"):
        year, april = int(known.release[2:6]), known.release.endswith("-apr1")
        label = re.sub(r" (FY\d{4}.*|\(unknown year\))$", "", release.name)
        info = _icd10_info(release.system, release.content, label, year, april)
    else:
        year, month = int(known.release[:4]), _MONTH[known.release[5:]]
        info = _hcpcs_info(release.content, year, month)
    if info == release:
        return dataclasses.replace(dated, evidence=f"{dated.evidence}; the known checksum of {known.file_name} agrees")
    return Dated(info, f"{known.release} from the known checksum of {known.file_name} ({dated.evidence})")
