"""The NCCI store beside the code database (DATA/ncci.sqlite): every loaded quarter of PTP edits and MUE tables,
built from CMS's files by the import path (a StoreLoader), and answering pair and unit lookups for a date.

Compact: rows without rowid keyed by (edition, column 1, column 2, effective date), dates as YYYYMMDD integers,
rationales in their own table. A load copies the store to a temporary file, adds the new quarters, checks
them and swaps the file in; any error or cancel leaves the previous store as it was.
"""

from __future__ import annotations

import contextlib
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
from db.sources.detect import FoundFile
from db.sources.errors import SourceFormatError
from db.sources.ncci import (
    SETTING_LABELS,
    MueValue,
    PtpEdit,
    mue_effective,
    ptp_edition,
    read_mue_rows,
    read_ptp_rows,
)
from db.sources.walk import SEPARATOR

STORE_FILE = "ncci.sqlite"
PTP, MUE = "ptp", "mue"
_BATCH = 50_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS editions (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, setting TEXT NOT NULL, version TEXT NOT NULL,
    quarter_start INTEGER NOT NULL, quarter_end INTEGER NOT NULL, name TEXT NOT NULL,
    UNIQUE (kind, setting, version));
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY, edition_id INTEGER NOT NULL, part TEXT NOT NULL, name TEXT NOT NULL,
    location TEXT NOT NULL, rows INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS ptp (
    edition_id INTEGER NOT NULL, column1 TEXT NOT NULL, column2 TEXT NOT NULL, effective INTEGER NOT NULL,
    deletion INTEGER NOT NULL, modifier INTEGER NOT NULL, prior_1996 INTEGER NOT NULL, rationale_id INTEGER NOT NULL,
    PRIMARY KEY (edition_id, column1, column2, effective)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mue (
    edition_id INTEGER NOT NULL, code TEXT NOT NULL, value INTEGER NOT NULL, adjudication INTEGER NOT NULL,
    adjudication_text_id INTEGER NOT NULL, rationale_id INTEGER NOT NULL,
    PRIMARY KEY (edition_id, code)) WITHOUT ROWID;
"""
_INDEXES = "CREATE INDEX IF NOT EXISTS ptp_column2 ON ptp (edition_id, column2);"


def _day_int(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _int_day(value: int) -> dt.date:
    return dt.date(value // 10000, value // 100 % 100, value % 100)


@dataclass(frozen=True)
class EditionRow:
    id: int
    kind: str
    setting: str
    version: str
    quarter_start: dt.date
    quarter_end: dt.date
    name: str

    def covers(self, day: dt.date) -> bool:
        return self.quarter_start <= day <= self.quarter_end


@dataclass(frozen=True)
class PtpRow:
    column1: str
    column2: str
    effective: dt.date
    #: None while the edit is in force.
    deletion: dt.date | None
    modifier: int
    rationale: str
    edition: EditionRow

    def in_force(self, day: dt.date) -> bool:
        # CMS's deletion date is the first day the edit no longer applies (an edit deleted the day it took
        # effect, indicator 9, never applied).
        return self.effective <= day and (self.deletion is None or day < self.deletion)


@dataclass(frozen=True)
class MueRow:
    code: str
    value: int
    adjudication: int
    adjudication_text: str
    rationale: str
    edition: EditionRow


class NcciStore:
    """Read-only lookups in DATA/ncci.sqlite; a connection per call, so a swapped-in store is seen at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        try:
            yield connection
        finally:
            connection.close()

    def editions(self, kind: str | None = None) -> list[EditionRow]:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT id, kind, setting, version, quarter_start, quarter_end, name FROM editions "
                "ORDER BY quarter_start"
            ).fetchall()
        found = [EditionRow(r[0], r[1], r[2], r[3], _int_day(r[4]), _int_day(r[5]), r[6]) for r in rows]
        return [edition for edition in found if kind is None or edition.kind == kind]

    def edition_for(self, kind: str, setting: str, day: dt.date) -> tuple[EditionRow, bool] | None:
        """The quarter covering the day (True), else the newest one before it, else the oldest (False)."""
        loaded = [edition for edition in self.editions(kind) if edition.setting == setting]
        covering = [edition for edition in loaded if edition.covers(day)]
        if covering:
            return covering[-1], True
        before = [edition for edition in loaded if edition.quarter_start <= day]
        if before:
            return before[-1], False
        return (loaded[0], False) if loaded else None

    def pairs(self, edition: EditionRow, codes: Sequence[str]) -> list[PtpRow]:
        """Every edit of the edition whose two codes are both among `codes` (any dates)."""
        unique = sorted(set(codes))[:900]
        if len(unique) < 2:
            return []
        marks = ",".join("?" * len(unique))
        query = (
            "SELECT column1, column2, effective, deletion, modifier, texts.text FROM ptp "
            f"JOIN texts ON texts.id = ptp.rationale_id WHERE edition_id = ? AND column1 IN ({marks}) "
            f"AND column2 IN ({marks}) AND column1 != column2 ORDER BY column1, column2, effective"
        )
        with self._connect() as connection:
            rows = connection.execute(query, (edition.id, *unique, *unique)).fetchall()
        return [
            PtpRow(r[0], r[1], _int_day(r[2]), None if r[3] == 99991231 else _int_day(r[3]), r[4], r[5], edition)
            for r in rows
        ]

    def partners(self, edition: EditionRow, code: str) -> list[PtpRow]:
        """Every edit naming the code in either column (for a code's Edits view)."""
        # Two searches, one per key (the primary key for column 1, the ptp_column2 index for column 2): SQLite
        # answers "column1 = ? OR column2 = ?" on a WITHOUT ROWID table by scanning the whole quarter.
        select = (
            "SELECT column1, column2, effective, deletion, modifier, texts.text FROM ptp JOIN texts ON "
            "texts.id = ptp.rationale_id WHERE edition_id = ? AND "
        )
        query = f"{select}column1 = ? UNION ALL {select}column2 = ? AND column1 != ? ORDER BY 1, 2, 3"
        with self._connect() as connection:
            rows = connection.execute(query, (edition.id, code, edition.id, code, code)).fetchall()
        return [
            PtpRow(r[0], r[1], _int_day(r[2]), None if r[3] == 99991231 else _int_day(r[3]), r[4], r[5], edition)
            for r in rows
        ]

    def mue(self, edition: EditionRow, codes: Sequence[str]) -> dict[str, MueRow]:
        unique = sorted(set(codes))[:900]
        if not unique:
            return {}
        query = (
            "SELECT code, value, adjudication, a.text, r.text FROM mue JOIN texts a ON a.id = adjudication_text_id "
            f"JOIN texts r ON r.id = rationale_id WHERE edition_id = ? AND code IN ({','.join('?' * len(unique))})"
        )
        with self._connect() as connection:
            rows = connection.execute(query, (edition.id, *unique)).fetchall()
        return {r[0]: MueRow(r[0], r[1], r[2], r[3], r[4], edition) for r in rows}


