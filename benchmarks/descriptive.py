"""Search quality on descriptive queries from published code groupings (tests/db/descriptive_queries.tsv).

Run after `codebook-cli build`:

    .venv/bin/python benchmarks/descriptive.py --data DIR [--part tune|held-out|all] [--any-system]

For each family (category names, procedures, typos) and part, prints how many queries, S@1 and S@10 (share of
queries with a relevant code first / in the first 10 results) and the share of queries with no result at
all. Relevance is the source's own code list (tests/db/descriptive_README.md). Searches run in-process with
the app's limit (100), restricted to the query's code set as a coder's filter would, or over every code set
with --any-system. The held-out part is for reporting only: never tune the search on it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.layout import INDEX_DIR, current_dir
from db.paths import default_data_dir
from db.search_index import SearchIndex

QUERIES_TSV = Path(__file__).resolve().parent.parent / "tests" / "db" / "descriptive_queries.tsv"
COLUMNS = ("id", "part", "family", "system", "query", "relevant", "source")
PARTS = ("tune", "held-out")
FAMILIES = ("category", "lay", "procedure", "typo")
SYSTEMS = ("icd10cm", "icd10pcs", "hcpcs")
#: As many results as the desktop app asks for (desktop/services.py).
APP_LIMIT = 100


@dataclass(frozen=True)
class DescriptiveQuery:
    line: int
    id: str
    part: str
    family: str
    system: str
    query: str
    #: Codes as displayed ("E11.21") and prefixes ("E11.2", written E11.2* in the file).
    codes: frozenset[str]
    prefixes: tuple[str, ...]
    source: str

    def is_relevant(self, display: str) -> bool:
        return display in self.codes or display.startswith(self.prefixes)


@dataclass(frozen=True)
class Outcome:
    query: DescriptiveQuery
    #: 1-based rank of the first relevant result, None if none of the results is relevant.
    rank: int | None
    results: int


def read_queries(path: Path = QUERIES_TSV) -> list[DescriptiveQuery]:
    """The query set; raises ValueError naming the file and line of anything malformed."""
    queries: list[DescriptiveQuery] = []
    seen: set[str] = set()
    header_seen = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        where = f"{path.name}, line {number}"
        if len(fields) != len(COLUMNS):
            raise ValueError(f"{where}: expected {len(COLUMNS)} tab-separated fields, got {len(fields)}")
        if not header_seen:
            if tuple(fields) != COLUMNS:
                raise ValueError(f"{where}: expected the header {' '.join(COLUMNS)}, got {' '.join(fields)}")
            header_seen = True
            continue
        qid, part, family, system, query, relevant, source = fields
        if qid in seen:
            raise ValueError(f"{where}: duplicate id {qid!r}")
        seen.add(qid)
        for value, allowed, name in ((part, PARTS, "part"), (family, FAMILIES, "family"), (system, SYSTEMS, "system")):
            if value not in allowed:
                raise ValueError(f"{where}: unknown {name} {value!r} (expected one of {', '.join(allowed)})")
        items = relevant.split()
        if not query.strip() or not items or not source.strip():
            raise ValueError(f"{where}: empty query, relevant codes or source")
        codes = frozenset(item for item in items if not item.endswith("*"))
        prefixes = tuple(item[:-1] for item in items if item.endswith("*"))
        if any(not prefix for prefix in prefixes):
            raise ValueError(f"{where}: a lone '*' in the relevant codes")
        queries.append(DescriptiveQuery(number, qid, part, family, system, query, codes, prefixes, source))
    if not header_seen:
        raise ValueError(f"{path.name}: no header line")
    return queries


def evaluate(index: SearchIndex, queries: Iterable[DescriptiveQuery], any_system: bool = False) -> list[Outcome]:
    outcomes = []
    for query in queries:
        systems = None if any_system else [query.system]
        hits = index.search(query.query, systems=systems, limit=APP_LIMIT).hits
        rank = next((n for n, hit in enumerate(hits, start=1) if query.is_relevant(hit.display)), None)
        outcomes.append(Outcome(query, rank, len(hits)))
    return outcomes


@dataclass(frozen=True)
class Summary:
    family: str
    queries: int
    s_at_1: float
    s_at_10: float
    no_result: float


def summarize(outcomes: Sequence[Outcome]) -> list[Summary]:
    """One row per family present, then one for all of them ("all")."""
    groups = [(family, [o for o in outcomes if o.query.family == family]) for family in FAMILIES]
    groups = [(family, group) for family, group in groups if group] + [("all", list(outcomes))]
    rows = []
    for family, group in groups:
        n = len(group)
        if not n:
            continue
        rows.append(
            Summary(
                family,
                n,
                sum(o.rank == 1 for o in group) / n,
                sum(o.rank is not None and o.rank <= 10 for o in group) / n,
                sum(o.results == 0 for o in group) / n,
            )
        )
    return rows


def format_table(title: str, rows: Sequence[Summary]) -> str:
    lines = [title, f"  {'family':<10} {'queries':>7} {'S@1':>7} {'S@10':>7} {'no result':>10}"]
    for row in rows:
        lines.append(
            f"  {row.family:<10} {row.queries:>7} {row.s_at_1:>7.1%} {row.s_at_10:>7.1%} {row.no_result:>10.1%}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: the user's)")
    parser.add_argument("--part", choices=(*PARTS, "all"), default="all")
    parser.add_argument("--any-system", action="store_true", help="search every code set, not only the query's")
    parser.add_argument("--misses", type=int, default=0, metavar="N", help="list N queries missed in the top 10")
    parser.add_argument("--queries", type=Path, default=QUERIES_TSV)
    args = parser.parse_args(argv)
    queries = read_queries(args.queries)
    index = SearchIndex.open(current_dir(args.data or default_data_dir()) / INDEX_DIR)
    try:
        outcomes = evaluate(index, queries, any_system=args.any_system)
    finally:
        index.close()
    scope = "every code set" if args.any_system else "the query's code set"
    parts = PARTS if args.part == "all" else (args.part,)
    for part in parts:
        chosen = [o for o in outcomes if o.query.part == part]
        print(format_table(f"{part} ({scope}, limit {APP_LIMIT})", summarize(chosen)))
    missed = [o for o in outcomes if o.query.part in parts and (o.rank is None or o.rank > 10)]
    for outcome in missed[: args.misses]:
        print(f"  miss {outcome.query.id}: {outcome.query.query!r} rank {outcome.rank}, {outcome.results} results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
