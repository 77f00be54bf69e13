"""Readers for CMS's NCCI files: procedure-to-procedure (PTP) edits and Medically Unlikely Edits (MUE) tables.

PTP (practitioner `ccipra-vXYZrN-fK`, outpatient hospital `ccioph-vXYZrN-fK`, quarterly zips of four parts, each a
tab-delimited .txt and a workbook): a copyright line, then a header block whose cells, read down each column,
say Column 1 | Column 2 | *=in existence prior to 1996 | Effective Date | Deletion Date *=no data |
Modifier 0=not allowed 1=allowed 9=not applicable | PTP Edit Rationale, then one edit per row (dates YYYYMMDD,
deletion `*` while in force). Version 32.3 is 2026 Q4 (version = year - 1994, point = quarter - 1).

MUE (`MCR_MUE_PractitionerServices_Eff_10-01-2026.csv`, OutpatientHospitalServices, DMESupplierServices; CSV
and workbook): an AMA copyright cell, then HCPCS/CPT Code | <Setting> Services MUE Values | MUE Adjudication
Indicator ("1 Line Edit", "2 Date of Service Edit: Policy", "3 Date of Service Edit: Clinical") | MUE Rationale.

Readers return plain records and raise SourceFormatError naming the file and line for anything else.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from db.releases import ReleaseInfo
from db.sources.errors import SourceFormatError

PRACTITIONER, HOSPITAL, DME = "practitioner", "hospital", "dme"
SETTING_LABELS = {PRACTITIONER: "practitioner", HOSPITAL: "outpatient hospital", DME: "DME supplier"}
#: What each header column must say (upper case, spaces collapsed), read down the header block.
PTP_COLUMNS = ("COLUMN 1", "COLUMN 2", "1996", "EFFECTIVE", "DELETION", "MODIFIER", "RATIONALE")
#: Deletion date of an edit still in force.
OPEN_END = 99991231
_CODE = re.compile(r"[0-9A-Z]{5}")
_EDITION = re.compile(r"cci(pra|oph)-v(\d{2,3})(\d)r(\d+)(?:-f(\d+))?", re.IGNORECASE)
_QUARTER_NAME = re.compile(r"(20\d\d)[-_ ]?q([1-4])", re.IGNORECASE)
_MUE_NAME = re.compile(r"MUE_?(Practitioner|OutpatientHospital|DMESupplier)Services_Eff_(\d\d)-(\d\d)-(\d{4})", re.I)
_MUE_SETTINGS = {"PRACTITIONER": PRACTITIONER, "OUTPATIENT HOSPITAL": HOSPITAL, "DME SUPPLIER": DME}


class PtpEdit(NamedTuple):
    column1: str
    column2: str
    prior_1996: bool
    #: YYYYMMDD as an integer (compares like the date); deletion OPEN_END while in force.
    effective: int
    deletion: int
    #: 0: not allowed with any modifier; 1: allowed with an NCCI-associated modifier; 9: not applicable.
    modifier: int
    rationale: str


class MueValue(NamedTuple):
    code: str
    value: int
    #: 1 line edit; 2 date of service edit, policy; 3 date of service edit, clinical.
    adjudication: int
    adjudication_text: str
    rationale: str


@dataclass(frozen=True)
class Edition:
    """Which quarterly file: setting, version and part, and the quarter it is for."""

    setting: str
    version: str  # "32.3 r0"
    part: str  # "f1"
    quarter_start: dt.date
    quarter_end: dt.date
    evidence: str

    @property
    def quarter(self) -> str:
        return f"{self.quarter_start.year} Q{(self.quarter_start.month - 1) // 3 + 1}"


def quarter_dates(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - dt.timedelta(days=1)
    return start, end


def ptp_edition(names: Sequence[str]) -> Edition | None:
    """The edition CMS's names carry ('ccipra-v323r0-f1.txt' in 'medicare-ncci-2026q4-...zip'), else None."""
    match = next((m for m in (_EDITION.search(name) for name in names) if m), None)
    if match is None:
        return None
    setting = PRACTITIONER if match.group(1).lower() == "pra" else HOSPITAL
    major, minor = int(match.group(2)), int(match.group(3))
    named = next((m for m in (_QUARTER_NAME.search(name) for name in names) if m), None)
    if named:
        year, quarter = int(named.group(1)), int(named.group(2))
        evidence = f"quarter {year} Q{quarter} in the name {named.string!r}"
    else:
        year, quarter = 1994 + major, minor + 1
        evidence = f"version {major}.{minor} in the name {match.string!r} (version = year - 1994, point = quarter - 1)"
    if not 1 <= quarter <= 4 or not 2000 <= year <= 2100:
        return None
    start, end = quarter_dates(year, quarter)
    part = f"f{match.group(5)}" if match.group(5) else "f1"
    return Edition(setting, f"{major}.{minor} r{match.group(4)}", part, start, end, evidence)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _code(cell: str) -> str:
    return cell.upper()


