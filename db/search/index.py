"""SearchIndex: open() a built index and search(text, ...) -> plain results, planning which steps run."""

from __future__ import annotations

import json
import time
from collections.abc import Container, Iterable
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.query import Or, Query, Term

from db.lay_terms import LayTerm
from db.query_text import LayTermMatcher, QueryPlan, WordGroup, parse_query
from db.search.hits import SearchHit, SearchResults, make_hit
from db.search.layer import read_layer, side_file
from db.search.partial import partial_hits
from db.search.planning import INTENT_LINE, correct_unknown_words, with_intents
from db.search.ranking import rerank
from db.search.retrieval import Retriever, Skip, Tier
from db.search.rows import RowStore
from db.search.schema import ALL_TEXT, FORMAT_JSON, INDEX_FORMAT, LAY_TERMS_JSON, TITLE, VOCABULARY_JSON
from db.search.spelling import Vocabulary, spelling_counts
from db.search.word_forms import WordForms

#: How many matches of a tier are read (in static rank order) before re-ranking them for this query.
CANDIDATES_PER_TIER = 120
#: With a lay term: its code families first (in the table's order), then codes whose titles use its
#: official wording, then the words as typed.
#: Partial matches are listed when all the words together find fewer codes than this.
FEW_MATCHES = 3
#: After the words as typed: their word forms and equivalents (stems, the equivalents table) in any wording.
FORMS = Tier("forms", ALL_TEXT, forms=True)
LAY_TIERS = (
    Tier("lay-family", TITLE),
    Tier("lay-title", TITLE),
    Tier("title", TITLE),
    Tier("text", ALL_TEXT),
    FORMS,
)
PLAIN_TIERS = (Tier("title", TITLE), Tier("text", ALL_TEXT), FORMS)


def read_index_lay_terms(index_dir: Path) -> list[LayTerm]:
    lay = json.loads((index_dir / LAY_TERMS_JSON).read_text(encoding="utf-8"))
    return [
        LayTerm(
            item["term"],
            tuple(item["words"]),
            tuple(item["official"]),
            tuple((s, c) for s, c in item["codes"]),
            item["line"],
        )
        for item in lay
    ]


