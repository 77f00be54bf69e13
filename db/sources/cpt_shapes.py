"""What every licensed CPT file shares: code shapes and categories, add-on wording, text decoding, the CPT year."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.releases import ReleaseInfo
from db.sources.errors import SourceFormatError

#: Category I (5 digits; vaccine product codes end in A, multianalyte assays in M), Category II (F),
#: Category III (T), Proprietary Laboratory Analyses (U).
CODE = re.compile(r"[0-9]{4}[0-9FTUAM]")
#: CPT modifiers are two characters with a digit ("25", "59", "P1", "1P"); HCPCS modifiers are letters.
MODIFIER = re.compile(r"[0-9][0-9A-Z]|[A-Z][0-9]")
#: HCPCS Level II codes (a letter and four digits): in the fee-schedule file beside CPT, never CPT themselves.
HCPCS_CODE = re.compile(r"[A-V][0-9]{4}")
CATEGORIES = {
    "F": "Category II (performance measurement)",
    "T": "Category III (emerging technology)",
    "U": "Proprietary Laboratory Analyses (PLA)",
    "A": "Category I (vaccine product)",
    "M": "Category I (multianalyte assay with algorithmic analysis)",
}
#: The AMA's words for an add-on code (CPT's "+" symbol is not in the data files, its wording is).
ADD_ON = re.compile(r"list separately in addition to", re.IGNORECASE)
#: The copyright line the About box and every CPT detail show.
AMA_COPYRIGHT = (
    "CPT® codes and descriptions are copyright American Medical Association. All rights reserved. "
    "Loaded from your own licensed files; Codebook ships none."
)

_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
# PPRRVU26_JAN.csv, RVU26A.zip: CMS writes the fee-schedule year in two digits.
_SHORT_YEAR = re.compile(r"(?:PPRRVU|RVU)(\d\d)(?!\d)", re.IGNORECASE)


def category(code: str) -> str:
    """The CPT category of a code (or 'modifier')."""
    if len(code) == 2:
        return "modifier"
    return CATEGORIES.get(code[-1], "Category I")


def is_add_on(descriptors: Iterable[str]) -> bool:
    return any(ADD_ON.search(text) for text in descriptors)


def code_text(value: Any) -> str:
    """A code cell as text: workbooks store 99213 as a number and lose the zeros of 00100 (anesthesia)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value)).zfill(5)
    return str(value).strip().upper()


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8 (with or without BOM), else Windows-1252, which practice-management
    exports use; bytes Windows-1252 leaves undefined are reported with their line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise SourceFormatError(path, None, f"damaged UTF-16 text: {error.reason}") from error
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceFormatError(
            path, f"line {line}", f"byte 0x{data[error.start]:02X} is neither UTF-8 nor Windows-1252 text"
        ) from error


def read_text(path: Path) -> tuple[list[str], str]:
    """The file's lines (line ends removed) and encoding."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceFormatError(path, None, f"cannot read file: {error.strerror or error}") from error
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceFormatError(path, None, "binary data, not a text file")
    text, encoding = decode(path, data)
    return text.splitlines(), encoding


@dataclass(frozen=True)
class CptEntry:
    """One descriptor of one code (or modifier) and the line (or row) it was read from."""

    code: str
    descriptor: str
    line: int

    @property
    def kind(self) -> str:
        return "modifier" if len(self.code) == 2 else "code"


def check_duplicates(path: Path, entries: Sequence[CptEntry], what: str = "line") -> list[CptEntry]:
    """The entries without exact repeats; the same code with two different descriptors is an error naming both
    places (never the descriptors: they are the AMA's text)."""
    first: dict[str, CptEntry] = {}
    kept: list[CptEntry] = []
    for entry in entries:
        seen = first.get(entry.code)
        if seen is None:
            first[entry.code] = entry
            kept.append(entry)
        elif seen.descriptor != entry.descriptor:
            raise SourceFormatError(
                path,
                f"{what} {entry.line}",
                f"code {entry.code} is also on {what} {seen.line} with a different descriptor; keep one of them",
            )
    return kept


def year_from_names(names: Sequence[str]) -> tuple[int, str] | None:
    """The CPT year a file's name (or the zip or folder it came in) states, and that name."""
    for name in names:
        if (match := _SHORT_YEAR.search(name)) is not None:
            return 2000 + int(match.group(1)), name
        if (match := _YEAR.search(name)) is not None:
            return int(match.group(1)), name
    return None


def cpt_release(year: int | None) -> ReleaseInfo:
    """A CPT year is in force for dates of service January 1 to December 31."""
    if year is None:
        return ReleaseInfo("cpt", "codes", "CPT (unknown year)", None, None)
    return ReleaseInfo("cpt", "codes", f"CPT {year}", dt.date(year, 1, 1), dt.date(year, 12, 31))