def _cells(raw: Sequence[object], code_columns: tuple[int, ...]) -> list[str]:
    """The row's cells as text; a workbook cell holding code 00100 as the number 100 gets its zeros back."""
    cells = [_cell(value) for value in raw]
    for index in code_columns:
        if index < len(raw) and isinstance(raw[index], int | float) and cells[index].isdigit():
            cells[index] = cells[index].zfill(5)
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _header_columns(rows: Sequence[Sequence[str]]) -> list[str]:
    width = max(len(row) for row in rows)
    return [" ".join(row[i] for row in rows if i < len(row) and row[i]).upper() for i in range(width)]


def is_ptp_header(cells: Sequence[str]) -> bool:
    return len(cells) >= 2 and [c.upper() for c in cells[:2]] == ["COLUMN 1", "COLUMN 2"]


def _is_ptp_data(cells: Sequence[str]) -> bool:
    return len(cells) >= 6 and bool(_CODE.fullmatch(cells[0].upper())) and cells[3].isdigit() and len(cells[3]) == 8


def _date_int(text: str, what: str, where: str, location: str) -> int:
    try:
        dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise SourceFormatError(location, where, f"{what} {text!r} is not a date (YYYYMMDD)") from None
    return int(text)


def read_ptp_rows(rows: Iterable[Sequence[object]], location: str) -> Iterator[PtpEdit]:
    """Every edit of a PTP file given as rows of cells (tab-split text lines or workbook rows)."""
    header: list[list[str]] | None = None
    seen_data = False
    for number, raw in enumerate(rows, start=1):
        cells = _cells(raw, (0, 1))
        where = f"line {number}"
        if header is None:
            if is_ptp_header(cells):
                header = [cells]
            elif number > 40:
                break
            continue
        if not seen_data and not _is_ptp_data(cells):
            header.append(cells)
            if len(header) > 8:
                raise SourceFormatError(location, where, "no PTP edit rows after the header (Column 1, Column 2...)")
            continue
        if not seen_data:
            _check_header(header, location)
            seen_data = True
        if not cells:
            continue
        yield _edit(cells, where, location)
    if header is None:
        raise SourceFormatError(location, None, "not an NCCI PTP edit file: no header row 'Column 1, Column 2'")
    if not seen_data:
        raise SourceFormatError(location, None, "an NCCI PTP header but no edits: truncated file?")


def _check_header(header: list[list[str]], location: str) -> None:
    columns = _header_columns(header)
    for index, expected in enumerate(PTP_COLUMNS):
        found = columns[index] if index < len(columns) else ""
        if expected not in found:
            raise SourceFormatError(
                location, f"header column {index + 1}", f"expected {expected!r} (CMS PTP layout), found {found!r}"
            )


def _edit(cells: list[str], where: str, location: str) -> PtpEdit:
    if len(cells) < 6:
        raise SourceFormatError(location, where, f"{len(cells)} columns, an edit has 7: {' | '.join(cells)!r}")
    column1, column2 = _code(cells[0]), _code(cells[1])
    for what, code in (("column 1", column1), ("column 2", column2)):
        if not _CODE.fullmatch(code):
            raise SourceFormatError(location, where, f"{what} code {code!r} is not a 5-character HCPCS/CPT code")
    prior = cells[2]
    if prior not in ("", "*"):
        raise SourceFormatError(location, where, f"in-existence-prior-to-1996 mark {prior!r} (expected '*' or blank)")
    effective = _date_int(cells[3], "effective date", where, location)
    deletion_text = cells[4]
    deletion = OPEN_END if deletion_text in ("", "*") else _date_int(deletion_text, "deletion date", where, location)
    modifier = cells[5]
    if modifier not in ("0", "1", "9"):
        raise SourceFormatError(location, where, f"modifier indicator {modifier!r} (expected 0, 1 or 9)")
    rationale = cells[6] if len(cells) > 6 else ""
    return PtpEdit(column1, column2, prior == "*", effective, deletion, int(modifier), rationale)


def read_ptp_text(lines: Iterable[str], location: str) -> Iterator[PtpEdit]:
    """The tab-delimited .txt of a PTP part (lines without their ends, decoded)."""
    return read_ptp_rows((line.rstrip("\r\n").split("\t") for line in lines), location)


# ---------------------------------------------------------------------------------------------------------
# MUE
# ---------------------------------------------------------------------------------------------------------


