"""How a built data folder is laid out (cheap to import: the app reads it at start-up without the build code)."""

from __future__ import annotations

from pathlib import Path

CURRENT = "current"
INDEX_DIR = "index"
BUILD_INFO_FILE = "build.json"
DATABASE_FILE = "codebook.sqlite"
#: Bumped whenever the database or index layout changes, so older built data is rebuilt, not misread.
DATA_FORMAT = 2  # 2: the build writes manifest.json (checked at start-up)


def current_dir(data_dir: Path) -> Path:
    """The folder holding the built database and index in use (or the one a crash left mid-swap)."""
    current, old = data_dir / CURRENT, data_dir / f"{CURRENT}.old"
    return old if not current.exists() and old.exists() else current
