"""The user's CPT years as a layer on a built database: added, replaced or removed without rebuilding the
official releases (seconds instead of a minute), the search index following in db/search/build_layer.py.

A build without CPT holds, for every CPT number an article names, a "reference" row ("its description requires
your licensed CPT file"). The layer adds the CPT releases (seq 1..n) with their codes, notes and fee-schedule
facts; the reference rows of numbers the licensed files hold move to HIDDEN_TABLE, from where removing the
layer puts them back, so the database is again exactly the build without CPT. Deletes run with SQLite's
secure_delete, so no page of the file keeps a removed descriptor.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select

from db import models
from db.build_cpt import CptFiles, ParsedCpt, load_cpt_release, read_cpt
from db.build_rows import Tables, fact_rows
from db.engine import open_for_writing
from db.layout import DATABASE_FILE, INDEX_DIR
from db.models import CPT, ArticleLink, BuildFact, Code, Note, Release, ReleaseSource
from db.pfs import PfsFact
from db.releases import ReleaseInfo, ordered_releases
from db.search.build_layer import add_search_layer
from db.search.rows import collect_docs

Progress = Callable[[str], None]
HIDDEN_TABLE = "cpt_hidden_references"
#: Build facts the layer writes (and removes with itself); see without_layer_counts for its counts.
LAYER_FACTS = ("cpt_files", "article_cpt_numbers_not_in_cpt_file")
LAYER_COUNTS = ("article_cpt_numbers_not_in_cpt_file",)


def without_layer_counts(counts: dict[str, int]) -> dict[str, int]:
    """A build's counts less those the layer wrote (every "cpt." key and LAYER_COUNTS)."""
    return {key: value for key, value in counts.items() if not key.startswith("cpt.") and key not in LAYER_COUNTS}


def layer_rows() -> ColumnElement[bool]:
    """The code versions of the CPT layer (the article reference rows are release 0)."""
    return (Code.system == CPT) & (Code.first_seq > 0)


@dataclass
class CptLayer:
    """The CPT years read and laid out as rows, ready to be written over a database."""

    tables: Tables
    codes: frozenset[str]
    counts: dict[str, int] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


def read_layer(cpt: Sequence[CptFiles], progress: Progress = print) -> CptLayer:
    """Read every CPT year (a bad file raises SourceFormatError naming it and the line)."""
    tables = Tables()
    parsed: list[tuple[ReleaseInfo, Path, tuple[CptFiles, ParsedCpt]]] = []
    for cpt_files in cpt:
        progress(f"Reading CPT files {', '.join(source.path.name for source in cpt_files.files)}")
        info, parsed_cpt = read_cpt(cpt_files)
        parsed.append((info, cpt_files.files[0].path, (cpt_files, parsed_cpt)))
    counts: dict[str, int] = {}
    files_report: list[dict[str, Any]] = []
    release_counts: list[dict[str, Any]] = []
    for seq, (info, (cpt_files, parsed_cpt)) in enumerate(ordered_releases(parsed), start=1):
        release_id = tables.add_release(info, [s.path for s in cpt_files.files], seq, cpt_files.origin)
        loaded = load_cpt_release(tables, parsed_cpt, release_id, seq, progress)
        release_counts.append({"system": CPT, "release": info.name, "billable": loaded["codes"],
                               "modifiers": loaded["modifiers"], "pfs_rows": loaded["pfs_rows"],
                               "files": parsed_cpt.files})  # fmt: skip
        files_report += [{**entry, "release": info.name} for entry in parsed_cpt.files]
        counts.update({f"cpt.{key}": value for key, value in loaded.items()})
    if cpt:
        tables.assign_sort_order(CPT, list(range(1, len(cpt) + 1)))
    codes = frozenset(row["code"] for row in tables.codes.rows)
    return CptLayer(tables, codes, counts, {"cpt_files": files_report, "release_counts": release_counts})


def hidden_reference_ids(database: Path, layer: CptLayer) -> list[int]:
    """The reference rows of CPT numbers the layer's files hold (read before the layer is written)."""
    engine = open_for_writing(database)
    try:
        with engine.connect() as connection:
            references = connection.execute(
                select(Code.id, Code.code).where(Code.system == CPT, Code.kind == "reference")
            ).all()
    finally:
        engine.dispose()
    return [row_id for row_id, code in references if code in layer.codes]


def remove_layer(database: Path) -> None:
    """Take a CPT layer off (a database without one is left as it is)."""
    engine = open_for_writing(database)
    try:
        with engine.begin() as connection:
            _remove(connection)
    finally:
        engine.dispose()


def write_layer(database: Path, layer: CptLayer, hidden: Sequence[int]) -> None:
    """Write the layer over a database without one: its releases, codes, notes and facts; `hidden` reference
    rows move aside."""
    engine = open_for_writing(database)
    try:
        with engine.begin() as connection:
            _write(connection, layer, hidden)
    finally:
        engine.dispose()


def _has_hidden_table(connection: Connection) -> bool:
    found = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (HIDDEN_TABLE,)
    ).first()
    return found is not None


