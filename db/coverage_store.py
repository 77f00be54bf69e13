"""The Medicare coverage store (DATA/coverage.sqlite): built from the MCD downloads, swapped in atomically.

One SQLite table per MCD CSV table read (mcd_tables.TABLES), with the columns kept, plus `source_file` (the
sha256 of every file loaded) and `meta` (format and the "as of" date of each download). The store is plain
sqlite3, not the ORM: it is half a million rows written in bulk and read by indexed lookups.

A load reads and checks every given file, writes a new store in a temporary file beside the old one (tables
not in this load are copied from the old store: a CSV that is byte-identical between two weekly downloads is
"already loaded" and not given again), checks each download is complete and not older than the one loaded,
then replaces the old file in one rename. Any error leaves the old store exactly as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from db.build import BuildCancelled
from db.importer import StoreLoader, register_store_loader
from db.sources.detect import FoundFile
from db.sources.errors import SourceFormatError
from db.sources.mcd import read_table
from db.sources.mcd_tables import BY_NAME, KINDS, TABLES, TableSpec

__all__ = ["STORE_FILE", "as_of", "connect", "load", "loaded", "store_path"]

STORE_FILE = "coverage.sqlite"
FORMAT = "1"
#: Per download: the table that dates it (newest last_updated) and the tables it cannot do without.
MAIN_TABLE = {
    "article": ("article", "last_updated"),
    "lcd": ("lcd", "last_updated"),
    "ncd": ("ncd_trkg", "last_updt_tmstmp"),
}
NEEDED = {
    "article": ("article", "article_x_hcpc_code", "article_x_icd10_covered", "article_x_icd10_noncovered",
                "article_x_contractor", "contractor", "contractor_jurisdiction", "state_lookup"),
    "lcd": ("lcd", "lcd_x_contractor", "contractor", "contractor_jurisdiction", "state_lookup"),
    "ncd": ("ncd_trkg",),
}  # fmt: skip
#: Contractor and state tables come in both the article and the LCD downloads: one copy is kept.
_UNIQUE = {
    "contractor": ("contractor_id", "contractor_type_id", "contractor_version"),
    "contractor_type_lookup": ("contractor_type_id",),
    "contractor_jurisdiction": ("contractor_id", "contractor_type_id", "contractor_version", "state_id", "active_date"),
    "state_lookup": ("state_id",),
}
_DATASET_LABEL = {"article": "billing and coding articles", "lcd": "LCDs", "ncd": "NCDs"}
Progress = Callable[[str], None]


def store_path(data_dir: Path) -> Path:
    return Path(data_dir) / STORE_FILE


def connect(data_dir: Path) -> sqlite3.Connection | None:
    """A read-only connection to the store, or None when no coverage data is loaded.

    Opened per use and closed by the caller: a reader never holds the file, so a load can replace it.
    """
    path = store_path(data_dir)
    if not path.is_file():
        return None
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    return connection


def _schema(connection: sqlite3.Connection) -> None:
    for spec in TABLES:
        columns = [f'"{c.csv}" {c.sql_type}' for c in spec.columns]
        if spec.name in _UNIQUE:
            columns.append("UNIQUE (" + ", ".join(f'"{c}"' for c in _UNIQUE[spec.name]) + ")")
        connection.execute(f'CREATE TABLE "{spec.name}" ({", ".join(columns)})')
    connection.execute("CREATE TABLE source_file (tbl TEXT, dataset TEXT, sha256 TEXT, location TEXT, rows INTEGER)")
    connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")


def _indexes(connection: sqlite3.Connection) -> None:
    for spec in TABLES:
        for number, columns in enumerate(spec.indexes):
            names = ", ".join(f'"{c}"' for c in columns)
            connection.execute(f'CREATE INDEX "{spec.name}_{number}" ON "{spec.name}" ({names})')


def _old_store(path: Path) -> sqlite3.Connection | None:
    if not path.is_file():
        return None
    try:
        old = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        row = old.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.DatabaseError:
        return None  # damaged or foreign: the new load must then bring every table
    if row is None or row[0] != FORMAT:
        old.close()
        return None
    return old


def loaded(data_dir: Path) -> set[str]:
    """The sha256 of every file the store holds (and of the tables recognised but not read)."""
    old = _old_store(store_path(data_dir))
    if old is None:
        return set()
    try:
        return {row[0] for row in old.execute("SELECT sha256 FROM source_file")}
    finally:
        old.close()


def as_of(data_dir: Path) -> dict[str, dt.date]:
    """The date each loaded download is as of (its newest last_updated), by dataset (article, lcd, ncd)."""
    old = _old_store(store_path(data_dir))
    if old is None:
        return {}
    try:
        rows = old.execute("SELECT key, value FROM meta WHERE key LIKE 'as_of_%' AND value IS NOT NULL").fetchall()
    finally:
        old.close()
    return {key.removeprefix("as_of_"): dt.date.fromisoformat(value) for key, value in rows}


def _insert(connection: sqlite3.Connection, spec: TableSpec, rows: Iterator[tuple[object, ...]]) -> int:
    names = ", ".join(f'"{c.csv}"' for c in spec.columns)
    marks = ", ".join("?" for _ in spec.columns)
    verb = "INSERT OR IGNORE" if spec.name in _UNIQUE else "INSERT"
    before = connection.total_changes
    connection.executemany(f'{verb} INTO "{spec.name}" ({names}) VALUES ({marks})', rows)
    return connection.total_changes - before


def _dataset_of(found: FoundFile, spec: TableSpec | None) -> str:
    if spec is not None and spec.dataset != "shared":
        return spec.dataset
    return {"mcd-article": "article", "mcd-lcd": "lcd", "mcd-ncd": "ncd"}[found.kind]


def load(
    files: list[FoundFile],
    data_dir: Path,
    progress: Progress = print,
    should_cancel: Callable[[], bool] = lambda: False,
) -> dict[str, int]:
    """Build the store anew from `files` plus the tables of the old store that they do not replace; swap it in."""
    target = store_path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".coverage-", suffix=".partial")
    os.close(handle)
    counts: dict[str, int] = {}
    try:
        with contextlib.closing(sqlite3.connect(temporary)) as connection:
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            _schema(connection)
            replaced = _load_files(connection, files, progress, should_cancel, counts)
            _copy_kept(connection, target, replaced, progress)
            datasets = _check_complete(connection, files)
            _check_not_older(connection, target, datasets, files)
            progress("Indexing coverage data")
            _indexes(connection)
            connection.execute("INSERT INTO meta VALUES ('format', ?), ('built', ?)",
                               (FORMAT, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))  # fmt: skip
            for dataset in MAIN_TABLE:
                newest = _newest(connection, dataset)
                stamp = newest.isoformat() if newest else None
                connection.execute("INSERT INTO meta VALUES (?, ?)", (f"as_of_{dataset}", stamp))
            connection.commit()
        if should_cancel():
            raise BuildCancelled("import cancelled")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return counts


def _load_files(
    connection: sqlite3.Connection,
    files: list[FoundFile],
    progress: Progress,
    should_cancel: Callable[[], bool],
    counts: dict[str, int],
) -> set[str]:
    """Insert every table read; returns the names of the tables this load replaces."""
    replaced: set[str] = set()
    for found in files:
        if should_cancel():
            raise BuildCancelled("import cancelled")
        spec = BY_NAME.get(found.release.content)
        dataset = _dataset_of(found, spec)
        rows = 0
        if spec is not None:
            progress(f"Reading {found.location}")
            with found.origin.open() as stream:
                table = read_table(stream, found.location, found.sha256)
            rows = _insert(connection, table.spec, table.rows)
            replaced.add(spec.name)
            counts[spec.name] = counts.get(spec.name, 0) + rows
        connection.execute(
            "INSERT INTO source_file VALUES (?, ?, ?, ?, ?)",
            (spec.name if spec else "", dataset, found.sha256, found.location, rows),
        )
    return replaced


def _copy_kept(connection: sqlite3.Connection, target: Path, replaced: set[str], progress: Progress) -> None:
    old = _old_store(target)
    if old is None:
        return
    old.close()
    connection.execute("ATTACH DATABASE ? AS old", (f"{target.as_uri()}?mode=ro",))
    try:
        for spec in TABLES:
            if spec.name in replaced:
                continue
            names = ", ".join(f'"{c.csv}"' for c in spec.columns)
            copied = connection.execute(f'INSERT INTO "{spec.name}" ({names}) SELECT {names} FROM old."{spec.name}"')
            if copied.rowcount:
                progress(f"Kept {spec.name} ({copied.rowcount:,} rows) from the loaded coverage data")
        # Files recognised but not read, and the kept tables' files, stay "already loaded".
        kept = ", ".join(f"'{name}'" for name in sorted(replaced)) or "''"
        connection.execute(f"INSERT INTO source_file SELECT * FROM old.source_file WHERE tbl NOT IN ({kept})")
        connection.commit()
    finally:
        connection.execute("DETACH DATABASE old")


def _count(connection: sqlite3.Connection, table: str) -> int:
    row = connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
    return int(row[0])


def _newest(connection: sqlite3.Connection, dataset: str) -> dt.date | None:
    table, column = MAIN_TABLE[dataset]
    row = connection.execute(f'SELECT MAX("{column}") FROM "{table}"').fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def _check_complete(connection: sqlite3.Connection, files: list[FoundFile]) -> set[str]:
    """The downloads present; refuses one that lacks a table it needs (a partial or mixed-up copy)."""
    present = {row[0] for row in connection.execute("SELECT DISTINCT dataset FROM source_file WHERE tbl != ''")}
    for dataset in sorted(present):
        missing = [name for name in NEEDED[dataset] if _count(connection, name) == 0]
        if missing:
            where = next((f.location for f in files if f.kind == f"mcd-{dataset}"), files[0].location if files else "")
            raise SourceFormatError(
                where, None,
                f"the Medicare Coverage Database {_DATASET_LABEL[dataset]} download is incomplete: no "
                + ", ".join(f"{name}.csv" for name in missing) + " (give the whole zip as CMS publishes it)",
            )  # fmt: skip
    return present


def _check_not_older(connection: sqlite3.Connection, target: Path, datasets: set[str], files: list[FoundFile]) -> None:
    loaded_as_of = as_of(target.parent)
    for dataset in datasets:
        new = _newest(connection, dataset)
        old = loaded_as_of.get(dataset)
        if new is not None and old is not None and new < old:
            where = next((f.location for f in files if f.kind == f"mcd-{dataset}"), "")
            raise SourceFormatError(
                where, None,
                f"this {_DATASET_LABEL[dataset]} download is as of {new.isoformat()}, older than the one loaded "
                f"(as of {old.isoformat()}): nothing was changed",
            )  # fmt: skip


register_store_loader(StoreLoader("coverage", KINDS, load, loaded))
