"""The ICD-10-CM index's see / see also references, read from the index fixture (hand-written in the schema
of CDC's icd10cm_index_YYYY.xml) and followed into it and into the neoplasm table sample (cut from the
official icd10cm_neoplasm_2023.xml); and a followed reference found by search on the small build."""

from __future__ import annotations

from pathlib import Path

from db.layout import INDEX_DIR, current_dir
from db.search_index import SearchIndex
from db.sources.code_indexes import CrossReference, IndexEntry, read_cm_index, read_cm_references, read_cm_table
from db.sources.index_references import follow_references

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "indexes"
CM_INDEX = FIXTURES / "icd10cm_index_2099.xml"
CM_NEOPLASM = FIXTURES / "icd10cm_neoplasm_sample.xml"


def followed() -> list[IndexEntry]:
    entries = read_cm_index(CM_INDEX) + read_cm_table(CM_NEOPLASM)
    return follow_references(read_cm_references(CM_INDEX), entries)


def test_references_are_read_with_their_term_path_kind_and_line():
    references = read_cm_references(CM_INDEX)
    assert CrossReference("Cancer", "Neoplasm, malignant, by site", "see", 23) in references
    assert CrossReference("Hypertensive", "Hypertension", "see", 112) in references
    pneumonitis = [r for r in references if r.term.startswith("Pneumonitis")]
    assert [(r.target, r.kind) for r in pneumonitis] == [("Pneumonia", "see also")]
    assert len(references) == 5


def test_cancer_leads_to_the_malignant_columns_of_the_neoplasm_table_by_site():
    cancer = {(e.code, e.term) for e in followed() if e.term.startswith("Cancer ")}
    label = "Cancer (see Neoplasm, malignant, by site): "
    assert ("C259", label + "Neoplasm, neoplastic, pancreas - Malignant Primary") in cancer
    assert ("C7889", label + "Neoplasm, neoplastic, pancreas - Malignant Secondary") in cancer
    assert ("C762", label + "Neoplasm, neoplastic, abdomen, abdominal - Malignant Primary") in cancer
    # Only the malignant columns: not benign, in situ, uncertain or unspecified behavior.
    assert {code[0] for code, _term in cancer} == {"C"}
    assert len(cancer) == 2 * 8  # the sample's 8 rows (the main row too) in its two malignant columns


def test_a_reference_with_a_subterm_leads_only_to_that_subterm():
    heart = {e.code for e in followed() if "with heart involvement (see Hypertension, heart)" in e.term}
    assert heart == {"I119", "I110"}  # not I10: Hypertension without heart
    hypertensive = {e.code for e in followed() if e.term.startswith("Hypertensive (see Hypertension)")}
    assert hypertensive == {"I10", "I119", "I110"}
    # A reference to a term the fixture does not hold leads nowhere.
    assert not [e for e in followed() if "Alzheimer" in e.term]


def test_a_term_is_never_led_to_itself_and_see_also_is_named():
    for entry in followed():
        label, _sep, target_term = entry.term.partition("): ")
        assert not target_term.startswith(label.split(" (see")[0])
    pneumonitis = [e.term for e in followed() if e.term.startswith("Pneumonitis")]
    assert pneumonitis and all("(see also Pneumonia): Pneumonia" in term for term in pneumonitis)


def test_search_finds_a_code_through_a_followed_reference_and_says_which(small_data):
    index = SearchIndex.open(current_dir(small_data) / INDEX_DIR)
    try:
        hits = index.search("pneumonitis").hits
    finally:
        index.close()
    first = hits[0]
    assert first.display == "J18.9"
    assert first.matched == "index term"
    assert first.matched_text.startswith("Pneumonitis (acute) (primary) (see also Pneumonia): Pneumonia")
