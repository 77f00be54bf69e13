"""ICD-10-PCS tables and definitions parser: valid codes, composed titles, definitions, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.sources.errors import SourceFormatError
from db.sources.icd10pcs_tables import compose_title, parse_definitions, parse_tables

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "icd10pcs"


@pytest.fixture(scope="module")
def codes():
    _version, tables = parse_tables(FIXTURES / "icd10pcs_tables_2099.xml")
    return {code: values for table in tables for code, values in table.codes()}


def test_tables_expand_to_every_combination_of_each_row():
    version, tables = parse_tables(FIXTURES / "icd10pcs_tables_2099.xml")
    assert version == "2099"
    assert [table.prefix for table in tables] == ["0DB", "0DT", "0FT", "0SR", "5A1"]
    expected = sum(len(r[4]) * len(r[5]) * len(r[6]) * len(r[7]) for t in tables for r in t.rows)
    produced = [code for table in tables for code, _ in table.codes()]
    assert len(produced) == expected == len(set(produced))


def test_each_character_carries_its_axis_meaning(codes):
    values = codes["0FT44ZZ"]
    assert [value.label for value in values] == [
        "Medical and Surgical",
        "Hepatobiliary System and Pancreas",
        "Resection",
        "Gallbladder",
        "Percutaneous Endoscopic",
        "No Device",
        "No Qualifier",
    ]
    assert values[2].definition == "Cutting out or off, without replacement, all of a body part"


@pytest.mark.parametrize(
    ("code", "title"),
    [
        ("0FT44ZZ", "Resection of Gallbladder, Percutaneous Endoscopic Approach"),
        ("0DTJ4ZZ", "Resection of Appendix, Percutaneous Endoscopic Approach"),
        ("0DBJ4ZX", "Excision of Appendix, Percutaneous Endoscopic Approach, Diagnostic"),
        (
            "0SR9019",
            "Replacement of Right Hip Joint with Metal Synthetic Substitute, Cemented, Open Approach",
        ),
    ],
)
def test_titles_are_composed_like_cms_long_titles(codes, code, title):
    assert compose_title(codes[code]) == title


def test_definitions_per_section_and_position():
    entries = parse_definitions(FIXTURES / "icd10pcs_definitions_2099.xml")
    resection = next(e for e in entries if e.section == "0" and e.position == 3 and e.term == "Resection")
    assert resection.definition == "Cutting out or off, without replacement, all of a body part"
    assert resection.includes == ("Total nephrectomy, total lobectomy of lung",)
    right_toe = next(e for e in entries if e.position == 4 and e.term == "1st Toe, Right")
    assert right_toe.includes == ("Hallux",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not well-formed"),
        (b"<ICD10CM.tabular/>", "root element"),
        (b"<ICD10PCS.tabular><version>1</version></ICD10PCS.tabular>", "no <pcsTable>"),
        (
            b'<ICD10PCS.tabular><pcsTable><axis pos="1" values="1"><title>Section</title><label code="0">M</label>'
            b"</axis></pcsTable></ICD10PCS.tabular>",
            "does not define axes 1, 2 and 3",
        ),
        (
            b'<ICD10PCS.tabular><pcsTable><axis pos="1" values="1"><title>Section</title><label code="O">M</label>'
            b"</axis></pcsTable></ICD10PCS.tabular>",
            "is not a PCS character",
        ),
    ],
    ids=["empty", "wrong-root", "no-tables", "missing-axes", "letter-O"],
)
def test_bad_tables_name_file_and_reason(tmp_path, content, message):
    bad = tmp_path / "icd10pcs_tables_bad.xml"
    bad.write_bytes(content)
    with pytest.raises(SourceFormatError, match=message) as raised:
        parse_tables(bad)
    assert str(bad) in str(raised.value)


def test_bad_definitions(tmp_path):
    bad = tmp_path / "defs.xml"
    bad.write_bytes(b"<ICD10PCS.definitions><version>1</version></ICD10PCS.definitions>")
    with pytest.raises(SourceFormatError, match="no definitions"):
        parse_definitions(bad)
