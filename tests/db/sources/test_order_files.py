"""The ICD-10-CM and ICD-10-PCS order-file readers, on fixtures in the CMS fixed layout.

No order file is in /work/shared/data. The fixtures follow the layout CMS publishes in icd10pcsOrderFile.pdf
(the same layout is used for icd10cm_order_YYYY.txt), as NLM quotes it for the UMLS ICD10PCS source
(https://www.nlm.nih.gov/research/umls/sourcereleasedocs/current/ICD10PCS/sourcerepresentation.html):
positions 1-5 order number, right justified, zero filled; 6 blank; 7-13 code, no dots; 14 blank; 15 "0" for a
header not valid for submission, "1" for a valid code; 16 blank; 17-76 short description (60); 77 blank;
78 on, long description (up to 300). The titles are the official public-domain ones.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from db.sources.errors import SourceFormatError
from db.sources.order_files import OrderRecord, read_cm_order, read_pcs_order
from tests.conftest import FIXTURES

CM_ORDER = FIXTURES / "order" / "icd10cm-order-2099.txt"
PCS_ORDER = FIXTURES / "order" / "icd10pcs_order_2099.txt"


def order_line(order: int, code: str, flag: str, short: str, long: str) -> str:
    return f"{order:05d} {code:<7} {flag} {short:<60} {long}"


def test_cm_order_file_reads_every_line_with_both_titles() -> None:
    records = read_cm_order(CM_ORDER)
    assert [record.code for record in records][:5] == ["A00", "A000", "A001", "A009", "E11"]
    assert records[0] == OrderRecord(1, "A00", False, "Cholera", "Cholera")
    fracture = next(record for record in records if record.code == "S72001A")
    assert fracture.billable
    assert fracture.short_title == "Fracture of unsp part of neck of right femur, init"
    assert fracture.long_title == (
        "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
    )
    assert [record.order for record in records][4:6] == [15, 16]  # gaps in the numbering are fine
    assert sum(record.billable for record in records) == 6


def test_pcs_order_file_headers_are_tables_and_codes_have_seven_characters() -> None:
    records = read_pcs_order(PCS_ORDER)
    assert [(record.code, record.billable) for record in records][:2] == [("001", False), ("0016070", True)]
    assert all(len(record.code) == 7 for record in records if record.billable)
    assert records[-1].long_title.endswith("Percutaneous Approach, New Technology Group 5")


def test_order_file_in_a_cms_zip_with_other_text_files(tmp_path: Path) -> None:
    archive = tmp_path / "2099-code-descriptions-tabular-order.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("Code Descriptions/icd10cm_codes_2099.txt", "A000    Cholera due to Vibrio cholerae 01\r\n")
        out.write(CM_ORDER, "Code Descriptions/icd10cm_order_2099.txt")
    assert read_cm_order(archive) == read_cm_order(CM_ORDER)


def write(tmp_path: Path, lines: list[str], name: str = "icd10cm_order_2099.txt") -> Path:
    path = tmp_path / name
    path.write_bytes("".join(line + "\r\n" for line in lines).encode("cp1252"))
    return path


GOOD = order_line(1, "A00", "0", "Cholera", "Cholera")


@pytest.mark.parametrize(
    ("line", "reader", "message"),
    [
        ("00002 A000    1 Cholera", read_cm_order, "truncated record"),
        (order_line(2, "A000", "2", "Cholera x", "Cholera x"), read_cm_order, "must be 0 or 1, found '2'"),
        (order_line(2, "a000", "1", "Cholera x", "Cholera x"), read_cm_order, "not an ICD-10-CM code"),
        ("0000X" + order_line(2, "A000", "1", "x", "y")[5:], read_cm_order, "not 5 digits"),
        (order_line(1, "A000", "1", "x", "y"), read_cm_order, "order number 1 does not follow 1"),
        (order_line(2, "A00", "1", "x", "y"), read_cm_order, "duplicate code 'A00'"),
        (order_line(2, "A000", "1", "", "Cholera"), read_cm_order, "blank short title"),
        ("00002 A000   1  " + "x" * 61 + " y", read_cm_order, "column 14 should be blank"),
        (order_line(2, "0016070", "1", "x", "y"), read_cm_order, "not an ICD-10-CM code"),
    ],
)
def test_bad_lines_name_the_line(
    tmp_path: Path, line: str, reader: Callable[[Path], list[OrderRecord]], message: str
) -> None:
    path = write(tmp_path, [GOOD, line])
    with pytest.raises(SourceFormatError, match=message) as caught:
        reader(path)
    assert caught.value.location == "line 2"


def test_pcs_header_flagged_valid_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, [order_line(1, "001", "1", "Bypass", "Bypass")], "icd10pcs_order_2099.txt")
    with pytest.raises(SourceFormatError, match="'001' is flagged valid"):
        read_pcs_order(path)
    # I and O are not PCS characters.
    path = write(tmp_path, [order_line(1, "0O16070", "1", "x", "y")], "icd10pcs_order_2099.txt")
    with pytest.raises(SourceFormatError, match="not an ICD-10-PCS code"):
        read_pcs_order(path)


def test_blank_line_inside_is_an_error_but_trailing_blank_lines_are_fine(tmp_path: Path) -> None:
    second = order_line(2, "A000", "1", "Cholera x", "Cholera x")
    assert len(read_cm_order(write(tmp_path, [GOOD, second, "", ""]))) == 2
    with pytest.raises(SourceFormatError, match="blank line between records") as caught:
        read_cm_order(write(tmp_path, [GOOD, "", second]))
    assert caught.value.location == "line 2"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"\r\n  \r\n", "empty file"),
        (GOOD.encode("utf-16"), "UTF-16 text"),
        (b"\x00\x01\x02binary", "binary data"),
        (GOOD.encode() + b"\r\n" + order_line(2, "A000", "1", "x", "y\x81").encode("latin-1"), "neither UTF-8"),
    ],
)
def test_empty_binary_and_wrongly_encoded_files(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "icd10cm_order_2099.txt"
    path.write_bytes(data)
    with pytest.raises(SourceFormatError, match=message):
        read_cm_order(path)


def test_windows_1252_titles_are_decoded(tmp_path: Path) -> None:
    line = order_line(2, "A000", "1", "Sjögren x", "Sjögren syndrome x")
    path = tmp_path / "icd10cm_order_2099.txt"
    path.write_bytes((GOOD + "\r\n" + line + "\r\n").encode("cp1252"))
    assert read_cm_order(path)[1].long_title == "Sjögren syndrome x"


def test_zip_without_or_with_two_order_files(tmp_path: Path) -> None:
    archive = tmp_path / "codes.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("icd10cm_codes_2099.txt", "A000    Cholera\r\n")
    with pytest.raises(SourceFormatError, match="found none"):
        read_cm_order(archive)
    with zipfile.ZipFile(archive, "a") as out:
        out.write(CM_ORDER, "a/icd10cm_order_2099.txt")
        out.write(CM_ORDER, "b/icd10cm_order_2099.txt")
    with pytest.raises(SourceFormatError, match="expected exactly one"):
        read_cm_order(archive)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[:100])
    with pytest.raises(SourceFormatError, match="damaged zip archive"):
        read_cm_order(truncated)
