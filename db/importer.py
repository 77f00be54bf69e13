"""Official files from disk -> new releases in the data folder: detect, plan, build (which validates), then swap.

One path for every kind of file: `scan` says what each file is by its content; the plan groups the files into
releases and says, for each, whether it is new, already loaded or left out (and why); `run_import` copies the
new files into `imports/`, builds everything into a temporary folder and swaps it in. A bad, truncated or
partial set of files stops the build before the swap: the new copies are removed and nothing changes.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db import cpt_import
from db.build import BuildReport, BuildSources, build
from db.imports import (
    HCPCS_CODE_KINDS,
    IMPORTS_DIR,
    INDEX_FIELDS,
    Imports,
    StoredFile,
    StoredRelease,
    sources_with_imports,
)
from db.in_force import ReleaseRef
from db.models import CPT
from db.releases import ReleaseInfo
from db.sources.detect import FoundFile, Unrecognised, scan
from db.sources.errors import SourceFormatError

#: The file that makes a release of each code set, by preference; the others join a release of theirs.
MAIN_KINDS = {"icd10cm-tabular": "icd10cm", "icd10pcs-tables": "icd10pcs"} | {k: "hcpcs" for k in HCPCS_CODE_KINDS}
#: Files that only make sense with their release's main file in the same import.
NEEDS_MAIN = {"icd10cm-order", "icd10pcs-definitions", "icd10pcs-order", "hcpcs-noc"}


Progress = Callable[[str], None]


@dataclass(frozen=True)
class StoreLoader:
    """Data that lives in its own store beside the code database (NCCI edits, coverage documents...).

    `load(files, data_dir, progress, should_cancel)` validates every file, builds its store in a temporary
    file and swaps it in atomically (nothing changes on any error), and returns counts of what it loaded.
    `loaded(data_dir)` gives the sha256 of the files its store was built from, so the same files imported
    twice change nothing. Register one with `register_store_loader` from the module that owns the store.
    """

    name: str
    kinds: frozenset[str]
    load: Callable[[list[FoundFile], Path, Progress, Callable[[], bool]], dict[str, int]]
    loaded: Callable[[Path], set[str]]


STORE_LOADERS: dict[str, StoreLoader] = {}


def register_store_loader(loader: StoreLoader) -> None:
    STORE_LOADERS[loader.name] = loader


def _store_loader_of(kind: str) -> StoreLoader | None:
    return next((loader for loader in STORE_LOADERS.values() if kind in loader.kinds), None)


@dataclass(frozen=True)
class FileReport:
    found: FoundFile
    #: new, already loaded, left out
    status: str
    why: str = ""

    def to_json(self) -> dict[str, Any]:
        release = self.found.release
        return {
            "kind": self.found.kind,
            "location": self.found.location,
            "name": self.found.name,
            "bytes": self.found.size,
            "sha256": self.found.sha256,
            "system": release.system,
            "release": release.name,
            "valid_from": release.valid_from.isoformat() if release.valid_from else None,
            "valid_to": release.valid_to.isoformat() if release.valid_to else None,
            "release_evidence": self.found.release_evidence,
            "official": self.found.official,
            "status": self.status,
            "why": self.why,
        }


@dataclass(frozen=True)
class Draft:
    """A release to import: its dates and the files that make it."""

    release: ReleaseInfo
    files: tuple[FoundFile, ...]


@dataclass
class ImportPlan:
    reports: list[FileReport] = field(default_factory=list)
    unrecognised: list[Unrecognised] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    #: Reasons the import cannot go ahead (a partial set of files): nothing is changed.
    refusals: list[str] = field(default_factory=list)
    #: Files for stores beside the code database, by store loader name.
    store_files: dict[str, list[FoundFile]] = field(default_factory=dict)
    #: The columns of CPT lists (CSV/XLSX), when the clerk chose them (the CLI: one choice for every list).
    cpt_columns: cpt_import.Columns = field(default_factory=cpt_import.Columns)
    #: One list's columns by its sha256 (the import dialog's preview), before `cpt_columns`.
    cpt_list_columns: dict[str, cpt_import.Columns] = field(default_factory=dict)

    @property
    def has_new(self) -> bool:
        return bool(self.drafts) or any(self.store_files.values())

    def columns_of(self, found: FoundFile) -> cpt_import.Columns:
        return self.cpt_list_columns.get(found.sha256, self.cpt_columns)


def _key(release: ReleaseInfo) -> tuple[str, dt.date | None]:
    return release.system, release.valid_from


def plan_import(
    paths: Sequence[Path], loaded: Sequence[ReleaseRef], imports: Imports, data_dir: Path | None = None
) -> ImportPlan:
    """What importing `paths` would do, given the releases loaded now; reads only the files' heads and sums."""
    result = scan(paths)
    plan = ImportPlan(unrecognised=list(result.unrecognised))
    loaded_keys = {(r.system, r.valid_from): r.name for r in loaded}
    seen_sums: dict[str, FoundFile] = {}
    mains: dict[tuple[str, dt.date | None], FoundFile] = {}
    companions: list[FoundFile] = []
    cpt_found: list[FoundFile] = []
    for found in result.found:
        if found.sha256 in seen_sums:
            plan.reports.append(FileReport(found, "left out", f"the same file as {seen_sums[found.sha256].location}"))
            continue
        seen_sums[found.sha256] = found
        if found.sha256 in imports.checksums():
            plan.reports.append(FileReport(found, "already loaded", "imported before"))
            continue
        store = _store_loader_of(found.kind)
        if store is not None:
            if data_dir is not None and found.sha256 in store.loaded(data_dir):
                plan.reports.append(FileReport(found, "already loaded", f"in the {store.name} data"))
            else:
                plan.store_files.setdefault(store.name, []).append(found)
                plan.reports.append(FileReport(found, "new"))
            continue
        if found.kind in cpt_import.CPT_KINDS:
            cpt_found.append(found)  # a year's files join that year's release, even one already loaded
            continue
        if found.kind not in MAIN_KINDS:
            companions.append(found)
            continue
        key = _key(found.release)
        if key in loaded_keys:
            plan.reports.append(FileReport(found, "already loaded", f"{loaded_keys[key]} is loaded"))
        elif key in mains:
            kept = mains[key]
            plan.reports.append(FileReport(found, "left out", f"the same release is read from {kept.location}"))
        else:
            mains[key] = found
    members: dict[tuple[str, dt.date | None], list[FoundFile]] = {key: [main] for key, main in mains.items()}
    index_only: list[FoundFile] = []
    for found in companions:
        home = _home(found, mains)
        twin = next((f for f in members.get(home, []) if f.kind == found.kind), None) if home is not None else None
        if twin is not None:
            plan.reports.append(FileReport(found, "left out", f"the same release's {found.kind} is {twin.location}"))
        elif home is not None:
            members[home].append(found)
        elif any(_same_release(found.release, system, start) for system, start in loaded_keys):
            plan.reports.append(FileReport(found, "already loaded", "its release is loaded"))
        elif found.kind in NEEDS_MAIN:
            plan.refusals.append(
                f"{found.location}: {found.kind.replace('-', ' ')} of {found.release.name} needs its release's main "
                "file in the same import (the tabular, the tables or the HCPCS codes file)"
            )
            plan.reports.append(FileReport(found, "left out", "its release's main file is not among the files"))
        elif found.kind in INDEX_FIELDS and _older_than_loaded(found.release, loaded):
            plan.reports.append(FileReport(found, "left out", "older than the newest loaded release of its code set"))
        elif found.kind in INDEX_FIELDS:
            index_only.append(found)
    for key, files in members.items():
        plan.drafts.append(Draft(mains[key].release, tuple(files)))
        plan.reports.extend(FileReport(f, "new") for f in files)
    for found in index_only:
        plan.drafts.append(Draft(found.release, (found,)))
        plan.reports.append(FileReport(found, "new"))
    years, left_out = cpt_import.group(cpt_found)
    for release, files in years:
        plan.drafts.append(Draft(release, tuple(files)))
        plan.reports.extend(FileReport(f, "new") for f in files)
    plan.reports.extend(FileReport(found, "left out", why) for found, why in left_out)
    return plan


