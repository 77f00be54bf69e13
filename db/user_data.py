"""The user's own small database: favorites and recently viewed codes (survives rebuilds and upgrades)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, String, Text, UniqueConstraint, create_engine, delete, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

USER_DATABASE_FILE = "user.sqlite"
HISTORY_LIMIT = 200
# SQLite's primary result codes that mean "this file is damaged", as opposed to busy, locked, read-only or full.
_DAMAGE_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
# The sidecar files that belong to a database: a WAL or hot journal can hold committed rows, so they move with it.
_SIDECARS = ("-wal", "-journal", "-shm")


class UserBase(DeclarativeBase):
    pass


class Favorite(UserBase):
    __tablename__ = "favorites"
    __table_args__ = (UniqueConstraint("system", "code", name="uq_favorite"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    display: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime)


class HistoryEntry(UserBase):
    __tablename__ = "history"
    __table_args__ = (UniqueConstraint("system", "code", name="uq_history"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    display: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    viewed_at: Mapped[dt.datetime] = mapped_column(DateTime)


@dataclass(frozen=True)
class SavedCode:
    system: str
    code: str
    display: str
    title: str
    when: dt.datetime


@dataclass(frozen=True)
class DamagedUserData:
    """A damaged user.sqlite was moved aside and a fresh one created: what the clerk must be told."""

    kept_as: Path
    reason: str
    favorites_recovered: int
    history_recovered: int

    def message(self) -> str:
        recovered = (
            f"{self.favorites_recovered} favorite(s) and {self.history_recovered} recent code(s) could still be "
            "read and were copied into the new file."
            if self.favorites_recovered or self.history_recovered
            else "No favorites or recent codes could be read from it."
        )
        return (
            f"Your favorites and history file was damaged ({self.reason}), so Codebook started a new one.\n\n"
            f"{recovered}\n\nThe damaged file was kept, unchanged, as:\n{self.kept_as}"
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def damage_of(path: Path) -> str | None:
    """Why the user database at `path` cannot be trusted, or None when it is healthy (or absent, or empty).

    Only damage counts: a locked, busy, read-only or unreadable-for-permissions file raises instead, so a
    healthy file is never moved aside because another copy of the app was writing to it.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            found = [row[0] for row in connection.execute("PRAGMA integrity_check(5)")]
            if found != ["ok"]:
                return "integrity check: " + "; ".join(str(line) for line in found)
            for table in UserBase.metadata.sorted_tables:
                if table.name not in tables:
                    continue  # created below, as for a new file
                columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table.name})")}
                missing = sorted({column.name for column in table.columns} - columns)
                if missing:
                    return f"the {table.name} table lacks the columns {', '.join(missing)}"
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        if (getattr(error, "sqlite_errorcode", 0) & 0xFF) in _DAMAGE_CODES:
            return str(error)
        raise
    return None


