"""ICD-10-CM tabular parser: structure, 7th-character expansion, notes, and bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from db.sources.errors import SourceFormatError
from db.sources.icd10cm_tabular import parse_tabular

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "icd10cm" / "icd10cm-tabular-2099.xml"


@pytest.fixture(scope="module")
def entries():
    return {entry.code: entry for entry in parse_tabular(FIXTURE).entries}


def test_hierarchy_levels_and_parents(entries):
    assert entries["CH04"].kind == "chapter"
    assert entries["E08-E13"].kind == "section"
    assert entries["E11"].kind == "category"
    assert entries["E116"].kind == "subcategory"
    e1165 = entries["E1165"]
    assert (e1165.display, e1165.billable, e1165.parent, e1165.chapter, e1165.section) == (
        "E11.65",
        True,
        "E116",
        "CH04",
        "E08-E13",
    )
    assert entries["E11"].billable is False


def test_seventh_characters_expand_with_placeholder(entries):
    assert entries["S72001"].billable is False
    assert (
        entries["S72001A"].title
        == "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
    )
    assert entries["S72001A"].display == "S72.001A"
    assert entries["T07XXXA"].billable and entries["T07XXXA"].parent == "T07"
    assert "T07" in entries and entries["T07"].billable is False
    assert {code for code in entries if code.startswith("S72002")} == {
        "S72002",
        "S72002A",
        "S72002B",
        "S72002D",
        "S72002S",
    }


def test_s06_death_codes_take_only_initial_encounter(entries):
    assert {"S061X1A", "S061X1D", "S061X1S"} <= set(entries)
    assert "S061X7A" in entries
    assert "S061X7D" not in entries and "S061X7S" not in entries


def test_notes_stay_at_the_level_that_states_them(entries):
    assert ("excludes1", "type 1 diabetes mellitus (E10.-)") in entries["E11"].notes
    assert entries["E1165"].notes == []
    assert ("inclusion_term", "Fracture of hip NOS") in entries["S7200"].notes
    assert ("seventh_character_note", "B: initial encounter for open fracture NOS") in entries["S72"].notes
    assert ("B", "initial encounter for open fracture type I or II") in entries["S72"].seventh_characters
    assert (
        "excludes1",
        "transitory endocrine and metabolic disorders specific to newborn (P70-P74)",
    ) in entries["CH04"].notes


def test_codes_whose_second_character_is_a_letter(entries):
    assert entries["QA001"].billable and entries["QA001"].display == "QA0.01"


def test_book_order_and_billable_count():
    tabular = parse_tabular(FIXTURE)
    codes = [entry.code for entry in tabular.entries]
    assert codes.index("E11") < codes.index("E116") < codes.index("E1165") < codes.index("J18")
    # E11.65 E11.69 E11.9 J18.9 J44.1 J44.9 QA0.01; S06.1X1 A/D/S + S06.1X7 A; S72.001/.002 x4; T07 x2
    assert tabular.billable_count == 7 + 4 + 8 + 2
    assert tabular.version == "2099"


def test_zipped_tabular_reads_the_same(tmp_path):
    archive = tmp_path / "icd10cm-tabular-2099.xml.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(FIXTURE, FIXTURE.name)
    assert len(parse_tabular(archive).entries) == len(parse_tabular(FIXTURE).entries)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not well-formed"),
        (FIXTURE.read_bytes()[:5000], "not well-formed"),
        (b'<?xml version="1.0"?><ICD10PCS.tabular/>', "root element is <ICD10PCS.tabular>"),
        (
            b'<?xml version="1.0" encoding="utf-8"?><ICD10CM.tabular><version>1</version></ICD10CM.tabular>',
            "no <chapter>",
        ),
        (
            '<?xml version="1.0" encoding="utf-8"?><ICD10CM.tabular><chapter><name>1</name><desc>x</desc>'
            '<section id="A00-A09"><desc>s</desc><diag><name>A00</name><desc>Cholera é</desc></diag></section>'
            "</chapter></ICD10CM.tabular>".encode("latin-1"),
            "not well-formed",
        ),
        (
            b'<ICD10CM.tabular><chapter><name>1</name><desc>x</desc><section id="A00-A09"><desc>s</desc>'
            b"<diag><name>A00</name></diag></section></chapter></ICD10CM.tabular>",
            "no <desc>",
        ),
        (
            b'<ICD10CM.tabular><chapter><name>1</name><desc>x</desc><section id="A00-A09"><desc>s</desc>'
            b"<diag><name>A00</name><desc>a</desc></diag><diag><name>A00</name><desc>b</desc></diag>"
            b"</section></chapter></ICD10CM.tabular>",
            "appears twice",
        ),
        (
            b'<ICD10CM.tabular><chapter><name>1</name><desc>x</desc><section id="A00-A09"><desc>s</desc>'
            b"<diag><name>Cholera</name><desc>a</desc></diag></section></chapter></ICD10CM.tabular>",
            "is not an ICD-10-CM code",
        ),
    ],
    ids=[
        "empty",
        "truncated",
        "wrong-root",
        "no-chapters",
        "latin1-bytes",
        "no-title",
        "duplicate",
        "bad-code",
    ],
)
def test_bad_input_names_file_and_reason(tmp_path, content, message):
    bad = tmp_path / "icd10cm-tabular-bad.xml"
    bad.write_bytes(content)
    with pytest.raises(SourceFormatError) as raised:
        parse_tabular(bad)
    assert message in str(raised.value)
    assert str(bad) in str(raised.value)


def test_missing_and_damaged_zip(tmp_path):
    with pytest.raises(SourceFormatError, match="file not found"):
        parse_tabular(tmp_path / "nope.xml")
    damaged = tmp_path / "tabular.xml.zip"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceFormatError, match="zip"):
        parse_tabular(damaged)
