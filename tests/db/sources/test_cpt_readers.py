"""The licensed CPT readers on fixtures with invented descriptors (never CPT text).

Layouts: tests/fixtures/cpt/LONGULT.txt, MEDU.txt (Windows-1252), SHORTU.txt (UTF-8 with BOM), MODUL.txt and the
DTK-style ConsumerDescriptor/ClinicianDescriptor files follow the AMA data-file layouts described in
db/sources/cpt_ama.py (UMLS CPT source information; the AMA's fixed-field notes for LONGULF.txt);
PPRRVU99_JAN.csv follows the CMS relative value file: title rows, then the split header (the 2019 layout as
public PPRRVU parsers reproduce it), then one row per code and modifier.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from db.sources.cpt_ama import read_ama
from db.sources.cpt_pfs import read_pfs
from db.sources.cpt_shapes import category, is_add_on
from db.sources.cpt_table import read_table
from db.sources.detect import scan
from db.sources.errors import SourceFormatError
from tests.conftest import FIXTURES

CPT = FIXTURES / "cpt"


def write_charge_list(path: Path, rows: list[list[object]] | None = None) -> Path:
    """An office's charge list with its code in the third column, a fee and a department beside it."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Department", "Fee", "CPT", "Service", "Notes"])
    for row in rows or [
        ["Clinic A", 125, 99213, "Zorblat clinic visit (office list wording)", "front desk"],
        ["Clinic A", 40, "3074F", "Blorvic reading under goal (office list)", None],
        ["Pharmacy", 12.5, "J1100", "Invented steroid shot", None],
        ["Lab", 30, "0001U", "Plimsy antigen typing, office list", None],
    ]:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("name", "kind", "count", "first"),
    [
        ("LONGULT.txt", "long", 6, ("99213", "Zorblat office visit for an established patient")),
        ("MEDU.txt", "medium", 4, ("99213", "Zorblat office visit est pt low (invented medium, café)")),
        ("SHORTU.txt", "short", 6, ("99213", "ZORBLAT VISIT EST LOW")),
        ("MODUL.txt", "modifiers", 2, ("25", "Invented modifier: significant")),
        ("ConsumerDescriptor.txt", "consumer", 2, ("99213", "Invented plain words")),
        ("ClinicianDescriptor.txt", "clinician", 2, ("99213", "Invented clinician wording: zorblat visit, 20")),
        ("LONGULF.txt", "long", 2, ("99213", "Zorblat office visit")),
    ],
)
def test_ama_files_by_layout_and_encoding(name: str, kind: str, count: int, first: tuple[str, str]) -> None:
    parsed = read_ama(CPT / name)
    assert parsed.descriptor_kind == kind
    assert len(parsed.entries) == count
    assert parsed.entries[0].code == first[0] and parsed.entries[0].descriptor.startswith(first[1])


def test_fixed_field_records_continue_a_long_descriptor() -> None:
    entry = read_ama(CPT / "LONGULF.txt").entries[0]
    assert entry.descriptor.endswith("that runs on past seventy-two characters onto a second record")


