"""CPT files in the one import path: grouping a year's files, merging them into that year's imported release,
the clerk's column choice for lists (and the preview it is made on), and removing every trace of the licensed data.

Files of one CPT year (AMA descriptor files, the PFS file, an office list) make one `cpt` release; importing
more files of a year already loaded adds them to it, and a file of the same role (say, a newer quarter's
relative value file) replaces the old one. The role and the columns chosen are kept beside the copy
(`NAME.cpt.json`), so every rebuild reads the file the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.build import BuildCancelled, BuildReport, BuildSources, build, finish_build
from db.build_cpt import CptFiles, CptSource
from db.cpt_layer import database_facts, lay_over, read_layer, without_layer_counts
from db.data_check import data_problem
from db.imports import IMPORTS_DIR, Imports, StoredFile, StoredRelease, sources_with_imports
from db.layout import BUILD_INFO_FILE, DATABASE_FILE, INDEX_DIR, current_dir
from db.releases import ReleaseInfo
from db.sources.cpt_shapes import cell_text
from db.sources.cpt_table import SAMPLE_ROWS, Choice, choose_columns, table_rows
from db.sources.errors import SourceFormatError

if TYPE_CHECKING:
    from db.sources.detect import FoundFile

CPT_KINDS = frozenset({"cpt-ama", "cpt-pfs", "cpt-csv"})
SIDECAR = ".cpt.json"


@dataclass(frozen=True)
class Columns:
    """The clerk's choice for office lists (1-based), None: found by shape and content."""

    code: int | None = None
    description: int | None = None


@dataclass(frozen=True)
class ListPreview:
    """The head of an office list and the columns the import would read from it, for the clerk to check or change.

    `problem` says why these columns cannot be read (then `choice` is None): the import must not go ahead.
    """

    location: str
    sha256: str
    #: The first rows as read (cells as in the file), enough to choose the columns as the import will.
    rows: tuple[tuple[Any, ...], ...]
    columns: Columns
    choice: Choice | None
    problem: str = ""
    #: The last columns that could be read: their header row still names the columns while `problem` is shown.
    shown: Choice | None = None

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    @property
    def headers(self) -> tuple[str, ...]:
        shown = self.choice or self.shown
        if shown is not None:
            return shown.headers
        return tuple(f"column {c + 1}" for c in range(self.width))

    def with_columns(self, columns: Columns) -> ListPreview:
        """The same list read with other columns (1-based, None: found by shape and content)."""
        return _previewed(self.location, self.sha256, self.rows, columns, self.choice or self.shown)

    def first_rows(self, count: int) -> list[tuple[str, ...]]:
        """Up to `count` filled rows below the header, as text, each `width` cells wide."""
        read = self.choice or self.shown
        start = read.header_row + 1 if read is not None and read.header_row is not None else 0
        shown: list[tuple[str, ...]] = []
        for row in self.rows[start:]:
            if len(shown) == count:
                break
            cells = tuple(cell_text(row[c]) if c < len(row) else "" for c in range(self.width))
            if any(cells):
                shown.append(cells)
        return shown


def _previewed(
    location: str, sha256: str, rows: tuple[tuple[Any, ...], ...], columns: Columns, shown: Choice | None = None
) -> ListPreview:
    try:
        choice = choose_columns(Path(location), rows, columns.code, columns.description)
    except SourceFormatError as error:
        return ListPreview(location, sha256, rows, columns, None, error.reason, shown)
    return ListPreview(location, sha256, rows, columns, choice)


def preview_list(found: FoundFile, columns: Columns = Columns()) -> ListPreview:
    """The preview of an office list (kind `cpt-csv`) as scanned: reads the whole file once, keeps its head."""
    try:
        with found.origin.open() as source:
            data = source.read()
        rows = table_rows(Path(found.name), data)
    except (OSError, SourceFormatError) as error:
        reason = error.reason if isinstance(error, SourceFormatError) else f"cannot read file: {error}"
        return ListPreview(found.location, found.sha256, (), columns, None, reason)
    # The header can sit below title rows: keep what choose_columns looks at past the first code.
    return _previewed(found.location, found.sha256, tuple(rows[: 2 * SAMPLE_ROWS]), columns)


