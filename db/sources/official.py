"""Known checksums of official CMS/CDC files (resources/official_checksums.tsv): is a file the published one."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from db.paths import resources_dir
from db.sources.errors import SourceFormatError

__all__ = ["COLUMNS", "KnownFile", "known_checksums", "load_checksums"]

COLUMNS = ("sha256", "file_name", "publisher", "code_set", "release", "evidence")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_RELEASE = re.compile(r"FY20\d\d(-apr1)?|20\d\d-(jan|apr|jul|oct)")
OFFICIAL_PUBLISHERS = frozenset({"CMS", "CDC"})


@dataclass(frozen=True)
class KnownFile:
    sha256: str
    file_name: str
    publisher: str  # 'CMS', 'CDC', or 'third party' for a known modified copy
    code_set: str  # 'icd10cm', 'icd10pcs' or 'hcpcs'
    release: str  # 'FY2026', 'FY2026-apr1' (its April 1 update) or '2025-jul' (an HCPCS quarter)
    evidence: str  # how the checksum is known: verified against a held copy, or reported by a third party

    @property
    def is_official(self) -> bool:
        return self.publisher in OFFICIAL_PUBLISHERS


def load_checksums(path: Path) -> dict[str, KnownFile]:
    """Parse the table (tab-separated, '#' comment lines, a header row); errors name the line."""
    known: dict[str, KnownFile] = {}
    header_seen = False
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if not header_seen:
            if tuple(fields) != COLUMNS:
                raise SourceFormatError(path, f"line {line_no}", f"header must be {' '.join(COLUMNS)}")
            header_seen = True
            continue
        if len(fields) != len(COLUMNS) or not all(field.strip() for field in fields):
            raise SourceFormatError(path, f"line {line_no}", f"expected {len(COLUMNS)} non-empty tab-separated fields")
        entry = KnownFile(*fields)
        if not _SHA256.fullmatch(entry.sha256):
            raise SourceFormatError(path, f"line {line_no}", f"not a lower-case sha256: {entry.sha256!r}")
        if not _RELEASE.fullmatch(entry.release):
            reason = f"release not FYyyyy[-apr1] or yyyy-mon: {entry.release!r}"
            raise SourceFormatError(path, f"line {line_no}", reason)
        if entry.sha256 in known:
            raise SourceFormatError(path, f"line {line_no}", f"sha256 listed twice ({known[entry.sha256].file_name})")
        known[entry.sha256] = entry
    if not header_seen:
        raise SourceFormatError(path, None, "no header row")
    return known


@functools.cache
def known_checksums() -> dict[str, KnownFile]:
    """The bundled table, read once."""
    return load_checksums(resources_dir() / "official_checksums.tsv")
