"""Partial matches: when all the words together find too few codes, the codes that match most of them.

Subsets of the query's word groups are tried from the most specific down (BM25's idf summed over the words
kept, category wording such as "disorders" weighing little), so the first word left out is the least
telling one; each hit says what it matched ("matched 3 of 4 words; not: procedures").
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

from whoosh.query import Query

from db.query_text import QueryPlan, WordGroup
from db.search.hits import SearchHit
from db.search.ranking import rerank
from db.search.retrieval import Retriever, Skip, Tier
from db.search.rows import RowStore
from db.search.schema import ALL_TEXT

PARTIAL = Tier("partial", ALL_TEXT, forms=True)
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
    required = -1  # the filters' documents (all documents without filters)
    for query in filters:
        required &= retriever.bits(query)
    bits = {id(group): retriever.bits(query) & required for group in groups if (query := queries[id(group)])}
    # A word that finds nothing is left out of every subset: a subset holding it would find nothing either.
    usable = [group for group in groups if bits.get(id(group))]
    weights = {id(group): retriever.weight(group) for group in usable}
    usable.sort(key=lambda group: -weights[id(group)])
    usable = usable[:MAX_GROUPS]
    subsets: list[tuple[float, tuple[WordGroup, ...]]] = []
    # All the words but one, then but two, and so on: more words matched beats fewer, then the most
    # specific words kept. Every subset is a few bitset operations, so all of them can be tried.
    for size in range(min(len(usable), len(groups) - 1), 0, -1):
        for subset in combinations(usable, size):
            subsets.append((sum(weights[id(group)] for group in subset), subset))
    subsets.sort(key=lambda item: (-len(item[1]), -item[0]))
    hits: list[SearchHit] = []
    total = sum(len(group.words) for group in groups)
    for _score, subset in subsets:
        if len(hits) >= limit:
            break
        found = required
        for group in subset:
            found &= bits[id(group)]
            if not found:
                break
        if not found:
            continue
        docnums = retriever.first_of_bits(found, skip, max(CANDIDATES, limit - len(hits)))
        kept_words = [word for group in subset for word in group.words]
        docnums = rerank(rows, docnums[:CANDIDATES], kept_words) + docnums[CANDIDATES:]
        docnums = docnums[: limit - len(hits)]
        skip.update(docnums)
        missing = [word for group in groups if group not in subset for word in group.words]
        matched = sum(len(group.words) for group in subset)
        label = f"matched {matched} of {total} words; not: {', '.join(missing)}"
        hits.extend(make_hit(docnum, list(subset), label) for docnum in docnums)
    return hits
