"""Word forms: the stemmer with its medical exceptions, the equivalents table and its checks, and search
on the small real index using them."""

from __future__ import annotations

import pytest

from db.layout import INDEX_DIR, current_dir
from db.search.word_forms import default_equivalents_path, read_equivalents, stem, unindexed_forms
from db.search_index import SearchIndex
from db.sources.errors import SourceFormatError


def test_stems_merge_word_forms_but_not_medical_words_of_another_meaning():
    assert stem("fractured") == stem("fracture") == stem("fractures")
    assert stem("infections") == stem("infection")
    assert stem("hepatic") != stem("hepatitis")
    assert stem("ulcerative") != stem("ulcer")
    assert stem("testes") == stem("testis") != stem("test")
    assert stem("generalized") != stem("general")


def test_the_bundled_table_reads():
    entries = read_equivalents(default_equivalents_path())
    assert len(entries) >= 100
    renal = next(entry for entry in entries if entry.forms[0] == ("renal",))
    assert renal.kind == "same" and ("kidney",) in renal.forms
    removal = next(entry for entry in entries if entry.forms[0] == ("removal",))
    assert removal.kind == "intent" and "stent" in removal.unless


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("renal | kidney\tsame\t", "expected 4 tab-separated columns, found 3"),
        ("renal\tsame\t\twhy", "needs two or more forms"),
        ("renal | kidney\tsimilar\t\twhy", "kind 'similar' is not one of"),
        ("renal | kidney\tsame\t\t", "every line says why"),
        ("kidney failure | renal failure\tsame\t\twhy", "the first form must be one word"),
        ("cancer | malignant neoplasm\tsame\t\twhy", "forms of kind 'same' are single words"),
        ("renal | kidney\tsame\tstent\twhy", "only an 'intent' line has 'unless' words"),
    ],
)
def test_a_malformed_line_names_the_file_and_line(tmp_path, line, message):
    path = tmp_path / "word_equivalents.tsv"
    path.write_text("# comment\n" + line + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=message) as error:
        read_equivalents(path)
    assert "line 2" in str(error.value) and "word_equivalents.tsv" in str(error.value)


def test_forms_no_code_uses_are_found_for_the_build_to_report(tmp_path):
    path = tmp_path / "word_equivalents.tsv"
    path.write_text("renal | kidney\tsame\t\twhy\ncancer | malignant neoplasm\tmeans\t\twhy\n", encoding="utf-8")
    entries = read_equivalents(path)
    assert unindexed_forms(entries, {"kidney": 3, "malignant": 1, "neoplasm": 2}) == [(1, "renal")]


@pytest.fixture(scope="module")
def index(small_data):
    opened = SearchIndex.open(current_dir(small_data) / INDEX_DIR)
    yield opened
    opened.close()


def test_a_word_form_finds_the_title_word_and_says_so(index):
    literal = index.search("fracture femur")
    forms = index.search("fractured femur")
    assert [hit.display for hit in forms.hits][:3] == [hit.display for hit in literal.hits][:3]
    assert forms.hits[0].matched == "synonym" and forms.hits[0].via == "fractured -> fracture"
    start, end = forms.hits[0].spans[0]
    assert forms.hits[0].matched_text[start:end].lower() == "fracture"
