"""Tests for db.sources.code_indexes: the ICD-10-CM index/tables and ICD-10-PCS index readers."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from db.sources.code_indexes import IndexEntry, read_cm_index, read_cm_table, read_pcs_index
from db.sources.errors import SourceFormatError
from tests.conftest import shared_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "indexes"
CM_INDEX = FIXTURES / "icd10cm_index_2099.xml"  # hand-written in the official schema (no official file here)
CM_EINDEX = FIXTURES / "icd10cm_eindex_sample.xml"  # cut from icd10cm_eindex_2023.xml
CM_NEOPLASM = FIXTURES / "icd10cm_neoplasm_sample.xml"  # cut from icd10cm_neoplasm_2023.xml
CM_DRUG = FIXTURES / "icd10cm_drug_sample.xml"  # cut from icd10cm_drug_2023.xml
PCS_INDEX = FIXTURES / "icd10pcs_index_sample.xml"  # cut from icd10pcs_index_2023.xml

Reader = Callable[[Path | str], list[IndexEntry]]


def triples(entries: list[IndexEntry]) -> list[tuple[str, str, bool]]:
    return [(e.term, e.code, e.incomplete) for e in entries]


def assert_lines_point_at_codes(path: Path, entries: list[IndexEntry]) -> None:
    """Every entry's line number is the line of the XML holding its code."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for entry in entries:
        assert entry.line is not None
        assert entry.code in lines[entry.line - 1].replace(".", ""), entry


# --- ICD-10-CM alphabetic and external cause indexes --------------------------------------------------


def test_cm_alphabetic_index_fixture() -> None:
    entries = read_cm_index(CM_INDEX)
    assert {e.source for e in entries} == {"icd10cm-index"}
    dementia = "Dementia (degenerative (primary)) (old age) (persisting)"
    diabetes = "Diabetes, diabetic (mellitus) (sugar)"
    fracture = "Fracture, traumatic (abrasion) (avulsion) (closed)"
    hypertension = "Hypertension, hypertensive (accelerated) (benign) (essential) (idiopathic) (malignant) (systemic)"
    pneumonia = "Pneumonia (acute) (double) (migratory) (purulent) (septic) (unresolved)"
    assert triples(entries) == [
        ("Amyloidosis (generalized) (primary)", "E859", False),
        ("Amyloidosis (generalized) (primary), with lung involvement", "E854", False),
        # the manifestation code printed in brackets, [J99], is an entry of its own
        ("Amyloidosis (generalized) (primary), with lung involvement", "J99", False),
        (dementia, "F0390", False),
        (f"{dementia}, in (due to), epilepsy", "G40909", False),
        (f"{dementia}, in (due to), epilepsy", "F0280", False),
        (diabetes, "E119", False),
        (f"{diabetes}, type 1", "E109", False),
        (f"{diabetes}, type 2", "E119", False),
        (f"{diabetes}, type 2, with, hyperglycemia", "E1165", False),
        (f"{diabetes}, type 2, with, kidney complications NEC", "E1129", False),
        # "see subcategory T75.0": the code needs more characters
        ("Effect, adverse, lightning", "T750", True),
        (f"{fracture}, femur, femoral", "S729", True),
        (f"{fracture}, femur, femoral, neck", "S7200", True),
        (hypertension, "I10", False),
        (f"{hypertension}, heart (disease)", "I119", False),
        (f"{hypertension}, heart (disease), with heart failure", "I110", False),
        (pneumonia, "J189", False),
        (f"{pneumonia}, aspiration", "J690", False),
        (f"{pneumonia}, lobar (disseminated) (double) (interstitial)", "J181", False),
    ]
    # see/seeAlso-only terms ("Hypertensive", "Pneumonitis", "...with heart involvement") give nothing
    assert not [e for e in entries if e.term.startswith(("Hypertensive", "Pneumonitis"))]
    assert not [e for e in entries if "heart involvement" in e.term or "Alzheimer" in e.term]
    # the fixture opens with a comment: line numbers must still be exact
    assert_lines_point_at_codes(CM_INDEX, entries)


