"""Parsing the official ICD-10-CM indexes and tables and the ICD-10-PCS index (XML) into flat entries."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from db.sources.errors import SourceFormatError
from db.sources.files import element_text, read_member_bytes

__all__ = [
    "CrossReference",
    "IndexEntry",
    "read_cm_index",
    "read_cm_references",
    "read_cm_table",
    "read_pcs_index",
]

SOURCE_CM_INDEX = "icd10cm-index"
SOURCE_CM_EINDEX = "icd10cm-eindex"
SOURCE_CM_NEOPLASM = "icd10cm-neoplasm"
SOURCE_CM_DRUG = "icd10cm-drug"
SOURCE_PCS_INDEX = "icd10pcs-index"

_CM_ROOT = "ICD10CM.index"
_PCS_ROOT = "ICD10PCS.index"

# A CM reference as printed in the index: category (a letter, then two letters or digits: QA0 exists since
# FY2026), optional dot with up to four more characters, and a trailing '-' when the coder must pick further
# characters ('C79.8-', 'C43.-', 'X58', 'T51.3X1').  Case is normalised before matching.
_CM_CODE_RE = re.compile(r"([A-Z][0-9A-Z][0-9A-Z])(?:\.([0-9A-Z]{0,4}))?(-?)")
# PCS characters are digits and letters except I and O (CMS leaves those out to avoid confusion with
# 1 and 0); the index gives either a full 7-character code or a 3- to 6-character table/row prefix.
_PCS_CODE_RE = re.compile(r"[0-9A-HJ-NP-Z]{3,7}")

# Nonessential modifiers that are really word endings ('Air contaminant(s)', 'Benzin(e)', 'ski(ing)',
# 'Twisted by person(s) (accidentally)'): the printed index glues them to the word, so when a <nemod>
# starts with one of these no space is put before it.
_SUFFIX_NEMODS = frozenset({"(s)", "(e)", "(es)", "(ry)", "(ing)"})

# The XML declaration's encoding pseudo-attribute; only UTF-8 is accepted (it is what CDC and CMS ship).
_DECL_ENCODING_RE = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
# Start tags in document order, skipping comments, CDATA, processing instructions and declarations so
# that only real elements are counted.  ElementTree does not report line numbers, so the n-th start tag
# found here is paired with the n-th 'start' event of the parser (see _StartTagLines).
_START_TAG_RE = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<[?!][^>]*>|<([^\s/>!?]+)", re.DOTALL)


@dataclass(frozen=True)
class IndexEntry:
    """One code reference of an index or table, with the full term path a coder would read."""

    # 'icd10cm-index', 'icd10cm-eindex', 'icd10cm-neoplasm', 'icd10cm-drug' or 'icd10pcs-index'
    source: str
    # The path of titles joined by ", " with <nemod> kept in parentheses; tables add " - <column heading>".
    term: str
    # CM: upper case, no dot, no trailing '-' ('C798'); PCS: the code or table prefix as given ('0QB').
    code: str
    # The reference needs more characters (CM '-', subcat/seecat; PCS shorter than 7 characters).
    incomplete: bool
    # Line of the code in the XML (inside the zip for zipped files), for messages; None if unknown.
    line: int | None


def read_cm_index(path: Path | str) -> list[IndexEntry]:
    """Read the ICD-10-CM alphabetic index or external cause index (.xml, or a .zip holding one .xml).

    One entry per <code>, <manif>, <subcat> and <seecat>; see/seeAlso-only terms give nothing.
    """
    path = Path(path)
    data = _load(path)
    file_title = ""
    # Entries are collected first and labelled at the end, because the source (alphabetic vs external
    # cause) depends on the file <title>, which a non-standard file could place after the letters.
    found: list[tuple[str, str, bool, int | None]] = []
    for ev in _walk(path, data, _CM_ROOT):
        tag = ev.elem.tag
        if tag == "indexHeading":
            raise SourceFormatError(
                path,
                _at(ev.line),
                "this is a Neoplasm table or Table of Drugs and Chemicals (it has <indexHeading>); "
                "read it with read_cm_table",
            )
        if tag == "title" and ev.parent == _CM_ROOT:
            file_title = element_text(ev.elem)
        elif tag in ("code", "manif", "subcat", "seecat"):
            code, incomplete = _cm_code(path, ev.line, tag, ev.elem.text)
            # subcat/seecat are printed as "see subcategory T75.0" / "see category T71": they point at
            # a code that still needs more characters even though no '-' is written.
            if tag in ("subcat", "seecat"):
                incomplete = True
            found.append((_term_path(path, ev), code, incomplete, ev.line))
    source = SOURCE_CM_EINDEX if "external cause" in file_title.lower() else SOURCE_CM_INDEX
    return [IndexEntry(source, term, code, incomplete, line) for term, code, incomplete, line in found]


@dataclass(frozen=True)
class CrossReference:
    """A <see> or <seeAlso> of the alphabetic index: "Cancer - see Neoplasm, malignant, by site"."""

    # The term path it sits under ("Cancer"; "Hypertension, hypertensive (...), with heart involvement").
    term: str
    # The term it points to, as printed ("Neoplasm, malignant, by site").
    target: str
    # "see" or "see also"
    kind: str
    line: int | None


def read_cm_references(path: Path | str) -> list[CrossReference]:
    """Every <see> / <seeAlso> of an ICD-10-CM index file (db/sources/index_references.py follows them)."""
    path = Path(path)
    found: list[CrossReference] = []
    for ev in _walk(path, _load(path), _CM_ROOT):
        if ev.elem.tag in ("see", "seeAlso") and ev.parent in ("mainTerm", "term"):
            target = " ".join(element_text(ev.elem).split())
            if target:
                kind = "see" if ev.elem.tag == "see" else "see also"
                found.append(CrossReference(_term_path(path, ev), target, kind, ev.line))
    return found


def read_cm_table(path: Path | str) -> list[IndexEntry]:
    """Read the ICD-10-CM Neoplasm table or Table of Drugs and Chemicals (.xml, or a .zip holding one .xml).

    One entry per <cell> holding a code; the term ends with " - " and the column heading.
    """
    path = Path(path)
    data = _load(path)
    headings: dict[str, str] = {}
    source: str | None = None
    entries: list[IndexEntry] = []
    for ev in _walk(path, data, _CM_ROOT):
        tag = ev.elem.tag
        if tag == "head":
            col = (ev.elem.get("col") or "").strip()
            headings[col] = element_text(ev.elem)
        elif tag == "indexHeading":
            source = _table_source(path, ev.line, headings)
        elif tag == "manif" and ev.titles:
            # The 2023 neoplasm table misuses <manif> once, for a modifier of "book-leaf (mouth)";
            # the printed table shows it as one more parenthesised modifier, so it joins the title.
            words = element_text(ev.elem)
            if words:
                ev.titles[-1] = f"{ev.titles[-1]} {words if words.startswith('(') else f'({words})'}"
        elif tag == "cell":
            raw = (ev.elem.text or "").strip()
            # Empty cells are written '--' in the drug table and '-' in the neoplasm table.
            if not raw.strip("-"):
                continue
            if source is None:
                raise SourceFormatError(path, _at(ev.line), "table cell before the <indexHeading> column headings")
            col = (ev.elem.get("col") or "").strip()
            heading = headings.get(col)
            if heading is None or col == "1":
                raise SourceFormatError(path, _at(ev.line), f"cell col={col!r} has no column heading")
            code, incomplete = _cm_code(path, ev.line, tag, raw)
            entries.append(IndexEntry(source, f"{_term_path(path, ev)} - {heading}", code, incomplete, ev.line))
    if source is None:
        raise SourceFormatError(
            path,
            None,
            "no <indexHeading>: not a Neoplasm table or Table of Drugs (use read_cm_index for indexes)",
        )
    return entries


def read_pcs_index(path: Path | str) -> list[IndexEntry]:
    """Read the ICD-10-PCS index (.xml, or a .zip holding one .xml).

    One entry per <code>, <codes> and <tab>, wherever they sit (term, <see> or <use>); the term is the
    path of titles only.  <use>/<see> without a code give nothing.
    """
    path = Path(path)
    data = _load(path)
    entries: list[IndexEntry] = []
    for ev in _walk(path, data, _PCS_ROOT):
        tag = ev.elem.tag
        if tag in ("code", "codes", "tab"):
            raw = (ev.elem.text or "").strip().upper()
            if not _PCS_CODE_RE.fullmatch(raw):
                raise SourceFormatError(
                    path, _at(ev.line), f"<{tag}> text {ev.elem.text!r} is not an ICD-10-PCS code or prefix"
                )
            entries.append(IndexEntry(SOURCE_PCS_INDEX, _term_path(path, ev), raw, len(raw) < 7, ev.line))
    return entries


# --- walking the tree -------------------------------------------------------------------------------


@dataclass
class _End:
    """The end of one element, with where it sits: enough for the readers to decide what it means."""

    elem: ET.Element
    parent: str | None
    line: int | None
    # Titles of the enclosing mainTerm/term elements, outermost first ('' for a term without a title).
    # It is the walker's live list: a reader may amend the last title (see the table <manif> case).
    titles: list[str]


def _walk(path: Path, data: bytes, root_tag: str) -> Iterator[_End]:
    """Every element end with its title path, after checking the root; XML errors become SourceFormatError."""
    lines = _StartTagLines(data)
    tags: list[str] = []
    starts: list[int | None] = []
    titles: list[str] = []
    try:
        for event, elem in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                line = lines.next(elem.tag)
                if not tags and elem.tag != root_tag:
                    raise SourceFormatError(
                        path,
                        _at(line),
                        f"root element is <{elem.tag}>, expected <{root_tag}>: not the right index file",
                    )
                tags.append(elem.tag)
                starts.append(line)
                if elem.tag in ("mainTerm", "term"):
                    titles.append("")
                continue
            tags.pop()
            line = starts.pop()
            parent = tags[-1] if tags else None
            if elem.tag == "title" and parent in ("mainTerm", "term"):
                titles[-1] = _title_text(elem)
            yield _End(elem, parent, line, titles)
            if elem.tag in ("mainTerm", "term"):
                titles.pop()
                # Entries are fully read once their term closes; dropping them keeps memory flat.
                elem.clear()
    except ET.ParseError as err:
        line_no, _col = err.position
        message = str(err).split(": line ")[0]
        hint = " (the file looks truncated)" if message in ("no element found", "unclosed token") else ""
        raise SourceFormatError(path, f"line {line_no}", f"not well-formed XML: {message}{hint}") from None


class _StartTagLines:
    """Line numbers of start tags, handed out in document order to match the parser's 'start' events.

    If the raw scan and the parser ever disagree on a tag name (exotic DTD entities, say), line numbers
    stop being reported rather than being wrong.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._matches = _START_TAG_RE.finditer(data)
        self._pos = 0
        self._line = 1
        self._ok = True

    def next(self, tag: str) -> int | None:
        if not self._ok:
            return None
        for match in self._matches:
            name = match.group(1)
            if name is None:
                continue
            self._line += self._data.count(b"\n", self._pos, match.start())
            self._pos = match.start()
            if name.decode("utf-8", "replace").rpartition(":")[2] == tag.rpartition("}")[2]:
                return self._line
            break
        self._ok = False
        return None


