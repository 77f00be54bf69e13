"""Reading official source files as bytes, whether plain or in a single-file zip, with checksums."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

from db.sources.errors import SourceFormatError


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_member_bytes(path: Path, suffix: str) -> bytes:
    """The file's bytes, or those of the one member ending in `suffix` when it is a zip archive."""
    if not path.is_file():
        raise SourceFormatError(path, None, "file not found")
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".zip":
            raise SourceFormatError(path, None, "not a valid zip archive (truncated or damaged download?)")
        return path.read_bytes()
    try:
        with zipfile.ZipFile(path) as archive:
            members = [name for name in archive.namelist() if name.lower().endswith(suffix)]
            if len(members) != 1:
                raise SourceFormatError(
                    path, None, f"expected exactly one *{suffix} file in the archive, found {len(members)}"
                )
            return archive.read(members[0])
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise SourceFormatError(path, None, f"damaged zip archive: {error}") from error


def parse_xml(path: Path, expected_root: str) -> ET.Element:
    """Parse an official XML file (plain or zipped) and check its root element."""
    data = read_member_bytes(path, ".xml")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        line, column = error.position
        raise SourceFormatError(path, f"line {line}, column {column}", f"not well-formed XML ({error})") from error
    if root.tag != expected_root:
        raise SourceFormatError(path, "line 1", f"root element is <{root.tag}>, expected <{expected_root}>")
    return root


def element_text(element: ET.Element | None) -> str:
    """All text inside an element, whitespace collapsed (the official files wrap and indent freely)."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def read_wanted_member(path: Path, wanted: Callable[[str], bool], description: str) -> tuple[bytes, str | None]:
    """The file's bytes, or those of the one member `wanted` accepts when it is a .zip; and that member's name.

    Unlike `read_member_bytes` this picks by a rule on the member name, for CMS zips that hold several
    text files (the order file beside the code file and addenda).
    """
    if not path.is_file():
        raise SourceFormatError(path, None, "file not found")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SourceFormatError(path, None, f"cannot read file: {error.strerror or error}") from error
    if not raw.startswith(b"PK\x03\x04"):
        if path.suffix.lower() == ".zip":
            raise SourceFormatError(path, None, "not a valid zip archive (truncated or damaged download?)")
        return raw, None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = [info.filename for info in archive.infolist() if not info.is_dir() and wanted(info.filename)]
            if len(members) != 1:
                found = ", ".join(members) if members else "none"
                raise SourceFormatError(path, None, f"expected exactly one {description} in the archive, found {found}")
            return archive.read(members[0]), members[0]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as error:
        raise SourceFormatError(path, None, f"damaged zip archive: {error}") from error


def reject_non_text(path: Path, raw: bytes, suffix: str, expected: str) -> None:
    """An empty file, or NUL bytes (UTF-16/32 text or a binary file: they never occur in CMS/CDC text files),
    stop the read naming the line; checking first also keeps a single-byte decoding from turning UTF-16 into
    garbage reported line by line."""
    if not raw.strip():
        raise SourceFormatError(path, "line 1", "empty file" + suffix)
    nul = raw.find(b"\x00")
    if nul >= 0:
        hint = "UTF-16 text" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "binary data"
        line_no = raw.count(b"\n", 0, nul) + 1
        raise SourceFormatError(path, f"line {line_no}", f"{hint}, expected {expected}{suffix}")
