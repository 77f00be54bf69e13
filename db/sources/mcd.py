"""Reader of the CMS Medicare Coverage Database CSV tables: header -> table, then typed rows, named errors.

Tables are told apart by their header names (mcd_tables.py). A file is decoded as UTF-8 (with or without a
byte-order mark), else Windows-1252; fields follow RFC 4180 quoting, and the HTML paragraphs of the MCD
editor span several lines inside quotes. Every problem names the file, the line and the value.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from db.sources.errors import SourceFormatError
from db.sources.mcd_html import plain_text
from db.sources.mcd_tables import Column, TableSpec, identify

__all__ = ["TableRows", "header_of", "parse_date", "read_table", "table_of_head"]

#: LCD texts (indications, coding guidelines) are single fields of hundreds of kilobytes.
_FIELD_LIMIT = 256 << 20
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def header_of(first_line: str) -> list[str]:
    """The column names of a CSV's first line (quoted or not)."""
    row = next(csv.reader([first_line]), [])
    return [name.strip().lstrip("\ufeff") for name in row]


def table_of_head(first_line: str) -> TableSpec | str | None:
    """What the CSV whose first line this is holds: a table read, a dataset name for one not read, or None."""
    header = header_of(first_line)
    if len(header) < 2 or any(not name for name in header):
        return None
    return identify(header)


def parse_date(value: str) -> dt.date | None:
    """MCD dates: '2026-04-01 00:00:00' (the downloads), '2026-04-01', '04/01/2026' or '20260401'."""
    text = value.strip()
    if not text:
        return None
    for pattern, order in ((_ISO, (1, 2, 3)), (_US, (3, 1, 2)), (_COMPACT, (1, 2, 3))):
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(match.group(i)) for i in order)
            return dt.date(year, month, day)
    raise ValueError(f"{value!r} is not a date")


@dataclass
class TableRows:
    """The typed rows of one table, produced lazily; `newest` is the latest last_updated date seen so far."""

    spec: TableSpec
    rows: Iterator[tuple[object, ...]]
    newest: dt.date | None = None


def _converter(column: Column) -> Callable[[str], object]:
    if column.type == "int":
        return _whole_number
    if column.type == "code":
        return lambda value: value.strip().upper()
    if column.type == "icd":
        return lambda value: value.strip().upper().replace(".", "")
    if column.type == "date":
        return lambda value: day.isoformat() if (day := parse_date(value)) else None
    if column.type == "html":
        return plain_text
    return lambda value: value.strip()


def _whole_number(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{value!r} is not a whole number")
    return int(text)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def read_table(stream: IO[bytes], location: str, sha256: str | None = None) -> TableRows:
    """Read a whole MCD CSV table; the bytes are checked against `sha256` (the scan's) when given.

    Raises SourceFormatError for a file that changed since it was scanned, no known header, a row with the
    wrong number of fields, a broken quote, or a value of the wrong type.
    """
    data = stream.read()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise SourceFormatError(location, None, "the file changed since it was scanned")
    try:
        text = _decode(data)
    except UnicodeDecodeError as error:
        raise SourceFormatError(location, f"byte {error.start}", "neither UTF-8 nor Windows-1252 text") from error
    csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    except (StopIteration, csv.Error) as error:
        raise SourceFormatError(location, "line 1", "no header row") from error
    spec = identify(header)
    if not isinstance(spec, TableSpec):
        raise SourceFormatError(location, "line 1", f"not a Medicare Coverage Database table Codebook reads: {header}")
    positions = {name: index for index, name in enumerate(header)}
    columns = [(positions.get(column.csv), column, _converter(column)) for column in spec.columns]
    table = TableRows(spec, iter(()))
    updated = positions.get("last_updated", positions.get("last_updt_tmstmp"))
    table.rows = _rows(reader, location, len(header), columns, updated, table)
    return table


def _rows(
    reader: Iterator[list[str]],
    location: str,
    width: int,
    columns: list[tuple[int | None, Column, Callable[[str], object]]],
    updated: int | None,
    table: TableRows,
) -> Iterator[tuple[object, ...]]:
    line = 1
    try:
        for row in reader:
            line = getattr(reader, "line_num", line + 1)
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                raise SourceFormatError(location, f"line {line}", f"{len(row)} fields, the header has {width}")
            values: list[object] = []
            for position, column, convert in columns:
                raw = row[position] if position is not None else ""
                try:
                    value = convert(raw)
                except ValueError as error:
                    raise SourceFormatError(location, f"line {line}", f"column {column.csv}: {error}") from error
                if value is None and column.required and column.type == "int":
                    raise SourceFormatError(location, f"line {line}", f"column {column.csv} is empty")
                values.append(value)
            if updated is not None and row[updated].strip():
                try:
                    day = parse_date(row[updated])
                except ValueError:
                    day = None  # a malformed stamp only matters for the "as of" date; the row is still good
                if day is not None and (table.newest is None or day > table.newest):
                    table.newest = day
            yield tuple(values)
    except csv.Error as error:
        raise SourceFormatError(location, f"line {line}", f"broken CSV quoting: {error}") from error
