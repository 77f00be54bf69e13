"""Engine and session factories: the built database opened read-only, a new one opened for writing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool


def open_read_only(database: Path) -> Engine:
    """The built database, read-only and immutable: works from a read-only install folder, never writes."""
    if not database.is_file():
        raise FileNotFoundError(f"no built database at {database}")
    uri = database.resolve().as_uri() + "?mode=ro&immutable=1"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    return create_engine("sqlite://", creator=connect, poolclass=NullPool)


def open_for_writing(database: Path) -> Engine:
    """A database being built (or the user's own small database): plain journal so no -wal files linger."""
    engine = create_engine(f"sqlite:///{database}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _pragmas(connection: sqlite3.Connection, _record: object) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One session per operation; nothing ORM-shaped outlives it."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        yield session
