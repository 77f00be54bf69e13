"""Reader for the CMS Physician Fee Schedule national relative value file (PPRRVUyy_*.csv / .xlsx in RVUyyX zips).

Layout (CMS's RVUyyX packages, as parsed by public PPRRVU readers): title rows first (the release's name,
"yyyy National Physician Fee Schedule Relative Value File ...", and the AMA/ADA copyright lines), then a
header split over several rows whose last row starts HCPCS, MOD, DESCRIPTION; joined top to bottom, the
columns read HCPCS, MOD, DESCRIPTION, STATUS CODE, NOT USED FOR MEDICARE PAYMENT, WORK RVU, NON-FAC PE RVU,
NON-FAC NA INDICATOR, FACILITY PE RVU, FACILITY NA INDICATOR, MP RVU, NON-FACILITY TOTAL, FACILITY TOTAL,
PCTC IND, GLOB DAYS, PRE OP, INTRA OP, POST OP, MULT PROC, BILAT SURG, ASST SURG, CO-SURG, TEAM SURG,
[PRIC IND in recent years,] ENDO BASE, CONV FACTOR, ... Columns are found by those joined names, not by
position, because CMS has inserted columns over the years.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.sources.cpt_shapes import cell_text, code_text
from db.sources.cpt_table import table_rows
from db.sources.errors import SourceFormatError

__all__ = ["PfsFile", "PfsRow", "find_header", "read_pfs"]

_TITLE_YEAR = re.compile(r"(20\d\d)\s+National Physician Fee Schedule", re.IGNORECASE)
_QUARTER = re.compile(r"(january|april|july|october)", re.IGNORECASE)


def _has(*words: str, without: str | None = None) -> Callable[[str], bool]:
    return lambda name: all(word in name for word in words) and (without is None or without not in name)


#: Field -> test on the column's joined header name (upper case, single spaces).
COLUMNS: dict[str, Callable[[str], bool]] = {
    "code": lambda name: name == "HCPCS",
    "modifier": lambda name: name == "MOD",
    "description": lambda name: name == "DESCRIPTION",
    "status": _has("STATUS"),
    "work_rvu": _has("WORK", "RVU"),
    "nonfacility_pe_rvu": lambda name: name.startswith("NON-FAC") and name.endswith("PE RVU"),
    "facility_pe_rvu": lambda name: name.startswith("FACILITY") and name.endswith("PE RVU"),
    "mp_rvu": lambda name: name.startswith("MP") and name.endswith("RVU"),
    "nonfacility_total": lambda name: name.startswith("NON-FACILITY") and name.endswith("TOTAL"),
    "facility_total": lambda name: name.startswith("FACILITY") and name.endswith("TOTAL"),
    "pctc": _has("PCTC"),
    "global_days": _has("GLOB"),
    "multiple_procedure": _has("MULT"),
    "bilateral_surgery": _has("BILAT"),
    "assistant_surgery": _has("ASST"),
    "co_surgeons": _has("CO-", "SURG"),
    "team_surgery": _has("TEAM"),
    "conversion_factor": _has("CONV"),
}
REQUIRED = ("code", "modifier", "description", "status", "work_rvu", "global_days")
NUMBERS = ("work_rvu", "nonfacility_pe_rvu", "facility_pe_rvu", "mp_rvu", "nonfacility_total", "facility_total",
           "conversion_factor")  # fmt: skip


@dataclass(frozen=True)
class PfsRow:
    """One code (and modifier) of the relative value file; RVUs as numbers, indicators as CMS writes them."""

    line: int
    code: str
    modifier: str
    description: str
    values: dict[str, float | str | None]


@dataclass(frozen=True)
class PfsFile:
    year: int | None
    #: The release named in the title rows ("2026 National Physician Fee Schedule Relative Value File
    #: January Release"), or "".
    title: str
    rows: tuple[PfsRow, ...]


def _norm(value: Any) -> str:
    return " ".join(cell_text(value).upper().split())


def find_header(rows: Sequence[Sequence[Any]]) -> tuple[int, dict[str, int], str] | None:
    """(index of the last header row, field -> column, the title) when the rows are a relative value file."""
    for index, row in enumerate(rows[:40]):
        cells = [_norm(value) for value in row]
        if cells[:3] != ["HCPCS", "MOD", "DESCRIPTION"]:
            continue
        # The split header: the rows above with several filled cells (titles fill one or two).
        upper = [r for r in rows[max(0, index - 6) : index] if sum(1 for v in r if _norm(v)) >= 5]
        names = []
        for column, cell in enumerate(cells):
            parts = [_norm(r[column]) for r in upper if column < len(r) and _norm(r[column])]
            names.append(" ".join([*parts, cell]).strip() if column > 2 else cell)
        found: dict[str, int] = {}
        for field, test in COLUMNS.items():
            match = next((i for i, name in enumerate(names) if test(name) and i not in found.values()), None)
            if match is not None:
                found[field] = match
        # The NA indicators follow their PE RVU column; their own header reads "NA INDICATOR" in some years and
        # "NON-FAC NA INDICATOR" in others.
        for pe, na in (("nonfacility_pe_rvu", "nonfacility_na"), ("facility_pe_rvu", "facility_na")):
            if pe in found and found[pe] + 1 < len(names) and names[found[pe] + 1].endswith("INDICATOR"):
                found[na] = found[pe] + 1
        title = next((cell_text(v) for r in rows[:index] for v in r if _TITLE_YEAR.search(cell_text(v))), "")
        return index, found, title
    return None


def _number(path: Path, line: int, field: str, value: Any) -> float | None:
    text = cell_text(value)
    if text in ("", "NA"):
        return None
    try:
        return float(text)
    except ValueError:
        raise SourceFormatError(
            path, f"row {line}", f"{field.replace('_', ' ')} {text[:12]!r} is not a number"
        ) from None


def read_pfs(path: Path) -> PfsFile:
    rows = table_rows(path)  # a workbook, or CSV text (the same reader as the office lists)
    header = find_header(rows)
    if header is None:
        raise SourceFormatError(path, None, "no HCPCS, MOD, DESCRIPTION header row: not a PFS relative value file")
    index, columns, title = header
    missing = [field for field in REQUIRED if field not in columns]
    if missing:
        raise SourceFormatError(path, f"row {index + 1}", f"no {', '.join(missing)} column in the header")
    width = max(columns.values()) + 1
    year_match = _TITLE_YEAR.search(title)
    parsed: list[PfsRow] = []
    seen: dict[tuple[str, str], PfsRow] = {}
    for line, row in enumerate(rows[index + 1 :], start=index + 2):
        if not any(cell_text(v) for v in row):
            continue
        if len(row) < width:
            raise SourceFormatError(path, f"row {line}", f"{len(row)} columns of {width} (a truncated file?)")
        code = code_text(row[columns["code"]])
        if not re.fullmatch(r"[0-9A-Z]{5}", code):
            if not parsed and line - index <= 3:
                continue  # a note under the header
            raise SourceFormatError(path, f"row {line}", f"{code[:12]!r} is not a CPT or HCPCS code")
        values: dict[str, float | str | None] = {}
        for field, column in columns.items():
            if field in ("code", "modifier", "description"):
                continue
            cell = row[column] if column < len(row) else None
            values[field] = _number(path, line, field, cell) if field in NUMBERS else (cell_text(cell) or None)
        modifier = cell_text(row[columns["modifier"]]).upper()
        item = PfsRow(line, code, modifier, cell_text(row[columns["description"]]), values)
        key = (item.code, item.modifier)
        if key in seen:
            if seen[key].description != item.description or seen[key].values != item.values:
                where = f"{item.code} {item.modifier}".strip()
                raise SourceFormatError(
                    path, f"row {line}", f"{where} is also on row {seen[key].line} with other values"
                )
            continue
        seen[key] = item
        parsed.append(item)
    if not parsed:
        raise SourceFormatError(path, None, "no code rows under the header (a truncated file?)")
    return PfsFile(int(year_match.group(1)) if year_match else None, title, tuple(parsed))


def sniff_rows(rows: Iterable[Sequence[Any]]) -> tuple[int | None, str] | None:
    """(year from the title rows, title) when these first rows are a relative value file's; for detection."""
    head = [tuple(row) for row in rows]
    header = find_header(head)
    if header is None or any(field not in header[1] for field in REQUIRED):
        return None
    match = _TITLE_YEAR.search(header[2])
    return (int(match.group(1)) if match else None), header[2]
