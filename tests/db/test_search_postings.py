"""Bitset answers of the search index (db/search/postings.py) against Whoosh's own matchers, on a small real
index; and search results that do not depend on how fast the machine is."""

from __future__ import annotations

import json
import time

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.query import And, Or, Term

from db.layout import INDEX_DIR, current_dir
from db.search import postings as postings_module
from db.search.postings import BIG_TERMS_JSON, Postings, lowest, write_big_terms
from db.search_index import SearchIndex


@pytest.fixture(scope="module")
def index_dir(small_data):
    return current_dir(small_data) / INDEX_DIR


@pytest.fixture()
def searcher(index_dir):
    opened = FileStorage(str(index_dir), readonly=True).open_index()
    with opened.searcher() as found:
        yield found
    opened.close()


def whoosh_ids(query, searcher):
    return list(query.matcher(searcher).all_ids())


QUERIES = [
    Term("title_words", "diabetes"),
    Term("title_words", "no-such-word"),
    And([Term("title_words", "diabetes"), Term("title_words", "mellitus")]),
    And([Term("title_words", "diabetes"), Term("title_words", "fracture")]),
    Or([Term("title_words", "femur"), Term("other_words", "femur"), Term("title_grams", "hy")]),
    And(
        [
            Or([Term("title_words", "type"), Term("other_words", "type")]),
            Or([Term("title_grams", "d"), Term("title_words", "diabetes")]),
            Term("system", "icd10cm"),
        ]
    ),
    And([Term("title_words", "diabetes"), Or([Term("title_words", "no-such-word")])]),
]


@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_bitsets_answer_like_the_whoosh_matchers(searcher, query):
    expected = whoosh_ids(query, searcher)
    postings = Postings(searcher)
    assert postings.first(postings.bits(query), lambda _d: False, 1 << 30) == expected
    # The first matches in document order, skipping what a search already listed.
    listed = set(expected[:2])
    assert postings.first(postings.bits(query), listed.__contains__, 3) == expected[2:5]
    assert postings.bits(query).bit_count() == len(expected)


def test_many_postings_and_few_make_the_same_bits(searcher):
    postings = Postings(searcher)
    ids = [0, 3, 7, 8, postings.doc_count - 1]
    few = postings._from_ids(ids, postings.doc_count)
    assert few == sum(1 << docnum for docnum in ids)
    many = ids * (postings_module.FEW_IDS // len(ids) + 1)  # past the threshold: the other way of setting bits
    assert postings._from_ids(many, postings.doc_count) == few


def test_big_terms_written_at_build_read_back_as_the_postings(index_dir, searcher, tmp_path, monkeypatch):
    monkeypatch.setattr(postings_module, "BIG_TERM", 5)  # the small index has no term of thousands of codes
    count = write_big_terms(tmp_path, searcher)
    assert count > 10
    stored = Postings(searcher, tmp_path)
    computed = Postings(searcher)
    names = json.loads((tmp_path / BIG_TERMS_JSON).read_text())
    try:
        for field, term, _offset, _length in names:
            assert stored.term_bits(field, term) == computed.term_bits(field, term)
            assert stored.term_bits(field, term).bit_count() >= 5
    finally:
        stored.close()
    # The real build wrote its file too, and the index reads it.
    assert (index_dir / BIG_TERMS_JSON).is_file()


def listed(index_dir, text):
    index = SearchIndex.open(index_dir)
    try:
        return [(hit.display, hit.via) for hit in index.search(text).hits]
    finally:
        index.close()


@pytest.mark.parametrize("text", ["diabetes fracture femur", "pulmonary diabetes hyperglycemia"])
def test_partial_matches_do_not_depend_on_the_machine_speed(index_dir, monkeypatch, text):
    normal = listed(index_dir, text)
    clock = iter(range(0, 10**12, 10**3))  # every reading of the clock a thousand seconds after the last
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(clock)))
    slow = listed(index_dir, text)
    assert normal and slow == normal
    # Several subsets of the words found codes: a time budget would have stopped after the first one.
    assert len({via for _display, via in normal if via and via.startswith("matched")}) >= 2


def test_first_matches_cross_windows_of_bits_in_order():
    docnums = [0, 5, postings_module.WINDOW - 1, postings_module.WINDOW, 3 * postings_module.WINDOW + 7, 200_000]
    bits = sum(1 << docnum for docnum in docnums)
    assert lowest(bits, lambda _d: False, 100) == docnums
    assert lowest(bits, {5, postings_module.WINDOW}.__contains__, 3) == [
        0,
        postings_module.WINDOW - 1,
        docnums[4],
    ]
    assert lowest(0, lambda _d: False, 5) == []


def test_a_long_query_leaves_out_as_many_words_as_it_takes_to_find_codes(index_dir):
    # Each word finds codes, but no code has four of the five: "type 2 diabetes" and "femur fracture" are
    # two different conditions. Leaving out one word at a time would end with nothing.
    found = listed(index_dir, "type 2 diabetes femur fracture")
    assert found
    labels = {via for _display, via in found}
    assert found[0][1].startswith("matched 3 of 5 words"), found[0]  # the most words first, then fewer
    assert "matched 3 of 5 words; not: femur, fracture" in labels
    assert any(display.startswith("E11") for display, _via in found)
