"""The descriptive ranking set (tests/db/descriptive_queries.tsv) on the full bundled data: it parses, its
relevant codes are all in the bundled releases, its parts and typo family follow the written rules, and the
benchmark's evaluation reports every figure. The figures themselves are for the report, not a bar to pass."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path

import pytest

from db.layout import DATABASE_FILE, INDEX_DIR, current_dir
from db.search_index import SearchIndex

pytestmark = pytest.mark.full_data

REPO = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


benchmark = _load("descriptive_benchmark", REPO / "benchmarks" / "descriptive.py")
maker = _load("descriptive_make", Path(__file__).with_name("descriptive_make.py"))
QUERIES = benchmark.read_queries()


def _one_edit_apart(a: str, b: str) -> bool:
    """True when b is a with one letter dropped, doubled/inserted, substituted, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    ra, rb = a[start:], b[start:]
    return ra[1:] == rb[1:] or ra[1:] == rb or ra == rb[1:] or (ra[:2] == rb[:2][::-1] and ra[2:] == rb[2:])


def test_the_set_is_large_and_covers_its_families_and_parts():
    by_family = {family: [q for q in QUERIES if q.family == family] for family in benchmark.FAMILIES}
    assert len([q for q in QUERIES if q.family != "typo"]) >= 500
    assert by_family["category"] and by_family["procedure"] and by_family["typo"]
    held_out = sum(q.part == "held-out" for q in QUERIES) / len(QUERIES)
    assert 0.2 < held_out < 0.4, held_out


def test_the_split_is_the_hash_of_the_base_id_so_a_typo_stays_with_its_query():
    for query in QUERIES:
        base = query.id.removesuffix("-typo")
        assert query.part == ("held-out" if maker.held_out(base) else "tune"), query.id


def test_every_typo_query_is_its_base_query_with_one_slip_and_the_same_relevance():
    base = {q.id: q for q in QUERIES if q.family != "typo"}
    typos = [q for q in QUERIES if q.family == "typo"]
    assert typos
    for typo in typos:
        original = base[typo.id.removesuffix("-typo")]
        assert (typo.codes, typo.prefixes, typo.system) == (original.codes, original.prefixes, original.system)
        assert _one_edit_apart(original.query, typo.query), (original.query, typo.query)
        assert typo.query == maker.with_typo(original.query, original.id)


def test_every_relevant_code_is_in_the_bundled_releases(full_data):
    connection = sqlite3.connect(current_dir(full_data) / DATABASE_FILE)
    try:
        displays: dict[str, set[str]] = {}
        for system, display in connection.execute("select system, display from codes"):
            displays.setdefault(system, set()).add(display)
    finally:
        connection.close()
    missing = []
    for query in QUERIES:
        known = displays[query.system]
        missing += [(query.id, code) for code in query.codes if code not in known]
        missing += [(query.id, p + "*") for p in query.prefixes if not any(d.startswith(p) for d in known)]
    assert missing == []


def test_a_malformed_line_is_reported_with_its_file_and_line(tmp_path):
    path = tmp_path / "queries.tsv"
    header = "\t".join(benchmark.COLUMNS)
    path.write_text(f"{header}\nq1\ttune\tcategory\ticd10cm\tHeart failure\tI50*\tsomewhere\nq2\tlater\n")
    with pytest.raises(ValueError, match=r"queries\.tsv, line 3: expected 7"):
        benchmark.read_queries(path)
    path.write_text(f"{header}\nq1\tsoon\tcategory\ticd10cm\tHeart failure\tI50*\tsomewhere\n")
    with pytest.raises(ValueError, match=r"line 2: unknown part 'soon'"):
        benchmark.read_queries(path)


def test_the_evaluation_reports_s_at_1_s_at_10_and_the_no_result_share_per_family_and_part(full_data, capsys):
    index = SearchIndex.open(current_dir(full_data) / INDEX_DIR)
    try:
        outcomes = benchmark.evaluate(index, QUERIES)
    finally:
        index.close()
    assert len(outcomes) == len(QUERIES)
    for part in benchmark.PARTS:
        rows = benchmark.summarize([o for o in outcomes if o.query.part == part])
        assert [row.family for row in rows] == ["category", "procedure", "typo", "all"]
        assert rows[-1].queries == sum(q.part == part for q in QUERIES)
        for row in rows:
            assert 0 <= row.s_at_1 <= row.s_at_10 <= 1 and 0 <= row.no_result <= 1
        print(benchmark.format_table(part, rows))
    assert "no result" in capsys.readouterr().out