def test_cm_external_cause_index_fixture() -> None:
    entries = read_cm_index(CM_EINDEX)
    assert {e.source for e in entries} == {"icd10cm-eindex"}
    assert triples(entries) == [
        (
            "Abandonment (causing exposure to weather conditions) (with intent to injure or kill) NEC",
            "X58",
            False,
        ),
        ("Accident (to)", "X58", False),
        ("Accident (to), bare foot water skiier", "V944", False),
        ("Accident (to), boat, boating, striking swimmer, powered", "V9411", False),
        ("Accident (to), boat, boating, striking swimmer, unpowered", "V9412", False),
        ("Lightning (shock) (stroke) (struck by)", "T750", True),  # <subcat>
        (
            "Puncture, puncturing, by, plant thorns, spines, sharp leaves or other mechanisms NEC",
            "W60",
            False,
        ),
        ("Rape (attempted)", "T742", True),  # <code>T74.2-</code>
        ("Strangulation (accidental)", "T71", True),  # <seecat>
        ("Twisted by person(s) (accidentally)", "W502", False),  # '(s)' glued to the word, as printed
        ("Twisted by person(s) (accidentally), with intent to injure or kill", "Y040", False),
        (
            "Twisted by person(s) (accidentally), as, or caused by, a crowd or human stampede (with fall)",
            "W52",
            False,
        ),
        ("Twisted by person(s) (accidentally), assault", "Y040", False),
        ("Twisted by person(s) (accidentally), homicide (attempt)", "Y040", False),
        ("Twisted by person(s) (accidentally), in, fight", "Y040", False),
    ]
    assert entries[0].line == 9
    assert_lines_point_at_codes(CM_EINDEX, entries)


def test_cm_index_accepts_str_paths_and_zip(tmp_path: Path) -> None:
    archive = tmp_path / "icd10cm_eindex_2099.xml.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(CM_EINDEX, "icd10cm_eindex_2099.xml")
    assert read_cm_index(str(archive)) == read_cm_index(str(CM_EINDEX))


# --- Neoplasm table and Table of Drugs and Chemicals ----------------------------------------------------


def test_neoplasm_table_fixture() -> None:
    entries = read_cm_table(CM_NEOPLASM)
    assert {e.source for e in entries} == {"icd10cm-neoplasm"}
    # 8 rows x 6 columns, less calvarium's '-' (empty) "Ca in situ" cell
    assert len(entries) == 47
    by_key = {(e.term, e.code): e for e in entries}
    top = by_key["Neoplasm, neoplastic - Malignant Primary", "C801"]
    assert not top.incomplete and top.line == 17
    abdomen = by_key["Neoplasm, neoplastic, abdomen, abdominal - Malignant Secondary", "C798"]
    assert abdomen.incomplete  # C79.8-
    assert by_key["Neoplasm, neoplastic, abdomen, abdominal, cavity - Unspecified Behavior", "D4989"]
    assert by_key["Neoplasm, neoplastic, calyx, renal - Malignant Primary", "C65"].incomplete  # C65.-
    assert by_key["Neoplasm, neoplastic, calyx, renal - Unspecified Behavior", "D4951"].incomplete
    # the real file carries this modifier in a <manif>; it reads as one more nonessential modifier
    book_leaf = "Neoplasm, neoplastic, book-leaf (mouth) (ventral surface of tongue and floor of mouth)"
    assert by_key[f"{book_leaf} - Malignant Primary", "C0689"]
    assert not [e for e in entries if "calvarium - Ca in situ" in e.term]
    assert not [e for e in entries if "accessory sinus" in e.term]  # see-only row
    assert_lines_point_at_codes(CM_NEOPLASM, entries)


def test_drug_table_fixture() -> None:
    entries = read_cm_table(CM_DRUG)
    assert {e.source for e in entries} == {"icd10cm-drug"}
    # '--' cells are skipped: 4 + 4 + 4 + 6 + 3 x 4
    assert len(entries) == 30
    assert not any(e.incomplete for e in entries)
    assert triples(entries)[:4] == [
        ("1-propanol - Poisoning Accidental (unintentional)", "T513X1", False),
        ("1-propanol - Poisoning Intentional self-harm", "T513X2", False),
        ("1-propanol - Poisoning Assault", "T513X3", False),
        ("1-propanol - Poisoning Undetermined", "T513X4", False),
    ]
    terms = {(e.term, e.code) for e in entries}
    assert ("Aspirin (aluminum) (soluble) - Poisoning Accidental (unintentional)", "T39011") in terms
    assert ("Aspirin (aluminum) (soluble) - Underdosing", "T39016") in terms
    assert ("2,4-D (dichlorophen-oxyacetic acid) - Poisoning Undetermined", "T603X4") in terms
    assert ("Air contaminant(s), source/type NOS - Poisoning Assault", "T6593") in terms
    piped = "Hydrocarbon gas, liquefied (mobile container), piped (natural)"
    assert (f"{piped} - Poisoning Intentional self-harm", "T59892") in terms
    assert not [e for e in entries if "incomplete combustion" in e.term]  # see-only row
    assert_lines_point_at_codes(CM_DRUG, entries)


# --- ICD-10-PCS index -------------------------------------------------------------------------------------


