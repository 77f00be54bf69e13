"""What detection looks at: the head of a file as XML (root, version, title), as text lines, or workbook rows."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast
from xml.etree import ElementTree as ET

import openpyxl

from db.sources.files import element_text
from db.sources.hcpcs import _quiet_openpyxl
from db.sources.walk import Entry

__all__ = ["HEAD_BYTES", "Sample", "TextHead", "WorkbookHead", "XmlHead"]

#: Only this much of a file is read to tell what it is (the root, version and title of the XML files sit in
#: the first kilobyte; 256 KiB holds hundreds of fixed-width records), so a 2 GB video costs one read.
HEAD_BYTES = 256 << 10
#: CMS workbooks are a few MB; a workbook must be read whole (it is a zip), so bigger ones are refused.
MAX_WORKBOOK_BYTES = 200 << 20
#: HCPCS releases are dated from every record; the fixed-width file is about 5 MB.
MAX_FULL_READ = 64 << 20
WORKBOOK_HEAD_ROWS = 50

# Children of the root that only describe the file; detection waits for the end of these two, which hold
# what tells the kinds apart (the tabular's title page, the tables' column headings).
_DESCRIPTIVE = {"version", "title"}
_WAIT_FOR_END = {"introduction", "indexHeading"}


@dataclass(frozen=True)
class XmlHead:
    root: str  # '' when the XML is broken before its root element
    version: str
    title: str
    first_child: str | None  # the first root child other than <version>/<title> ('letter', 'indexHeading'...)
    headings: tuple[str, ...]  # <indexHeading><head> texts of the neoplasm and drug tables
    error: str | None  # the parse error within the head, if any


@dataclass(frozen=True)
class TextHead:
    lines: tuple[str, ...]  # complete lines of the head, line ends removed
    encoding: str


@dataclass(frozen=True)
class WorkbookHead:
    sheets: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # the first WORKBOOK_HEAD_ROWS rows of the first sheet
    error: str | None


class Sample:
    """One file under examination; reads its head once, parses lazily, and knows the names around it."""

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        self.name = entry.name
        self.size = entry.size
        with entry.open() as handle:
            self.head = handle.read(HEAD_BYTES)
        self.complete = len(self.head) >= self.size  # the head is the whole file

    @property
    def names(self) -> tuple[str, ...]:
        """The file's name, then the folders inside its zips and the zips' names, innermost first."""
        names = [self.name]
        members = self.entry.origin.members
        if members:
            names += reversed(members[-1].split("/")[:-1])
        for container in self.entry.containers:
            origin = container.origin
            names += reversed(origin.members[-1].split("/")) if origin.members else [origin.path.name]
        return tuple(name for name in names if name)

    def read_all(self) -> bytes | None:
        """The whole file, when it is small enough to be a code file read in full; else None."""
        if self.complete:
            return self.head
        if self.size > MAX_FULL_READ:
            return None
        with self.entry.open() as handle:
            return handle.read(MAX_FULL_READ + 1)

    @cached_property
    def stripped_head(self) -> bytes:
        return self.head.removeprefix(b"\xef\xbb\xbf").lstrip()

    @cached_property
    def is_workbook(self) -> bool:
        if not self.head.startswith(b"PK\x03\x04"):
            return False
        data = self.read_all() if self.size <= MAX_WORKBOOK_BYTES else None
        try:
            return data is not None and "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return False

    @cached_property
    def xml(self) -> XmlHead | None:
        if not self.stripped_head.startswith(b"<"):
            return None
        return _xml_head(self.head)

    @cached_property
    def text(self) -> TextHead | None:
        """The head as text lines, or None for binary data and UTF-16 (which CMS and CDC never ship)."""
        head = self.head
        if b"\x00" in head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return None
        if not self.complete and b"\n" in head:
            head = head[: head.rindex(b"\n") + 1]  # drop the line cut by the head's end
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = head.decode(encoding)
            except UnicodeDecodeError:
                continue
            lines = text.split("\n")
            if lines[-1] == "":
                lines.pop()
            return TextHead(tuple(line.rstrip("\r") for line in lines), encoding)
        return None

    @cached_property
    def workbook(self) -> WorkbookHead | None:
        if not self.is_workbook:
            return None
        data = self.read_all()
        assert data is not None  # is_workbook read it
        try:
            with _quiet_openpyxl():
                book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
                try:
                    rows = tuple(_first_rows(book.worksheets[0].iter_rows(values_only=True)))
                    return WorkbookHead(tuple(book.sheetnames), rows, None)
                finally:
                    book.close()
        except Exception as error:  # openpyxl raises many types (KeyError, ValueError, XML errors...)
            return WorkbookHead((), (), f"{type(error).__name__}: {error}")

    def workbook_rows(self) -> Iterator[tuple[Any, ...]]:
        """Every row of the first sheet (for dating HCPCS releases from their records)."""
        data = self.read_all()
        if data is None:
            return
        with _quiet_openpyxl():
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                yield from book.worksheets[0].iter_rows(values_only=True)
            finally:
                book.close()


def _first_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for number, row in enumerate(rows, start=1):
        yield row
        if number >= WORKBOOK_HEAD_ROWS:
            return


def _xml_head(head: bytes) -> XmlHead:
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    depth = 0
    root = version = title = ""
    first_child: str | None = None
    headings: tuple[str, ...] = ()
    error: str | None = None
    try:
        for start in range(0, len(head), 16 << 10):
            parser.feed(head[start : start + (16 << 10)])
            for item in parser.read_events():
                event, element = cast("tuple[str, Any]", item)
                if not isinstance(element, ET.Element):
                    continue  # only start/end events were asked for; this keeps the type checker sure
                if event == "start":
                    depth += 1
                    if depth == 1:
                        root = element.tag
                    elif depth == 2 and first_child is None and element.tag not in _DESCRIPTIVE:
                        first_child = element.tag
                        if element.tag not in _WAIT_FOR_END:
                            return XmlHead(root, version, title, first_child, headings, None)
                    continue
                if depth == 2 and element.tag == "version":
                    version = element_text(element)
                elif depth == 2 and element.tag == "title":
                    title = element_text(element)
                elif depth == 2 and element.tag == "indexHeading":
                    headings = tuple(element_text(head_element) for head_element in element.iter("head"))
                if depth == 2 and element.tag in _WAIT_FOR_END:
                    return XmlHead(root, version, title, first_child, headings, None)
                depth -= 1
    except ET.ParseError as parse_error:
        error = str(parse_error)
    return XmlHead(root, version, title, first_child, headings, error)
