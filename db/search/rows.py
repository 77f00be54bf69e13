"""Every read of the codes table search makes: the documents to index (build) and the rows of hits (query).

Kept in one module on purpose: when the codes table changes shape (release ranges, several versions of a
code), this is the only file of the search package that needs to follow.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, select, true

from db.engine import open_read_only, session_scope
from db.layout import DATABASE_FILE
from db.models import HCPCS, ICD10CM, ICD10PCS, ArticleLink, ArticleRow, Code, IndexTerm, Note
from db.search.layer import LAYER_DIR, Layer
from db.search.schema import ROWS_FILE
from db.text import words

SYSTEM_ORDER = {ICD10CM: 0, ICD10PCS: 1, HCPCS: 2, "cpt": 3}
SYSTEMS_IN_ORDER = 16
#: A header (not billable) ranks as if its title were this much longer.
HEADER_RANK_PENALTY = 30
SEVENTH_CHARACTER_RANK_OFFSET = 40
MODIFIER_RANK = 24
CACHE_LIMIT = 50000


@dataclass(frozen=True)
class Doc:
    """One code as the index build sees it."""

    row: int
    system: str
    code: str
    display: str
    kind: str
    title: str
    billable: bool
    family: tuple[str, ...]
    alternatives: tuple[tuple[str, str], ...]
    #: Lower ranks first among documents that match equally: see static_rank.
    rank: int

    def rank_key(self) -> tuple[int, int, str, int]:
        return (self.rank, SYSTEM_ORDER.get(self.system, SYSTEMS_IN_ORDER - 1), self.code, self.row)

    def order_value(self) -> int:
        """The first two parts of rank_key as one number (what RANKS_JSON holds)."""
        return self.rank * SYSTEMS_IN_ORDER + SYSTEM_ORDER.get(self.system, SYSTEMS_IN_ORDER - 1)


def static_rank(title: str, billable: bool, kind: str) -> int:
    """Billable codes and general (short) titles first; a header ranks as if its title were longer."""
    if kind == "modifier":
        # Modifier descriptions are long ("Right side (used to identify procedures performed on the right
        # side of the body)") but there are few of them, and a coder typing their words means them.
        return min(len(title), MODIFIER_RANK)
    return len(title) + (0 if billable else HEADER_RANK_PENALTY)


def collect_docs(database: Path, where: ColumnElement[bool] | None = None) -> list[Doc]:
    """Every code but chapters and sections, with its other official wording, in static rank order.

    `where` (on Code) collects only some codes: a layer's (db/search/build_layer.py). It must keep whole code
    hierarchies, since a code's rank and family read its parents.
    """
    engine = open_read_only(database)
    selected = true() if where is None else where
    with session_scope(engine) as session:
        codes = session.execute(
            select(
                Code.id,
                Code.system,
                Code.code,
                Code.display,
                Code.kind,
                Code.title,
                Code.billable,
                Code.parent_code,
                Code.sort_order,
                Code.last_seq,
            ).where(selected)
        ).all()
        alternatives: dict[int, list[tuple[str, str]]] = {}
        # Joined with the codes table for `where` (on its primary key: about 20 ms more for the full data).
        inclusion_terms = (
            select(Note.code_id, Note.text)
            .join(Code, Code.id == Note.code_id)
            .where(Note.kind == "inclusion_term", selected)
            .order_by(Note.id)
        )
        for code_id, text in session.execute(inclusion_terms):
            alternatives.setdefault(code_id, []).append(("inclusion term", text))
        index_terms = (
            select(IndexTerm.code_id, IndexTerm.term)
            .join(Code, Code.id == IndexTerm.code_id)
            .where(selected)
            .order_by(IndexTerm.id)
        )
        for code_id, text in session.execute(index_terms):
            alternatives.setdefault(code_id, []).append(("index term", text))
        article_links = session.execute(
            select(ArticleLink.system, ArticleLink.code, ArticleRow.title, ArticleRow.aliases).join(
                ArticleRow, ArticleRow.id == ArticleLink.article_id
            )
        ).all()
    engine.dispose()
    # Hierarchy is by code: a version's parent is the newest version of its parent code.
    by_code: dict[tuple[str, str], Any] = {}
    for row in codes:
        known = by_code.get((row.system, row.code))
        if known is None or known.last_seq < row.last_seq:
            by_code[(row.system, row.code)] = row

    def parent_of(row: Any) -> Any:
        return by_code.get((row.system, row.parent_code)) if row.parent_code is not None else None

    # An article's lay title and aliases lead to every code it describes (a PCS prefix: every code under it).
    article_text: dict[tuple[str, str], set[str]] = {}
    for system, code, title, aliases in article_links:
        article_text.setdefault((system, code), set()).add("; ".join([title, *aliases.splitlines()]))
    pcs_prefixes = {code for system, code in article_text if system == ICD10PCS}
    for row in codes:
        keys = [(row.system, row.code)]
        if row.system == ICD10PCS:
            keys = [(ICD10PCS, row.code[:n]) for n in range(1, len(row.code) + 1) if row.code[:n] in pcs_prefixes]
        for key in keys:
            for text in sorted(article_text.get(key, ())):
                alternatives.setdefault(row.id, []).append(("article", text))
    first_child_order: dict[int, int] = {}
    for row in codes:
        parent_row = parent_of(row)
        if parent_row is not None:
            order = row.sort_order
            first_child_order[parent_row.id] = min(order, first_child_order.get(parent_row.id, order))
    docs: list[Doc] = []
    for row in codes:
        if row.kind in ("chapter", "section"):
            continue
        rank = static_rank(row.title, row.billable, row.kind)
        parent_row = parent_of(row)
        is_seventh_character_code = (
            row.system == ICD10CM
            and len(row.code) == 7
            and parent_row is not None
            and len(parent_row.code) < 7
            and row.title.startswith(parent_row.title + ", ")
        )
        if is_seventh_character_code and parent_row is not None:
            # A 7th-character code ranks right after the code it extends, initial encounter first:
            # "..., sequela" is short but rarely what a coder is after.
            position = row.sort_order - first_child_order[parent_row.id]
            rank = len(parent_row.title) + SEVENTH_CHARACTER_RANK_OFFSET + 2 * position
        family = [f"{row.system}:{row.code}"]
        ancestor = parent_of(row)
        while ancestor is not None:
            family.append(f"{ancestor.system}:{ancestor.code}")
            ancestor = parent_of(ancestor)
        if row.system == ICD10PCS and len(row.code) == 7:
            family.extend(f"{ICD10PCS}:{row.code[:length]}" for length in (5, 6))
        docs.append(
            Doc(
                row.id,
                row.system,
                row.code,
                row.display,
                row.kind,
                row.title,
                row.billable,
                tuple(family),
                tuple(alternatives.get(row.id, ())),
                rank,
            )
        )
    docs.sort(key=Doc.rank_key)
    return docs


class RowData(NamedTuple):
    system: str
    code: str
    display: str
    kind: str
    title: str
    billable: bool
    row: int


def _same(docnum: int) -> int:
    return docnum


class RowStore:
    """Document number -> database row, read from the database built beside the index (read-only)."""

    def __init__(self, index_dir: Path, layer: Layer | None = None) -> None:
        self.rows = array("I")
        self.rows.frombytes((index_dir / ROWS_FILE).read_bytes())
        if layer is not None:
            self.rows.frombytes((index_dir / LAYER_DIR / ROWS_FILE).read_bytes())
        #: A document's place in static rank order (its number, unless a layer was added: see layer.py).
        self.position: Callable[[int], int] = layer.position if layer is not None else _same
        database = index_dir.parent / DATABASE_FILE
        # The search index belongs to the database built beside it; rows are read read-only and immutable.
        self._db = sqlite3.connect(
            database.resolve().as_uri() + "?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        self._data: dict[int, RowData] = {}
        self._title_words: dict[int, frozenset[str]] = {}
        self._title_word_lists: dict[int, list[str]] = {}

    def close(self) -> None:
        self._db.close()

    def data(self, docnum: int) -> RowData:
        data = self._data.get(docnum)
        if data is None:
            self.prefetch([docnum])
            data = self._data[docnum]
        return data

    def title_word_list(self, docnum: int) -> list[str]:
        """The title's words in order (db.text.words), kept: ranking reads them on every keystroke."""
        cached = self._title_word_lists.get(docnum)
        if cached is None:
            cached = words(self.data(docnum).title)
            if len(self._title_word_lists) > CACHE_LIMIT:
                self._title_word_lists.clear()
            self._title_word_lists[docnum] = cached
        return cached

    def title_words(self, docnum: int) -> frozenset[str]:
        cached = self._title_words.get(docnum)
        if cached is None:
            cached = frozenset(self.title_word_list(docnum))
            if len(self._title_words) > CACHE_LIMIT:
                self._title_words.clear()
            self._title_words[docnum] = cached
        return cached

    def prefetch(self, docnums: Sequence[int]) -> None:
        missing = [d for d in docnums if d not in self._data]
        if not missing:
            return
        if len(self._data) > CACHE_LIMIT:
            self._data.clear()
        by_row = {self.rows[d]: d for d in missing}
        placeholders = ",".join("?" * len(by_row))
        for row in self._db.execute(
            f"SELECT id, system, code, display, kind, title, billable FROM codes WHERE id IN ({placeholders})",
            list(by_row),
        ):
            self._data[by_row[row[0]]] = RowData(row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[0])

    def alternatives(self, row_id: int, system: str, code: str) -> list[tuple[str, str]]:
        """The other official wording attached to a code, to say which one matched."""
        found = [
            ("inclusion term", text)
            for (text,) in self._db.execute(
                "SELECT text FROM notes WHERE code_id = ? AND kind = 'inclusion_term' ORDER BY id", (row_id,)
            )
        ]
        found += [
            ("index term", term)
            for (term,) in self._db.execute("SELECT term FROM index_terms WHERE code_id = ? ORDER BY id", (row_id,))
        ]
        prefixes = [code[:n] for n in range(1, len(code) + 1)] if system == ICD10PCS else [code]
        placeholders = ",".join("?" * len(prefixes))
        for title, aliases in self._db.execute(
            "SELECT DISTINCT a.title, a.aliases FROM article_links l JOIN articles a ON a.id = l.article_id "
            f"WHERE l.system = ? AND l.code IN ({placeholders})",
            [system, *prefixes],
        ):
            found.append(("article", "; ".join([title, *aliases.splitlines()])))
        return found