def test_a_file_without_a_kind_in_its_name_says_what_it_was_taken_for(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("99213 ZORBLAT VISIT\n0042T TRANDLE IMG\n", encoding="utf-8")
    parsed = read_ama(path)
    assert parsed.descriptor_kind == "short"
    assert "no descriptor over 28 characters" in parsed.evidence and "blanks" in parsed.evidence


def test_categories_and_add_on() -> None:
    assert [category(c) for c in ("99213", "3074F", "0042T", "0001U", "25")] == [
        "Category I",
        "Category II (performance measurement)",
        "Category III (emerging technology)",
        "Proprietary Laboratory Analyses (PLA)",
        "modifier",
    ]
    assert is_add_on(["Each further area (List separately in addition to code for primary procedure)"])
    assert not is_add_on(["Zorblat visit"])


def test_bad_ama_files_name_the_file_and_line(tmp_path: Path) -> None:
    cases = {
        "notcpt.txt": ("99213\tZorblat visit\n<html>nothing</html>\n", "line 2", "not a CPT code and descriptor"),
        "cut.txt": ("99213\tZorblat visit\n0042T\t\n", "line 2", "no descriptor"),
        "twice.txt": ("99213\tZorblat visit\n0042T\tTrandle\n99213\tOther words\n", "line 3", "line 1"),
    }
    for name, (text, where, what) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(SourceFormatError) as error:
            read_ama(tmp_path / name)
        assert error.value.location == where and what in error.value.reason and name in str(error.value)
        assert "Other words" not in str(error.value)  # never the descriptors themselves


def test_bytes_neither_utf8_nor_windows_1252_are_reported_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "LONGULT.txt"
    path.write_bytes(b"99213\tZorblat visit\n0042T\tTrandle \x81 imaging\n")
    with pytest.raises(SourceFormatError, match="line 2"):
        read_ama(path)


def test_pfs_columns_by_their_joined_header() -> None:
    pfs = read_pfs(CPT / "PPRRVU99_JAN.csv")
    assert pfs.year == 2099 and "January" in pfs.title
    rows = {(row.code, row.modifier): row for row in pfs.rows}
    assert len(rows) == 7 and ("93000", "26") in rows and ("J1100", "") in rows
    surgery = rows[("47562", "")].values
    assert surgery["work_rvu"] == 10.47 and surgery["nonfacility_pe_rvu"] is None and surgery["nonfacility_na"] == "NA"
    assert surgery["facility_pe_rvu"] == 6.11 and surgery["mp_rvu"] == 1.98 and surgery["facility_total"] == 18.56
    assert surgery["global_days"] == "090" and surgery["status"] == "A" and surgery["conversion_factor"] == 33.4009
    assert (surgery["multiple_procedure"], surgery["bilateral_surgery"], surgery["assistant_surgery"]) == (
        "2",
        "0",
        "2",
    )
    assert (surgery["co_surgeons"], surgery["team_surgery"]) == ("1", "0")
    assert rows[("11001", "")].description == "EACH ADDL 20 SQ CM, INVENTED"  # a quoted comma


def test_truncated_pfs_file_names_the_row(tmp_path: Path) -> None:
    lines = (CPT / "PPRRVU99_JAN.csv").read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "PPRRVU99_JAN.csv"
    cut.write_text("\n".join([*lines[:-1], lines[-1][:40]]) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="truncated") as error:
        read_pfs(cut)
    assert error.value.location == f"row {len(lines)}"


def test_charge_list_code_by_shape_description_by_content(tmp_path: Path) -> None:
    table = read_table(write_charge_list(tmp_path / "charges.xlsx"))
    assert (table.choice.code_column, table.choice.description_column) == (2, 3)
    assert "column 3" in table.choice.why and "'Service'" in table.choice.why
    assert [entry.code for entry in table.entries] == ["99213", "3074F", "0001U"]
    assert table.hcpcs_rows == 1
    assert table.extras["99213"] == (("Department", "Clinic A"), ("Fee", "125"), ("Notes", "front desk"))


def test_charge_list_columns_can_be_chosen(tmp_path: Path) -> None:
    table = read_table(write_charge_list(tmp_path / "charges.xlsx"), code_column=3, description_column=1)
    assert table.entries[0].descriptor == "Clinic A"
    assert ("Service", "Zorblat clinic visit (office list wording)") in table.extras["99213"]
    with pytest.raises(SourceFormatError, match="no column 9"):
        read_table(tmp_path / "charges.xlsx", code_column=9)


def test_charge_list_errors(tmp_path: Path) -> None:
    no_codes = write_charge_list(tmp_path / "names.xlsx", [["Clinic A", 125, "Dr Who", "Visit", None]])
    with pytest.raises(SourceFormatError, match="no column holds CPT codes"):
        read_table(no_codes)
    twice = tmp_path / "twice.csv"
    twice.write_text("Code,Description\n99213,Zorblat visit\n99213,Another wording\n", encoding="utf-8-sig")
    with pytest.raises(SourceFormatError, match="also on line 2") as error:
        read_table(twice)
    assert error.value.location == "line 3"


def test_windows_1252_csv(tmp_path: Path) -> None:
    path = tmp_path / "charges.csv"
    path.write_bytes("Code;Description;Fee\n99213;Zorblat visit – café;80\n".encode("cp1252"))
    assert read_table(path).entries[0].descriptor == "Zorblat visit – café"


def test_detection_kinds_and_the_year(tmp_path: Path) -> None:
    write_charge_list(tmp_path / "charges-2099.xlsx")
    found = {f.name: f for f in scan([CPT, tmp_path]).found}
    kinds = {name: f.kind for name, f in found.items()}
    assert kinds == {
        **{name: "cpt-ama" for name in ("LONGULT.txt", "MEDU.txt", "SHORTU.txt", "MODUL.txt", "LONGULF.txt")},
        "ConsumerDescriptor.txt": "cpt-ama",
        "ClinicianDescriptor.txt": "cpt-ama",
        "PPRRVU99_JAN.csv": "cpt-pfs",
        "charges-2099.xlsx": "cpt-csv",
    }
    assert found["PPRRVU99_JAN.csv"].release.name == "CPT 2099"
    assert str(found["PPRRVU99_JAN.csv"].release.valid_from) == "2099-01-01"
    assert found["MEDU.txt"].release_evidence.startswith("AMA medium descriptors (from the name 'MEDU.txt'")
    assert found["charges-2099.xlsx"].release.name == "CPT 2099"