# --- text helpers -----------------------------------------------------------------------------------


def _title_text(title: ET.Element) -> str:
    """A <title> as printed: nonessential modifiers (<nemod>) keep their parentheses and book spacing."""
    text = title.text or ""
    for child in title:
        inner = element_text(child)
        if inner:
            first = inner.split(" ", 1)[0]
            glue = "" if child.tag == "nemod" and first in _SUFFIX_NEMODS else " "
            text = text.rstrip() + glue + inner
        text += child.tail or ""
    return " ".join(text.split())


def _term_path(path: Path, ev: _End) -> str:
    term = ", ".join(t for t in ev.titles if t)
    if not term:
        raise SourceFormatError(
            path, _at(ev.line), f"<{ev.elem.tag}> {element_text(ev.elem)!r} has no term title above it"
        )
    return term


def _cm_code(path: Path, line: int | None, tag: str, text: str | None) -> tuple[str, bool]:
    """Normalise a CM reference ('C79.8-' -> ('C798', True)) or reject text that is not one."""
    raw = (text or "").strip().upper()
    match = _CM_CODE_RE.fullmatch(raw)
    # 'C43.' (a dot with nothing after it and no '-') is not a way the index writes codes.
    if match is None or (match.group(2) == "" and not match.group(3)):
        raise SourceFormatError(path, _at(line), f"<{tag}> text {text!r} is not an ICD-10-CM code")
    return match.group(1) + (match.group(2) or ""), bool(match.group(3))


