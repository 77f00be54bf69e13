"""Reader for the official CMS HCPCS ANWEB workbook (HCPC<year>_<quarter>_ANWEB*.xlsx), every one of its columns."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The workbook plumbing (read-only rows, the CMS .zip, code cells) is the one hcpcs.py's readers use.
from db.sources.errors import SourceFormatError
from db.sources.hcpcs import (
    _CONTINUATION_OF,
    _EOF_MARKS,
    _FIRST_LINE_KIND,
    HcpcsRecord,
    Kind,
    _header_key,
    _is_anweb_xlsx,
    _read_member,
    _Rows,
    _workbook_code,
)

__all__ = ["ANWEB_COLUMNS", "read_anweb_workbook"]


def _numbered(name: str, count: int) -> list[str]:
    return [f"{name}{i}" for i in range(1, count + 1)]


#: The header row of the CMS workbook (2019 through 2026 use these names; underscores and spaces are the same
#: to the reader, since some years write ADD_DT and others ADD DT).
ANWEB_COLUMNS: tuple[str, ...] = tuple(
    _header_key(name)
    for name in [
        "HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", *_numbered("PRICE", 4), "MULT_PI",
        *_numbered("CIM", 3), *_numbered("MCM", 3), "STATUTE", *_numbered("LABCERT", 8), *_numbered("XREF", 5),
        "COV", "ASC_GRP", "ASC_DT", "OPPS", "OPPS_PI", "OPPS_DT", "PROCNOTE", "BETOS", *_numbered("TOS", 5),
        "ANEST_BU", "ADD DT", "ACT EFF DT", "TERM DT", "ACTION CD",
    ]
)  # fmt: skip

# Widths of the fixed-width record's fields: a code cell Excel turned into a number ('00' -> 0) gets its
# leading zeros back, so both readers give the same text.
_WIDTHS = {"PRICE": 2, "MULT PI": 1, "LABCERT": 3, "COV": 1, "ASC GRP": 2, "OPPS": 3, "OPPS PI": 1,
           "PROCNOTE": 4, "BETOS": 3, "TOS": 1}  # fmt: skip
_HEADER_SEARCH_ROWS = 50


def read_anweb_workbook(path: Path | str) -> list[HcpcsRecord]:
    """Read the official ANWEB workbook (or the CMS .zip holding it) into the records `hcpcs.read_anweb` gives.

    One record per procedure code and modifier, in sheet order; a long description continued on rows with
    RECID 4 or 8 is joined to its first row with a space. Raises SourceFormatError naming the row and column.
    """
    path = Path(path)
    raw, member = _read_member(path, _is_anweb_xlsx, "an *ANWEB*.xlsx workbook")
    suffix = f" (in {member})" if member else ""
    records: list[HcpcsRecord] = []
    seen: dict[tuple[str, str], int] = {}
    with _Rows(path, raw) as rows:
        header_row, columns = _header(path, rows, suffix)
        for row_no, row in rows:
            if all(_blank(value) for value in row):
                continue
            code_cell = _cell(row, columns["HCPC"])
            if isinstance(code_cell, str) and code_cell.strip() in _EOF_MARKS:
                continue

            def fail(column: str, reason: str, row_no: int = row_no) -> SourceFormatError:
                return SourceFormatError(path, f"row {row_no}, column {column}", reason + suffix)

            kind, code = _workbook_code(path, row_no, code_cell)
            record_id = _text(_cell(row, columns["RECID"])) or ""
            description = _text(_cell(row, columns["LONG DESCRIPTION"])) or ""
            if record_id in _CONTINUATION_OF:
                first = records[-1] if records else None
                if first is None or (first.kind, first.code) != (kind, code):
                    raise fail("RECID", f"continuation row for {code!r} does not follow that code's first row")
                joined = f"{first.long_description} {description}".strip()
                records[-1] = dataclasses.replace(first, long_description=joined)
                continue
            if _FIRST_LINE_KIND.get(record_id) != kind:
                raise fail("RECID", f"record id {record_id!r} does not fit {kind} {code!r} (3 codes, 7 modifiers)")
            if (kind, code) in seen:
                raise fail("HCPC", f"duplicate {kind} {code!r} (first at row {seen[(kind, code)]})")
            if not description:
                raise fail("LONG DESCRIPTION", f"{code!r}: blank long description")
            seen[(kind, code)] = row_no
            records.append(_record(row, columns, kind, code, description, fail))
        if not records:
            raise SourceFormatError(path, f"row {header_row}", "no codes below the header row" + suffix)
    return records


def _header(path: Path, rows: _Rows, suffix: str) -> tuple[int, dict[str, int]]:
    """Skip CMS's disclaimer rows to the header row; every official column must be there (extra ones are ignored)."""
    for row_no, row in rows:
        keys = [_header_key(value) for value in row]
        if "HCPC" in keys or "HCPCS" in keys:
            columns = {key: i for i, key in reversed(list(enumerate(keys))) if key}
            columns.setdefault("HCPC", columns.get("HCPCS", 0))
            missing = [name for name in ANWEB_COLUMNS if name not in columns]
            if missing:
                raise SourceFormatError(
                    path,
                    f"row {row_no}",
                    f"not the full CMS ANWEB workbook: no column {', '.join(missing)}{suffix}",
                )
            return row_no, columns
        if row_no >= _HEADER_SEARCH_ROWS:
            break
    raise SourceFormatError(
        path, None, f"no header row with an HCPC column in the first {_HEADER_SEARCH_ROWS} rows{suffix}"
    )


