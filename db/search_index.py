"""The Whoosh schema, the index build, and SearchIndex: open() and search(text, ...) -> plain results.

Why it is fast enough to search on every keystroke:
- Documents are written in a static rank order (billable and general, i.e. short, titles first), so the
  first matches in document order are already the best ones: a query reads only the start of its posting
  lists and stops (no scoring, no sorting of thousands of hits).
- The word being typed expands only to its most frequent completions (from a vocabulary loaded at open),
  and one- or two-letter queries read lists computed at build time, so "f" never becomes an expansion
  into thousands of terms.
- One searcher is kept open and used from one thread.
"""

from __future__ import annotations

import heapq
import json
import shutil
import sqlite3
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extractOne
from sqlalchemy import select
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import FieldType, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence
from whoosh.query import And, Or, Query, Term

from db.engine import open_read_only, session_scope
from db.lay_terms import LayTerm, default_lay_terms_path, read_lay_terms
from db.layout import DATABASE_FILE
from db.models import HCPCS, ICD10CM, ICD10PCS, ArticleLink, ArticleRow, Code, IndexTerm, Note
from db.query_text import LayTermMatcher, QueryPlan, WordGroup, parse_query
from db.sources.errors import SourceFormatError
from db.text import word_spans, words

INDEX_FORMAT = 3
#: The word being typed expands to at most this many indexed words, the most frequent first; a finished
#: word that is a prefix of others ("frac fem") to fewer.
MAX_LAST_WORD_EXPANSION = 40
MAX_OTHER_WORD_EXPANSION = 8
#: The matches of a query's finished words are kept for the next keystroke when there are at most this many.
HEAD_CACHE_LIMIT = 5000
#: Title word beginnings up to this length are indexed as terms of their own (see title_grams).
TITLE_GRAM_MAX = 2
#: For one- and two-letter queries the best title matches are computed at build time.
SHORT_PREFIX_HITS = 200
SHORT_PREFIXES_JSON = "short_prefixes.json"
ROWS_FILE = "rows.u32"
#: How many matches of a tier are read (in static rank order) before re-ranking them for this query.
CANDIDATES_PER_TIER = 120
LAY_TERMS_JSON = "lay_terms.json"
VOCABULARY_JSON = "vocabulary.json"
SYSTEM_ORDER = {ICD10CM: 0, ICD10PCS: 1, HCPCS: 2, "cpt": 3}
#: A header (not billable) ranks as if its title were this much longer.
HEADER_RANK_PENALTY = 30
SEVENTH_CHARACTER_RANK_OFFSET = 40
MODIFIER_RANK = 24
#: How common a lay-term word counts as for spelling correction (a few dozen titles' worth).
LAY_WORD_FREQUENCY = 50
#: Title words that add no specificity, for ranking general titles first.
GENERIC_WORDS = frozenset(
    [
        "unspecified",
        "nos",
        "organism",
        "site",
        "of",
        "the",
        "and",
        "or",
        "with",
        "without",
        "in",
        "to",
        "due",
        "by",
        "for",
        "a",
        "an",
        "as",
        "on",
        "at",
        "type",
        "initial",
        "encounter",
        "approach",
        "open",
    ]
)

Progress = Callable[[str], None]


class _Tokens(FieldType):  # type: ignore[misc]
    """Pre-tokenized words separated by spaces; only presence is stored (no positions, no frequencies).

    Marked scorable only so that Whoosh writes a lengths column: without one its segment writer asks the
    file system whether that column exists once per posting, which tripled the build time.
    """

    def __init__(self) -> None:
        super().__init__(format=Existence(), analyzer=SpaceSeparatedTokenizer(), scorable=True, stored=False)

    def index(self, value: Iterable[str], **_kwargs: Any) -> list[tuple[bytes, int, float, bytes]]:
        """Postings straight from a collection of unique words (the build already tokenized them):
        skipping the analyzer chain per token roughly halves the indexing time."""
        if isinstance(value, str):
            value = value.split()
        return [(word.encode("utf-8"), 1, 1.0, b"") for word in value]


def make_schema() -> Schema:
    return Schema(
        system=_Tokens(),
        billable=_Tokens(),
        #: Words of the official title.
        title_words=_Tokens(),
        #: The first 1 to TITLE_GRAM_MAX letters of each title word, so a short word being typed is one term.
        title_grams=_Tokens(),
        #: Words of the other official wording (inclusion terms, index terms) not already in the title.
        other_words=_Tokens(),
        #: Lay terms whose code families hold this code ("L15" = the lay term on line 15).
        lay=_Tokens(),
        code_icd10cm=_Tokens(),
        code_icd10pcs=_Tokens(),
        code_hcpcs=_Tokens(),
        code_cpt=_Tokens(),
    )