def _older_than_loaded(release: ReleaseInfo, loaded: Sequence[ReleaseRef]) -> bool:
    starts = [r.valid_from for r in loaded if r.system == release.system and r.valid_from is not None]
    if not starts or release.valid_from is None:
        return False
    return _fiscal_year(release.valid_from) < _fiscal_year(max(starts))


def _same_release(release: ReleaseInfo, system: str, start: dt.date | None) -> bool:
    """A companion file of a loaded release: HCPCS by its quarter, ICD-10 by its fiscal year."""
    if release.system == "hcpcs":
        return (system, start) == _key(release)
    return _same_year(release, ReleaseInfo(system, "", "", start, None))


def _same_year(release: ReleaseInfo, other: ReleaseInfo) -> bool:
    """Same code set and same fiscal year (an October release and its April update count as one year)."""
    if release.system != other.system or release.valid_from is None or other.valid_from is None:
        return False
    return _fiscal_year(release.valid_from) == _fiscal_year(other.valid_from)


def _fiscal_year(day: dt.date) -> int:
    return day.year + 1 if day.month >= 10 else day.year


def _home(found: FoundFile, mains: dict[tuple[str, dt.date | None], FoundFile]) -> tuple[str, dt.date | None] | None:
    """The release in this import a companion file belongs to: same dates first, else the same fiscal year
    (HCPCS: the same quarter)."""
    exact = _key(found.release)
    if exact in mains:
        return exact
    if found.release.system == "hcpcs":
        return None
    return next((key for key, main in mains.items() if _same_year(found.release, main.release)), None)


