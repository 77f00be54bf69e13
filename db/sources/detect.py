"""Which official CMS/CDC file is which, by content: one detector per kind, and the scan of files, folders and zips.

A new format is one detector function below plus one line in DETECTORS. `scan` walks what the user
points at (walk.py), gives each file's head to the detectors (detect_sample.py), dates the release
(detect_release.py) and checks the sha256 against the known official files (official.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from db.releases import ReleaseInfo
from db.sources import cpt_detect, ncci
from db.sources import detect_release as dating
from db.sources.detect_describe import describe, looks_relevant
from db.sources.detect_sample import Sample
from db.sources.errors import SourceFormatError
from db.sources.hcpcs_workbook import ANWEB_COLUMNS
from db.sources.mcd_detect import mcd_table
from db.sources.official import KnownFile, known_checksums
from db.sources.walk import Entry, Origin, Problem, walk

__all__ = ["DETECTORS", "KINDS", "Detection", "FoundFile", "ScanResult", "Unrecognised", "detect", "scan"]


@dataclass(frozen=True)
class Detection:
    kind: str
    release: ReleaseInfo
    release_evidence: str


@dataclass(frozen=True)
class FoundFile:
    """A code file found by `scan`, with what it is, the release it holds and whether it is the published file."""

    kind: str
    location: str  # '/media/usb/2027-code-tables.zip › Table and Index/icd10cm_index_2027.xml'
    name: str
    size: int
    sha256: str  # of the file's own bytes (unzipped)
    release: ReleaseInfo
    release_evidence: str  # what the release was read from, in words
    official: str | None  # 'official CMS file ... (how the checksum is known)', or None when not a known file
    origin: Origin = field(repr=False)

    def materialize(self, folder: Path) -> Path:
        """Write the file's bytes to `folder / name` (replacing a file of that name) and return that path.

        Checks the bytes against `sha256` while writing, so a stick pulled out or a file changed since the
        scan gives a SourceFormatError instead of a half-written or different file.
        """
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / self.name
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=self.name)
        digest = hashlib.sha256()
        try:
            with os.fdopen(handle, "wb") as out, self.origin.open() as source:
                for block in iter(lambda: source.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != self.sha256:
                raise SourceFormatError(self.location, None, "the file changed since it was scanned")
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target


@dataclass(frozen=True)
class Unrecognised:
    location: str
    reason: str


@dataclass(frozen=True)
class ScanResult:
    found: list[FoundFile]
    unrecognised: list[Unrecognised]


# ---------------------------------------------------------------------------------------------------------
# Detectors: each returns a Detection when the sample is its kind, else None
# ---------------------------------------------------------------------------------------------------------

CM, PCS = "icd10cm", "icd10pcs"


def _xml(sample: Sample, root: str) -> bool:
    head = sample.xml
    return head is not None and head.error is None and head.root == root


def _xml_release(sample: Sample, system: str, content: str, label: str) -> dating.Dated:
    head = sample.xml
    assert head is not None
    return dating.icd10_release(sample.names, system, content, label, head.version, head.title)


def _cm_index_with(sample: Sample, column_1: str) -> bool:
    head = sample.xml
    return _xml(sample, "ICD10CM.index") and head is not None and head.headings[:1] == (column_1,)


def icd10cm_tabular(sample: Sample) -> dating.Dated | None:
    return _xml_release(sample, CM, "tabular", "ICD-10-CM") if _xml(sample, "ICD10CM.tabular") else None


def icd10cm_index(sample: Sample) -> dating.Dated | None:
    head = sample.xml
    if not _xml(sample, "ICD10CM.index") or head is None or head.first_child != "letter":
        return None
    if "index to diseases" not in head.title.lower():
        return None
    return _xml_release(sample, CM, "index", "ICD-10-CM index")


def icd10cm_eindex(sample: Sample) -> dating.Dated | None:
    head = sample.xml
    if not _xml(sample, "ICD10CM.index") or head is None or "external cause" not in head.title.lower():
        return None
    return _xml_release(sample, CM, "index", "ICD-10-CM external cause index")


def icd10cm_neoplasm(sample: Sample) -> dating.Dated | None:
    if not _cm_index_with(sample, "Neoplasm"):
        return None
    return _xml_release(sample, CM, "index", "ICD-10-CM neoplasm table")


def icd10cm_drug(sample: Sample) -> dating.Dated | None:
    if not _cm_index_with(sample, "Substance"):
        return None
    return _xml_release(sample, CM, "index", "ICD-10-CM table of drugs")


def icd10pcs_tables(sample: Sample) -> dating.Dated | None:
    return _xml_release(sample, PCS, "tables", "ICD-10-PCS") if _xml(sample, "ICD10PCS.tabular") else None


def icd10pcs_definitions(sample: Sample) -> dating.Dated | None:
    if not _xml(sample, "ICD10PCS.definitions"):
        return None
    return _xml_release(sample, PCS, "definitions", "ICD-10-PCS definitions")


def icd10pcs_index(sample: Sample) -> dating.Dated | None:
    return _xml_release(sample, PCS, "index", "ICD-10-PCS index") if _xml(sample, "ICD10PCS.index") else None


# The order-file layout (order_files.py): 5-digit order, blank, code left-justified in 7, blank, 0/1, blank,
# short title in 60, blank, long title.
_ORDER_LINE = re.compile(r"\d{5} ([0-9A-Z]{3,7}) *(?<=^.{13}) ([01]) .{60} \S.*")


def _order_codes(sample: Sample) -> list[tuple[str, bool]] | None:
    """(code, valid for billing) of every line of the head, when every line is in the order-file layout."""
    text = sample.text
    lines = [line for line in text.lines if line.strip()] if text else []
    matches = [_ORDER_LINE.fullmatch(line) for line in lines]
    if not matches or not all(matches):
        return None
    return [(match.group(1), match.group(2) == "1") for match in matches if match]


def _pcs_shaped(codes: list[tuple[str, bool]]) -> bool:
    # PCS headers are the 3-character tables and every valid code has 7 characters from the PCS alphabet;
    # ICD-10-CM has headers and billable codes of 3 to 7 characters, and always starts with a letter.
    return all(len(code) == (7 if billable else 3) and not set(code) & {"I", "O"} for code, billable in codes)


def icd10cm_order(sample: Sample) -> dating.Dated | None:
    codes = _order_codes(sample)
    if not codes or _pcs_shaped(codes) or not all(code[0].isalpha() for code, _ in codes):
        return None
    return dating.order_file_release(sample.names, CM, "ICD-10-CM order file")


def icd10pcs_order(sample: Sample) -> dating.Dated | None:
    codes = _order_codes(sample)
    if not codes or not _pcs_shaped(codes):
        return None
    return dating.order_file_release(sample.names, PCS, "ICD-10-PCS order file")


# A 320-character ANWEB record: code or modifier, sequence number, record id 3/4/7/8 in column 11.
_ANWEB_LINE = re.compile(r"(?:[A-Z0-9]{5}|   [A-Z0-9]{2})\d{5}[3478].{282,309}")


def hcpcs_anweb_text(sample: Sample) -> dating.Dated | None:
    text = sample.text
    records = [line for line in text.lines if _ANWEB_LINE.fullmatch(line)] if text else []
    if not text or not records:
        return None
    first = text.lines.index(records[0])
    if any(line.strip() and not _ANWEB_LINE.fullmatch(line) for line in text.lines[first:]):
        return None  # CMS puts disclaimer lines on top only
    data = sample.read_all() or b""
    dates = re.findall(rb"^(?:[A-Z0-9]{5}|   [A-Z0-9]{2})\d{5}[37].{265}(\d{8})", data, re.MULTILINE)
    newest = max((_date(value.decode()) for value in dates), key=_order_key, default=None)
    return dating.hcpcs_release(sample.names, "codes", newest, "action effective date")


def _workbook_header(sample: Sample) -> tuple[int, list[str]] | None:
    """The first row naming an HCPCS code column, as normalised header keys."""
    book = sample.workbook
    if book is None or book.error:
        return None
    for number, row in enumerate(book.rows):
        keys = [" ".join(str(v).replace("_", " ").upper().split()) if isinstance(v, str) else "" for v in row]
        if "HCPC" in keys or "HCPCS" in keys:
            return number, keys
    return None


def hcpcs_anweb_workbook(sample: Sample) -> dating.Dated | None:
    header = _workbook_header(sample)
    if header is None or not set(ANWEB_COLUMNS) <= set(header[1]):
        return None
    column = header[1].index("ACT EFF DT")
    rows = list(sample.workbook_rows())[header[0] + 1 :]
    newest = max((_date(row[column]) for row in rows if len(row) > column), key=_order_key, default=None)
    return dating.hcpcs_release(sample.names, "codes", newest, "action effective date")


def hcpcs_longdesc_workbook(sample: Sample) -> dating.Dated | None:
    header = _workbook_header(sample)
    if header is None or [key for key in header[1] if key] != ["HCPCS", "LONG DESCRIPTION"]:
        return None
    return dating.hcpcs_release(sample.names, "codes", None, "dates")


def hcpcs_noc(sample: Sample) -> dating.Dated | None:
    """The NOC workbook, or its .prn text copy: a 'NOC CODES - HCPCS yyyy' title above HCPCS, LONG DESCRIPTION."""
    header = _workbook_header(sample)
    book, text = sample.workbook, sample.text
    if header is not None and book is not None:
        above = " ".join(str(value) for row in book.rows[: header[0]] for value in row if value)
        if "NOC CODES" not in above.upper() or "ADD DATE" not in header[1]:
            return None
        column = header[1].index("ADD DATE")
        dates = [_date(row[column]) for row in sample.workbook_rows() if len(row) > column]
    elif text is not None and not book and any("NOC CODES" in line.upper() for line in text.lines[:5]):
        heading = next((line for line in text.lines[:10] if "HCPCS" in line and "ADD DATE" in line), None)
        if heading is None:
            return None
        start = heading.index("ADD DATE")
        data = (sample.read_all() or b"").decode("cp1252", errors="replace").splitlines()
        dates = [_date(line[start : start + 8]) for line in data]
    else:
        return None
    newest = max(dates, key=_order_key, default=None)
    return dating.hcpcs_release(sample.names, "noc", newest, "code added date")


def _rows_of(sample: Sample, tab_split: bool) -> list[list[str]] | list[tuple[object, ...]] | None:
    """The head as rows of cells: a workbook's first rows, tab-split text lines or CSV records."""
    if sample.workbook is not None:
        return list(sample.workbook.rows) if not sample.workbook.error else None
    text = sample.text
    if text is None:
        return None
    if tab_split:
        return [line.split("\t") for line in text.lines]
    return list(csv.reader(io.StringIO("\n".join(text.lines))))