class SearchIndex:
    """A read-only index with one long-lived searcher. Use it from one thread at a time."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        storage = FileStorage(str(index_dir), readonly=True)
        self._index = storage.open_index()
        self._searcher = self._index.searcher()
        self._lay_terms = read_index_lay_terms(index_dir)
        self._lay_matcher = LayTermMatcher(self._lay_terms)
        counts = json.loads(side_file(index_dir, VOCABULARY_JSON).read_text(encoding="utf-8"))
        self._vocabulary = Vocabulary(sorted(spelling_counts(dict(counts), self._lay_terms).items()))
        layer = read_layer(index_dir)
        self._rows = RowStore(index_dir, layer)
        self._forms = WordForms(index_dir)
        self._retriever = Retriever(self._searcher, self._vocabulary, self._forms, self._rows, index_dir, layer)

    @classmethod
    def open(cls, index_dir: Path) -> SearchIndex:
        format_file = index_dir / FORMAT_JSON
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
        self._retriever.close()
        self._searcher.close()
        self._index.close()
        self._rows.close()

    @property
    def lay_terms(self) -> list[LayTerm]:
        return self._lay_terms

    def completions(self, prefix: str, limit: int) -> list[str]:
        """Indexed words starting with `prefix`, the most frequent first (the word itself always first)."""
        return self._vocabulary.completions(prefix, limit)

    def search(
        self,
        text: str,
        systems: Iterable[str] | None = None,
        billable_only: bool = False,
        limit: int = 50,
        *,
        allowed_rows: Container[int] | None = None,
    ) -> SearchResults:
        """Best matches first. Never raises on user input: odd input gives few or no results.

        `allowed_rows` (database row ids, `codes.id`) limits word, lay-term, article and typo hits, and the
        codes listed under a typed code prefix, to those rows; they are skipped before any limit counts, so
        a filtered query still fills its results. A code typed exactly is always listed (see code_hits).
        Pass a container with a fast `in` (a set, or db.in_force.RowsInForce), reused across keystrokes; a
        list or tuple is turned into a set here.
        """
        started = time.perf_counter()
        limit = max(1, min(limit, 500))
        plan = with_intents(parse_query(text, self._lay_matcher), self._forms)
        system_set = set(systems) if systems else None
        filters: list[Query] = []
        if system_set:
            filters.append(Or([Term("system", s) for s in sorted(system_set)]))
        if billable_only:
            filters.append(Term("billable", "y"))
        hits: list[SearchHit] = []
        if isinstance(allowed_rows, (list, tuple)):
            allowed_rows = frozenset(allowed_rows)
        seen = Skip(self._rows.rows, allowed_rows)
        code_docs = (
            self._retriever.code_hits(plan, system_set, billable_only, limit, seen) if plan.code is not None else []
        )
        # "dm2" is a lay term and also an ICD-10-PCS table header (DM2): the lay term wins unless the code is
        # a billable code itself.
        first_code = self._rows.data(code_docs[0]) if code_docs else None
        defer_codes = (
            self._is_exact_lay_term(plan)
            and first_code is not None
            and not first_code.billable
            and first_code.kind != "modifier"
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
            # Exact all-word matches, then a typo corrected in a long query, then partial matches; a
            # correction of words that are indexed only when nothing at all matched.
            hits.extend(self._word_hits(plan, filters, limit - len(hits), seen, None))
            # A code typed exactly or a code prefix is not a misspelled word ("Z23" is not "123").
            corrected = (
                None
                if code_docs
                else correct_unknown_words(plan, self._vocabulary, self._forms, self._lay_matcher, only_unknown=True)
            )
            if corrected is not None and len(hits) < limit:
                corrected = with_intents(corrected, self._forms)
                corrected_query = " ".join(corrected.words)
                hits.extend(self._word_hits(corrected, filters, limit - len(hits), seen, corrected_query))
            if len(hits) < min(limit, FEW_MATCHES) and not code_docs:
                hits.extend(self._partial_hits(corrected or plan, filters, limit - len(hits), seen, corrected_query))
            if not hits and not code_docs:
                corrected = correct_unknown_words(
                    plan, self._vocabulary, self._forms, self._lay_matcher, only_unknown=False
                )
                if corrected is not None:
                    corrected_query = " ".join(corrected.words)
                    hits.extend(self._word_hits(corrected, filters, limit, seen, corrected_query))
            if corrected_query is not None and not any(hit.via and corrected_query in hit.via for hit in hits):
                corrected_query = None
        if defer_codes:
            hits.extend(self._hit(d, plan, "code", None) for d in code_docs if d not in seen.seen)
            hits = hits[:limit]
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResults(text, tuple(hits), corrected_query, elapsed)

    def _hit(self, docnum: int, plan: QueryPlan, tier: str, correction: str | None) -> SearchHit:
        accepted = None
        if tier == "forms":
            accepted = [a for group in plan.groups for a in self._retriever.accepted(group, forms=True)]
        return make_hit(self._rows, docnum, plan, tier, correction, accepted)

    def _partial_hits(
        self, plan: QueryPlan, filters: list[Query], limit: int, skip: Skip, correction: str | None
    ) -> list[SearchHit]:
        # Word by word: a lay term spelled by some of the words ("dog bite" of "dog bite of hand") must
        # not keep its words together when only some of them match.
        if any(group.lay_terms for group in plan.groups):
            raw = " ".join(plan.words) + ("" if plan.groups[-1].ends_with_prefix else " ")
            plan = with_intents(parse_query(raw), self._forms)

        def hit(docnum: int, groups: list[WordGroup], label: str) -> SearchHit:
            accepted = [a for group in groups for a in self._retriever.accepted(group, forms=True)]
            return make_hit(self._rows, docnum, plan, "partial", correction, accepted, label)

        return partial_hits(self._retriever, self._rows, plan, filters, limit, skip, hit)

    def _word_hits(
        self, plan: QueryPlan, filters: list[Query], limit: int, skip: Skip, correction: str | None
    ) -> list[SearchHit]:
        hits: list[SearchHit] = []
        window = CANDIDATES_PER_TIER
        short = self._retriever.short_prefix_docs(plan) if not filters else None
        if short is not None:
            docnums = [d for d in short if not skip(d)]
            docnums = (rerank(self._rows, docnums[:window], plan.words) + docnums[window:])[:limit]
            skip.update(docnums)
            return [self._hit(d, plan, "title", correction) for d in docnums]
        tiers = LAY_TIERS if any(group.lay_terms for group in plan.groups) else PLAIN_TIERS
        for tier in tiers:
            if len(hits) >= limit:
                break
            if tier.forms and not self._retriever.has_forms(plan):
                continue
            want = max(CANDIDATES_PER_TIER, limit - len(hits))
            docnums = self._retriever.matches(plan, tier, filters, skip, want)
            rank_words, families = list(plan.words), list[tuple[str, str]]()
            if tier.name.startswith("lay-"):
                rank_words = [w for g in plan.groups for w in (g.words if not g.lay_terms else ())]
                for group in plan.groups:
                    for lay in group.lay_terms:
                        rank_words.extend(lay.official_words)
                        if lay.line == INTENT_LINE:
                            break  # a procedure word's first meaning ranks first (removal: resection)
                        families.extend(lay.codes)
            if tier.forms:
                rank_words.extend(
                    w for g in plan.groups for _p, others in self._retriever.accepted(g, True) for w in others
                )
            # Only a fixed window is reranked, so the first results are the same whatever the limit.
            reranked = rerank(self._rows, docnums[:window], rank_words, families) + docnums[window:]
            docnums = reranked[: limit - len(hits)]
            skip.update(docnums)
            hits.extend(self._hit(d, plan, tier.name, correction) for d in docnums)
        return hits

    def _billable_family_heads(
        self, group: WordGroup, systems: set[str] | None, billable_only: bool, skip: Skip
    ) -> list[int]:
        """The billable codes a lay term names itself, in the table's order ("bed sore" -> L89.90 first).

        Family ranking only reorders the first matches read, so a default code with a long title could
        otherwise fall outside them.
        """
        found: list[int] = []
        for lay in group.lay_terms:
            # Only the leading billable codes: a family written first ("J18 J15 ...") is ranked as a family.
            for system, code in lay.codes:
                versions = self._retriever.docs_of_code(system, code)
                if not versions:
                    break
                allowed = [docnum for docnum in versions if skip.allowed(docnum)]
                if not allowed:
                    continue
                docnum = allowed[0]
                data = self._rows.data(docnum)
                if not (data.billable or data.kind == "modifier"):
                    break
                wanted = (systems is None or system in systems) and not (billable_only and not data.billable)
                if wanted and not skip(docnum) and docnum not in found:
                    found.append(docnum)
        return found

    @staticmethod
    def _is_exact_lay_term(plan: QueryPlan) -> bool:
        return len(plan.groups) == 1 and any(lay.words == plan.groups[0].words for lay in plan.groups[0].lay_terms)
