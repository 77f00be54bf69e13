"""Readers for the CMS HCPCS Level II files: fixed-width ANWEB records, description workbooks, NOC lists."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import openpyxl

from db.sources.errors import SourceFormatError
from db.sources.files import reject_non_text

__all__ = [
    "HcpcsRecord",
    "read_anweb",
    "read_long_descriptions_xlsx",
    "read_noc_codes",
]

Kind = Literal["code", "modifier"]


@dataclass(frozen=True, slots=True)
class HcpcsRecord:
    """One HCPCS Level II procedure code or modifier, with every field of the CMS ANWEB record.

    Empty fields are ``None`` (scalars) or ``()`` (repeating fields). Readers of files that carry only a
    subset (the long-description workbooks) leave the rest empty.
    """

    code: str  # 'J1100'; for modifiers the 2-character modifier, e.g. 'RT'
    kind: Kind
    long_description: str
    short_description: str | None = None
    pricing_indicators: tuple[str, ...] = ()
    multiple_pricing_indicator: str | None = None
    coverage_issues_manual_refs: tuple[str, ...] = ()
    carriers_manual_refs: tuple[str, ...] = ()
    statute_number: str | None = None
    lab_certification_codes: tuple[str, ...] = ()
    cross_reference_codes: tuple[str, ...] = ()
    coverage_code: str | None = None
    asc_payment_group: str | None = None
    asc_effective_date: date | None = None
    opps_payment_group: str | None = None
    opps_payment_indicator: str | None = None
    opps_effective_date: date | None = None
    processing_note_number: str | None = None
    betos_code: str | None = None
    type_of_service_codes: tuple[str, ...] = ()
    anesthesia_base_units: int | None = None
    added_date: date | None = None
    action_effective_date: date | None = None
    termination_date: date | None = None
    action_code: str | None = None


# ---------------------------------------------------------------------------------------------------------
# Fixed-width ANWEB file
# ---------------------------------------------------------------------------------------------------------

# The official layout (HCPCS<year>_recordlayout.txt, "CMS RIF REPORT") as 0-based half-open slices.
# Repeating fields are (start, width, count).
_RECORD_LENGTH = 320
# Everything up to and including the action code (col 293) is data; 294-320 is filler, which some lines
# in the official file lack (2019 has one 316-character line), so only the data part is required.
_MIN_RECORD_LENGTH = 293
_DESC = slice(11, 91)
_SHORT = slice(91, 119)
_PRICING = (119, 2, 4)
_MULT_PRICING = slice(127, 128)
_CIM = (128, 6, 3)
_MCM = (146, 8, 3)
_STATUTE = slice(170, 180)
_LAB_CERT = (180, 3, 8)
_XREF = (204, 5, 5)
_COVERAGE = slice(229, 230)
_ASC_GROUP = slice(230, 232)
_ASC_DATE = slice(232, 240)
_OPPS_GROUP = slice(240, 243)
_OPPS_INDICATOR = slice(243, 244)
_OPPS_DATE = slice(244, 252)
_PROC_NOTE = slice(252, 256)
_BETOS = slice(256, 259)
_TOS = (260, 1, 5)
_ANES_UNITS = slice(265, 268)
_ADDED_DATE = slice(268, 276)
_ACTION_DATE = slice(276, 284)
_TERM_DATE = slice(284, 292)
_ACTION_CODE = slice(292, 293)

_FIRST_LINE_KIND: dict[str, Kind] = {"3": "code", "7": "modifier"}
_CONTINUATION_OF = {"4": "3", "8": "7"}

# Cols 1-10 of any record: a 5-character procedure code or 3 blanks + a 2-character modifier, then a
# numeric sequence number. Tells records (even damaged ones) from the disclaimer lines CMS puts on top.
_RECORD_PREFIX = re.compile(r"(?:[A-Z0-9]{5}|   [A-Z0-9]{2})[0-9]{5}")
_PROCEDURE_CODE = re.compile(r"[A-Z0-9]{5}")
_MODIFIER_CODE = re.compile(r"[A-Z0-9]{2}")


def read_anweb(path: Path) -> list[HcpcsRecord]:
    """Read a CMS HCPCS fixed-width ANWEB file (``HCPC<year>_<...>_ANWEB*.txt``) or the CMS .zip holding it.

    Returns one record per procedure code and per modifier, in file order, continuation lines joined into
    ``long_description``. Raises SourceFormatError naming the file and line for anything that is not a
    well-formed ANWEB file.
    """
    path = Path(path)
    raw, member = _read_member(path, _is_anweb_txt, "an *ANWEB*.txt file")
    if _is_xlsx(raw):
        raise SourceFormatError(path, "line 1", "an .xlsx workbook, expected the fixed-width ANWEB .txt file")
    text = _decode_cp1252(path, raw, member)
    return _parse_anweb(path, text, member)


def _is_anweb_txt(name: str) -> bool:
    base = name.rsplit("/", 1)[-1].lower()
    return "anweb" in base and base.endswith(".txt")


class _Draft:
    """The first line of a record plus its description segments, before the segments are joined."""

    __slots__ = ("code", "first_line", "kind", "line_no", "record_id", "segments")

    def __init__(self, code: str, kind: Kind, record_id: str, line: str, line_no: int) -> None:
        self.code = code
        self.kind: Kind = kind
        self.record_id = record_id
        self.first_line = line
        self.line_no = line_no
        # (sequence number, line number, 80-column description segment)
        self.segments: list[tuple[int, int, str]] = [(int(line[5:10]), line_no, line[_DESC])]


def _parse_anweb(path: Path, text: str, member: str | None) -> list[HcpcsRecord]:
    def fail(line_no: int, reason: str) -> SourceFormatError:
        return SourceFormatError(path, f"line {line_no}", reason + (f" (in {member})" if member else ""))

    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final line end
    drafts: list[_Draft] = []
    seen: dict[tuple[Kind, str], int] = {}
    current: _Draft | None = None
    blank_after_records: int | None = None
    line_no = 0
    for line_no, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip("\r\n")
        if not line.strip() or line.strip() == "\x1a":
            # Blank lines (and a DOS end-of-file mark) may end the file, but not split the records.
            if drafts and blank_after_records is None:
                blank_after_records = line_no
            continue
        starts_like_record = _RECORD_PREFIX.match(line) is not None
        if not drafts and not starts_like_record:
            # A disclaimer/header line (CMS puts 8 on top). Whatever starts with a code and a sequence
            # number is taken as a record, so a damaged first record is reported, not skipped.
            continue
        if blank_after_records is not None:
            raise fail(blank_after_records, "blank line between records")
        if len(line) < _MIN_RECORD_LENGTH:
            raise fail(
                line_no,
                f"truncated record: {len(line)} characters, expected {_RECORD_LENGTH} (at least {_MIN_RECORD_LENGTH})",
            )
        if len(line) > _RECORD_LENGTH and line[_RECORD_LENGTH:].strip():
            raise fail(line_no, f"record longer than {_RECORD_LENGTH} characters: {len(line)}")
        if not starts_like_record:
            raise fail(line_no, f"bad code or sequence number in columns 1-10: {line[:10]!r}")
        if line[10] not in _FIRST_LINE_KIND and line[10] not in _CONTINUATION_OF:
            raise fail(line_no, f"bad record id {line[10]!r} in column 11 (expected 3, 4, 7 or 8)")
        record_id = line[10]
        if record_id in _FIRST_LINE_KIND:
            kind = _FIRST_LINE_KIND[record_id]
            code = _line_code(line, kind)
            if code is None:
                raise fail(line_no, f"bad {kind} code {line[:5]!r} for record id {record_id}")
            previous = seen.get((kind, code))
            if previous is not None:
                raise fail(line_no, f"duplicate {kind} {code!r} (first at line {previous})")
            seen[(kind, code)] = line_no
            current = _Draft(code, kind, record_id, line, line_no)
            drafts.append(current)
        else:
            if (
                current is None
                or current.record_id != _CONTINUATION_OF[record_id]
                or line[:5] != current.first_line[:5]
            ):
                raise fail(
                    line_no,
                    f"continuation line (record id {record_id}) for {line[:5].strip()!r} does not follow"
                    f" the first line (record id {_CONTINUATION_OF[record_id]}) of the same code",
                )
            current.segments.append((int(line[5:10]), line_no, line[_DESC]))
    if not drafts:
        raise fail(max(line_no, 1), "no HCPCS records found (expected 320-character ANWEB records)")
    return [_build_record(draft, fail) for draft in drafts]


def _line_code(line: str, kind: Kind) -> str | None:
    if kind == "code":
        return line[:5] if _PROCEDURE_CODE.fullmatch(line[:5]) else None
    return line[3:5] if line[:3] == "   " and _MODIFIER_CODE.fullmatch(line[3:5]) else None


def _build_record(draft: _Draft, fail: Callable[[int, str], SourceFormatError]) -> HcpcsRecord:
    line = draft.first_line
    line_no = draft.line_no
    segments = draft.segments
    if len(segments) > 1:
        # Join "in sequence order" (the layout's words); CMS files are already in order, so this is a
        # cheap safeguard. Equal numbers would make the order ambiguous.
        segments = sorted(segments)
        for (seq_a, _, _), (seq_b, seg_line, _) in itertools.pairwise(segments):
            if seq_a == seq_b:
                raise fail(seg_line, f"{draft.code!r}: sequence number {seq_b} repeated")
    long_description = _join_description([segment for _, _, segment in segments])
    if not long_description:
        raise fail(line_no, f"{draft.code!r}: blank long description")

    def day(columns: slice) -> date | None:
        return _parse_date(line[columns], lambda reason: fail(line_no, reason), columns)

    units = line[_ANES_UNITS].strip()
    if units and not (units.isascii() and units.isdigit()):
        raise fail(line_no, f"anesthesia base units in columns 266-268 not a number: {units!r}")
    return HcpcsRecord(
        code=draft.code,
        kind=draft.kind,
        long_description=long_description,
        short_description=_text(line[_SHORT]),
        pricing_indicators=_repeating(line, _PRICING),
        multiple_pricing_indicator=_text(line[_MULT_PRICING]),
        coverage_issues_manual_refs=_repeating(line, _CIM),
        carriers_manual_refs=_repeating(line, _MCM),
        statute_number=_text(line[_STATUTE]),
        lab_certification_codes=_repeating(line, _LAB_CERT),
        cross_reference_codes=_repeating(line, _XREF),
        coverage_code=_text(line[_COVERAGE]),
        asc_payment_group=_text(line[_ASC_GROUP]),
        asc_effective_date=day(_ASC_DATE),
        opps_payment_group=_text(line[_OPPS_GROUP]),
        opps_payment_indicator=_text(line[_OPPS_INDICATOR]),
        opps_effective_date=day(_OPPS_DATE),
        processing_note_number=_text(line[_PROC_NOTE]),
        betos_code=_text(line[_BETOS]),
        type_of_service_codes=_repeating(line, _TOS),
        anesthesia_base_units=int(units) if units else None,
        added_date=day(_ADDED_DATE),
        action_effective_date=day(_ACTION_DATE),
        termination_date=day(_TERM_DATE),
        action_code=_text(line[_ACTION_CODE]),
    )


def _join_description(segments: list[str]) -> str:
    """Join the 80-column description segments of one record into the full long description.

    CMS word-wraps the long description: it breaks at a space and drops that space, so a segment that
    ends in padding is followed by a new word, and the pieces join with one space. When the text had two
    spaces at the break, the second one starts the next segment (``' visit (list...'`` in 2019 G0501),
    and keeping it reproduces the text of CMS's own workbook. A segment that fills all 80 columns was
    cut hard, possibly mid-word, so it joins to the next one with nothing in between. (In the 2019 file
    every continued segment ends in padding; 11 codes there have a double space in the workbook where
    the file broke the line, which the file cannot show and this join gives as one space.)
    """
    text = segments[0].rstrip()
    for previous, segment in itertools.pairwise(segments):
        if previous[-1:] != " ":  # all 80 columns used: a hard cut
            text += segment.rstrip()
        else:
            text = text.rstrip() + " " + segment.rstrip()
    return text.strip()


def _text(value: str) -> str | None:
    value = value.strip()
    return value or None


def _repeating(line: str, spec: tuple[int, int, int]) -> tuple[str, ...]:
    start, width, count = spec
    values = (line[start + i * width : start + (i + 1) * width].strip() for i in range(count))
    return tuple(value for value in values if value)


def _parse_date(value: str, fail: Callable[[str], SourceFormatError], columns: slice) -> date | None:
    if not value.strip():
        return None
    where = f"columns {columns.start + 1}-{columns.stop}"
    # isdigit() alone would accept non-ASCII digits, and int() accepts signs, spaces and underscores.
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        raise fail(f"date in {where} is not yyyymmdd: {value!r}")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise fail(f"invalid date in {where}: {value!r}") from None


# ---------------------------------------------------------------------------------------------------------
# Workbooks: long descriptions (July 2025 trimmed copy, or the official ANWEB workbook) and NOC lists
# ---------------------------------------------------------------------------------------------------------

# The header row may sit below disclaimer/title rows (the official ANWEB workbook has 7 of them).
_HEADER_SEARCH_ROWS = 50
_CODE_HEADERS = {"HCPCS", "HCPC", "HCPCS CODE"}
_LONG_HEADERS = {"LONG DESCRIPTION"}
_SHORT_HEADERS = {"SHORT DESCRIPTION"}
_RECID_HEADERS = {"RECID", "REC ID", "RECORD ID"}
# Excel's escape for the DOS end-of-file byte CMS leaves at the end of some sheets (2019 NOC workbook).
_EOF_MARKS = {"\x1a", "_x001A_"}


def read_long_descriptions_xlsx(path: Path) -> list[HcpcsRecord]:
    """Read codes and long descriptions from an HCPCS workbook (or the CMS .zip holding an ANWEB one).

    Accepts the third-party trimmed July 2025 workbook (columns HCPCS, LONG_DESCRIPTION; one row per
    code) and the official CMS ANWEB workbook (HCPC, ..., LONG DESCRIPTION, SHORT DESCRIPTION, ...;
    description continuation rows with RECID 4/8 are appended). Only code, kind, long_description and,
    when the workbook has it, short_description are filled.
    """
    path = Path(path)
    records: list[HcpcsRecord] = []
    seen: dict[tuple[Kind, str], int] = {}
    raw, _ = _read_member(path, _is_anweb_xlsx, "an *ANWEB*.xlsx workbook")
    with _Rows(path, raw) as rows:
        header_row, columns = _find_header(path, rows, _CODE_HEADERS, required_long=True)
        code_col = columns["code"]
        long_col = columns["long"]
        short_col = columns.get("short")
        recid_col = columns.get("recid")
        for row_no, row in rows:
            if all(_is_blank(value) for value in row):
                continue  # an empty row (formatting only)
            code_cell = _cell(row, code_col)
            long_cell = _cell(row, long_col)
            if isinstance(code_cell, str) and code_cell.strip() in _EOF_MARKS:
                continue
            kind, code = _workbook_code(path, row_no, code_cell)
            record_id = str(_cell(row, recid_col) or "").strip() if recid_col is not None else ""
            description = _cell_text(long_cell)
            if record_id in _CONTINUATION_OF:
                # Official workbook: a continuation row of the code just above (2019 G0503).
                if not records or (records[-1].kind, records[-1].code) != (kind, code):
                    raise SourceFormatError(
                        path, f"row {row_no}", f"continuation row for {code!r} does not follow that code"
                    )
                previous = records[-1]
                joined = (previous.long_description + " " + description).strip()
                records[-1] = HcpcsRecord(
                    code=code,
                    kind=kind,
                    long_description=joined,
                    short_description=previous.short_description,
                )
                continue
            if (kind, code) in seen:
                raise SourceFormatError(
                    path, f"row {row_no}", f"duplicate {kind} {code!r} (first at row {seen[(kind, code)]})"
                )
            if not description:
                raise SourceFormatError(path, f"row {row_no}", f"{code!r}: blank long description")
            seen[(kind, code)] = row_no
            short = _cell_text(_cell(row, short_col)) if short_col is not None else ""
            records.append(
                HcpcsRecord(code=code, kind=kind, long_description=description, short_description=short or None)
            )
        if not records:
            raise SourceFormatError(path, f"row {header_row}", "no codes below the header row")
    return records


def read_noc_codes(path: Path) -> frozenset[str]:
    """Read the HCPCS "not otherwise classified" code list.

    Accepts the CMS NOC workbook (``NOC codes_JUL2025.xlsx``: title rows, a header row with HCPCS, then
    one row per code), its fixed-width text form (``NOC_Codes_2019.prn``) and a CMS .zip holding either
    (the workbook is preferred). A long description wrapped onto a second row repeats the code on that
    row; such repeats are accepted, any other duplicate is an error.
    """
    path = Path(path)
    raw, member = _read_member(path, _is_noc_member, "a NOC .xlsx or .prn file")
    if _is_xlsx(raw):
        return _read_noc_xlsx(path, raw)
    text = _decode_cp1252(path, raw, member)
    return _read_noc_text(path, text, member)


def _is_anweb_xlsx(name: str) -> bool:
    base = name.rsplit("/", 1)[-1].lower()
    return "anweb" in base and base.endswith(".xlsx")


def _is_noc_member(name: str) -> bool:
    base = name.rsplit("/", 1)[-1].lower()
    return "noc" in base and base.endswith((".xlsx", ".prn", ".txt"))


def _read_noc_xlsx(path: Path, raw: bytes) -> frozenset[str]:
    seen: set[str] = set()
    with _Rows(path, raw) as rows:
        header_row, columns = _find_header(path, rows, _CODE_HEADERS, required_long=False)
        code_col = columns["code"]
        previous: str | None = None
        for row_no, row in rows:
            value = _cell(row, code_col)
            if _is_blank(value):
                previous = None
                continue
            if isinstance(value, str) and value.strip() in _EOF_MARKS:
                continue
            kind, code = _workbook_code(path, row_no, value)
            if kind != "code":
                raise SourceFormatError(path, f"row {row_no}", f"not a HCPCS code: {value!r}")
            if code in seen and code != previous:
                raise SourceFormatError(path, f"row {row_no}", f"duplicate code {code!r}")
            seen.add(code)
            previous = code
        if not seen:
            raise SourceFormatError(path, f"row {header_row}", "no codes below the header row")
    return frozenset(seen)


def _read_noc_text(path: Path, text: str, member: str | None) -> frozenset[str]:
    def fail(line_no: int, reason: str) -> SourceFormatError:
        return SourceFormatError(path, f"line {line_no}", reason + (f" (in {member})" if member else ""))

    code_col: int | None = None
    seen: set[str] = set()
    previous: str | None = None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final line end
    line_no = 0
    for line_no, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip("\r\n")
        if code_col is None:
            # Title lines come first; the header line names the code column ("  HCPCS  LONG DESCRIPTION").
            match = re.search(r"\bHCPCS?\b", line.upper())
            if match and "DESCRIPTION" in line.upper():
                code_col = match.start()
            continue
        if not line.strip() or line.strip() in _EOF_MARKS:
            previous = None
            continue
        code = line[code_col : code_col + 5]
        if line[:code_col].strip() or not _PROCEDURE_CODE.fullmatch(code) or line[code_col + 5 : code_col + 6].strip():
            raise fail(line_no, f"no HCPCS code in columns {code_col + 1}-{code_col + 5}: {line[:40]!r}")
        if code in seen and code != previous:
            raise fail(line_no, f"duplicate code {code!r}")
        seen.add(code)
        previous = code
    if code_col is None:
        raise fail(max(line_no, 1), "no header line with HCPCS and DESCRIPTION found")
    if not seen:
        raise fail(line_no, "no codes below the header line")
    return frozenset(seen)


@contextlib.contextmanager
def _quiet_openpyxl() -> Iterator[None]:
    """Silence openpyxl's UserWarnings: CMS workbooks have print headers it cannot parse (and ignores)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        yield