def open_store(data_dir: Path) -> NcciStore | None:
    path = data_dir / STORE_FILE
    return NcciStore(path) if path.is_file() else None


def loaded_checksums(data_dir: Path) -> set[str]:
    store = open_store(data_dir)
    if store is None:
        return set()
    with store._connect() as connection:
        return {row[0] for row in connection.execute("SELECT sha256 FROM files")}


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------


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
    handle, temporary = tempfile.mkstemp(dir=data_dir, prefix=".ncci-", suffix=".partial")
    os.close(handle)
    try:
        if target.exists():
            shutil.copyfile(target, temporary)
        connection = sqlite3.connect(temporary)
        try:
            connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
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
    cursor = connection.execute(
        "INSERT INTO editions (kind, setting, version, quarter_start, quarter_end, name) VALUES (?, ?, ?, ?, ?, ?)",
        (item.kind, item.setting, item.version, _day_int(item.start), _day_int(item.end), item.name),
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
        batch: list[tuple[object, ...]] = []
        for edit in edits:
            batch.append((edition, edit.column1, edit.column2, edit.effective, edit.deletion, edit.modifier,
                          int(edit.prior_1996), _text_id(connection, texts, edit.rationale)))  # fmt: skip
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
    connection.executemany("INSERT OR IGNORE INTO ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
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


def _register() -> None:
    from db.importer import StoreLoader, register_store_loader

    register_store_loader(StoreLoader("NCCI", frozenset({"ncci-ptp", "ncci-mue"}), load, loaded_checksums))


_register()
