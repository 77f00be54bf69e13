"""Reader for the AMA's CPT data files: one descriptor kind per file (long, medium, short, consumer, clinician,
modifiers), code then descriptor on each line.

Layouts followed (the AMA's data-file documentation as summarised by the NLM's UMLS "CPT source information"
pages, 2012AA and 2016AA, and the AMA's file layout notes shipped with the ASCII files):
- LONGULT.txt / LONGUT.txt, MEDU.txt, SHORTU.txt: code, TAB, descriptor, one code per line;
- LONGULF.txt / LONGUF.txt (fixed field): code in positions 1-5, a 2-digit sequence number in 6-7, a blank,
  then up to 72 characters of the descriptor; a long descriptor continues on the next record with the same
  code and the next sequence number;
- the DTK's ConsumerDescriptor and ClinicianDescriptor files: a header line, then columns separated by TAB
  or '|' (Concept Id, CPT Code, [Clinician Descriptor Id,] descriptor); a code may have several clinician
  descriptors;
- the AMA copyright notice starts on line 1 and the codes follow it.
Beyond these, any file whose lines are a CPT-shaped code, a TAB, '|' or blanks, and a descriptor is read, and
`AmaFile.evidence` says which kind it was taken for and why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from db.sources.cpt_shapes import CptEntry, check_duplicates, read_text
from db.sources.errors import SourceFormatError

__all__ = ["KIND_LABELS", "AmaFile", "looks_like_data_file", "parse_lines", "read_ama"]

#: Lines before the first code that are taken for the AMA's copyright notice (it is a few dozen lines).
MAX_NOTICE_LINES = 120
KIND_LABELS = {
    "long": "long descriptors",
    "medium": "medium descriptors",
    "short": "short descriptors",
    "consumer": "consumer-friendly descriptors",
    "clinician": "clinician descriptors",
    "modifiers": "modifiers",
}
# Tried in this order on the file name: MODUL before MEDU, CONSUMER before the generic words.
_NAME_KINDS = (
    ("clinician", re.compile(r"clinician", re.IGNORECASE)),
    ("consumer", re.compile(r"consumer", re.IGNORECASE)),
    ("modifiers", re.compile(r"modif|^mod", re.IGNORECASE)),
    ("long", re.compile(r"long", re.IGNORECASE)),
    ("medium", re.compile(r"med", re.IGNORECASE)),
    ("short", re.compile(r"short", re.IGNORECASE)),
)
_CODE = r"[0-9]{4}[0-9FTUAM]|[0-9][0-9A-Z]|[A-Z][0-9]"
_LINE = re.compile(rf"(?P<code>{_CODE})(?P<sep>\t|\||[ ]+)(?P<text>.*)")
_FIXED = re.compile(r"(?P<code>[0-9]{4}[0-9FTUAM])(?P<seq>[0-9]{2}) (?P<text>.*)")
_WORD = re.compile(r"[A-Za-z]{2}")


@dataclass(frozen=True)
class AmaFile:
    descriptor_kind: str  # a key of KIND_LABELS
    #: In words: which kind the file was taken for and why, and its layout.
    evidence: str
    entries: tuple[CptEntry, ...]


def read_ama(path: Path, names: Sequence[str] = ()) -> AmaFile:
    lines, _encoding = read_text(path)
    return parse_lines(path, lines, names or (path.name,))


def _kind(names: Sequence[str], entries: Sequence[CptEntry]) -> tuple[str, str]:
    if entries and all(entry.kind == "modifier" for entry in entries):
        return "modifiers", "every code is a two-character modifier"
    for kind, pattern in _NAME_KINDS:
        if pattern.search(names[0]) and kind != "modifiers":
            return kind, f"from the name {names[0]!r}"
    longest = max((len(entry.descriptor) for entry in entries), default=0)
    if longest <= 28:
        return "short", f"no kind in the name {names[0]!r} and no descriptor over 28 characters (the AMA's short limit)"
    return "long", f"no kind in the name {names[0]!r}; descriptors up to {longest} characters"


def _table_header(lines: Sequence[str]) -> tuple[int, str, int, int] | None:
    """(line index, separator, code column, descriptor column) of a DTK-style header line."""
    for index, line in enumerate(lines[:MAX_NOTICE_LINES]):
        for separator in ("\t", "|"):
            cells = [cell.strip().lower() for cell in line.split(separator)]
            if len(cells) < 3 or _LINE.fullmatch(line.strip()):
                continue
            code = next((i for i, cell in enumerate(cells) if "cpt" in cell and "code" in cell), None)
            text = next((i for i in reversed(range(len(cells))) if "descriptor" in cells[i]), None)
            if code is not None and text is not None and code != text:
                return index, separator, code, text
    return None


def parse_lines(path: Path, lines: Sequence[str], names: Sequence[str], complete: bool = True) -> AmaFile:
    """Parse the lines of one data file (or, for detection, its head: `complete=False`)."""
    header = _table_header(lines)
    if header is not None:
        entries, layout = _table_entries(path, lines, header), "header line and columns"
    else:
        entries, layout = _line_entries(path, lines)
    if not entries:
        raise SourceFormatError(path, None, "no line holds a CPT code and a descriptor")
    kind, why = _kind(names, entries)
    if kind != "clinician":  # one code has several clinician descriptors; every other kind has one
        entries = check_duplicates(path, entries)
    return AmaFile(kind, f"AMA {KIND_LABELS[kind]} ({why}; {layout})", tuple(entries))


def _table_entries(path: Path, lines: Sequence[str], header: tuple[int, str, int, int]) -> list[CptEntry]:
    start, separator, code_column, text_column = header
    entries: list[CptEntry] = []
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split(separator)]
        if len(cells) <= max(code_column, text_column):
            raise SourceFormatError(
                path, f"line {number}", f"{len(cells)} columns where the header has more (a truncated file?)"
            )
        code = cells[code_column].upper()
        if not _LINE.fullmatch(code + " x"):
            raise SourceFormatError(path, f"line {number}", f"{code[:12]!r} is not a CPT code or modifier")
        if not cells[text_column]:
            raise SourceFormatError(path, f"line {number}", f"code {code} has no descriptor (a truncated file?)")
        entries.append(CptEntry(code, cells[text_column], number))
    return entries


def _line_entries(path: Path, lines: Sequence[str]) -> tuple[list[CptEntry], str]:
    entries: list[CptEntry] = []
    fixed: bool | None = None
    separator: str | None = None
    last_sequence = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        match = _FIXED.fullmatch(line) if fixed is not False else None
        if match is None and fixed is not True:
            match = _LINE.fullmatch(line)
        if match is None or not _WORD.search(match.group("text")):
            if not entries and number <= MAX_NOTICE_LINES:
                continue  # the copyright notice above the codes
            if re.fullmatch(_CODE, line.strip().rstrip("|")):
                raise SourceFormatError(path, f"line {number}", f"code {line.strip()} has no descriptor (truncated?)")
            raise SourceFormatError(path, f"line {number}", f"not a CPT code and descriptor: starts {line[:20]!r}")
        if fixed is None:
            fixed = "seq" in match.groupdict()
        code, text = match.group("code"), match.group("text").strip()
        if not fixed:
            sep = "blanks" if match.group("sep").isspace() and match.group("sep") != "\t" else match.group("sep")
            separator = separator or sep
            if sep != separator or ("\t" in text and sep == "\t") or ("|" in text and sep == "|"):
                raise SourceFormatError(path, f"line {number}", f"code {code}: more columns than code and descriptor")
        if fixed and entries and entries[-1].code == code and int(match.group("seq")) == last_sequence + 1:
            # A long descriptor continued on the next record (same code, next sequence number).
            previous = entries.pop()
            entries.append(CptEntry(code, f"{previous.descriptor} {text}", previous.line))
        else:
            entries.append(CptEntry(code, text, number))
        last_sequence = int(match.group("seq")) if fixed else 0
    layout = "fixed-field records" if fixed else f"code, {_separator_name(separator)}, descriptor"
    return entries, layout


def _separator_name(separator: str | None) -> str:
    return {"\t": "TAB", "|": "'|'", "blanks": "blanks"}.get(separator or "", "separator")


def looks_like_data_file(lines: Sequence[str]) -> bool:
    """Most lines after the notice are code, separator, descriptor: a CPT data file, even if a line is broken."""
    body = [line.rstrip() for line in lines[:400] if line.strip()]
    good = [i for i, line in enumerate(body) if _line_ok(line)]
    if not good:
        return False
    rest = body[good[0] :]
    return len(good) >= 2 and len(good) * 2 >= len(rest)


def _line_ok(line: str) -> bool:
    match = _LINE.fullmatch(line) or _FIXED.fullmatch(line)
    if match is None or not _WORD.search(match.group("text")):
        return False
    separator = match.groupdict().get("sep")
    return separator not in ("\t", "|") or separator not in match.group("text")
