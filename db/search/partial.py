"""Partial matches: when all the words together find too few codes, the codes that match most of them.

Subsets of the query's word groups are tried from the most specific down (BM25's idf summed over the words
kept, category wording such as "disorders" weighing little), so the first word left out is the least
telling one; each hit says what it matched ("matched 3 of 4 words; not: procedures").
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

from whoosh.query import And, Query

from db.query_text import QueryPlan, WordGroup
from db.search.hits import SearchHit
from db.search.ranking import rerank
from db.search.retrieval import Retriever, Skip, Tier
from db.search.rows import RowStore
from db.search.schema import ALL_TEXT

PARTIAL = Tier("partial", ALL_TEXT, forms=True)
#: At most this many word subsets are searched per keystroke (each is one query read in rank order).
MAX_SUBSETS = 6
#: Queries of more groups than this drop their least specific groups before subsets are formed.
MAX_GROUPS = 7
CANDIDATES = 30

MakeHit = Callable[[int, list[WordGroup], str], SearchHit]


def partial_hits(
    retriever: Retriever,
    rows: RowStore,
    plan: QueryPlan,
    filters: list[Query],
    limit: int,
    skip: Skip,
    make_hit: MakeHit,
) -> list[SearchHit]:
    """Hits matching some but not all of the plan's groups, best subsets first, up to `limit`.

    The same subsets are searched whatever the machine's load (no time budget: each subset is a few bitset
    operations, see db/search/postings.py), so the results depend only on the query and the data.
    """
    groups = list(plan.groups)
    if len(groups) < 2 or limit <= 0:
        return []
    queries = {id(group): retriever.group_query(group, PARTIAL) for group in groups}
    usable = [group for group in groups if queries[id(group)] is not None]
    weights = {id(group): retriever.weight(group) for group in usable}
    usable.sort(key=lambda group: -weights[id(group)])
    usable = usable[:MAX_GROUPS]
    subsets: list[tuple[float, tuple[WordGroup, ...]]] = []
    # All the words but one, then (for short queries) but two: more words matched beats fewer, then the
    # most specific words kept. Longer queries keep to one word left out: each subset is one more query.
    smallest = max(1, len(groups) - (2 if len(groups) <= 3 else 1))
    for size in range(min(len(usable), len(groups) - 1), smallest - 1, -1):
        for subset in combinations(usable, size):
            subsets.append((sum(weights[id(group)] for group in subset), subset))
    subsets.sort(key=lambda item: (-len(item[1]), -item[0]))
    hits: list[SearchHit] = []
    for _score, subset in subsets[:MAX_SUBSETS]:
        if len(hits) >= limit:
            break
        parts = [query for group in subset if (query := queries[id(group)]) is not None]
        query = And([*parts, *filters]) if len(parts) + len(filters) > 1 else parts[0]
        docnums = retriever.first_matches(query, skip, max(CANDIDATES, limit - len(hits)))
        kept_words = [word for group in subset for word in group.words]
        docnums = rerank(rows, docnums[:CANDIDATES], kept_words) + docnums[CANDIDATES:]
        docnums = docnums[: limit - len(hits)]
        skip.update(docnums)
        missing = [word for group in groups if group not in subset for word in group.words]
        matched = sum(len(group.words) for group in subset)
        total = sum(len(group.words) for group in groups)
        label = f"matched {matched} of {total} words; not: {', '.join(missing)}"
        hits.extend(make_hit(docnum, list(subset), label) for docnum in docnums)
    return hits