def role(found: FoundFile) -> str:
    """What a file gives its year: one PFS file, one file per AMA descriptor kind, any number of lists."""
    if found.kind == "cpt-ama":
        return found.release_evidence.split(" (", 1)[0]  # 'AMA long descriptors'
    if found.kind == "cpt-pfs":
        return "PFS relative values"
    return f"list {found.name}"


def group(files: Sequence[FoundFile]) -> tuple[list[tuple[ReleaseInfo, list[FoundFile]]], list[tuple[FoundFile, str]]]:
    """The years these files make (files in scan order) and the files left out, with why."""
    years: dict[dt.date | None, tuple[ReleaseInfo, list[FoundFile]]] = {}
    left_out: list[tuple[FoundFile, str]] = []
    dated = {found.release.valid_from: found for found in files if found.release.valid_from is not None}
    if len(dated) == 1:
        # AMA files rarely state their year; with one year among the files (the PFS file's title, a zip's name),
        # the undated ones are that year's.
        (year_file,) = dated.values()
        files = [
            found
            if found.release.valid_from is not None
            else dataclasses.replace(
                found,
                release=year_file.release,
                release_evidence=f"{found.release_evidence}; {year_file.release.name} as {year_file.name} says",
            )
            for found in files
        ]
    for found in files:
        release, members = years.setdefault(found.release.valid_from, (found.release, []))
        twin = next((f for f in members if role(f) == role(found)), None)
        if twin is not None:
            left_out.append((found, f"{release.name}'s {role(found)} are read from {twin.location}"))
        else:
            members.append(found)
    return list(years.values()), left_out


def write_sidecar(copy: Path, found: FoundFile, columns: Columns) -> None:
    data = {"role": role(found), "code_column": columns.code, "description_column": columns.description}
    copy.with_name(copy.name + SIDECAR).write_text(json.dumps(data), encoding="utf-8")


def _sidecar(path: Path) -> dict[str, Any]:
    side = path.with_name(path.name + SIDECAR)
    return dict(json.loads(side.read_text(encoding="utf-8"))) if side.is_file() else {}


def cpt_files(stored: StoredRelease, folder: Path) -> CptFiles:
    """The build's view of an imported CPT year."""
    sources = []
    for stored_file in stored.files:
        path = folder / stored_file.path
        side = _sidecar(path)
        sources.append(CptSource(path, stored_file.kind, side.get("code_column"), side.get("description_column")))
    return CptFiles(tuple(sources), "imported", stored.release_info("codes"))


def merge(imports: Imports, new: list[StoredRelease], folder: Path) -> tuple[list[StoredRelease], list[Path]]:
    """The releases after adding `new`: a CPT year already imported takes the new files (a file of the same
    role replaces the old one). Also the old copies no longer used, to delete once the build succeeded."""
    releases = list(imports.releases)
    obsolete: list[Path] = []
    for release in new:
        old = next((r for r in releases if release.system == "cpt" and r.system == "cpt"
                    and r.valid_from == release.valid_from), None)  # fmt: skip
        if old is None:
            releases.append(release)
            continue
        new_roles = {_sidecar(folder / f.path).get("role") for f in release.files}
        kept: list[StoredFile] = []
        for stored_file in old.files:
            if _sidecar(folder / stored_file.path).get("role") in new_roles:
                obsolete.append(folder / stored_file.path)
            else:
                kept.append(stored_file)
        merged = StoredRelease(old.system, old.name, old.valid_from, old.valid_to,
                               (*kept, *release.files), release.imported_at)  # fmt: skip
        releases[releases.index(old)] = merged
    return releases, obsolete