def test_pcs_index_fixture() -> None:
    entries = read_pcs_index(PCS_INDEX)
    assert {e.source for e in entries} == {"icd10pcs-index"}
    flap = "Deep Inferior Epigastric Artery Perforator Flap"
    assert triples(entries) == [
        ("Abdominohysterectomy", "0UT9", True),  # <see>Resection, Uterus<codes>0UT9</codes></see>
        ("Abdominoplasty", "0W0F", True),  # see-with-codes in untitled terms: the path of titles only
        ("Abdominoplasty", "0WQF", True),
        ("Abdominoplasty", "0WUF", True),
        ("Abortion, Products of Conception", "10A0", True),
        ("Abortion, Abortifacient", "10A07ZX", False),
        ("Abortion, Laminaria", "10A07ZW", False),
        ("Abortion, Vacuum", "10A07Z6", False),
        ("Activa PC neurostimulator", "0JH", True),  # <use>...<tab>0JH</tab></use>
        ("Activities of Daily Living Assessment", "F02", True),  # <tab> under the main term
        ("Atmospheric Control", "6A0Z", True),
        (f"{flap}, Replacement, Bilateral", "0HRV077", False),
        (f"{flap}, Replacement, Left", "0HRU077", False),
        (f"{flap}, Replacement, Right", "0HRT077", False),
        (f"{flap}, Transfer, Left", "0KXG", True),
        (f"{flap}, Transfer, Right", "0KXF", True),
        ("Herniorrhaphy", "0WQ", True),
        ("Herniorrhaphy", "0YQ", True),
        ("Herniorrhaphy, With synthetic substitute", "0WU", True),
        ("Herniorrhaphy, With synthetic substitute", "0YU", True),
    ]
    # "3f (Aortic) Bioprosthesis valve" only has a <use> without codes
    assert not [e for e in entries if e.term.startswith("3f")]
    assert_lines_point_at_codes(PCS_INDEX, entries)


# --- bad input --------------------------------------------------------------------------------------------

ALL_READERS: list[tuple[Reader, Path]] = [
    (read_cm_index, CM_EINDEX),
    (read_cm_table, CM_DRUG),
    (read_pcs_index, PCS_INDEX),
]
READER_IDS = ["cm_index", "cm_table", "pcs_index"]