def _record(
    row: tuple[Any, ...],
    columns: dict[str, int],
    kind: Kind,
    code: str,
    description: str,
    fail: Callable[[str, str], SourceFormatError],
) -> HcpcsRecord:
    def text(name: str) -> str | None:
        width = _WIDTHS.get(name.rstrip("0123456789"))
        return _text(_cell(row, columns[name]), width)

    def repeating(name: str, count: int) -> tuple[str, ...]:
        return tuple(value for value in (text(column) for column in _numbered(name, count)) if value)

    def day(name: str) -> dt.date | None:
        return _date(_cell(row, columns[name]), lambda reason: fail(name, reason))

    units = text("ANEST BU")
    if units is not None and not (units.isascii() and units.isdigit()):
        raise fail("ANEST_BU", f"anesthesia base units not a number: {units!r}")
    return HcpcsRecord(
        code=code,
        kind=kind,
        long_description=description,
        short_description=text("SHORT DESCRIPTION"),
        pricing_indicators=repeating("PRICE", 4),
        multiple_pricing_indicator=text("MULT PI"),
        coverage_issues_manual_refs=repeating("CIM", 3),
        carriers_manual_refs=repeating("MCM", 3),
        statute_number=text("STATUTE"),
        lab_certification_codes=repeating("LABCERT", 8),
        cross_reference_codes=repeating("XREF", 5),
        coverage_code=text("COV"),
        asc_payment_group=text("ASC GRP"),
        asc_effective_date=day("ASC DT"),
        opps_payment_group=text("OPPS"),
        opps_payment_indicator=text("OPPS PI"),
        opps_effective_date=day("OPPS DT"),
        processing_note_number=text("PROCNOTE"),
        betos_code=text("BETOS"),
        type_of_service_codes=repeating("TOS", 5),
        anesthesia_base_units=int(units) if units else None,
        added_date=day("ADD DT"),
        action_effective_date=day("ACT EFF DT"),
        termination_date=day("TERM DT"),
        action_code=text("ACTION CD"),
    )


def _cell(row: tuple[Any, ...], column: int) -> Any:
    return row[column] if column < len(row) else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, width: int | None = None) -> str | None:
    """A cell as the fixed-width file would give it: stripped, None when empty, numbers without '.0'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value).zfill(width) if width else str(value)
    return str(value).strip() or None


def _date(value: Any, fail: Callable[[str], SourceFormatError]) -> dt.date | None:
    """CMS writes dates as 'yyyymmdd' text; Excel may have made them numbers or real dates."""
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value) or ""
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        raise fail(f"date is not yyyymmdd: {value!r}")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise fail(f"invalid date: {value!r}") from None
