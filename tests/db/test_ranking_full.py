"""Ranking on the full bundled data: what coders and front-desk staff type, and where the code they expect
must appear (tests/db/ranking_queries.tsv)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from db.layout import INDEX_DIR, current_dir
from db.search_index import SearchIndex

pytestmark = pytest.mark.full_data

QUERIES_TSV = Path(__file__).resolve().parent / "ranking_queries.tsv"
#: A second set written later, across every code set and query kind (same format).
MORE_QUERIES_TSV = Path(__file__).resolve().parent / "ranking_queries_more.tsv"
SYSTEMS = {"icd10cm", "icd10pcs", "hcpcs"}
#: As many results as the desktop app asks for (desktop/services.py): the ranks it shows.
APP_LIMIT = 100


@dataclass(frozen=True)
class RankingCase:
    line: int
    query: str
    system: str | None
    expected: str
    max_rank: int


def read_cases(path: Path = QUERIES_TSV) -> list[RankingCase]:
    cases: list[RankingCase] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            raise ValueError(f"{path.name}, line {number}: expected 4 tab-separated fields, got {len(fields)}")
        query, system, expected, max_rank = fields
        if system and system not in SYSTEMS:
            raise ValueError(f"{path.name}, line {number}: unknown system {system!r}")
        cases.append(RankingCase(number, query, system or None, expected.strip(), int(max_rank)))
    return cases


CASES = read_cases() + read_cases(MORE_QUERIES_TSV)


def test_the_query_set_is_well_formed():
    assert len(CASES) >= 120
    assert all(case.query.strip() and case.expected and case.max_rank >= 1 for case in CASES)
    assert {case.system for case in CASES} >= {None, "icd10cm", "icd10pcs", "hcpcs"}


@pytest.fixture(scope="module")
def index(full_data):
    opened = SearchIndex.open(current_dir(full_data) / INDEX_DIR)
    yield opened
    opened.close()


KNOWN_MISSES = {
    line.rstrip("\n")
    for line in (Path(__file__).with_name("ranking_known_misses.txt")).read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}
PARAMS = [
    pytest.param(
        case,
        marks=[pytest.mark.xfail(strict=True, reason="known ranking miss")] if case.query in KNOWN_MISSES else [],
    )
    for case in CASES
]


@pytest.mark.parametrize("case", PARAMS, ids=[case.query for case in CASES])
def test_expected_code_ranks_high_enough(index, case):
    systems = [case.system] if case.system else None
    results = index.search(case.query, systems=systems, limit=APP_LIMIT)
    displays = [hit.display for hit in results.hits]
    rank = displays.index(case.expected) + 1 if case.expected in displays else None
    top = [f"{hit.display} ({hit.matched}) {hit.title[:60]}" for hit in results.hits[:5]]
    corrected = f", corrected to {results.corrected_query!r}" if results.corrected_query else ""
    assert rank is not None and rank <= case.max_rank, (
        f"{case.query!r} (system {case.system or 'all'}, line {case.line}): expected {case.expected} "
        f"within rank {case.max_rank}, got rank {rank or 'not found'}{corrected}; top 5: " + "; ".join(top)
    )