def mue_header_setting(cells: Sequence[str]) -> str | None:
    """The setting a MUE header row names ('Practitioner Services MUE Values'), or None for any other row."""
    if len(cells) < 4 or cells[0].upper().replace(" ", "") != "HCPCS/CPTCODE":
        return None
    second = cells[1].upper()
    if not second.endswith("SERVICES MUE VALUES") or "ADJUDICATION" not in cells[2].upper():
        return None
    return _MUE_SETTINGS.get(second.removesuffix("SERVICES MUE VALUES").strip())


def mue_effective(names: Sequence[str]) -> tuple[str, dt.date] | None:
    """(setting, effective date) from CMS's name 'MCR_MUE_PractitionerServices_Eff_10-01-2026.csv'."""
    for name in names:
        match = _MUE_NAME.search(name)
        if match:
            kind = match.group(1).upper()
            setting = {"PRACTITIONER": PRACTITIONER, "OUTPATIENTHOSPITAL": HOSPITAL}.get(kind, DME)
            try:
                return setting, dt.date(int(match.group(4)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                return None
    return None


def read_mue_rows(rows: Iterable[Sequence[object]], location: str) -> tuple[str, list[MueValue]]:
    """(setting, values) of a MUE table given as rows of cells (CSV records or workbook rows)."""
    setting: str | None = None
    values: list[MueValue] = []
    for number, raw in enumerate(rows, start=1):
        cells = _cells(raw, (0,))
        if setting is None:
            setting = mue_header_setting(cells)
            if setting is None and number > 40:
                break
            continue
        if not cells:
            continue
        values.append(_mue(cells, f"record {number}", location))
    if setting is None:
        raise SourceFormatError(location, None, "not a MUE table: no header 'HCPCS/CPT Code, ... Services MUE Values'")
    if not values:
        raise SourceFormatError(location, None, "a MUE header but no values: truncated file?")
    return setting, values


def _mue(cells: list[str], where: str, location: str) -> MueValue:
    if len(cells) < 3:
        raise SourceFormatError(location, where, f"{len(cells)} columns, a MUE row has 4: {' | '.join(cells)!r}")
    code = _code(cells[0])
    if not _CODE.fullmatch(code):
        raise SourceFormatError(location, where, f"code {code!r} is not a 5-character HCPCS/CPT code")
    if not cells[1].isdigit():
        raise SourceFormatError(location, where, f"MUE value {cells[1]!r} is not a whole number")
    indicator = cells[2]
    if indicator[:1] not in ("1", "2", "3"):
        raise SourceFormatError(location, where, f"MUE adjudication indicator {indicator!r} (expected 1, 2 or 3 ...)")
    return MueValue(code, int(cells[1]), int(indicator[0]), indicator, cells[3] if len(cells) > 3 else "")


def read_mue_csv(text: str, location: str) -> tuple[str, list[MueValue]]:
    return read_mue_rows(csv.reader(text.splitlines(keepends=True)), location)


# ---------------------------------------------------------------------------------------------------------
# Detection (db/sources/detect.py): the head of a file as rows of cells, and the names around it
# ---------------------------------------------------------------------------------------------------------


def ptp_release(rows: Sequence[Sequence[object]], names: Sequence[str]) -> tuple[ReleaseInfo, str] | None:
    """(release, evidence) when the rows start a PTP edit file, else None."""
    if not any(is_ptp_header([_cell(c) for c in row]) for row in rows[:40]):
        return None
    try:
        if not list(itertools.islice(read_ptp_rows(rows, names[0] if names else ""), 3)):
            return None
    except SourceFormatError:
        return None
    edition = ptp_edition(names)
    if edition is None:
        return ReleaseInfo("ncci", "ptp", "NCCI PTP edits (quarter unknown)", None, None), "no CMS name"
    name = f"NCCI PTP edits, {SETTING_LABELS[edition.setting]}, version {edition.version} ({edition.quarter})"
    return ReleaseInfo("ncci", "ptp", name, edition.quarter_start, edition.quarter_end), edition.evidence


def mue_release(rows: Sequence[Sequence[object]], names: Sequence[str]) -> tuple[ReleaseInfo, str] | None:
    """(release, evidence) when the rows start a MUE table, else None."""
    try:
        setting, _ = read_mue_rows(rows, names[0] if names else "")
    except SourceFormatError:
        return None
    dated = mue_effective(names)
    label = SETTING_LABELS[setting]
    if dated is None:
        return ReleaseInfo("ncci", "mue", f"MUE table, {label} (date unknown)", None, None), "no CMS name"
    start = dated[1]
    end = quarter_dates(start.year, (start.month - 1) // 3 + 1)[1]
    name = f"MUE table, {label}, effective {start.isoformat()}"
    return ReleaseInfo("ncci", "mue", name, start, end), "effective date in the file name"