def ncci_ptp(sample: Sample) -> dating.Dated | None:
    """An NCCI PTP edit file (text or workbook): the 'Column 1, Column 2' header block, then valid edits."""
    found = ncci.ptp_release(_rows_of(sample, tab_split=True) or [], sample.names)
    return dating.Dated(*found) if found else None


def ncci_mue(sample: Sample) -> dating.Dated | None:
    """A MUE table (CSV or workbook): the 'HCPCS/CPT Code, ... Services MUE Values' header, then values."""
    found = ncci.mue_release(_rows_of(sample, tab_split=False) or [], sample.names)
    return dating.Dated(*found) if found else None


def mcd_article(sample: Sample) -> dating.Dated | None:
    return mcd_table(sample, "article")


def mcd_lcd(sample: Sample) -> dating.Dated | None:
    return mcd_table(sample, "lcd")


def mcd_ncd(sample: Sample) -> dating.Dated | None:
    return mcd_table(sample, "ncd")


def cpt_pfs(sample: Sample) -> dating.Dated | None:
    return cpt_detect.pfs(sample)


def cpt_ama(sample: Sample) -> dating.Dated | None:
    return cpt_detect.ama(sample)


def cpt_csv(sample: Sample) -> dating.Dated | None:
    return cpt_detect.charge_list(sample)


