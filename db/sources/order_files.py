"""Readers for the CDC/CMS ICD-10-CM and CMS ICD-10-PCS order files: every code with its short and long title."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from db.sources.errors import SourceFormatError
from db.sources.files import read_wanted_member, reject_non_text

__all__ = ["OrderRecord", "read_cm_order", "read_pcs_order"]

# The fixed layout CMS documents for both files (icd10pcsOrderFile.pdf, "icd10cm_order_YYYY.txt" in the CMS
# and CDC code-description zips; NLM's UMLS source representation for ICD10PCS quotes it), 1-based:
#   1-5 order number, right justified, zero filled | 6 blank | 7-13 code, no dot, left justified |
#   14 blank | 15 "0" header (not valid for submission) or "1" valid code | 16 blank |
#   17-76 short description (60) | 77 blank | 78- long description (up to 300 for PCS).
_ORDER = slice(0, 5)
_CODE = slice(6, 13)
_FLAG = 14
_SHORT = slice(16, 76)
_LONG_START = 77
_BLANKS = (5, 13, 15, 76)

# ICD-10-CM: a letter, then digits and letters, 3 to 7 characters. ICD-10-PCS: 3 to 7 characters from the
# PCS alphabet (digits and letters without I and O); only 7-character codes are valid for submission.
_CM_CODE = re.compile(r"[A-Z][0-9A-Z]{2,6}")
_PCS_CODE = re.compile(r"[0-9A-HJ-NP-Z]{3,7}")


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One line of an order file: a header (category, subcategory, PCS table) or a code valid for billing."""

    order: int
    code: str  # as in the file: no dot ('E1165', '0016070')
    billable: bool
    short_title: str
    long_title: str


def read_cm_order(path: Path | str) -> list[OrderRecord]:
    """Read an ICD-10-CM order file (``icd10cm-order-YYYY.txt`` / ``icd10cm_order_YYYY.txt``, or a zip holding it)."""
    return _read(Path(path), "ICD-10-CM", _CM_CODE, lambda code: True)


def read_pcs_order(path: Path | str) -> list[OrderRecord]:
    """Read an ICD-10-PCS order file (``icd10pcs_order_YYYY.txt``, or a zip holding it)."""
    return _read(Path(path), "ICD-10-PCS", _PCS_CODE, lambda code: len(code) == 7)


def _is_order_txt(name: str) -> bool:
    base = name.rsplit("/", 1)[-1].lower()
    return "order" in base and base.endswith(".txt") and not base.startswith("._")


def _read(
    path: Path, label: str, shape: re.Pattern[str], billable_shape_ok: Callable[[str], bool]
) -> list[OrderRecord]:
    raw, member = read_wanted_member(path, _is_order_txt, f"{label} order file (*order*.txt)")
    suffix = f" (in {member})" if member else ""

    def fail(line_no: int, reason: str) -> SourceFormatError:
        return SourceFormatError(path, f"line {line_no}", reason + suffix)

    lines = decode_text(path, raw, suffix).split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line end
    records: list[OrderRecord] = []
    seen: dict[str, int] = {}
    blank_at: int | None = None
    for line_no, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip("\r")
        if not line.strip() or line.strip() == "\x1a":
            blank_at = blank_at or line_no  # blank lines may end the file, not split it
            continue
        if blank_at is not None:
            raise fail(blank_at, "blank line between records")
        records.append(_record(line, line_no, fail, label, shape, billable_shape_ok, seen, records))
    if not records:
        raise fail(1, f"no {label} order records found")
    return records


def _record(
    line: str,
    line_no: int,
    fail: Callable[[int, str], SourceFormatError],
    label: str,
    shape: re.Pattern[str],
    billable_shape_ok: Callable[[str], bool],
    seen: dict[str, int],
    previous: list[OrderRecord],
) -> OrderRecord:
    if len(line) <= _LONG_START:
        raise fail(line_no, f"truncated record: {len(line)} characters, the long title starts at column 78")
    order_text = line[_ORDER]
    if not (order_text.isascii() and order_text.isdigit()):
        raise fail(line_no, f"order number in columns 1-5 is not 5 digits: {order_text!r}")
    for column in _BLANKS:
        if line[column] != " ":
            found = line[column]
            raise fail(line_no, f"column {column + 1} should be blank, found {found!r} (not the order file layout)")
    code = line[_CODE].rstrip()
    if not shape.fullmatch(code):
        raise fail(line_no, f"not an {label} code in columns 7-13: {line[_CODE]!r}")
    flag = line[_FLAG]
    if flag not in "01":
        raise fail(line_no, f"header/valid flag in column 15 must be 0 or 1, found {flag!r}")
    billable = flag == "1"
    if billable and not billable_shape_ok(code):
        raise fail(line_no, f"{code!r} is flagged valid (1) but is not a complete {label} code")
    order = int(order_text)
    if previous and order <= previous[-1].order:
        raise fail(line_no, f"order number {order} does not follow {previous[-1].order}")
    if code in seen:
        raise fail(line_no, f"duplicate code {code!r} (first at line {seen[code]})")
    seen[code] = line_no
    short_title = line[_SHORT].strip()
    long_title = line[_LONG_START:].strip()
    if not short_title or not long_title:
        raise fail(line_no, f"{code!r}: blank {'short' if not short_title else 'long'} title")
    return OrderRecord(order, code, billable, short_title, long_title)


def decode_text(path: Path, raw: bytes, suffix: str = "") -> str:
    """CMS/CDC text files are ASCII; accept UTF-8 (a BOM too) and fall back to Windows-1252, as CMS writes."""
    reject_non_text(path, raw, suffix, "plain (ASCII) text")
    try:
        return raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        line_no = raw.count(b"\n", 0, error.start) + 1
        raise SourceFormatError(
            path, f"line {line_no}", f"byte 0x{raw[error.start]:02x} is neither UTF-8 nor Windows-1252 text{suffix}"
        ) from error
