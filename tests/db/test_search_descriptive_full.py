"""Descriptive wording on the full bundled data (issue 11's table): what a coder types and a code of the
family they expect in the first 10 results, with why it matched."""

from __future__ import annotations

import json

import pytest

from db.layout import INDEX_DIR, current_dir
from db.search.index import read_index_lay_terms
from db.search.schema import VOCABULARY_JSON
from db.search.spelling import spelling_counts
from db.search.word_forms import default_equivalents_path, read_equivalents, unindexed_forms
from db.search_index import SearchIndex

pytestmark = pytest.mark.full_data

#: query -> code prefixes of which one must be in the first 10 results (issue 11, right-hand column).
ISSUE_TABLE = {
    "gastric ulcer with bleeding": ("K25.4",),
    "laparoscopic inguinal hernia repair": ("0YQ54", "0YQ64", "0YU54", "0YU64"),
    "fractured wrist": ("S62.10", "S52.5", "S52.6"),
    "osteoarthritis of both knees": ("M17.0",),
    "dog bite of hand": ("W54.0XXA",),
    "cardiac disorders in pregnancy": ("O99.41",),
    "renal failure chronic": ("N18.9",),
    "removal of gallbladder": ("0FT4",),
}


@pytest.fixture(scope="module")
def index(full_data):
    opened = SearchIndex.open(current_dir(full_data) / INDEX_DIR)
    yield opened
    opened.close()


@pytest.mark.parametrize("query", sorted(ISSUE_TABLE))
def test_issue_table_finds_the_expected_family_in_the_first_10(index, query):
    top = index.search(query, limit=100).hits[:10]
    displays = [hit.display for hit in top]
    assert any(d.startswith(prefix) for d in displays for prefix in ISSUE_TABLE[query]), (query, displays)
    assert all(hit.matched and hit.spans for hit in top), [(h.display, h.matched, h.spans) for h in top]


def test_dog_bite_of_hand_also_lists_the_open_bite_of_hand(index):
    displays = [hit.display for hit in index.search("dog bite of hand", limit=100).hits[:10]]
    assert any(d.startswith(("S61.45", "S61.55")) for d in displays), displays


def test_renal_failure_chronic_puts_ckd_unspecified_first(index):
    assert index.search("renal failure chronic", limit=100).hits[0].display == "N18.9"


def test_removal_of_gallbladder_means_resection_not_device_removal(index):
    top = index.search("removal of gallbladder", limit=100).hits[:3]
    assert top[0].display.startswith("0FT4") and top[0].via == "removal -> resection"
    # "removal" with a device word keeps its PCS meaning (taking out a device).
    assert index.search("removal of drainage device gallbladder", limit=20).hits[0].display.startswith("0FP4")


def test_a_typo_in_a_long_query_is_corrected_and_labelled(index):
    results = index.search("gastric ulcer with bleedng", limit=100)
    assert results.corrected_query == "gastric ulcer bleeding"
    assert "K25.4" in [hit.display for hit in results.hits[:10]]
    assert results.hits[0].matched == "correction"


def test_partial_matches_say_which_words_they_did_not_match(index):
    hits = index.search("osteoarthritis knee procedures", limit=20).hits
    assert hits and hits[0].display.startswith("M17")
    assert (hits[0].matched, hits[0].via) == ("partial", "matched 2 of 3 words; not: procedures")


def test_the_bundled_word_equivalents_are_all_indexed_wording(full_data):
    # The vocabulary as the index opens it: the indexed words' counts and the lay terms' words (spelling_counts).
    counts = dict(json.loads((current_dir(full_data) / INDEX_DIR / VOCABULARY_JSON).read_text(encoding="utf-8")))
    lay_terms = read_index_lay_terms(current_dir(full_data) / INDEX_DIR)
    assert unindexed_forms(read_equivalents(default_equivalents_path()), spelling_counts(counts, lay_terms)) == []