def write(tmp_path: Path, data: bytes | str, name: str = "index.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(("reader", "good"), ALL_READERS, ids=READER_IDS)
def test_not_xml(tmp_path: Path, reader: Reader, good: Path) -> None:
    path = write(tmp_path, "Code,Description\nJ18.9,Pneumonia\n")
    with pytest.raises(SourceFormatError) as info:
        reader(path)
    assert info.value.path == path
    assert info.value.location == "line 1"
    assert "not well-formed XML" in info.value.reason


@pytest.mark.parametrize(("reader", "good"), ALL_READERS, ids=READER_IDS)
def test_truncated_xml(tmp_path: Path, reader: Reader, good: Path) -> None:
    text = good.read_text(encoding="utf-8")
    path = write(tmp_path, text[: len(text) // 2])
    with pytest.raises(SourceFormatError, match="truncated") as info:
        reader(path)
    assert info.value.location is not None and info.value.location.startswith("line ")


@pytest.mark.parametrize(("reader", "good"), ALL_READERS, ids=READER_IDS)
def test_empty_and_blank_files(tmp_path: Path, reader: Reader, good: Path) -> None:
    for data in (b"", b"  \n\n"):
        with pytest.raises(SourceFormatError, match="empty"):
            reader(write(tmp_path, data))


@pytest.mark.parametrize(("reader", "good"), ALL_READERS, ids=READER_IDS)
def test_missing_file(tmp_path: Path, reader: Reader, good: Path) -> None:
    with pytest.raises(SourceFormatError):
        reader(tmp_path / "nowhere.xml")


@pytest.mark.parametrize(("reader", "good"), ALL_READERS, ids=READER_IDS)
def test_bad_zip(tmp_path: Path, reader: Reader, good: Path) -> None:
    with pytest.raises(SourceFormatError, match="zip"):
        reader(write(tmp_path, b"this is not a zip archive", "index.xml.zip"))
    # a download cut short
    archive = tmp_path / "cut.xml.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(good, good.name)
    data = archive.read_bytes()
    with pytest.raises(SourceFormatError):
        reader(write(tmp_path, data[: len(data) // 2], "cut.xml.zip"))


@pytest.mark.parametrize(("reader", "good"), ALL_READERS, ids=READER_IDS)
def test_zip_must_hold_exactly_one_xml(tmp_path: Path, reader: Reader, good: Path) -> None:
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        zf.write(good, "a.xml")
        zf.write(good, "b.xml")
    with pytest.raises(SourceFormatError, match="exactly one"):
        reader(two)
    none = tmp_path / "none.zip"
    with zipfile.ZipFile(none, "w") as zf:
        zf.writestr("readme.txt", "no xml here")
    with pytest.raises(SourceFormatError, match="exactly one"):
        reader(none)


@pytest.mark.parametrize(("reader", "good"), ALL_READERS, ids=READER_IDS)
def test_wrong_encoding(tmp_path: Path, reader: Reader, good: Path) -> None:
    text = good.read_text(encoding="utf-8")
    with pytest.raises(SourceFormatError, match="UTF-16"):
        reader(write(tmp_path, text.encode("utf-16")))
    latin = text.replace('encoding="utf-8"', 'encoding="ISO-8859-1"')
    with pytest.raises(SourceFormatError, match="ISO-8859-1"):
        reader(write(tmp_path, latin))
    # a stray cp1252 byte (an e-acute) in a file that says it is UTF-8
    lines = text.splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if n > 3 and "<title>" in line)
    lines[at] = lines[at].replace("<title>", "<title>caf\u00e9 ")
    broken = "".join(lines).encode("cp1252")
    with pytest.raises(SourceFormatError, match="UTF-8") as info:
        reader(write(tmp_path, broken))
    assert info.value.location == f"line {at + 1}"


def test_wrong_root(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match=r"expected <ICD10CM\.index>") as info:
        read_cm_index(PCS_INDEX)
    assert info.value.location == "line 2"
    with pytest.raises(SourceFormatError, match=r"expected <ICD10CM\.index>"):
        read_cm_table(PCS_INDEX)
    with pytest.raises(SourceFormatError, match=r"expected <ICD10PCS\.index>"):
        read_pcs_index(CM_EINDEX)
    with pytest.raises(SourceFormatError, match=r"expected <ICD10PCS\.index>"):
        read_pcs_index(write(tmp_path, '<?xml version="1.0"?>\n<ICD10PCS.tabular></ICD10PCS.tabular>\n'))


def test_index_and_table_readers_are_not_interchangeable() -> None:
    with pytest.raises(SourceFormatError, match="read_cm_table") as info:
        read_cm_index(CM_NEOPLASM)
    assert info.value.location == "line 4"
    with pytest.raises(SourceFormatError, match="no <indexHeading>"):
        read_cm_table(CM_INDEX)


def test_unknown_table_heading(tmp_path: Path) -> None:
    text = CM_DRUG.read_text(encoding="utf-8").replace(">Substance<", ">Chemical<")
    with pytest.raises(SourceFormatError, match="'Chemical'"):
        read_cm_table(write(tmp_path, text))


@pytest.mark.parametrize(
    ("reader", "good", "old", "new", "line"),
    [
        (read_cm_index, CM_EINDEX, "<code>V94.11</code>", "<code>V94.1!</code>", 45),
        (read_cm_index, CM_EINDEX, "<code>V94.11</code>", "<code>see V94.11</code>", 45),
        (read_cm_index, CM_EINDEX, "<code>V94.11</code>", "<code></code>", 45),
        (read_cm_index, CM_INDEX, "<manif>J99</manif>", "<manif>lung</manif>", 15),
        (read_cm_index, CM_EINDEX, "<subcat>T75.0</subcat>", "<subcat>T75.0.1</subcat>", 59),
        (read_cm_table, CM_DRUG, '<cell col="2">T51.3X1</cell>', '<cell col="2">T51.3X1 T51.3X2</cell>', 17),
        (read_cm_table, CM_NEOPLASM, '<cell col="2">C80.1</cell>', '<cell col="2">C80.</cell>', 17),
        (read_pcs_index, PCS_INDEX, "<codes>0UT9</codes>", "<codes>0UO9</codes>", 16),
        (read_pcs_index, PCS_INDEX, "<code>10A07ZX</code>", "<code>10A07ZX1</code>", 38),
        (read_pcs_index, PCS_INDEX, "<tab>0JH</tab>", "<tab>J18.9</tab>", 51),
    ],
)
def test_bad_code_text(tmp_path: Path, reader: Reader, good: Path, old: str, new: str, line: int) -> None:
    text = good.read_text(encoding="utf-8")
    assert text.count(old) == 1
    assert old in text.splitlines()[line - 1], "fixture changed: fix the expected line"
    with pytest.raises(SourceFormatError, match="is not an ICD-10-") as info:
        reader(write(tmp_path, text.replace(old, new)))
    assert info.value.location == f"line {line}"


def test_cell_in_a_column_without_heading(tmp_path: Path) -> None:
    text = CM_DRUG.read_text(encoding="utf-8").replace('<cell col="2">T51.3X1</cell>', '<cell col="9">T51.3X1</cell>')
    with pytest.raises(SourceFormatError, match="col='9'"):
        read_cm_table(write(tmp_path, text))


def test_lowercase_cm_codes_are_normalised(tmp_path: Path) -> None:
    text = CM_EINDEX.read_text(encoding="utf-8").replace("<code>V94.11</code>", "<code> v94.11 </code>")
    entries = read_cm_index(write(tmp_path, text))
    assert "V9411" in {e.code for e in entries}


# --- the full official files ------------------------------------------------------------------------------


@pytest.mark.full_data
def test_full_external_cause_index() -> None:
    entries = read_cm_index(shared_file("icd10cm/fy2023/icd10cm_eindex_2023.xml.zip"))
    # 6,591 <code> + 11 <subcat> + 3 <seecat>
    assert len(entries) == 6605
    assert {e.source for e in entries} == {"icd10cm-eindex"}
    assert sum(e.incomplete for e in entries) == 247
    assert all(e.line is not None for e in entries)
    found = {(e.term, e.code, e.incomplete) for e in entries}
    assert ("Accident (to), boat, boating, striking swimmer, powered", "V9411", False) in found
    assert ("Lightning (shock) (stroke) (struck by)", "T750", True) in found
    assert ("Wrong, patient, procedure performed on", "Y6552", False) in found


@pytest.mark.full_data
def test_full_neoplasm_table() -> None:
    entries = read_cm_table(shared_file("icd10cm/fy2023/icd10cm_neoplasm_2023.xml"))
    # 10,916 cells, of which 1,898 are '-'
    assert len(entries) == 9018
    assert {e.source for e in entries} == {"icd10cm-neoplasm"}
    assert sum(e.incomplete for e in entries) == 972
    found = {(e.term, e.code, e.incomplete) for e in entries}
    assert ("Neoplasm, neoplastic, abdomen, abdominal - Malignant Primary", "C762", False) in found
    assert ("Neoplasm, neoplastic, abdomen, abdominal - Malignant Secondary", "C798", True) in found
    assert ("Neoplasm, neoplastic, Zuckerkandl organ - Unspecified Behavior", "D497", False) in found


@pytest.mark.full_data
def test_full_drug_table() -> None:
    entries = read_cm_table(shared_file("icd10cm/fy2023/icd10cm_drug_2023.xml.zip"))
    # 43,182 cells, of which 3,182 are '--'
    assert len(entries) == 40000
    assert {e.source for e in entries} == {"icd10cm-drug"}
    assert not any(e.incomplete for e in entries)
    found = {(e.term, e.code) for e in entries}
    assert ("Aspirin (aluminum) (soluble) - Poisoning Accidental (unintentional)", "T39011") in found
    assert ("1-propanol - Poisoning Accidental (unintentional)", "T513X1") in found
    assert ("Zyprexa - Underdosing", "T43596") in found


@pytest.mark.full_data
def test_full_pcs_index() -> None:
    entries = read_pcs_index(shared_file("icd10pcs/fy2023/icd10pcs_index_2023.xml.zip"))
    # 2,767 <code> + 12,094 <codes> + 1,349 <tab>
    assert len(entries) == 16210
    assert {e.source for e in entries} == {"icd10pcs-index"}
    assert sum(e.incomplete for e in entries) == 13443
    found = {(e.term, e.code, e.incomplete) for e in entries}
    assert ("Abortion, Abortifacient", "10A07ZX", False) in found
    assert ("Abdominohysterectomy", "0UT9", True) in found
    assert ("Resection, Uterus", "0UT9", True) in found
    assert ("Activa PC neurostimulator", "0JH", True) in found


@pytest.mark.full_data
def test_full_files_parse_quickly() -> None:
    files = [
        (read_cm_index, shared_file("icd10cm/fy2023/icd10cm_eindex_2023.xml.zip")),
        (read_cm_table, shared_file("icd10cm/fy2023/icd10cm_neoplasm_2023.xml")),
        (read_cm_table, shared_file("icd10cm/fy2023/icd10cm_drug_2023.xml.zip")),
        (read_pcs_index, shared_file("icd10pcs/fy2023/icd10pcs_index_2023.xml.zip")),
    ]
    started = time.perf_counter()
    for reader, path in files:
        reader(path)
    # about 0.6 s on the development machine; the bound is loose so a slow CI box does not flake
    assert time.perf_counter() - started < 10