@dataclass(frozen=True)
class _Doc:
    row: int
    system: str
    code: str
    display: str
    kind: str
    title: str
    billable: bool
    family: tuple[str, ...]
    alternatives: tuple[tuple[str, str], ...]
    #: Lower ranks first among documents that match equally: see _static_rank.
    rank: int

    def rank_key(self) -> tuple[int, int, str]:
        return (self.rank, SYSTEM_ORDER.get(self.system, 9), self.code)


def _static_rank(title: str, billable: bool, kind: str) -> int:
    """Billable codes and general (short) titles first; a header ranks as if its title were longer."""
    if kind == "modifier":
        # Modifier descriptions are long ("Right side (used to identify procedures performed on the right
        # side of the body)") but there are few of them, and a coder typing their words means them.
        return min(len(title), MODIFIER_RANK)
    return len(title) + (0 if billable else HEADER_RANK_PENALTY)


def _collect_docs(database: Path) -> list[_Doc]:
    engine = open_read_only(database)
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
            )
        ).all()
        alternatives: dict[int, list[tuple[str, str]]] = {}
        for code_id, text in session.execute(
            select(Note.code_id, Note.text).where(Note.kind == "inclusion_term").order_by(Note.id)
        ):
            alternatives.setdefault(code_id, []).append(("inclusion term", text))
        for code_id, text in session.execute(select(IndexTerm.code_id, IndexTerm.term).order_by(IndexTerm.id)):
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
    docs: list[_Doc] = []
    for row in codes:
        if row.kind in ("chapter", "section"):
            continue
        rank = _static_rank(row.title, row.billable, row.kind)
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
            _Doc(
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
    docs.sort(key=_Doc.rank_key)
    return docs


def check_lay_terms(lay_terms: Sequence[LayTerm], known_codes: set[tuple[str, str]], path: Path) -> None:
    """Every code family a lay term names must exist in the loaded data."""
    for term in lay_terms:
        for system, code in term.codes:
            if (system, code) not in known_codes:
                raise SourceFormatError(
                    path,
                    f"line {term.line}",
                    f"{term.term!r} points to {system} {code}, which is not in the loaded data",
                )


def lay_token(term: LayTerm) -> str:
    return f"l{term.line}"


def build_search_index(
    database: Path,
    index_dir: Path,
    progress: Progress = print,
    should_cancel: Callable[[], bool] = lambda: False,
    lay_terms_path: Path | None = None,
    strict_links: bool = True,
) -> dict[str, float]:
    """Write the index for a built database into `index_dir` (created; must not exist).

    With `strict_links` (the bundled files), a lay term naming a code that does not exist stops the build;
    otherwise (a user's newer release may have deleted a code) that code is left out and counted.
    """
    started = time.perf_counter()
    docs = _collect_docs(database)
    lay_terms_path = lay_terms_path or default_lay_terms_path()
    lay_terms = read_lay_terms(lay_terms_path)
    known = {(doc.system, doc.code) for doc in docs}
    # ICD-10-PCS families may be any prefix of a valid code ("0FT44": resection of gallbladder, endoscopic).
    known.update((ICD10PCS, doc.code[:length]) for doc in docs if doc.system == ICD10PCS for length in (5, 6))
    skipped = 0
    if strict_links:
        check_lay_terms(lay_terms, known, lay_terms_path)
    else:
        kept: list[LayTerm] = []
        for term in lay_terms:
            codes = tuple(code for code in term.codes if code in known)
            skipped += len(term.codes) - len(codes)
            if codes or term.official_words:
                kept.append(LayTerm(term.term, term.words, term.official_words, codes, term.line))
        lay_terms = kept
        if skipped:
            progress(f"  {skipped} lay-term codes are not in this release and were left out")
    lay_by_family: dict[str, list[str]] = {}
    for term in lay_terms:
        for system, code in term.codes:
            lay_by_family.setdefault(f"{system}:{code}", []).append(lay_token(term))

    progress(f"  {len(docs):,} documents to index")
    index_dir.mkdir(parents=True)
    storage = FileStorage(str(index_dir))
    index = storage.create_index(make_schema())
    writer = index.writer(limitmb=1024)
    vocabulary: dict[str, int] = {}
    short_prefix_hits: dict[str, list[int]] = {}
    try:
        for docnum, doc in enumerate(docs):
            title_words = set(words(doc.title))
            other_words: set[str] = set()
            for _source, text in doc.alternatives:
                other_words.update(words(text))
            other_words -= title_words
            for word in title_words | other_words:
                vocabulary[word] = vocabulary.get(word, 0) + 1
            for prefix in {word[:length] for word in title_words for length in (1, 2)}:
                hits = short_prefix_hits.setdefault(prefix, [])
                if len(hits) < SHORT_PREFIX_HITS:
                    hits.append(docnum)
            lay = {token for family in doc.family for token in lay_by_family.get(family, ())}
            fields: dict[str, Any] = {
                "system": [doc.system],
                "billable": ["y" if doc.billable else "n"],
                "title_words": sorted(title_words),
                "title_grams": sorted({word[:n] for word in title_words for n in range(1, TITLE_GRAM_MAX + 1)}),
                f"code_{doc.system}": [doc.code],
            }
            if other_words:
                fields["other_words"] = sorted(other_words)
            if lay:
                fields["lay"] = sorted(lay)
            writer.add_document(**fields)
            if docnum % 25000 == 0:
                progress(f"  indexed {docnum:,} of {len(docs):,}")
                if should_cancel():
                    raise KeyboardInterrupt
        progress("  writing the index files")
        writer.commit(optimize=True)
    except BaseException:
        writer.cancel()
        shutil.rmtree(index_dir, ignore_errors=True)
        raise
    lay_json = [
        {"term": t.term, "words": t.words, "official": t.official_words, "codes": t.codes, "line": t.line}
        for t in lay_terms
    ]
    (index_dir / LAY_TERMS_JSON).write_text(json.dumps(lay_json), encoding="utf-8")
    # Lay-term words belong in the spelling vocabulary too ("shingels" -> "shingles", a lay term only).
    for term in lay_terms:
        for word in term.words:
            vocabulary[word] = max(vocabulary.get(word, 0), LAY_WORD_FREQUENCY)
    (index_dir / VOCABULARY_JSON).write_text(json.dumps(sorted(vocabulary.items())), encoding="utf-8")
    (index_dir / SHORT_PREFIXES_JSON).write_text(json.dumps(short_prefix_hits), encoding="utf-8")
    # Document number -> database row: titles and the rest are read from the database, not stored twice.
    (index_dir / ROWS_FILE).write_bytes(array("I", (doc.row for doc in docs)).tobytes())
    (index_dir / "format.json").write_text(json.dumps({"index_format": INDEX_FORMAT, "documents": len(docs)}))
    return {
        "documents": float(len(docs)),
        "lay_term_codes_not_in_release": float(skipped),
        "seconds": time.perf_counter() - started,
    }


@dataclass(frozen=True)
class SearchHit:
    system: str
    code: str
    display: str
    title: str
    billable: bool
    kind: str
    #: code, title, inclusion term, index term, synonym, correction
    matched: str
    #: The text that matched: the title, or the inclusion/index term.
    matched_text: str
    #: (start, end) character spans in matched_text to highlight.
    spans: tuple[tuple[int, int], ...]
    #: The lay term or corrected word that led here ("copd", "pneumonia").
    via: str | None = None

    @property
    def corrected(self) -> bool:
        return self.matched == "correction"

    def to_json(self) -> dict[str, object]:
        return {
            "system": self.system,
            "code": self.code,
            "display": self.display,
            "title": self.title,
            "billable": self.billable,
            "kind": self.kind,
            "matched": self.matched,
            "matched_text": self.matched_text,
            "spans": [list(span) for span in self.spans],
            "via": self.via,
        }


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: tuple[SearchHit, ...]
    #: "pneumonia" when the words as typed found nothing and a corrected search ran.
    corrected_query: str | None
    elapsed_ms: float


def _spans(text: str, query_words: Sequence[str]) -> tuple[tuple[int, int], ...]:
    return tuple((start, end) for start, end, word in word_spans(text) if any(word.startswith(q) for q in query_words))


def _matches_all(text_words: Iterable[str], query_words: Sequence[str]) -> bool:
    return all(any(word.startswith(q) for word in text_words) for q in query_words)


@dataclass(frozen=True)
class _Tier:
    #: lay-title, lay-family, title, text
    name: str
    fields: tuple[str, ...]


TITLE = ("title_words",)
ALL_TEXT = ("title_words", "other_words")
#: With a lay term: its code families first (in the table's order), then codes whose titles use its
#: official wording, then the words as typed.
LAY_TIERS = (_Tier("lay-family", TITLE), _Tier("lay-title", TITLE), _Tier("title", TITLE), _Tier("text", ALL_TEXT))
PLAIN_TIERS = (_Tier("title", TITLE), _Tier("text", ALL_TEXT))


class SearchIndex:
    """A read-only index with one long-lived searcher. Use it from one thread at a time."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        storage = FileStorage(str(index_dir), readonly=True)
        self._index = storage.open_index()
        self._searcher = self._index.searcher()
        lay = json.loads((index_dir / LAY_TERMS_JSON).read_text(encoding="utf-8"))
        self._lay_terms = [
            LayTerm(
                item["term"],
                tuple(item["words"]),
                tuple(item["official"]),
                tuple((s, c) for s, c in item["codes"]),
                item["line"],
            )
            for item in lay
        ]
        self._lay_matcher = LayTermMatcher(self._lay_terms)
        vocabulary = json.loads((index_dir / VOCABULARY_JSON).read_text(encoding="utf-8"))
        self._sorted_words: list[str] = [word for word, _count in vocabulary]
        self._frequency: dict[str, int] = dict(vocabulary)
        self._short_prefix_hits: dict[str, list[int]] | None = None
        self._completion_cache: dict[tuple[str, int], list[str]] = {}
        self._data_cache: dict[int, tuple[Any, ...]] = {}
        self._rows = array("I")
        self._rows.frombytes((index_dir / ROWS_FILE).read_bytes())
        database = index_dir.parent / DATABASE_FILE
        # The search index belongs to the database built beside it; rows are read read-only and immutable.
        self._db = sqlite3.connect(
            database.resolve().as_uri() + "?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        self._head_cache: dict[tuple[str, str, str], list[int] | None] = {}
        self._title_words_cache: dict[int, frozenset[str]] = {}

    @classmethod
    def open(cls, index_dir: Path) -> SearchIndex:
        format_file = index_dir / "format.json"
        if not format_file.is_file():
            raise FileNotFoundError(f"no search index at {index_dir}")
        found = json.loads(format_file.read_text()).get("index_format")
        if found != INDEX_FORMAT:
            raise FileNotFoundError(f"search index at {index_dir} has format {found}, expected {INDEX_FORMAT}")
        index = cls(index_dir)
        # One small search reads the segment headers and warms Whoosh's code paths, so the user's first
        # keystroke is as fast as the rest.
        index.search("e11 fracture of femur", limit=1)
        return index

    def close(self) -> None:
        self._searcher.close()
        self._index.close()
        self._db.close()

    @property
    def lay_terms(self) -> list[LayTerm]:
        return self._lay_terms

    # -- words ----------------------------------------------------------------------------------------------

    def completions(self, prefix: str, limit: int) -> list[str]:
        """Indexed words starting with `prefix`, the most frequent first (the word itself always first)."""
        key = (prefix, limit)
        cached = self._completion_cache.get(key)
        if cached is not None:
            return cached
        low = bisect_left(self._sorted_words, prefix)
        high = bisect_left(self._sorted_words, prefix + "\uffff", low)
        candidates = self._sorted_words[low:high]
        if len(candidates) > limit:
            candidates = heapq.nlargest(limit, candidates, key=self._frequency.__getitem__)
        else:
            candidates = sorted(candidates, key=lambda word: -self._frequency[word])
        if prefix in self._frequency and candidates and candidates[0] != prefix:
            candidates = [prefix, *[word for word in candidates if word != prefix][: limit - 1]]
        if len(self._completion_cache) > 20000:
            self._completion_cache.clear()
        self._completion_cache[key] = candidates
        return candidates

    def _word_query(self, word: str, is_prefix: bool, fields: tuple[str, ...]) -> Query | None:
        if is_prefix and len(word) <= TITLE_GRAM_MAX:
            # A short word being typed: one gram term for titles (exact, never truncated); in other wording
            # only its most frequent completions.
            queries: list[Query] = [Term("title_grams", word)]
            if "other_words" in fields:
                queries.extend(Term("other_words", t) for t in self.completions(word, MAX_OTHER_WORD_EXPANSION))
            return queries[0] if len(queries) == 1 else Or(queries)
        if is_prefix:
            terms = self.completions(word, MAX_LAST_WORD_EXPANSION)
        elif word in self._frequency:
            terms = [word]
        elif len(word) >= 3:
            terms = self.completions(word, MAX_OTHER_WORD_EXPANSION)
        else:
            terms = []
        if (not is_prefix or len(word) >= 5) and self._plural_stem(word):
            # "folding walker with wheels" means "Walker, folding, wheeled": a finished word ending in s
            # also matches words that begin with its stem.
            terms = list(dict.fromkeys([*terms, *self.completions(word[:-1], MAX_OTHER_WORD_EXPANSION)]))
        if not terms:
            return None
        queries = [Term(field, term) for field in fields for term in terms]
        return queries[0] if len(queries) == 1 else Or(queries)

    def _plural_stem(self, word: str) -> bool:
        """True for an indexed word ending in s (not ss) whose stem begins other words ("wheels" -> "wheeled").

        Only words the titles use: an unknown word is more likely a typo ("diabetis") and goes to correction.
        """
        return (
            len(word) >= 4
            and word.endswith("s")
            and not word.endswith("ss")
            and word in self._frequency
            and bool(self.completions(word[:-1], 1))
        )

    def _words_query(self, group_words: Sequence[str], prefix_last: bool, fields: tuple[str, ...]) -> Query | None:
        parts = []
        for index, word in enumerate(group_words):
            query = self._word_query(word, prefix_last and index == len(group_words) - 1, fields)
            if query is None:
                return None
            parts.append(query)
        return parts[0] if len(parts) == 1 else And(parts)

    def _group_query(self, group: WordGroup, tier: _Tier) -> Query | None:
        alternatives: list[Query | None] = []
        if tier.name in ("title", "text") or not group.lay_terms:
            alternatives.append(self._words_query(group.words, group.ends_with_prefix, tier.fields))
        if tier.name == "lay-title":
            alternatives.extend(self._words_query(lay.official_words, False, tier.fields) for lay in group.lay_terms)
        elif tier.name == "lay-family":
            alternatives.extend(Term("lay", lay_token(lay)) for lay in group.lay_terms if lay.codes)
        present = [query for query in alternatives if query is not None]
        if not present:
            return None
        return present[0] if len(present) == 1 else Or(present)

    def _plan_query(self, plan: QueryPlan, tier: _Tier, filters: list[Query]) -> Query | None:
        parts: list[Query] = []
        for group in plan.groups:
            query = self._group_query(group, tier)
            if query is None:
                return None
            parts.append(query)
        parts.extend(filters)
        return parts[0] if len(parts) == 1 else And(parts)

    # -- running --------------------------------------------------------------------------------------------

    def _first_matches(self, query: Query, exclude: set[int], want: int) -> list[int]:
        matcher = query.matcher(self._searcher)
        found: list[int] = []
        while matcher.is_active():
            docnum = matcher.id()
            if docnum not in exclude:
                found.append(docnum)
                if len(found) >= want:
                    break
            matcher.next()
        return found

    def _data(self, docnum: int) -> tuple[Any, ...]:
        """(system, code, display, kind, title, billable, row id) of a document, from the database."""
        data = self._data_cache.get(docnum)
        if data is None:
            self._prefetch([docnum])
            data = self._data_cache[docnum]
        return data

    def _title_words(self, docnum: int) -> frozenset[str]:
        cached = self._title_words_cache.get(docnum)
        if cached is None:
            cached = frozenset(words(self._data(docnum)[4]))
            if len(self._title_words_cache) > 50000:
                self._title_words_cache.clear()
            self._title_words_cache[docnum] = cached
        return cached

    def _prefetch(self, docnums: Sequence[int]) -> None:
        missing = [d for d in docnums if d not in self._data_cache]
        if not missing:
            return
        if len(self._data_cache) > 50000:
            self._data_cache.clear()
        by_row = {self._rows[d]: d for d in missing}
        placeholders = ",".join("?" * len(by_row))
        for row in self._db.execute(
            f"SELECT id, system, code, display, kind, title, billable FROM codes WHERE id IN ({placeholders})",
            list(by_row),
        ):
            self._data_cache[by_row[row[0]]] = (row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[0])

    def _alternatives(self, row_id: int, system: str, code: str) -> list[tuple[str, str]]:
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

    def _code_hits(self, plan: QueryPlan, systems: set[str] | None, billable_only: bool, limit: int) -> list[int]:
        assert plan.code is not None
        exact: list[int] = []
        children: list[int] = []
        reader = self._searcher.reader()
        for system in plan.code_systems:
            if systems is not None and system not in systems:
                continue
            field = f"code_{system}"
            for term in islice(reader.expand_prefix(field, plan.code), limit + 1):
                text = term.decode("ascii") if isinstance(term, bytes) else term
                docnum = self._searcher.document_number(**{field: text})
                if docnum is not None:
                    (exact if text == plan.code else children).append(docnum)
        if billable_only:
            children = [docnum for docnum in children if self._data(docnum)[5]]
        return (exact + children)[:limit]

    def _rerank(
        self, docnums: list[int], query_words: Sequence[str], families: Sequence[tuple[str, str]] = ()
    ) -> list[int]:
        """Lay-term families in the table's order, whole-word matches, titles starting with the query, then
        the most general titles.

        "General" counts the title's words that the query did not ask for, not counting words that only say
        the title is general ("unspecified", "organism"...): "Pneumonia, unspecified organism" is what a coder
        typing "pneumonia" wants before "Pneumonia due to Pseudomonas".
        """

        def family_position(system: str, code: str) -> int:
            for position, (family_system, family_code) in enumerate(families):
                if system == family_system and code.startswith(family_code):
                    return position
            return len(families)

        self._prefetch(docnums)

        def key(docnum: int) -> tuple[int, int, int, int, int, int]:
            system, code, _display, kind, title, billable = self._data(docnum)[:6]
            title_words = words(title)
            whole = sum(1 for q in query_words if q in title_words)
            # "Unspecified asthma" starts with what was asked as much as "Asthma, ..." does.
            core = [word for word in title_words if word not in GENERIC_WORDS]
            starts = 0 if core and query_words and core[0].startswith(query_words[0]) else 1
            specific = sum(1 for word in core if not any(word.startswith(q) for q in query_words))
            header = 0 if billable or kind == "modifier" else 1
            return (family_position(system, code), -whole, starts, specific, header, docnum)

        return sorted(docnums, key=key)

    def _hit(self, docnum: int, plan: QueryPlan, tier: str, correction: str | None) -> SearchHit:
        system, code, display, kind, title, billable, row_id = self._data(docnum)
        query_words = plan.words
        via = None
        if tier == "code":
            return SearchHit(system, code, display, title, bool(billable), kind, "code", display, ((0, len(display)),))
        matched, matched_text, highlight = "title", title, list(query_words)
        if tier in ("lay-title", "lay-family"):
            lay_terms = [lay for group in plan.groups for lay in group.lay_terms]
            via = lay_terms[0].term if lay_terms else None
            matched = "synonym"
            highlight = [w for g in plan.groups if not g.lay_terms for w in g.words]
            highlight += [w for lay in lay_terms for w in lay.official_words]
        elif tier == "text" and not _matches_all(words(title), query_words):
            for source, text in self._alternatives(row_id, system, code):
                if _matches_all(words(text), query_words):
                    matched, matched_text = source, text
                    break
        if correction is not None:
            matched, via = "correction", correction
        return SearchHit(
            system,
            code,
            display,
            title,
            bool(billable),
            kind,
            matched,
            matched_text,
            _spans(matched_text, highlight),
            via,
        )

    def _word_hits(
        self, plan: QueryPlan, filters: list[Query], limit: int, exclude: set[int], correction: str | None
    ) -> list[SearchHit]:
        hits: list[SearchHit] = []
        short = self._short_prefix_docs(plan) if not filters else None
        if short is not None:
            docnums = [d for d in short if d not in exclude]
            window = CANDIDATES_PER_TIER
            docnums = (self._rerank(docnums[:window], plan.words) + docnums[window:])[:limit]
            exclude.update(docnums)
            return [self._hit(d, plan, "title", correction) for d in docnums]
        tiers = LAY_TIERS if any(group.lay_terms for group in plan.groups) else PLAIN_TIERS
        for tier in tiers:
            if len(hits) >= limit:
                break
            want = max(CANDIDATES_PER_TIER, limit - len(hits))
            found = self._matches_by_head(plan, tier, filters, exclude, want)
            if found is None:
                query = self._plan_query(plan, tier, filters)
                if query is None:
                    continue
                found = self._first_matches(query, exclude, want)
            docnums = found
            rank_words, families = list(plan.words), list[tuple[str, str]]()
            if tier.name.startswith("lay-"):
                rank_words = [w for g in plan.groups for w in (g.words if not g.lay_terms else ())]
                for group in plan.groups:
                    for lay in group.lay_terms:
                        rank_words.extend(lay.official_words)
                        families.extend(lay.codes)
            # Only a fixed window is reranked, so the first results are the same whatever the limit.
            window = CANDIDATES_PER_TIER
            docnums = (self._rerank(docnums[:window], rank_words, families) + docnums[window:])[: limit - len(hits)]
            exclude.update(docnums)
            hits.extend(self._hit(d, plan, tier.name, correction) for d in docnums)
        return hits

    def _matches_by_head(
        self, plan: QueryPlan, tier: _Tier, filters: list[Query], exclude: set[int], want: int
    ) -> list[int] | None:
        """Matches of a several-word query, reusing the finished words' matches across keystrokes.

        While a coder types "type 2 diabetes with h", "...hy", "...hyp", the words before the last one do
        not change: their matches are computed once (when there are at most HEAD_CACHE_LIMIT) and each
        keystroke only checks those documents against the word being typed. None means "not applicable".
        """
        if len(plan.groups) < 2:
            return None
        head = QueryPlan(plan.raw, None, (), plan.groups[:-1])
        key = (tier.name, repr(head.groups), repr(filters))
        if key in self._head_cache:
            head_docs = self._head_cache.pop(key)
        else:
            query = self._plan_query(head, tier, filters)
            if query is None:
                return []
            head_docs = self._first_matches(query, set(), HEAD_CACHE_LIMIT + 1)
            if len(head_docs) > HEAD_CACHE_LIMIT:
                head_docs = None
        self._head_cache[key] = head_docs
        if len(self._head_cache) > 64:
            self._head_cache.pop(next(iter(self._head_cache)))
        if head_docs is None:
            return None
        last = plan.groups[-1]
        if tier.fields == TITLE and not last.lay_terms:
            # Check the word being typed against the titles of the finished words' matches: exact for any
            # prefix (no completion list to truncate), and the titles stay cached while the coder types.
            self._prefetch(head_docs)
            by_title: list[int] = []
            final = last.words[-1]
            plural = self._plural_stem(final) and (len(final) >= 5 or not last.ends_with_prefix)
            for docnum in head_docs:
                if docnum in exclude:
                    continue
                title_words = self._title_words(docnum)
                stem_matches = plural and _matches_all(title_words, [final[:-1]])
                if _matches_all(title_words, last.words[:-1]) and (
                    (_matches_all(title_words, [final]) if last.ends_with_prefix else final in title_words)
                    or stem_matches
                ):
                    by_title.append(docnum)
                    if len(by_title) >= want:
                        break
            return by_title
        tail = self._group_query(last, tier)
        if tail is None:
            return []
        matcher = tail.matcher(self._searcher)
        found: list[int] = []
        if tail.estimate_size(self._searcher.reader()) < len(head_docs):
            # Fewer documents carry the word being typed than the finished words: walk those instead,
            # checking each against the finished words' matches (both are in rank order).
            head_set = set(head_docs)
            while matcher.is_active():
                docnum = matcher.id()
                if docnum in head_set and docnum not in exclude:
                    found.append(docnum)
                    if len(found) >= want:
                        break
                matcher.next()
            return found
        for docnum in head_docs:
            if not matcher.is_active():
                break
            if docnum in exclude:
                continue
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
                if not matcher.is_active():
                    break
            if matcher.id() == docnum:
                found.append(docnum)
                if len(found) >= want:
                    break
        return found

    def _short_prefix_docs(self, plan: QueryPlan) -> list[int] | None:
        """One or two letters being typed: the best title matches were listed at build time."""
        if len(plan.groups) != 1 or plan.groups[0].lay_terms:
            return None
        group = plan.groups[0]
        if len(group.words) != 1 or not group.ends_with_prefix or len(group.words[0]) > 2:
            return None
        if self._short_prefix_hits is None:
            self._short_prefix_hits = json.loads((self.index_dir / SHORT_PREFIXES_JSON).read_text(encoding="utf-8"))
        return self._short_prefix_hits.get(group.words[0], [])

    def search(
        self, text: str, systems: Iterable[str] | None = None, billable_only: bool = False, limit: int = 50
    ) -> SearchResults:
        """Best matches first. Never raises on user input: odd input gives few or no results."""
        started = time.perf_counter()
        limit = max(1, min(limit, 500))
        plan = parse_query(text, self._lay_matcher)
        system_set = set(systems) if systems else None
        filters: list[Query] = []
        if system_set:
            filters.append(Or([Term("system", s) for s in sorted(system_set)]))
        if billable_only:
            filters.append(Term("billable", "y"))
        hits: list[SearchHit] = []
        seen: set[int] = set()
        code_docs = self._code_hits(plan, system_set, billable_only, limit) if plan.code is not None else []
        # "dm2" is a lay term and also an ICD-10-PCS table header (DM2): the lay term wins unless the code is
        # a billable code itself.
        first_code = self._data(code_docs[0]) if code_docs else None
        defer_codes = (
            self._is_exact_lay_term(plan)
            and first_code is not None
            and not first_code[5]  # billable
            and first_code[3] != "modifier"
        )
        if not defer_codes:
            seen.update(code_docs)
            hits.extend(self._hit(d, plan, "code", None) for d in code_docs)
        corrected_query = None
        if len(plan.groups) == 1 and plan.groups[0].lay_terms:
            pinned = self._billable_family_heads(plan.groups[0], system_set, billable_only, seen)
            seen.update(pinned)
            hits.extend(self._hit(d, plan, "lay-family", None) for d in pinned[:limit])
        if plan.groups and len(hits) < limit:
            hits.extend(self._word_hits(plan, filters, limit - len(hits), seen, None))
            if not hits and not code_docs:
                corrected = self._corrected_plan(plan)
                if corrected is not None:
                    corrected_query = " ".join(corrected.words)
                    hits.extend(self._word_hits(corrected, filters, limit, seen, corrected_query))
                    if not hits:
                        corrected_query = None
        if defer_codes:
            hits.extend(self._hit(d, plan, "code", None) for d in code_docs if d not in seen)
            hits = hits[:limit]
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResults(text, tuple(hits), corrected_query, elapsed)

    def _billable_family_heads(
        self, group: WordGroup, systems: set[str] | None, billable_only: bool, exclude: set[int]
    ) -> list[int]:
        """The billable codes a lay term names itself, in the table's order ("bed sore" -> L89.90 first).

        Family ranking only reorders the first matches read, so a default code with a long title could
        otherwise fall outside them.
        """
        found: list[int] = []
        for lay in group.lay_terms:
            # Only the leading billable codes: a family written first ("J18 J15 ...") is ranked as a family.
            for system, code in lay.codes:
                docnum = self._searcher.document_number(**{f"code_{system}": code})
                if docnum is None:
                    break
                data = self._data(docnum)
                if not (data[5] or data[3] == "modifier"):
                    break
                wanted = (systems is None or system in systems) and not (billable_only and not data[5])
                if wanted and docnum not in exclude and docnum not in found:
                    found.append(docnum)
        return found

    @staticmethod
    def _is_exact_lay_term(plan: QueryPlan) -> bool:
        return len(plan.groups) == 1 and any(lay.words == plan.groups[0].words for lay in plan.groups[0].lay_terms)

    # -- typos ----------------------------------------------------------------------------------------------

    def _known(self, word: str, is_prefix: bool) -> bool:
        return bool(self.completions(word, 1)) if is_prefix else word in self._frequency

    def _correct(self, word: str, is_prefix: bool) -> str | None:
        """The closest indexed word (or word beginning, for the word being typed), the more frequent on ties.

        Candidates sharing the typed first letter are tried first: misspellings keep it far more often than
        not, and it makes the comparison some twenty times cheaper on every keystroke of a misspelled word.
        Only when none is close enough are all words compared ("recertification" -> "certification").
        """
        return self._closest(word, is_prefix, word[0]) or self._closest(word, is_prefix, "")

    def _closest(self, word: str, is_prefix: bool, first_letter: str) -> str | None:
        max_distance = 1 if len(word) <= 5 else 2
        whole = extractOne(
            word,
            self._same_first_letter(self._words_by_frequency(), first_letter, "words"),
            scorer=DamerauLevenshtein.distance,
            score_cutoff=max_distance,
        )
        if not is_prefix:
            return None if whole is None else str(whole[0])
        # The word being typed may be a misspelled beginning ("pnuem") or a whole misspelled word ("astma");
        # a whole word wins ties, and among prefixes of the same distance the more frequent one.
        best: tuple[str, float] | None = (str(whole[0]), float(whole[1])) if whole is not None else None
        for length in (len(word), len(word) + 1):
            choices = self._same_first_letter(self._prefixes_of_length(length), first_letter, f"prefixes{length}")
            found = extractOne(word, choices, scorer=DamerauLevenshtein.distance, score_cutoff=max_distance)
            if found is not None and (best is None or found[1] < best[1]):
                best = (str(found[0]), float(found[1]))
        return None if best is None else best[0]

    def _same_first_letter(self, choices: list[str], letter: str, name: str) -> list[str]:
        if not letter:
            return choices
        key = (f"\0{name}:{letter}", 0)
        cached = self._completion_cache.get(key)
        if cached is None:
            cached = [choice for choice in choices if choice.startswith(letter)]
            self._completion_cache[key] = cached
        return cached

    def _words_by_frequency(self) -> list[str]:
        cached = self._completion_cache.get(("\0by-frequency", 0))
        if cached is None:
            cached = sorted(self._sorted_words, key=lambda word: -self._frequency[word])
            self._completion_cache[("\0by-frequency", 0)] = cached
        return cached

    def _prefixes_of_length(self, length: int) -> list[str]:
        key = ("\0prefixes", length)
        cached = self._completion_cache.get(key)
        if cached is None:
            totals: dict[str, int] = {}
            for word in self._sorted_words:
                if len(word) >= length:
                    head = word[:length]
                    totals[head] = totals.get(head, 0) + self._frequency[word]
            cached = sorted(totals, key=lambda head: -totals[head])
            self._completion_cache[key] = cached
        return cached

    def _corrected_plan(self, plan: QueryPlan) -> QueryPlan | None:
        """The query with unknown words replaced by the closest indexed words, or None when none changed."""
        changed = False
        corrected_words: list[str] = []
        last_is_prefix = bool(plan.groups) and plan.groups[-1].ends_with_prefix
        all_words = plan.words
        for index, word in enumerate(all_words):
            is_prefix = last_is_prefix and index == len(all_words) - 1
            if len(word) >= 3 and not word.isdigit() and not self._known(word, is_prefix):
                replacement = self._correct(word, is_prefix)
                if replacement is not None and replacement != word:
                    corrected_words.append(replacement)
                    changed = True
                    continue
            corrected_words.append(word)
        if not changed:
            return None
        text = " ".join(corrected_words) + ("" if last_is_prefix else " ")
        corrected = parse_query(text, self._lay_matcher)
        return QueryPlan(corrected.raw, None, (), corrected.groups)