def _remove(connection: Connection) -> None:
    connection.exec_driver_sql("PRAGMA secure_delete = ON")
    layer_releases = select(Release.id).where(Release.system == CPT, Release.seq > 0)
    layer_codes = select(Code.id).where(layer_rows())
    connection.execute(delete(Note).where(Note.code_id.in_(layer_codes)))
    connection.execute(delete(Code).where(layer_rows()))
    connection.execute(delete(PfsFact).where(PfsFact.release_id.in_(layer_releases)))
    connection.execute(delete(ReleaseSource).where(ReleaseSource.release_id.in_(layer_releases)))
    connection.execute(delete(Release).where(Release.system == CPT, Release.seq > 0))
    if _has_hidden_table(connection):
        connection.exec_driver_sql(f"INSERT INTO codes SELECT * FROM {HIDDEN_TABLE}")
        connection.exec_driver_sql(f"DROP TABLE {HIDDEN_TABLE}")
    counts, facts = _facts(connection)
    counts = without_layer_counts(counts)
    facts = {k: v for k, v in facts.items() if k not in LAYER_FACTS}
    facts["release_counts"] = [e for e in facts.get("release_counts", []) if e.get("system") != CPT]
    _save_facts(connection, counts, facts)


def _write(connection: Connection, layer: CptLayer, hidden: Sequence[int]) -> None:
    tables = layer.tables
    if not tables.releases.rows:
        return  # no CPT year: the build without CPT
    # Ids after every existing row, the reference rows about to move aside included: a layer row never takes the
    # id of a row the base index still points to.
    id_columns = {"releases": Release.id, "sources": ReleaseSource.id, "codes": Code.id, "notes": Note.id}
    offsets = {
        table: connection.execute(select(func.coalesce(func.max(column), 0))).scalar_one()
        for table, column in id_columns.items()
    }
    if hidden:
        marks = ",".join("?" * len(hidden))
        connection.exec_driver_sql(
            f"CREATE TABLE {HIDDEN_TABLE} AS SELECT * FROM codes WHERE id IN ({marks})",
            tuple(hidden),
        )
        connection.execute(delete(Code).where(Code.id.in_(hidden)))
    release_offset, code_offset = offsets["releases"], offsets["codes"]
    rows: list[tuple[type[models.Base], list[dict[str, Any]]]] = [
        (Release, [row | {"id": row["id"] + release_offset} for row in tables.releases.rows]),
        (ReleaseSource, [row | {"id": row["id"] + offsets["sources"], "release_id": row["release_id"] + release_offset}
                         for row in tables.release_sources.rows]),
        (Code, [row | {"id": row["id"] + code_offset, "release_id": row["release_id"] + release_offset}
                for row in tables.codes.rows]),
        (Note, [row | {"id": row["id"] + offsets["notes"], "code_id": row["code_id"] + code_offset}
                for row in tables.notes.rows]),
        (PfsFact, [row | {"release_id": row["release_id"] + release_offset} for row in tables.pfs_facts]),
    ]  # fmt: skip
    for model, model_rows in rows:
        if model_rows:
            connection.execute(insert(model), model_rows)
    counts, facts = _facts(connection)
    counts.update(layer.counts)
    named = {code for (code,) in connection.execute(select(ArticleLink.code).where(ArticleLink.system == CPT))}
    missing = sorted(named - layer.codes)
    counts["article_cpt_numbers_not_in_cpt_file"] = len(missing)
    facts["article_cpt_numbers_not_in_cpt_file"] = missing
    facts["cpt_files"] = layer.facts["cpt_files"]
    facts["release_counts"] = [*facts.get("release_counts", []), *layer.facts["release_counts"]]
    _save_facts(connection, counts, facts)


def _facts(connection: Connection) -> tuple[dict[str, int], dict[str, Any]]:
    facts = {key: json.loads(value) for key, value in connection.execute(select(BuildFact.key, BuildFact.value))}
    counts = facts.pop("counts", {})
    return counts, facts


def _save_facts(connection: Connection, counts: dict[str, int], facts: dict[str, Any]) -> None:
    counts = dict(counts, code_versions=connection.execute(select(func.count()).select_from(Code)).scalar_one())
    connection.execute(delete(BuildFact))
    connection.execute(insert(BuildFact), fact_rows(counts, facts))


def codes_of_rows(database: Path) -> Callable[[Sequence[int]], dict[int, str]]:
    """Row id -> code for rows of the codes table or of the hidden references (the search layer places its
    documents among base documents by code)."""

    def codes_of(row_ids: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        ids = list(row_ids)
        connection = sqlite3.connect(database)
        try:
            tables = [
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('codes', ?)", (HIDDEN_TABLE,)
                )
            ]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for table in tables:
                    found.update(connection.execute(f"SELECT id, code FROM {table} WHERE id IN ({marks})", chunk))
        finally:
            connection.close()
        return found

    return codes_of


def database_facts(database: Path) -> tuple[dict[str, int], dict[str, Any]]:
    """The build's counts and other facts as the database records them (not when and by which format)."""
    engine = open_for_writing(database)
    try:
        with engine.connect() as connection:
            counts, facts = _facts(connection)
    finally:
        engine.dispose()
    return counts, {key: value for key, value in facts.items() if key not in ("built_at", "data_format")}


def lay_over(staging: Path, base_index: Path, layer: CptLayer, progress: Progress = print) -> dict[str, float]:
    """Put `layer` over the build in `staging` (its database, possibly with an older layer, and `base_index`):
    the database is changed in place and the layered index written to staging's index folder (must not exist)."""
    database = staging / DATABASE_FILE
    remove_layer(database)
    hidden = hidden_reference_ids(database, layer)
    # Read before they move aside: the search layer subtracts their words from the vocabulary.
    hidden_docs = collect_docs(database, Code.id.in_(hidden)) if hidden else []
    write_layer(database, layer, hidden)
    return add_search_layer(
        base_index, staging / INDEX_DIR, database, layer_rows(), hidden_docs, codes_of_rows(database), progress
    )
