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


def bundled_fingerprint() -> list[str]:
    """The official files shipped with this copy of the app ("icd10cm/fy2026-apr1/…zip:810989"), cheap to list:
    data built from other bundled files (an older version of the app) is rebuilt, imported releases included."""
    from db.paths import source_files_dir

    root = source_files_dir()
    if not root.is_dir():
        return []
    files = (path for path in root.rglob("*") if path.is_file())
    return sorted(f"{path.relative_to(root).as_posix()}:{path.stat().st_size}" for path in files)
