"""Loading CMS's NCCI files into the NCCI store (db/ncci_store.py describes its layout): the StoreLoader's `load`.

A load copies the store to a temporary file, adds the new quarters (an edit another quarter already holds only
gains the new quarter's bit), checks the result and swaps the file in; any error or cancel leaves the previous
store as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from db.build import BuildCancelled
from db.ncci_store import (
    MUE,
    NO_DELETION,
    PTP,
    PTP_SETTING_IDS,
    SCHEMA_VERSION,
    STORE_FILE,
    day_int,
    schema_version,
)
from db.sources.detect import FoundFile
from db.sources.errors import SourceFormatError
from db.sources.ncci import (
    OPEN_END,
    SETTING_LABELS,
    MueValue,
    PtpEdit,
    mue_effective,
    ptp_edition,
    read_mue_rows,
    read_ptp_rows,
)
from db.sources.walk import SEPARATOR

_BATCH = 50_000
#: Quarters per setting a store can hold: bits of a SQLite integer (63 quarters, some 15 years).
MAX_QUARTERS = 63

_SCHEMA = """
CREATE TABLE IF NOT EXISTS editions (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, setting TEXT NOT NULL, version TEXT NOT NULL,
    quarter_start INTEGER NOT NULL, quarter_end INTEGER NOT NULL, name TEXT NOT NULL, bit INTEGER NOT NULL,
    UNIQUE (kind, setting, version));
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY, edition_id INTEGER NOT NULL, part TEXT NOT NULL, name TEXT NOT NULL,
    location TEXT NOT NULL, rows INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS ptp (
    setting INTEGER NOT NULL, column1 TEXT NOT NULL, column2 TEXT NOT NULL, effective INTEGER NOT NULL,
    deletion INTEGER NOT NULL, modifier INTEGER NOT NULL, prior_1996 INTEGER NOT NULL, rationale_id INTEGER NOT NULL,
    editions INTEGER NOT NULL,
    PRIMARY KEY (setting, column1, column2, effective, deletion, modifier, prior_1996, rationale_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mue (
    edition_id INTEGER NOT NULL, code TEXT NOT NULL, value INTEGER NOT NULL, adjudication INTEGER NOT NULL,
    adjudication_text_id INTEGER NOT NULL, rationale_id INTEGER NOT NULL,
    PRIMARY KEY (edition_id, code)) WITHOUT ROWID;
"""
_INDEXES = "CREATE INDEX IF NOT EXISTS ptp_column2 ON ptp (setting, column2);"


def _names(found: FoundFile) -> list[str]:
    parts = [part for piece in found.location.split(SEPARATOR) for part in piece.replace("\\", "/").split("/")]
    return [found.name, *reversed(parts)]


@dataclass(frozen=True)
class _Planned:
    found: FoundFile
    kind: str
    setting: str
    version: str
    part: str
    start: dt.date
    end: dt.date
    name: str


def _plan(found: FoundFile) -> _Planned:
    names = _names(found)
    if found.kind == "ncci-ptp":
        edition = ptp_edition(names)
        if edition is None:
            raise SourceFormatError(
                found.location, None, "cannot tell which quarter these PTP edits are for: keep CMS's file name "
                "(ccipra-v323r0-f1.txt, ccioph-v323r0-f1.txt)"
            )  # fmt: skip
        label = SETTING_LABELS[edition.setting]
        name = f"NCCI PTP edits, {label}, version {edition.version} ({edition.quarter})"
        return _Planned(found, PTP, edition.setting, edition.version, edition.part, edition.quarter_start,
                        edition.quarter_end, name)  # fmt: skip
    dated = mue_effective(names)
    if dated is None:
        raise SourceFormatError(
            found.location, None, "cannot tell which quarter this MUE table is for: keep CMS's file name "
            "(MCR_MUE_PractitionerServices_Eff_10-01-2026.csv)"
        )  # fmt: skip
    setting, start = dated
    quarter = (start.month - 1) // 3 + 1
    end = (dt.date(start.year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)) - dt.timedelta(days=1)
    name = f"MUE table, {SETTING_LABELS[setting]}, effective {start.isoformat()}"
    return _Planned(found, MUE, setting, start.isoformat(), "", start, end, name)


def _rows(found: FoundFile) -> Iterator[Sequence[object]]:
    """The file's rows of cells: a workbook's first sheet, a PTP text file split at tabs, a MUE CSV's records."""
    with found.origin.open() as handle:
        if found.name.lower().endswith((".xlsx", ".xlsm")):
            import openpyxl

            from db.sources.hcpcs import _quiet_openpyxl

            with _quiet_openpyxl():
                book = openpyxl.load_workbook(io.BytesIO(handle.read()), read_only=True, data_only=True)
                try:
                    yield from book.worksheets[0].iter_rows(values_only=True)
                finally:
                    book.close()
            return
        text = io.TextIOWrapper(handle, encoding="latin-1", newline="")
        if found.kind == "ncci-ptp":
            for line in text:
                yield line.rstrip("\r\n").split("\t")
        else:
            yield from csv.reader(text)


def load(files: list[FoundFile], data_dir: Path, progress: Callable[[str], None],
         should_cancel: Callable[[], bool]) -> dict[str, int]:  # fmt: skip
    """Add the files' quarters to DATA/ncci.sqlite (see the module docstring); counts of what was added."""
    planned = [_plan(found) for found in files]
    # The text file and the workbook of one part hold the same edits: read the text one only.
    chosen: dict[tuple[str, str, str, str], _Planned] = {}
    for item in sorted(planned, key=lambda p: p.found.name.lower().endswith((".xlsx", ".xls"))):
        chosen.setdefault((item.kind, item.setting, item.version, item.part), item)
    counts = {"ptp_edits": 0, "mue_values": 0, "files": 0, "duplicate_rows": 0, "same_as_text_file": 0}
    counts["same_as_text_file"] = len(planned) - len(chosen)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / STORE_FILE
    if target.exists() and schema_version(target) != SCHEMA_VERSION:
        raise SourceFormatError(
            str(target), None, "this NCCI store was made by another version of Codebook: delete the file and "
            "import the NCCI files again"
        )  # fmt: skip
    handle, temporary = tempfile.mkstemp(dir=data_dir, prefix=".ncci-", suffix=".partial")
    os.close(handle)
    try:
        if target.exists():
            shutil.copyfile(target, temporary)
        connection = sqlite3.connect(temporary)
        try:
            connection.executescript(
                f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA user_version={SCHEMA_VERSION};" + _SCHEMA
            )
            texts: dict[str, int] = dict(connection.execute("SELECT text, id FROM texts"))
            editions: dict[tuple[str, str, str, str], int] = {}
            for key, item in chosen.items():
                counts["files"] += 1
                editions[key] = _load_one(connection, item, texts, counts, progress, should_cancel)
            for item in planned:
                key = (item.kind, item.setting, item.version, item.part)
                if chosen[key] is not item:  # recorded, so importing it again is "already loaded"
                    connection.execute(
                        "INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?, 0)",
                        (item.found.sha256, editions[key], f"{item.part} (same as text)", item.found.name,
                         item.found.location),
                    )  # fmt: skip
            connection.executescript(_INDEXES)
            connection.commit()
            problem = connection.execute("PRAGMA integrity_check").fetchone()[0]
            if problem != "ok":
                raise SourceFormatError(temporary, None, f"the new NCCI store failed its integrity check: {problem}")
        finally:
            connection.close()
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return counts


def _text_id(connection: sqlite3.Connection, texts: dict[str, int], text: str) -> int:
    if text not in texts:
        texts[text] = connection.execute("INSERT INTO texts (text) VALUES (?)", (text,)).lastrowid or 0
    return texts[text]


def _edition_id(connection: sqlite3.Connection, item: _Planned) -> int:
    row = connection.execute(
        "SELECT id FROM editions WHERE kind = ? AND setting = ? AND version = ?",
        (item.kind, item.setting, item.version),
    ).fetchone()
    if row is not None:
        taken = connection.execute(
            "SELECT location FROM files WHERE edition_id = ? AND part = ?", (row[0], item.part)
        ).fetchone()
        if taken is not None:
            raise SourceFormatError(
                item.found.location, None, f"{item.name}{' part ' + item.part if item.part else ''} is already "
                f"loaded from {taken[0]} (a different file): CMS reissues a quarter with a new revision number"
            )  # fmt: skip
        return int(row[0])
    bit = 0
    if item.kind == PTP:
        taken = {r[0] for r in connection.execute(
            "SELECT bit FROM editions WHERE kind = ? AND setting = ?", (PTP, item.setting))}  # fmt: skip
        free = [number for number in range(MAX_QUARTERS) if number not in taken]
        if not free:
            raise SourceFormatError(
                item.found.location, None, f"the NCCI store already holds {MAX_QUARTERS} quarters of "
                f"{SETTING_LABELS[item.setting]} PTP edits, as many as it can"
            )  # fmt: skip
        bit = free[0]
    cursor = connection.execute(
        "INSERT INTO editions (kind, setting, version, quarter_start, quarter_end, name, bit) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item.kind, item.setting, item.version, day_int(item.start), day_int(item.end), item.name, bit),
    )
    return cursor.lastrowid or 0


def _load_one(connection: sqlite3.Connection, item: _Planned, texts: dict[str, int], counts: dict[str, int],
              progress: Callable[[str], None], should_cancel: Callable[[], bool]) -> int:  # fmt: skip
    edition = _edition_id(connection, item)
    location = item.found.location
    progress(f"Reading {location} ({item.name})")
    rows = 0
    if item.kind == PTP:
        edits: Iterable[PtpEdit] = read_ptp_rows(_rows(item.found), location)
        setting_id = PTP_SETTING_IDS[item.setting]
        mask = 1 << connection.execute("SELECT bit FROM editions WHERE id = ?", (edition,)).fetchone()[0]
        batch: list[tuple[object, ...]] = []
        for edit in edits:
            deletion = NO_DELETION if edit.deletion == OPEN_END else edit.deletion
            batch.append((setting_id, edit.column1, edit.column2, edit.effective, deletion, edit.modifier,
                          int(edit.prior_1996), _text_id(connection, texts, edit.rationale), mask))  # fmt: skip
            if len(batch) >= _BATCH:
                rows += _insert_ptp(connection, batch, counts)
                batch = []
                progress(f"  {rows:,} edits")
                if should_cancel():
                    raise BuildCancelled("import cancelled")
        rows += _insert_ptp(connection, batch, counts)
        counts["ptp_edits"] += rows
    else:
        setting, values = read_mue_rows(_rows(item.found), location)
        if setting != item.setting:
            raise SourceFormatError(location, None, f"the name says {item.setting} but the header says {setting}")
        rows = _insert_mue(connection, edition, values, texts, counts)
        counts["mue_values"] += rows
    connection.execute(
        "INSERT INTO files (sha256, edition_id, part, name, location, rows) VALUES (?, ?, ?, ?, ?, ?)",
        (item.found.sha256, edition, item.part, item.found.name, location, rows),
    )
    progress(f"  {rows:,} rows from {item.found.name}")
    return edition


def _insert_ptp(connection: sqlite3.Connection, batch: list[tuple[object, ...]], counts: dict[str, int]) -> int:
    before = connection.total_changes
    # An edit another loaded quarter holds gains this quarter's bit; one this quarter already holds (a row
    # repeated in the file) changes nothing and counts as a duplicate.
    connection.executemany(
        "INSERT INTO ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET editions = editions | "
        "excluded.editions WHERE editions & excluded.editions = 0",
        batch,
    )
    added = connection.total_changes - before
    counts["duplicate_rows"] += len(batch) - added
    return added


def _insert_mue(connection: sqlite3.Connection, edition: int, values: list[MueValue], texts: dict[str, int],
                counts: dict[str, int]) -> int:  # fmt: skip
    batch = [
        (edition, v.code, v.value, v.adjudication, _text_id(connection, texts, v.adjudication_text),
         _text_id(connection, texts, v.rationale))
        for v in values
    ]  # fmt: skip
    before = connection.total_changes
    connection.executemany("INSERT OR IGNORE INTO mue VALUES (?, ?, ?, ?, ?, ?)", batch)
    added = connection.total_changes - before
    counts["duplicate_rows"] += len(batch) - added
    return added