def delete_copies(paths: Sequence[Path]) -> None:
    """Remove old copies (and their sidecars), and folders left empty."""
    for path in paths:
        path.unlink(missing_ok=True)
        path.with_name(path.name + SIDECAR).unlink(missing_ok=True)
        if path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()


def scrub_user_data(user_database: Path) -> int:
    """Favorites and history keep a title: a CPT one is the AMA's descriptor, so removing the CPT data drops
    the CPT history and blanks favorites' titles (the numbers stay), then vacuums so no page keeps the text."""
    if not user_database.is_file():
        return 0
    connection = sqlite3.connect(user_database, timeout=10)
    try:
        with connection:
            removed = connection.execute("DELETE FROM history WHERE system = 'cpt'").rowcount
            removed += connection.execute(
                "UPDATE favorites SET title = 'CPT code (its descriptor was removed with the CPT data)' "
                "WHERE system = 'cpt'"
            ).rowcount
        connection.execute("VACUUM")
    except sqlite3.Error:
        return 0  # no such tables: nothing was kept
    finally:
        connection.close()
    return int(removed)


def remove_folders(imports: Imports, folder: Path) -> None:
    for release in imports.releases:
        if release.system != "cpt":
            continue
        for stored_file in release.files:
            target = (folder / stored_file.path).parent
            if target.is_dir() and target.resolve().is_relative_to(folder.resolve()):
                shutil.rmtree(target, ignore_errors=True)


def update_cpt(
    data_dir: Path,
    sources: BuildSources,
    progress: Callable[[str], None] = print,
    should_cancel: Callable[[], bool] = lambda: False,
    swap: Callable[[Callable[[], None]], None] | None = None,
) -> BuildReport:
    """Put the CPT years of `sources` over the data folder's current build (replacing the ones it has), or take
    them off when there are none: a copy of the current database and index changed in seconds, swapped in like a
    build. When the current build cannot be reused (missing, damaged, another version's), a full build."""
    if data_problem(data_dir) is not None:
        return build(data_dir, sources, progress, should_cancel, swap=swap)
    started = time.perf_counter()
    layer = read_layer(sources.cpt, progress)
    if should_cancel():
        raise BuildCancelled("build cancelled")
    current = current_dir(data_dir)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=data_dir))
    try:
        progress("Copying the current database")
        shutil.copy2(current / DATABASE_FILE, staging / DATABASE_FILE)
        progress("Adding the CPT codes" if sources.cpt else "Removing the CPT codes")
        lay_over(staging, current / INDEX_DIR, layer, progress)
        if should_cancel():
            raise BuildCancelled("build cancelled")
        info = json.loads((current / BUILD_INFO_FILE).read_text(encoding="utf-8"))
        counts, facts = database_facts(staging / DATABASE_FILE)
        built = without_layer_counts(info.get("counts", {}))
        elapsed = round(time.perf_counter() - started, 3)
        report = BuildReport({**built, **counts}, facts, {"CPT layer": elapsed, "total": elapsed})
        finish_build(data_dir, staging, report, swap=swap)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def remove_cpt(
    data_dir: Path,
    progress: Callable[[str], None] = print,
    user_database: Path | None = None,
    base: BuildSources | None = None,
    swap: Callable[[Callable[[], None]], None] | None = None,
) -> BuildReport | None:
    """Take every CPT year off the data, then delete the copies, their record and the descriptors kept in the
    user's favorites and history. None when no CPT data is loaded. A failed rebuild changes nothing."""
    imports = Imports.load(data_dir)
    if not any(release.system == "cpt" for release in imports.releases):
        return None
    kept = Imports([release for release in imports.releases if release.system != "cpt"])
    report = update_cpt(data_dir, sources_with_imports(data_dir, kept, base), progress, swap=swap)
    kept.save(data_dir)
    remove_folders(imports, data_dir / IMPORTS_DIR)
    if user_database is not None:
        report.counts["user_entries_scrubbed"] = scrub_user_data(user_database)
    return report