def _date(value: object) -> dt.date | None:
    text = str(value).strip() if value is not None else ""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _order_key(day: dt.date | None) -> dt.date:
    return day or dt.date.min


#: Kind -> detector, tried in this order; the first that recognises a file names its kind.
DETECTORS: tuple[tuple[str, Callable[[Sample], dating.Dated | None]], ...] = (
    ("icd10cm-tabular", icd10cm_tabular),
    ("icd10cm-index", icd10cm_index),
    ("icd10cm-eindex", icd10cm_eindex),
    ("icd10cm-neoplasm", icd10cm_neoplasm),
    ("icd10cm-drug", icd10cm_drug),
    ("icd10cm-order", icd10cm_order),
    ("icd10pcs-tables", icd10pcs_tables),
    ("icd10pcs-definitions", icd10pcs_definitions),
    ("icd10pcs-index", icd10pcs_index),
    ("icd10pcs-order", icd10pcs_order),
    ("hcpcs-anweb-text", hcpcs_anweb_text),
    ("hcpcs-anweb-workbook", hcpcs_anweb_workbook),
    ("hcpcs-longdesc-workbook", hcpcs_longdesc_workbook),
    ("hcpcs-noc", hcpcs_noc),
    ("ncci-ptp", ncci_ptp),
    ("ncci-mue", ncci_mue),
    ("mcd-article", mcd_article),
    ("mcd-lcd", mcd_lcd),
    ("mcd-ncd", mcd_ncd),
    ("cpt-pfs", cpt_pfs),
    ("cpt-ama", cpt_ama),
    # Last: any table with a column of CPT-shaped codes and one of words.
    ("cpt-csv", cpt_csv),
)
KINDS = tuple(kind for kind, _ in DETECTORS)