def _table_source(path: Path, line: int | None, headings: dict[str, str]) -> str:
    first = headings.get("1", "").lower()
    if first.startswith("neoplasm"):
        return SOURCE_CM_NEOPLASM
    if first.startswith("substance"):
        return SOURCE_CM_DRUG
    raise SourceFormatError(
        path, _at(line), f"first column heading is {headings.get('1')!r}, expected 'Neoplasm' or 'Substance'"
    )


def _at(line: int | None) -> str | None:
    return f"line {line}" if line is not None else None


# --- reading the file -------------------------------------------------------------------------------


def _load(path: Path) -> bytes:
    """The XML bytes of a plain file or of the single .xml inside a zip, checked to be UTF-8."""
    try:
        data = read_member_bytes(path, ".xml")
    # read_member_bytes turns directory and CRC damage into SourceFormatError; a corrupt deflate stream
    # or an unsupported compression method surface from zipfile as these instead.
    except (zlib.error, NotImplementedError, ValueError) as err:
        raise SourceFormatError(path, None, f"damaged zip archive: {err}") from None
    if not data.strip():
        raise SourceFormatError(path, None, "the file is empty")
    _check_utf8(path, data)
    return data


def _check_utf8(path: Path, data: bytes) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceFormatError(path, "line 1", "the file is UTF-16; expected UTF-8")
    declared = _DECL_ENCODING_RE.match(data.removeprefix(b"\xef\xbb\xbf").lstrip()[:200])
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        name = declared.group(1).decode("ascii")
        raise SourceFormatError(path, "line 1", f"the XML declaration says encoding={name!r}; expected UTF-8")
    # Decoding up front gives a precise line for bad bytes, which expat would only call an "invalid token".
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise SourceFormatError(
            path, f"line {line}", f"not valid UTF-8 (byte 0x{data[err.start]:02x}); the file must be UTF-8"
        ) from None
