"""The releases a user imported, kept in the data folder (`imports/`), and the build sources they add up to.

Imported files live beside the built data, not inside it: a rebuild, a damaged index or an upgrade of the app
(with new bundled releases) rebuilds from the bundled files plus these, so imported releases are never lost.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db.build import BuildSources, CmFiles, HcpcsFiles, PcsFiles
from db.releases import ReleaseInfo, icd10_release

IMPORTS_DIR = "imports"
IMPORTS_FILE = "imports.json"
#: BuildSources fields an imported index file can replace, by detected kind.
INDEX_FIELDS = {
    "icd10cm-index": "icd10cm_index",
    "icd10cm-eindex": "icd10cm_eindex",
    "icd10cm-neoplasm": "icd10cm_neoplasm",
    "icd10cm-drug": "icd10cm_drug",
    "icd10pcs-index": "icd10pcs_index",
}


@dataclass(frozen=True)
class StoredFile:
    """One imported file: its role in its release, where it is kept (relative to imports/), its checksum."""

    kind: str
    path: str
    sha256: str
    location: str


@dataclass(frozen=True)
class StoredRelease:
    system: str
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    files: tuple[StoredFile, ...]
    imported_at: str

    def release_info(self, content: str) -> ReleaseInfo:
        return ReleaseInfo(self.system, content, self.name, self.valid_from, self.valid_to)

    def file_of(self, *kinds: str) -> StoredFile | None:
        return next((f for f in self.files if f.kind in kinds), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "name": self.name,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "files": [vars(f) for f in self.files],
            "imported_at": self.imported_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredRelease:
        def day(value: str | None) -> dt.date | None:
            return dt.date.fromisoformat(value) if value else None

        return cls(
            data["system"],
            data["name"],
            day(data.get("valid_from")),
            day(data.get("valid_to")),
            tuple(StoredFile(**f) for f in data["files"]),
            data.get("imported_at", ""),
        )


@dataclass
class Imports:
    """What `imports/imports.json` records: code-set releases and index files, in the order imported."""

    releases: list[StoredRelease] = field(default_factory=list)

    @classmethod
    def load(cls, data_dir: Path) -> Imports:
        record = data_dir / IMPORTS_DIR / IMPORTS_FILE
        if not record.is_file():
            return cls()
        data = json.loads(record.read_text(encoding="utf-8"))
        return cls([StoredRelease.from_json(item) for item in data.get("releases", [])])

    def save(self, data_dir: Path) -> None:
        """Written to a temporary file and renamed: a crash leaves the old record or the new one, never half."""
        folder = data_dir / IMPORTS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".imports-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"releases": [r.to_json() for r in self.releases]}, out, indent=2)
        os.replace(temporary, folder / IMPORTS_FILE)

    def checksums(self) -> set[str]:
        return {f.sha256 for release in self.releases for f in release.files}


def sources_with_imports(
    data_dir: Path, imports: Imports | None = None, base: BuildSources | None = None
) -> BuildSources:
    """The bundled official files (or `base`) plus every release imported into `data_dir`. An imported index
    replaces the bundled one of its kind when it is newer (the newest index leads to the newest release's codes)."""
    sources = copy.deepcopy(base) if base is not None else BuildSources.bundled()
    imports = imports if imports is not None else Imports.load(data_dir)
    folder = data_dir / IMPORTS_DIR
    index_dates: dict[str, dt.date] = {}
    for index_field in INDEX_FIELDS.values():
        bundled_index: Path | None = getattr(sources, index_field)
        if bundled_index is not None:
            system = "icd10pcs" if index_field.startswith("icd10pcs") else "icd10cm"
            index_dates[index_field] = icd10_release(system, "index", bundled_index, "", "").valid_from or dt.date.min
    for stored in imports.releases:
        sources.strict_links = False  # another release may lack codes the curated links name: count, not fail

        def path(*kinds: str, stored: StoredRelease = stored) -> Path | None:
            found = stored.file_of(*kinds)
            return folder / found.path if found else None

        if stored.system == "icd10cm" and (tabular := path("icd10cm-tabular")):
            sources.icd10cm.append(
                CmFiles(tabular, "imported", stored.release_info("tabular"), order=path("icd10cm-order"))
            )
        elif stored.system == "icd10pcs" and (tables := path("icd10pcs-tables")):
            sources.icd10pcs.append(
                PcsFiles(
                    tables,
                    path("icd10pcs-definitions"),
                    "imported",
                    stored.release_info("tables"),
                    order=path("icd10pcs-order"),
                )
            )
        elif stored.system == "hcpcs" and (codes := stored.file_of(*HCPCS_CODE_KINDS)):
            sources.hcpcs.append(
                HcpcsFiles(folder / codes.path, path("hcpcs-noc"), "imported", stored.release_info("codes"), codes.kind)
            )
        for stored_file in stored.files:
            replaced = INDEX_FIELDS.get(stored_file.kind)
            start = stored.valid_from or dt.date.min
            if replaced is not None and start > index_dates.get(replaced, dt.date.min):
                index_dates[replaced] = start
                setattr(sources, replaced, folder / stored_file.path)
    return sources


#: The files that hold an HCPCS release's codes, in the order the importer prefers them.
HCPCS_CODE_KINDS = ("hcpcs-anweb-text", "hcpcs-anweb-workbook", "hcpcs-longdesc-workbook")
