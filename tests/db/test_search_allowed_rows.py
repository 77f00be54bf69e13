"""SearchIndex.search(allowed_rows=...): only the allowed database rows, except a code typed exactly."""

from __future__ import annotations

import sqlite3

import pytest

from db.layout import DATABASE_FILE, INDEX_DIR, current_dir
from db.search_index import SearchIndex


@pytest.fixture(scope="module")
def index(small_data):
    opened = SearchIndex.open(current_dir(small_data) / INDEX_DIR)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def row_ids(small_data) -> dict[str, int]:
    """display -> codes.id of the small fixture database."""
    connection = sqlite3.connect(current_dir(small_data) / DATABASE_FILE)
    try:
        return {display: row for row, display in connection.execute("SELECT id, display FROM codes")}
    finally:
        connection.close()


def all_but(row_ids: dict[str, int], *displays: str) -> frozenset[int]:
    return frozenset(row for display, row in row_ids.items() if display not in displays)


def displays(results):
    return [hit.display for hit in results.hits]


def test_word_hits_of_rows_not_allowed_are_skipped_before_the_limit(index, row_ids):
    unfiltered = displays(index.search("fracture", limit=6))
    assert len(unfiltered) == 6
    allowed = all_but(row_ids, *unfiltered[:3])
    filtered = index.search("fracture", limit=3, allowed_rows=allowed)
    # Still three results, none of the three left out, and the next ones in the same order.
    assert displays(filtered) == unfiltered[3:6]
    assert all(hit.row in allowed for hit in filtered.hits)


def test_any_collection_of_rows_is_accepted(index, row_ids):
    allowed = sorted(all_but(row_ids, "J18.9"))
    assert "J18.9" not in displays(index.search("pneumonia", allowed_rows=allowed))
    assert displays(index.search("pneumonia", allowed_rows=frozenset()))[:1] == []


def test_lay_term_article_and_typo_hits_are_filtered(index, row_ids):
    allowed = all_but(row_ids, "0FT44ZZ", "J18.9", "J44.1")
    assert "0FT44ZZ" in displays(index.search("lap chole"))
    assert "0FT44ZZ" not in displays(index.search("lap chole", allowed_rows=allowed))
    assert "0FT44ZZ" in displays(index.search("keyhole gallbladder"))
    assert "0FT44ZZ" not in displays(index.search("keyhole gallbladder", allowed_rows=allowed))
    assert displays(index.search("copd exac"))[0] == "J44.1"
    assert "J44.1" not in displays(index.search("copd exac", allowed_rows=allowed))
    typo = index.search("pnuemonia", allowed_rows=allowed)
    assert typo.corrected_query == "pneumonia" and "J18.9" not in displays(typo)
    assert typo.hits and all(hit.matched == "correction" for hit in typo.hits)


def test_a_code_typed_exactly_is_listed_even_when_not_allowed_but_its_children_are_filtered(index, row_ids):
    assert displays(index.search("E11.65", allowed_rows=frozenset()))[:1] == ["E11.65"]
    assert displays(index.search("E11.6")) == ["E11.6", "E11.65", "E11.69"]
    assert displays(index.search("E11.6", allowed_rows=all_but(row_ids, "E11.65"))) == ["E11.6", "E11.69"]
    assert displays(index.search("E11.6", allowed_rows=frozenset())) == ["E11.6"]


@pytest.fixture(scope="module")
def two_versions(two_release_data):
    """Two real fixture releases (tests/conftest.py): E11.65 is reworded in FY2100, so it has two versions."""
    connection = sqlite3.connect(current_dir(two_release_data) / DATABASE_FILE)
    try:
        first, second = (
            row for (row,) in connection.execute("SELECT id FROM codes WHERE code = 'E1165' ORDER BY first_seq")
        )
        rows = frozenset(row for (row,) in connection.execute("SELECT id FROM codes"))
    finally:
        connection.close()
    opened = SearchIndex.open(current_dir(two_release_data) / INDEX_DIR)
    yield opened, first, second, rows
    opened.close()


def test_a_code_with_several_versions_is_listed_once_the_allowed_version_if_any(two_versions):
    index, first, second, rows = two_versions
    assert [hit.row for hit in index.search("E11.65").hits if hit.display == "E11.65"] == [first]
    assert index.search("E11.65", allowed_rows=rows - {first}).hits[0].row == second
    assert index.search("E11.65", allowed_rows=rows - {second}).hits[0].row == first
    # Neither allowed: still listed once, the first version.
    assert [hit.row for hit in index.search("E11.65", allowed_rows=frozenset()).hits] == [first]
    # Under a typed prefix and in word hits, only the allowed version.
    under = index.search("E11.6", allowed_rows=rows - {first}).hits
    assert [(hit.display, hit.row) for hit in under if hit.display == "E11.65"] == [("E11.65", second)]
    words = index.search("hyperglycemia", allowed_rows=rows - {second}).hits
    assert [hit.row for hit in words if hit.display == "E11.65"] == [first]
    assert next(hit for hit in index.search("E11.6").hits if hit.display == "E11.65").row == first
