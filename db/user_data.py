"""The user's own small database: favorites and recently viewed codes (survives rebuilds and upgrades)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import DateTime, Engine, String, Text, UniqueConstraint, create_engine, delete, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

USER_DATABASE_FILE = "user.sqlite"
HISTORY_LIMIT = 200


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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class UserData:
    """Favorites and history in `folder/user.sqlite`; safe to use from two app copies at once."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / USER_DATABASE_FILE
        # A generous busy timeout lets two copies of the app write without "database is locked".
        self._engine: Engine = create_engine(f"sqlite:///{self.path}", connect_args={"timeout": 10})

        @event.listens_for(self._engine, "connect")
        def _wal(connection, _record):  # type: ignore[no-untyped-def]
            connection.execute("PRAGMA journal_mode=WAL")

        UserBase.metadata.create_all(self._engine)

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