class _Rows:
    """Numbered rows of the first worksheet, from a read-only openpyxl workbook; closes it on exit."""

    def __init__(self, path: Path, raw: bytes) -> None:
        self._path = path
        self._raw = raw
        self._workbook: Any = None
        self._iterator: Iterator[tuple[Any, ...]] | None = None
        self._row_no = 0

    def __enter__(self) -> _Rows:
        if not _is_xlsx(self._raw):
            raise SourceFormatError(self._path, None, "not an .xlsx workbook (no xl/workbook.xml inside)")
        try:
            with _quiet_openpyxl():
                self._workbook = openpyxl.load_workbook(io.BytesIO(self._raw), read_only=True, data_only=True)
            sheet = self._workbook.worksheets[0]
            self._iterator = sheet.iter_rows(values_only=True)
        except Exception as error:  # openpyxl raises many types (KeyError, ValueError, XML errors...)
            raise SourceFormatError(self._path, None, f"unreadable .xlsx workbook: {error}") from error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._workbook is not None:
            self._workbook.close()

    def __iter__(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        return self

    def __next__(self) -> tuple[int, tuple[Any, ...]]:
        assert self._iterator is not None
        try:
            # Rows are parsed lazily in read-only mode, so a damaged sheet fails here, mid-way, and
            # openpyxl's warnings about the sheet's trailing print settings come from here too.
            with _quiet_openpyxl():
                row = next(self._iterator)
        except StopIteration:
            raise
        except Exception as error:
            raise SourceFormatError(
                self._path, f"row {self._row_no + 1}", f"unreadable worksheet row: {error}"
            ) from error
        self._row_no += 1
        return self._row_no, row


def _header_key(value: Any) -> str:
    # 'LONG_DESCRIPTION', 'Long Description ' and 'LONG DESCRIPTION' are the same header.
    return " ".join(str(value).replace("_", " ").upper().split()) if isinstance(value, str) else ""


def _find_header(
    path: Path, rows: Iterable[tuple[int, tuple[Any, ...]]], code_headers: set[str], *, required_long: bool
) -> tuple[int, dict[str, int]]:
    """Consume rows up to the header row; return its number and the columns found in it."""
    last = 0
    for row_no, row in rows:
        last = row_no
        keys = [_header_key(value) for value in row]
        code_col = next((i for i, key in enumerate(keys) if key in code_headers), None)
        if code_col is not None:
            columns = {"code": code_col}
            for name, names in (
                ("long", _LONG_HEADERS),
                ("short", _SHORT_HEADERS),
                ("recid", _RECID_HEADERS),
            ):
                found = next((i for i, key in enumerate(keys) if key in names), None)
                if found is not None:
                    columns[name] = found
            if required_long and "long" not in columns:
                raise SourceFormatError(
                    path, f"row {row_no}", "header row has no LONG_DESCRIPTION / LONG DESCRIPTION column"
                )
            return row_no, columns
        if row_no >= _HEADER_SEARCH_ROWS:
            break
    raise SourceFormatError(
        path,
        f"row {max(last, 1)}",
        f"no header row with an HCPCS column in the first {_HEADER_SEARCH_ROWS} rows",
    )


def _cell(row: tuple[Any, ...], column: int | None) -> Any:
    if column is None or column >= len(row):
        return None
    return row[column]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _workbook_code(path: Path, row_no: int, value: Any) -> tuple[Kind, str]:
    # CMS's HCPC column stores modifiers right-aligned in 5 characters ('   A1'), like the text file.
    if _is_blank(value):
        raise SourceFormatError(path, f"row {row_no}", "blank HCPCS code")
    text = str(value).strip().upper() if isinstance(value, str | int) else ""
    if _PROCEDURE_CODE.fullmatch(text):
        return "code", text
    if _MODIFIER_CODE.fullmatch(text):
        return "modifier", text
    raise SourceFormatError(path, f"row {row_no}", f"not a HCPCS code or modifier: {value!r}")


# ---------------------------------------------------------------------------------------------------------
# Files, archives and encodings
# ---------------------------------------------------------------------------------------------------------


def _is_xlsx(raw: bytes) -> bool:
    if not raw.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _read_member(path: Path, wanted: Callable[[str], bool], description: str) -> tuple[bytes, str | None]:
    """The bytes of ``path``, or of the one wanted member when ``path`` is a CMS .zip archive."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SourceFormatError(path, None, f"cannot read file: {error.strerror or error}") from error
    if not raw.startswith(b"PK\x03\x04") or _is_xlsx(raw):
        if path.suffix.lower() == ".zip":
            raise SourceFormatError(path, None, "not a .zip archive")
        return raw, None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            candidates = [name for name in archive.namelist() if wanted(name)]
            # Prefer the data file over look-alikes such as a transaction report, and the workbook over
            # its text export (only the NOC reader accepts both).
            candidates = [name for name in candidates if "trans" not in name.lower()] or candidates
            candidates = [name for name in candidates if name.lower().endswith(".xlsx")] or candidates
            if not candidates:
                raise SourceFormatError(path, None, f"the archive holds no {description}")
            if len(candidates) > 1:
                raise SourceFormatError(
                    path, None, f"the archive holds several candidate files: {', '.join(candidates)}"
                )
            return archive.read(candidates[0]), candidates[0]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as error:
        raise SourceFormatError(path, None, f"damaged .zip archive: {error}") from error


def _decode_cp1252(path: Path, raw: bytes, member: str | None) -> str:
    """Decode a CMS text file; CMS writes them in Windows-1252 (the 2019 file has NBSPs in its header)."""
    suffix = f" (in {member})" if member else ""
    reject_non_text(path, raw, suffix, "Windows-1252 text")
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        line_no = raw.count(b"\n", 0, error.start) + 1
        raise SourceFormatError(
            path,
            f"line {line_no}",
            f"byte 0x{raw[error.start]:02x} is not Windows-1252 text{suffix}",
        ) from error