def _move_aside(path: Path) -> Path:
    """Rename `path` (and its WAL/journal) to `NAME.damaged-YYYY-MM-DD[-N]`, never replacing an earlier one."""
    stem = f"{path.name}.damaged-{dt.date.today().isoformat()}"
    number = 1
    while True:
        kept = path.with_name(stem if number == 1 else f"{stem}-{number}")
        number += 1
        if any(kept.with_name(kept.name + sidecar).exists() for sidecar in _SIDECARS):
            continue  # an earlier move's sidecars: keep them paired with their own file
        try:
            # Reserve the name atomically (another app copy may be doing the same), then move onto it.
            os.close(os.open(kept, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue
        break
    os.replace(path, kept)
    for sidecar in _SIDECARS:
        companion = path.with_name(path.name + sidecar)
        if companion.exists():
            os.replace(companion, kept.with_name(kept.name + sidecar))
    return kept


def _salvage(kept: Path) -> dict[str, list[dict[str, Any]]]:
    """Rows still readable from a damaged copy (best effort; reads a copy's own tables only, never writes)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    try:
        connection = sqlite3.connect(f"{kept.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return rows
    try:
        for table in UserBase.metadata.sorted_tables:
            names = [column.name for column in table.columns if column.name != "id"]
            found = rows.setdefault(table.name, [])
            try:
                for row in connection.execute(f"SELECT {', '.join(names)} FROM {table.name}"):
                    found.append(dict(zip(names, row, strict=True)))
            except sqlite3.Error:
                pass  # keep what was read before the damaged page
    finally:
        connection.close()
    return rows


def _checked_row(values: dict[str, Any], when: str) -> dict[str, Any] | None:
    """A salvaged row with the types the ORM expects, or None when a damaged page garbled it."""
    texts = {key: value for key, value in values.items() if key != when}
    if not all(isinstance(value, str) for value in texts.values()) or not (texts["system"] and texts["code"]):
        return None
    try:
        stamp = dt.datetime.fromisoformat(str(values[when]))
    except ValueError:
        return None
    return {**texts, when: stamp}


class UserData:
    """Favorites and history in `folder/user.sqlite`; safe to use from two app copies at once.

    A damaged file is moved aside (see `damage_of`), whatever can still be read from it is copied into a
    fresh one, and `self.recovered` says so, for the app to tell the clerk.
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / USER_DATABASE_FILE
        self.recovered: DamagedUserData | None = None
        reason = damage_of(self.path)
        kept = _move_aside(self.path) if reason is not None else None
        # A generous busy timeout lets two copies of the app write without "database is locked".
        self._engine: Engine = create_engine(f"sqlite:///{self.path}", connect_args={"timeout": 10})

        @event.listens_for(self._engine, "connect")
        def _wal(connection, _record):  # type: ignore[no-untyped-def]
            connection.execute("PRAGMA journal_mode=WAL")

        UserBase.metadata.create_all(self._engine)
        if kept is not None and reason is not None:
            self.recovered = self._restore(kept, reason)

    def _restore(self, kept: Path, reason: str) -> DamagedUserData:
        salvaged = _salvage(kept)
        counts: dict[str, int] = {}
        for model, when in ((Favorite, "added_at"), (HistoryEntry, "viewed_at")):
            seen: set[tuple[str, str]] = set()
            with Session(self._engine) as session, session.begin():
                for values in salvaged.get(model.__tablename__, []):
                    entry = _checked_row(values, when)
                    if entry is not None and (entry["system"], entry["code"]) not in seen:
                        seen.add((entry["system"], entry["code"]))
                        session.add(model(**entry))
            counts[model.__tablename__] = len(seen)
        return DamagedUserData(kept, reason, counts["favorites"], counts["history"])

    def close(self) -> None:
        self._engine.dispose()

    def favorites(self) -> list[SavedCode]:
        with Session(self._engine) as session:
            rows = session.scalars(select(Favorite).order_by(Favorite.added_at.desc())).all()
            return [SavedCode(r.system, r.code, r.display, r.title, r.added_at) for r in rows]

    def is_favorite(self, system: str, code: str) -> bool:
        with Session(self._engine) as session:
            found = session.scalar(select(Favorite.id).where(Favorite.system == system, Favorite.code == code))
            return found is not None

    def toggle_favorite(self, system: str, code: str, display: str, title: str) -> bool:
        """Pin or unpin; returns True when the code is now a favorite."""
        with Session(self._engine) as session, session.begin():
            existing = session.scalars(
                select(Favorite).where(Favorite.system == system, Favorite.code == code)
            ).one_or_none()
            if existing is not None:
                session.delete(existing)
                return False
            session.add(Favorite(system=system, code=code, display=display, title=title, added_at=_now()))
            return True

    def record_view(self, system: str, code: str, display: str, title: str) -> None:
        with Session(self._engine) as session, session.begin():
            existing = session.scalars(
                select(HistoryEntry).where(HistoryEntry.system == system, HistoryEntry.code == code)
            ).one_or_none()
            if existing is not None:
                existing.viewed_at = _now()
            else:
                session.add(HistoryEntry(system=system, code=code, display=display, title=title, viewed_at=_now()))
            session.flush()
            keep = select(HistoryEntry.id).order_by(HistoryEntry.viewed_at.desc()).limit(HISTORY_LIMIT)
            session.execute(delete(HistoryEntry).where(HistoryEntry.id.not_in(keep)))

    def history(self, limit: int = 50) -> list[SavedCode]:
        with Session(self._engine) as session:
            rows = session.scalars(select(HistoryEntry).order_by(HistoryEntry.viewed_at.desc()).limit(limit)).all()
            return [SavedCode(r.system, r.code, r.display, r.title, r.viewed_at) for r in rows]