def run_import(
    plan: ImportPlan,
    data_dir: Path,
    progress: Progress = print,
    should_cancel: Callable[[], bool] = lambda: False,
    base: BuildSources | None = None,
    swap: Callable[[Callable[[], None]], None] | None = None,
) -> BuildReport:
    """Copy the plan's new files into `data_dir/imports/`, rebuild with them and swap the new data in.

    Any failure (a file that does not parse, a cancel) removes the copies: the previous data, and the record
    of earlier imports, stay exactly as they were.
    """
    if plan.refusals:
        raise ValueError("the plan has refusals: " + "; ".join(plan.refusals))
    store_counts: dict[str, int] = {}
    for name, store_batch in plan.store_files.items():
        progress(f"Loading {name} data")
        for key, value in STORE_LOADERS[name].load(store_batch, data_dir, progress, should_cancel).items():
            store_counts[f"{name}.{key}"] = value
    if not plan.drafts:
        return BuildReport(counts=store_counts)
    imports = Imports.load(data_dir)
    folder = data_dir / IMPORTS_DIR
    created: list[Path] = []
    origins: dict[Path, str] = {}
    stored: list[StoredRelease] = []
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        for draft in plan.drafts:
            release = draft.release
            start = release.valid_from.isoformat() if release.valid_from else "undated"
            slug = f"{release.system}-{start}-{draft.files[0].sha256[:10]}"
            target = folder / slug
            if target.exists():
                shutil.rmtree(target)  # left by an import that crashed before it was recorded
            created.append(target)
            files: list[StoredFile] = []
            for found in draft.files:
                progress(f"Copying {found.location}")
                written = found.materialize(target)
                origins[written] = found.location
                if found.kind in cpt_import.CPT_KINDS:
                    cpt_import.write_sidecar(written, found, plan.columns_of(found))
                files.append(StoredFile(found.kind, f"{slug}/{written.name}", found.sha256, found.location))
            stored.append(
                StoredRelease(release.system, release.name, release.valid_from, release.valid_to, tuple(files), stamp)
            )
        merged, obsolete = cpt_import.merge(imports, stored, folder)
        updated = Imports(merged)
        sources = sources_with_imports(data_dir, updated, base)
        if all(draft.release.system == CPT for draft in plan.drafts):
            # Only CPT years: laid over the current build in seconds (the official releases are as built).
            report = cpt_import.update_cpt(data_dir, sources, progress, should_cancel, swap)
        else:
            report = build(data_dir, sources, progress, should_cancel, swap=swap)
    except BaseException as error:
        for target in created:
            shutil.rmtree(target, ignore_errors=True)
        if isinstance(error, SourceFormatError) and error.path in origins:
            # Name the clerk's file, not its (now removed) copy in imports/.
            raise SourceFormatError(origins[error.path], error.location, error.reason) from error
        raise
    updated.save(data_dir)
    cpt_import.delete_copies(obsolete)
    report.counts.update(store_counts)
    return report


# Stores beside the code database register their loaders when imported (keep at the bottom: they import this module).
import db.coverage_store  # noqa: E402
import db.ncci_store  # noqa: E402, F401