def detect(sample: Sample) -> Detection | None:
    for kind, detector in DETECTORS:
        dated = detector(sample)
        if dated is not None:
            return Detection(kind, dated.release, dated.evidence)
    return None


# ---------------------------------------------------------------------------------------------------------
# Scan
# ---------------------------------------------------------------------------------------------------------


def scan(paths: Sequence[Path], known: dict[str, KnownFile] | None = None) -> ScanResult:
    """Find and identify every code file under `paths` (files, folders, zips at any depth).

    Never raises for bad input: what cannot be read or is no code file goes to `unrecognised` with a reason.
    OS clutter (.DS_Store, __MACOSX, '._x') is skipped silently; other files that are no code file are listed
    when they came in a zip or look like code-set material by name or type (see detect_describe.looks_relevant).
    """
    known = known_checksums() if known is None else known
    found: list[FoundFile] = []
    unrecognised: list[Unrecognised] = []
    for item in walk(paths):
        if isinstance(item, Problem):
            unrecognised.append(Unrecognised(item.location, item.reason))
            continue
        result = _examine(item, known)
        if isinstance(result, FoundFile):
            found.append(result)
        elif result is not None:
            unrecognised.append(result)
    return ScanResult(found, unrecognised)


def _examine(entry: Entry, known: dict[str, KnownFile]) -> FoundFile | Unrecognised | None:
    location = entry.origin.location
    try:
        sample = Sample(entry)
        detection = detect(sample) if entry.size > 0 else None
        if detection is None:
            reason = describe(sample)
            return Unrecognised(location, reason) if looks_relevant(entry, reason) else None
        sha256 = _sha256(entry)
    except SourceFormatError as error:
        return Unrecognised(location, error.reason)
    except Exception as error:  # bad input must never stop a scan: zipfile.BadZipFile (Bad CRC-32), zlib, OSError
        return Unrecognised(location, _read_error(entry, error))
    release, evidence, official = detection.release, detection.release_evidence, None
    match = _known_match(entry, sha256, known)
    if match is not None:
        entry_known, direct = match
        if entry_known.code_set == release.system:
            dated = dating.confirm_with_checksum(dating.Dated(release, evidence), entry_known)
            release, evidence = dated.release, dated.evidence
        if entry_known.is_official:
            official = (
                f"{'official' if direct else 'from official'} {entry_known.publisher} file"
                f" {entry_known.file_name} ({entry_known.evidence})"
            )
        else:
            evidence += f"; a known {entry_known.publisher} file: {entry_known.evidence}"
    return FoundFile(
        detection.kind, location, entry.name, entry.size, sha256, release, evidence, official, entry.origin
    )


def _sha256(entry: Entry) -> str:
    digest = hashlib.sha256()
    with entry.open() as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _known_match(entry: Entry, sha256: str, known: dict[str, KnownFile]) -> tuple[KnownFile, bool] | None:
    """The known file this is (direct), or else the innermost known zip it came in."""
    if sha256 in known:
        return known[sha256], True
    for container in entry.containers:
        zip_known = known.get(container.digest())
        if zip_known is not None:
            return zip_known, False
    return None


def _read_error(entry: Entry, error: BaseException) -> str:
    where = "damaged zip" if entry.in_archive else "cannot read"
    return f"{where}: {error}" if str(error) else f"{where}: {type(error).__name__}"
