"""The NCCI store beside the code database (DATA/ncci.sqlite): every loaded quarter of PTP edits and MUE tables,
built from CMS's files by the import path (a StoreLoader), and answering pair and unit lookups for a date.

Compact: an edit is stored once however many quarters hold it (CMS's quarters differ by a few thousand of
2.5 million edits): a row without rowid per distinct edit of a setting, with the bit set of the loaded quarters
(`editions.bit`) that hold it; dates as YYYYMMDD integers, 0 for "no deletion date" (zero takes no bytes in a
SQLite record), settings as 0/1, rationales in their own table. MUE tables (thousands of rows) are kept per
quarter. Loading is db/ncci_load.py's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STORE_FILE = "ncci.sqlite"
PTP, MUE = "ptp", "mue"
#: The store's layout; a store of another layout is refused (the files must be imported again).
SCHEMA_VERSION = 2
#: PTP settings as stored (0 and 1 take no bytes in a record).
PTP_SETTING_IDS = {"practitioner": 0, "hospital": 1}
NO_DELETION = 0


def day_int(day: dt.date) -> int:
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
    #: This quarter's bit in the `editions` bit set of the PTP rows.
    bit: int = 0

    @property
    def mask(self) -> int:
        return 1 << self.bit

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
                "SELECT id, kind, setting, version, quarter_start, quarter_end, name, bit FROM editions "
                "ORDER BY quarter_start"
            ).fetchall()
        found = [EditionRow(r[0], r[1], r[2], r[3], _int_day(r[4]), _int_day(r[5]), r[6], r[7]) for r in rows]
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
            f"JOIN texts ON texts.id = ptp.rationale_id WHERE setting = ? AND column1 IN ({marks}) "
            f"AND column2 IN ({marks}) AND column1 != column2 AND editions & ? ORDER BY column1, column2, effective"
        )
        with self._connect() as connection:
            rows = connection.execute(query, (_setting_id(edition), *unique, *unique, edition.mask)).fetchall()
        return [_ptp_row(r, edition) for r in rows]

    def partners(self, edition: EditionRow, code: str) -> list[PtpRow]:
        """Every edit naming the code in either column (for a code's Edits view)."""
        # Two searches, one per key (the primary key for column 1, the ptp_column2 index for column 2): SQLite
        # answers "column1 = ? OR column2 = ?" on a WITHOUT ROWID table by scanning the whole quarter.
        select = (
            "SELECT column1, column2, effective, deletion, modifier, texts.text FROM ptp JOIN texts ON "
            "texts.id = ptp.rationale_id WHERE setting = ? AND editions & ? AND "
        )
        query = f"{select}column1 = ? UNION ALL {select}column2 = ? AND column1 != ? ORDER BY 1, 2, 3"
        key = (_setting_id(edition), edition.mask)
        with self._connect() as connection:
            rows = connection.execute(query, (*key, code, *key, code, code)).fetchall()
        return [_ptp_row(r, edition) for r in rows]

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


def _setting_id(edition: EditionRow) -> int:
    return PTP_SETTING_IDS[edition.setting]


def _ptp_row(r: tuple[Any, ...], edition: EditionRow) -> PtpRow:
    deletion = None if r[3] == NO_DELETION else _int_day(r[3])
    return PtpRow(r[0], r[1], _int_day(r[2]), deletion, r[4], r[5], edition)


def schema_version(path: Path) -> int:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()


def open_store(data_dir: Path) -> NcciStore | None:
    """The store, or None when no NCCI file is loaded (or the store has another layout: see `load`)."""
    path = data_dir / STORE_FILE
    if not path.is_file() or schema_version(path) != SCHEMA_VERSION:
        return None
    return NcciStore(path)


def loaded_checksums(data_dir: Path) -> set[str]:
    store = open_store(data_dir)
    if store is None:
        return set()
    with store._connect() as connection:
        return {row[0] for row in connection.execute("SELECT sha256 FROM files")}


def _register() -> None:
    from db.importer import StoreLoader, register_store_loader
    from db.ncci_load import load  # the loading half, which imports this module's names

    register_store_loader(StoreLoader("NCCI", frozenset({"ncci-ptp", "ncci-mue"}), load, loaded_checksums))


_register()
