"""Is a data folder usable? Checks the built database and search index before the app relies on them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from db.integrity import quick_check
from db.layout import BUILD_INFO_FILE, DATA_FORMAT, DATABASE_FILE, INDEX_DIR, bundled_fingerprint, current_dir
from db.search_index import INDEX_FORMAT


def data_problem(data_dir: Path) -> str | None:
    """None when the data folder holds a complete build of this version; otherwise what is wrong."""
    folder = current_dir(data_dir)
    database = folder / DATABASE_FILE
    if not database.is_file():
        return f"no built database in {data_dir}"
    try:
        info = json.loads((folder / BUILD_INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"the build record in {folder} is missing or damaged"
    if info.get("data_format") != DATA_FORMAT:
        return f"the data in {data_dir} was built by another version of Codebook"
    shipped = bundled_fingerprint()
    if shipped and info.get("bundled_sources", []) != shipped:
        # An upgrade brought other official files: rebuild (imported releases are kept beside the data).
        return f"the data in {data_dir} was built from another version's official files"
    # Before anything opens the database or index: a damaged file must be rebuilt, never searched.
    damaged = quick_check(folder)
    if damaged:
        shown = "; ".join(str(problem) for problem in damaged[:3])
        more = f" (and {len(damaged) - 3} more)" if len(damaged) > 3 else ""
        return f"the data in {folder} is damaged: {shown}{more}"
    try:
        connection = sqlite3.connect(database.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
        try:
            # Cheap checks only (start-up time matters): the schema reads and the release rows are there.
            if not connection.execute("SELECT count(*) FROM releases").fetchone()[0]:
                return f"the database {database} holds no releases"
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return f"the database {database} is damaged ({error})"
    index_format = folder / INDEX_DIR / "format.json"
    try:
        found = json.loads(index_format.read_text(encoding="utf-8")).get("index_format")
    except (OSError, ValueError):
        return f"the search index in {folder / INDEX_DIR} is missing or damaged"
    if found != INDEX_FORMAT:
        return f"the search index in {folder / INDEX_DIR} was built by another version of Codebook"
    return None
