"""Candidate retrieval: Whoosh queries for a plan's words, read in static rank order, and code lookups.

Why it is fast enough to search on every keystroke:
- Documents are written in a static rank order (billable and general, i.e. short, titles first), so the
  first matches in document order are already the best ones (no scoring, no sorting of thousands of hits).
- Queries are answered as bitsets of in-memory term postings (db/search/postings.py): And / Or of any
  length cost microseconds, so long queries and partial-match subsets stay within a keystroke.
- The word being typed expands only to its most frequent completions (from the vocabulary), and one- or
  two-letter queries read lists computed at build time, so "f" never becomes thousands of terms.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from whoosh.query import And, Or, Query, Term
from whoosh.searching import Searcher

from db.query_text import QueryPlan, WordGroup
from db.search.hits import matches_all
from db.search.layer import Layer, side_file
from db.search.postings import Postings
from db.search.rows import RowStore
from db.search.schema import SHORT_PREFIXES_JSON, TITLE, TITLE_GRAM_MAX, lay_token
from db.search.spelling import Vocabulary
from db.search.word_forms import WordForms, stem

#: The word being typed expands to at most this many indexed words, the most frequent first; a finished
#: word that is a prefix of others ("frac fem") to fewer.
MAX_LAST_WORD_EXPANSION = 40
MAX_OTHER_WORD_EXPANSION = 8
#: A title query's last word is checked against its finished words' titles when they match at most this many.
HEAD_CACHE_LIMIT = 5000
#: Category wording ("disorders", "procedures") says little about which code is meant: in partial matches it
#: weighs this much of its idf, so it is the first word a partial match leaves out.
CATEGORY_WEIGHT = 0.2
CATEGORY_STEMS = frozenset(
    stem(word)
    for word in (
        [
            "disorder",
            "diseases",
            "condition",
            "procedure",
            "complication",
            "problem",
            "issue",
            "treatment",
            "surgery",
            "other",
            "unspecified",
            "specified",
        ]
    )
)


def _never(_docnum: int) -> bool:
    return False


class Skip:
    """Documents a search must not list: those it listed already and, with allowed rows, every document
    whose database row is not allowed (so a filtered query still fills its results)."""

    def __init__(self, rows: array[int], allowed: Container[int] | None = None) -> None:
        self.seen: set[int] = set()
        self._rows = rows
        self._allowed = allowed

    def __call__(self, docnum: int) -> bool:
        return docnum in self.seen or (self._allowed is not None and self._rows[docnum] not in self._allowed)

    def allowed(self, docnum: int) -> bool:
        return self._allowed is None or self._rows[docnum] in self._allowed

    def update(self, docnums: Iterable[int]) -> None:
        self.seen.update(docnums)


@dataclass(frozen=True)
class Tier:
    #: lay-title, lay-family, title, text, forms (word forms and equivalents too), partial
    name: str
    fields: tuple[str, ...]
    #: Finished words also match their stem family and the equivalents table's forms.
    forms: bool = False


class Retriever:
    """Reads a plan's matches from the index, in static rank order."""

    def __init__(
        self,
        searcher: Searcher,
        vocabulary: Vocabulary,
        forms: WordForms,
        rows: RowStore,
        index_dir: Path,
        layer: Layer | None = None,
    ) -> None:
        self._searcher = searcher
        self._vocabulary = vocabulary
        self._forms = forms
        self._rows = rows
        self._index_dir = index_dir
        self._short_prefix_hits: dict[str, list[int]] | None = None
        self._postings = Postings(searcher, index_dir, layer)
        self._documents = layer.visible_documents if layer is not None else searcher.doc_count_all()

    def close(self) -> None:
        self._postings.close()

    # -- queries --------------------------------------------------------------------------------------------

    def word_query(self, word: str, is_prefix: bool, fields: tuple[str, ...], forms: bool = False) -> Query | None:
        literal = self._literal_query(word, is_prefix, fields)
        if not forms or (is_prefix and word not in self._vocabulary):
            return literal
        words, phrases = self.other_forms(word)
        queries = [] if literal is None else [literal]
        queries.extend(Term(field, term) for field in fields for term in words)
        for phrase in phrases:
            queries.append(And([Or([Term(field, part) for field in fields]) for part in phrase]))
        if not queries:
            return None
        return queries[0] if len(queries) == 1 else Or(queries)

    def other_forms(self, word: str) -> tuple[list[str], list[tuple[str, ...]]]:
        """Indexed words of the same stem or that the table makes equivalent, and equivalent phrases."""
        single: dict[str, None] = dict.fromkeys(term for term in self._forms.family(word) if term != word)
        phrases: list[tuple[str, ...]] = []
        for form in self._forms.equivalents(word):
            if len(form) == 1:
                single.update(dict.fromkeys([form[0], *self._forms.family(form[0])]))
            else:
                phrases.append(form)
        single.pop(word, None)
        return [term for term in single if term in self._vocabulary], phrases

    def has_forms(self, plan: QueryPlan) -> bool:
        """Whether any word of the plan has other forms (else a forms tier would repeat the text tier)."""
        for group in plan.groups:
            for index, word in enumerate(group.words):
                if group.ends_with_prefix and index == len(group.words) - 1 and word not in self._vocabulary:
                    continue
                single, phrases = self.other_forms(word)
                if single or phrases:
                    return True
        return False

    def accepted(self, group: WordGroup, forms: bool) -> list[tuple[str, frozenset[str]]]:
        """Per word of a group: (prefix it may match at a word start, or "", other words it may match)."""
        found = []
        for index, word in enumerate(group.words):
            is_prefix = group.ends_with_prefix and index == len(group.words) - 1
            others: set[str] = set()
            if forms:
                single, phrases = self.other_forms(word)
                others.update(single)
                others.update(part for phrase in phrases for part in phrase)
            for lay in group.lay_terms:
                others.update(lay.official_words)
            found.append((word if is_prefix or word not in self._vocabulary else "", frozenset({word, *others})))
        return found

    def weight(self, group: WordGroup) -> float:
        """How specific a group's words are (BM25's idf): a rare word counts more than "disease"."""
        documents = max(1, self._documents)
        total = 0.0
        for word in group.words:
            count = self._vocabulary.frequency.get(word)
            if count is None:
                count = sum(self._vocabulary.frequency[t] for t in self._vocabulary.completions(word, 8))
            weight = math.log(1 + (documents - count + 0.5) / (count + 0.5))
            total += weight * (CATEGORY_WEIGHT if stem(word) in CATEGORY_STEMS else 1.0)
        return total

    def _literal_query(self, word: str, is_prefix: bool, fields: tuple[str, ...]) -> Query | None:
        vocabulary = self._vocabulary
        if is_prefix and len(word) <= TITLE_GRAM_MAX:
            # A short word being typed: one gram term for titles (exact, never truncated); in other wording
            # only its most frequent completions.
            queries: list[Query] = [Term("title_grams", word)]
            if "other_words" in fields:
                queries.extend(Term("other_words", t) for t in vocabulary.completions(word, MAX_OTHER_WORD_EXPANSION))
            return queries[0] if len(queries) == 1 else Or(queries)
        if is_prefix:
            terms = vocabulary.completions(word, MAX_LAST_WORD_EXPANSION)
        elif word in vocabulary:
            terms = [word]
        elif len(word) >= 3:
            terms = vocabulary.completions(word, MAX_OTHER_WORD_EXPANSION)
        else:
            terms = []
        if (not is_prefix or len(word) >= 5) and vocabulary.plural_stem(word):
            # "folding walker with wheels" means "Walker, folding, wheeled": a finished word ending in s
            # also matches words that begin with its stem.
            terms = list(dict.fromkeys([*terms, *vocabulary.completions(word[:-1], MAX_OTHER_WORD_EXPANSION)]))
        if not terms:
            return None
        queries = [Term(field, term) for field in fields for term in terms]
        return queries[0] if len(queries) == 1 else Or(queries)

    def words_query(
        self, group_words: Sequence[str], prefix_last: bool, fields: tuple[str, ...], forms: bool = False
    ) -> Query | None:
        if not group_words:
            return None
        parts = []
        for index, word in enumerate(group_words):
            query = self.word_query(word, prefix_last and index == len(group_words) - 1, fields, forms)
            if query is None:
                return None
            parts.append(query)
        return parts[0] if len(parts) == 1 else And(parts)

    def group_query(self, group: WordGroup, tier: Tier) -> Query | None:
        alternatives: list[Query | None] = []
        if tier.name in ("title", "text", "forms", "partial") or not group.lay_terms:
            alternatives.append(self.words_query(group.words, group.ends_with_prefix, tier.fields, tier.forms))
        if tier.name in ("lay-title", "partial"):
            alternatives.extend(self.words_query(lay.official_words, False, tier.fields) for lay in group.lay_terms)
        elif tier.name == "lay-family":
            alternatives.extend(Term("lay", lay_token(lay)) for lay in group.lay_terms if lay.codes)
        present = [query for query in alternatives if query is not None]
        if not present:
            return None
        return present[0] if len(present) == 1 else Or(present)

    def plan_query(self, plan: QueryPlan, tier: Tier, filters: list[Query]) -> Query | None:
        parts: list[Query] = []
        for group in plan.groups:
            query = self.group_query(group, tier)
            if query is None:
                return None
            parts.append(query)
        parts.extend(filters)
        return parts[0] if len(parts) == 1 else And(parts)

    # -- reading --------------------------------------------------------------------------------------------

    def first_matches(self, query: Query, skip: Skip, want: int) -> list[int]:
        return self._postings.first(self._postings.bits(query), skip, want)

    def bits(self, query: Query) -> int:
        """The documents matching a query, as bits (see db/search/postings.py)."""
        return self._postings.bits(query)

    def first_of_bits(self, bits: int, skip: Skip, want: int) -> list[int]:
        return self._postings.first(bits, skip, want)

    def matches(self, plan: QueryPlan, tier: Tier, filters: list[Query], skip: Skip, want: int) -> list[int]:
        found = self.matches_by_head(plan, tier, filters, skip, want)
        if found is not None:
            return found
        query = self.plan_query(plan, tier, filters)
        return [] if query is None else self.first_matches(query, skip, want)

    def matches_by_head(
        self, plan: QueryPlan, tier: Tier, filters: list[Query], skip: Skip, want: int
    ) -> list[int] | None:
        """Matches of a several-word title query whose finished words match few documents, checking the
        word being typed against those documents' titles: exact for any prefix (no completion list to
        truncate), and the titles stay cached while the coder types. None means "not applicable" (the
        whole query's bitset answers)."""
        if len(plan.groups) < 2:
            return None
        last = plan.groups[-1]
        if tier.fields != TITLE or last.lay_terms or tier.forms:
            return None
        head = QueryPlan(plan.raw, None, (), plan.groups[:-1])
        query = self.plan_query(head, tier, filters)
        if query is None:
            return []
        head_bits = self._postings.bits(query)
        if head_bits.bit_count() > HEAD_CACHE_LIMIT:
            return None
        final = last.words[-1]
        if final:
            # Only titles with a word starting with the typed word's first letters can match (title_grams):
            # the same answer, with far fewer titles to read.
            head_bits &= self._postings.term_bits("title_grams", final[:TITLE_GRAM_MAX])
        return self._head_by_title(self._postings.first(head_bits, _never, HEAD_CACHE_LIMIT), last, skip, want)

    def _head_by_title(self, head_docs: list[int], last: WordGroup, skip: Skip, want: int) -> list[int]:
        """Check the word being typed against the titles of the finished words' matches: exact for any
        prefix (no completion list to truncate), and the titles stay cached while the coder types."""
        self._rows.prefetch(head_docs)
        by_title: list[int] = []
        final = last.words[-1]
        plural = self._vocabulary.plural_stem(final) and (len(final) >= 5 or not last.ends_with_prefix)
        for docnum in head_docs:
            if skip(docnum):
                continue
            title_words = self._rows.title_words(docnum)
            stem_matches = plural and matches_all(title_words, [final[:-1]])
            if matches_all(title_words, last.words[:-1]) and (
                (matches_all(title_words, [final]) if last.ends_with_prefix else final in title_words) or stem_matches
            ):
                by_title.append(docnum)
                if len(by_title) >= want:
                    break
        return by_title

    def short_prefix_docs(self, plan: QueryPlan) -> list[int] | None:
        """One or two letters being typed: the best title matches were listed at build time."""
        if len(plan.groups) != 1 or plan.groups[0].lay_terms:
            return None
        group = plan.groups[0]
        if len(group.words) != 1 or not group.ends_with_prefix or len(group.words[0]) > 2:
            return None
        if self._short_prefix_hits is None:
            text = side_file(self._index_dir, SHORT_PREFIXES_JSON).read_text(encoding="utf-8")
            self._short_prefix_hits = json.loads(text)
        return self._short_prefix_hits.get(group.words[0], [])

    # -- codes ----------------------------------------------------------------------------------------------

    def docs_of_code(self, system: str, code: str) -> list[int]:
        """Every document of one code (one per loaded version of it), in document order."""
        return self.first_matches(Term(f"code_{system}", code), Skip(self._rows.rows), 1 << 30)

    def code_doc(self, system: str, code: str, skip: Skip) -> int | None:
        """The allowed document of a code (the first one when several versions are allowed), else None."""
        for docnum in self.docs_of_code(system, code):
            if not skip(docnum):
                return docnum
        return None

    def code_hits(
        self, plan: QueryPlan, systems: set[str] | None, billable_only: bool, limit: int, skip: Skip
    ) -> list[int]:
        """The typed code, then codes under it in code order.

        A code typed exactly is always listed, whatever the allowed rows: once per (system, code), its
        allowed version if any, else the first. Codes under it are listed only when allowed, like words.
        """
        assert plan.code is not None
        exact: list[int] = []
        children: list[int] = []
        reader = self._searcher.reader()
        for system in plan.code_systems:
            if systems is not None and system not in systems:
                continue
            field = f"code_{system}"
            for term in reader.expand_prefix(field, plan.code):
                text = term.decode("ascii") if isinstance(term, bytes) else term
                if text == plan.code:
                    versions = self.docs_of_code(system, text)
                    allowed = [docnum for docnum in versions if skip.allowed(docnum)]
                    exact.extend((allowed or versions)[:1])
                    continue
                if len(children) > limit:
                    break
                docnum = self.code_doc(system, text, skip)
                if docnum is not None and not (billable_only and not self._rows.data(docnum).billable):
                    children.append(docnum)
        return (exact + children)[:limit]
