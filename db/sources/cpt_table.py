"""Reader for an office's own CPT list as CSV or XLSX (a charge list, a superbill export): the code column found
by its shape, the description column by its content, either overridable; every other column kept."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from db.sources.cpt_shapes import CODE, HCPCS_CODE, CptEntry, cell_text, check_duplicates, code_text, decode
from db.sources.errors import SourceFormatError

__all__ = ["ChargeTable", "Choice", "choose_columns", "read_table", "table_rows"]

#: Rows looked at to choose the columns.
SAMPLE_ROWS = 300
#: A code column holds CPT-shaped codes in at least this share of its filled cells.
MIN_CODE_SHARE = 0.6


@dataclass(frozen=True)
class Choice:
    """The columns chosen (0-based), the header row (0-based index, None without header), and why, in words."""

    header_row: int | None
    code_column: int
    description_column: int
    headers: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class ChargeTable:
    choice: Choice
    entries: tuple[CptEntry, ...]
    #: code -> the other columns' (header, value), as in the file.
    extras: dict[str, tuple[tuple[str, str], ...]]
    #: HCPCS Level II codes in the code column: not CPT, left out (and counted).
    hcpcs_rows: int


def table_rows(path: Path, data: bytes | None = None) -> list[tuple[Any, ...]]:
    """Every row of the first worksheet, or of the CSV (comma, semicolon or TAB separated)."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise SourceFormatError(path, None, f"cannot read file: {error.strerror or error}") from error
    if data.startswith(b"PK\x03\x04"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
            finally:
                book.close()
        except Exception as error:  # openpyxl raises many types for a damaged or truncated workbook
            raise SourceFormatError(path, None, f"unreadable .xlsx workbook (truncated?): {error}") from error
    text, _encoding = decode(path, data)
    head = text[:8192]
    delimiter = max((",", ";", "\t"), key=head.count)
    try:
        return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise SourceFormatError(path, None, f"not CSV text: {error}") from error


def _is_code(value: Any) -> bool:
    """CPT-shaped as written: a number counts only with five digits, so a fee of 125 is not code 00125 (the
    chosen code column's short numbers are read zero-padded, as anesthesia codes lose their zeros)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value).is_integer() and 10000 <= value <= 99999
    return isinstance(value, str) and CODE.fullmatch(value.strip().upper()) is not None


def _is_read_code(value: Any) -> bool:
    return CODE.fullmatch(code_text(value)) is not None


def _words(value: Any) -> int:
    return sum(1 for word in cell_text(value).split() if sum(ch.isalpha() for ch in word) >= 2)


def choose_columns(
    path: Path, rows: Sequence[Sequence[Any]], code_column: int | None = None, description_column: int | None = None
) -> Choice:
    """The code column (most CPT-shaped cells) and description column (most words per cell); a column given
    (1-based, as the clerk counts) wins. Raises naming the file when no column holds CPT codes."""
    sample = [row for row in rows[:SAMPLE_ROWS] if any(cell_text(v) for v in row)]
    width = max((len(row) for row in sample), default=0)
    for given, what in ((code_column, "code"), (description_column, "description")):
        if given is not None and not 1 <= given <= width:
            raise SourceFormatError(path, None, f"there is no column {given} for the {what} (the file has {width})")
    shares: list[tuple[float, int]] = []
    for column in range(width):
        filled = [row[column] for row in sample if column < len(row) and cell_text(row[column])]
        first = next((i for i, value in enumerate(filled) if _is_code(value)), len(filled))
        filled = filled[first:]  # the header and title rows above the first code
        codes = sum(1 for value in filled if _is_code(value))
        # Office lists mix HCPCS Level II codes in (left out when read): they count for the column's shape.
        like = sum(1 for value in filled if _is_code(value) or HCPCS_CODE.fullmatch(cell_text(value).upper()))
        shares.append((like / len(filled) if filled else 0.0, codes))
    if code_column is not None:
        code = code_column - 1
        code_why = f"column {code_column} as given"
    else:
        best = max(range(width), key=lambda c: (shares[c][1], shares[c][0]), default=None)
        if best is None or shares[best][1] == 0 or shares[best][0] < MIN_CODE_SHARE:
            raise SourceFormatError(path, None, "no column holds CPT codes (5 digits, or 4 digits and F, T or U)")
        code = best
        code_why = f"column {code + 1} by shape ({shares[code][1]} CPT-shaped codes)"
    first_code = next((i for i, row in enumerate(rows) if code < len(row) and _is_code(row[code])), None)
    if first_code is None:  # a given column of zero-stripped numbers
        first_code = next((i for i, row in enumerate(rows) if code < len(row) and _is_read_code(row[code])), None)
    if first_code is None:
        raise SourceFormatError(path, None, f"column {code + 1} holds no CPT code")
    header_row = next((i for i in range(first_code - 1, -1, -1) if any(cell_text(v) for v in rows[i])), None)
    data = [row for row in rows[first_code : first_code + SAMPLE_ROWS] if code < len(row) and _is_read_code(row[code])]
    if description_column is not None:
        description = description_column - 1
        text_why = f"column {description_column} as given"
    else:
        scores = {c: sum(_words(row[c]) for row in data if c < len(row)) / max(len(data), 1) for c in range(width)}
        scores.pop(code, None)
        description = max(scores, key=lambda c: scores[c], default=-1)
        if description < 0 or scores[description] < 1:
            raise SourceFormatError(path, None, "no column holds descriptions (words) beside the codes")
        text_why = f"column {description + 1} by content ({scores[description]:.1f} words a row)"
    if description == code:
        raise SourceFormatError(path, None, "the code and description columns must differ")
    header = rows[header_row] if header_row is not None else ()
    headers = tuple(cell_text(header[c]) if c < len(header) and cell_text(header[c]) else f"column {c + 1}"
                    for c in range(width))  # fmt: skip
    why = f"code: {code_why} {headers[code]!r}; description: {text_why} {headers[description]!r}"
    return Choice(header_row, code, description, headers, why)


def read_table(path: Path, code_column: int | None = None, description_column: int | None = None) -> ChargeTable:
    rows = table_rows(path)
    choice = choose_columns(path, rows, code_column, description_column)
    what = "row" if path.suffix.lower() in (".xlsx", ".xlsm") else "line"
    start = (choice.header_row + 1) if choice.header_row is not None else 0
    entries: list[CptEntry] = []
    extras: dict[str, tuple[tuple[str, str], ...]] = {}
    hcpcs_rows = 0
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell_text(v) for v in row):
            continue
        code = code_text(row[choice.code_column]) if choice.code_column < len(row) else ""
        if not code:
            continue  # a subtotal or section line without a code
        if HCPCS_CODE.fullmatch(code):
            hcpcs_rows += 1
            continue
        if not CODE.fullmatch(code):
            raise SourceFormatError(path, f"{what} {number}", f"{code[:12]!r} in the code column is not a CPT code")
        text = cell_text(row[choice.description_column]) if choice.description_column < len(row) else ""
        if not text:
            raise SourceFormatError(path, f"{what} {number}", f"code {code} has no description (a truncated file?)")
        entries.append(CptEntry(code, text, number))
        kept = tuple(
            (choice.headers[c], cell_text(row[c]))
            for c in range(min(len(row), len(choice.headers)))
            if c not in (choice.code_column, choice.description_column) and cell_text(row[c])
        )
        if kept:
            extras.setdefault(code, kept)
    if not entries:
        raise SourceFormatError(path, None, "no row holds a CPT code and a description")
    return ChargeTable(choice, tuple(check_duplicates(path, entries, what)), extras, hcpcs_rows)
