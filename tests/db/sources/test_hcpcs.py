"""Tests for db.sources.hcpcs: the CMS ANWEB fixed-width reader, the description workbooks and NOC lists."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from db.sources.errors import SourceFormatError
from db.sources.hcpcs import HcpcsRecord, read_anweb, read_long_descriptions_xlsx, read_noc_codes
from tests.conftest import SHARED_DATA

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hcpcs"
# Cut from the official 2019 CMS file HCPC2019_CONTR_ANWEB.txt (public domain): its 8 disclaimer lines
# (with cp1252 no-break spaces) and all lines of 21 records, bytes and CRLF line ends unchanged.
SAMPLE = FIXTURES / "HCPC2019_CONTR_ANWEB_sample.txt"
# Cut from the official NOC_Codes_2019.prn: title, header, 6 codes (2 of them wrapped onto a second
# line that repeats the code) and the trailing DOS end-of-file byte.
NOC_PRN = FIXTURES / "NOC_Codes_2019_sample.prn"
HEADER_LINES = 8

HCPCS_DATA = SHARED_DATA / "hcpcs"
needs_data = pytest.mark.skipif(
    not HCPCS_DATA.is_dir(), reason=f"the official HCPCS files are not present in {HCPCS_DATA}"
)


# ------------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------------


def sample_lines() -> list[bytes]:
    """The fixture's lines without their CRLF (the last element is the empty string after the final CRLF)."""
    return SAMPLE.read_bytes().split(b"\r\n")


def write_lines(tmp_path: Path, lines: list[bytes], name: str = "HCPC_TEST_ANWEB.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\r\n".join(lines))
    return path


def index_of(lines: list[bytes], code: str, record_id: str) -> int:
    """0-based index of the first line of ``code`` with ``record_id`` (its line number is index + 1)."""
    field = code.rjust(5).encode()
    return next(i for i, line in enumerate(lines) if line[:5] == field and line[10:11] == record_id.encode())


def with_description(line: bytes, description: str) -> bytes:
    return line[:11] + description.ljust(80).encode("cp1252") + line[91:]


def continuation(code: str, sequence: int, record_id: str, description: str) -> bytes:
    return (code.rjust(5) + f"{sequence:05d}" + record_id + description.ljust(80)).ljust(320).encode("cp1252")


def by_code(records: list[HcpcsRecord]) -> dict[str, HcpcsRecord]:
    return {record.code: record for record in records}


@contextlib.contextmanager
def raises_at(path: Path, location: str | None, reason: str) -> Iterator[None]:
    """Expect a SourceFormatError naming ``path`` and ``location``, its reason matching ``reason``."""
    with pytest.raises(SourceFormatError) as caught:
        yield
    assert caught.value.path == path
    assert caught.value.location == location
    assert re.search(reason, caught.value.reason), caught.value.reason


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def normalized(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------------------------------
# ANWEB fixed-width file: good input
# ------------------------------------------------------------------------------------------------------


def test_sample_reads_all_records_in_file_order() -> None:
    records = read_anweb(SAMPLE)
    assert [r.code for r in records] == [
        *("A1", "AD", "AH", "AS", "GC", "RT", "TC"),
        *("A0999", "A9513", "C9741", "C9754", "E0100", "E0210", "G0124", "G0328"),
        *("G0417", "G0501", "G8891", "J0129", "J1100", "V5364"),
    ]
    assert [r.kind for r in records] == ["modifier"] * 7 + ["code"] * 14


def test_every_field_of_a_procedure_record() -> None:
    assert by_code(read_anweb(SAMPLE))["J1100"] == HcpcsRecord(
        code="J1100",
        kind="code",
        long_description="Injection, dexamethasone sodium phosphate, 1 mg",
        short_description="Dexamethasone sodium phos",
        pricing_indicators=("51",),
        multiple_pricing_indicator="A",
        coverage_issues_manual_refs=(),
        carriers_manual_refs=("2049",),
        statute_number=None,
        lab_certification_codes=(),
        cross_reference_codes=(),
        coverage_code="D",
        asc_payment_group=None,
        asc_effective_date=None,
        opps_payment_group=None,
        opps_payment_indicator=None,
        opps_effective_date=None,
        processing_note_number=None,
        betos_code="O1E",
        type_of_service_codes=("1", "P"),
        anesthesia_base_units=0,
        added_date=date(1982, 1, 1),
        action_effective_date=date(2001, 1, 1),
        termination_date=None,
        action_code="N",
    )


def test_every_field_of_a_modifier_record() -> None:
    # RT's description fills all 80 columns and runs straight into the short description.
    assert by_code(read_anweb(SAMPLE))["RT"] == HcpcsRecord(
        code="RT",
        kind="modifier",
        long_description="Right side (used to identify procedures performed on the right side of the body)",
        short_description="Right side",
        coverage_code="C",
        added_date=date(1984, 1, 1),
        action_effective_date=date(1997, 1, 1),
        action_code="N",
    )


def test_repeating_and_optional_fields() -> None:
    records = by_code(read_anweb(SAMPLE))
    assert records["G0124"].pricing_indicators == ("11", "21")
    assert records["G0124"].multiple_pricing_indicator == "C"
    assert records["G0124"].processing_note_number == "0045"
    assert records["E0100"].coverage_issues_manual_refs == ("60-3", "60-9")
    assert records["E0100"].type_of_service_codes == ("A", "P", "R")
    assert records["A0999"].carriers_manual_refs == ("2120.1", "2125")
    assert records["GC"].carriers_manual_refs == ("3350.5", "4116")
    assert records["G0328"].lab_certification_codes == ("310", "400")
    assert records["C9741"].cross_reference_codes == ("33289",)
    assert records["C9741"].statute_number == "1833(t)"
    assert records["V5364"].statute_number == "1862(a)(7)"
    assert records["A9513"].asc_payment_group == "YY"
    assert records["A9513"].asc_effective_date == date(2019, 1, 1)
    assert records["A9513"].action_code == "A"
    assert records["AS"].anesthesia_base_units is None  # blank for modifiers
    assert records["AS"].pricing_indicators == ()


def test_discontinued_code_has_termination_date() -> None:
    record = by_code(read_anweb(SAMPLE))["C9741"]
    assert record.action_code == "D"
    assert record.termination_date == date(2018, 12, 31)
    assert record.added_date == date(2014, 10, 1)
    assert record.action_effective_date == date(2019, 1, 1)


def test_continuation_lines_are_joined_with_one_space() -> None:
    records = by_code(read_anweb(SAMPLE))
    assert records["AD"].long_description == (
        "Medical supervision by a physician: more than four concurrent anesthesia procedures"
    )
    assert records["C9741"].long_description == (
        "Right heart catheterization with implantation of wireless pressure sensor in the pulmonary artery,"
        " including any type of measurement, angiography, imaging supervision, interpretation, and report"
    )
    # 7 lines; the double space inside the second line is CMS's and is kept.
    assert records["TC"].long_description.startswith(
        "Technical component; under certain circumstances, a charge may be made for the technical component"
        " alone;  under those circumstances"
    )
    assert records["TC"].long_description.endswith("used to build customary and prevailing profiles")
    # G8891's second line is 316 characters long (the filler is short) in the official file.
    assert records["G8891"].long_description.endswith(
        "for whom treatment of hypertension with standard treatment goals is not clinically appropriate)"
    )


def test_leading_space_of_a_continuation_line_is_kept() -> None:
    # G0501's 5th line starts with a space: the text had two spaces at the break (CMS's workbook
    # shows "management  visit").
    description = by_code(read_anweb(SAMPLE))["G0501"].long_description
    assert "evaluation and management  visit (list separately" in description


def test_double_space_lost_at_a_line_break_reads_as_one() -> None:
    # CMS's workbook has "needle  biopsy" and "including  all"; the text file drops both spaces at the
    # break, so nothing in it tells one space from two.
    records = by_code(read_anweb(SAMPLE))
    assert "prostate needle biopsy, any method" in records["G0417"].long_description
    assert "any site, including all imaging" in records["C9754"].long_description
    assert "fistula,  percutaneous" in records["C9754"].long_description


def test_segment_using_all_80_columns_is_a_hard_cut(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "J1100", "3")
    first = "Injection, dexamethasone sodium phosphate, 1 mg, a longer description cut mid-wo"
    assert len(first) == 80
    lines[i] = with_description(lines[i], first)
    lines.insert(i + 1, continuation("J1100", 200, "4", "rd by the fixed width"))
    record = by_code(read_anweb(write_lines(tmp_path, lines)))["J1100"]
    assert record.long_description == first + "rd by the fixed width"


def test_continuation_lines_join_in_sequence_order(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "C9741", "4")
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    assert by_code(read_anweb(write_lines(tmp_path, lines)))["C9741"] == by_code(read_anweb(SAMPLE))["C9741"]


def test_decodes_windows_1252(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "J1100", "3")
    lines[i] = with_description(lines[i], "Injection, dexaméthasone \u2019sodium\u2019 phosphate, 1 mg")
    assert b"\xe9" in lines[i] and b"\x92" in lines[i]
    record = by_code(read_anweb(write_lines(tmp_path, lines)))["J1100"]
    assert record.long_description == "Injection, dexaméthasone \u2019sodium\u2019 phosphate, 1 mg"


def test_lf_line_ends_and_no_final_newline(tmp_path: Path) -> None:
    lines = sample_lines()
    path = tmp_path / "lf_ANWEB.txt"
    path.write_bytes(b"\n".join(lines).rstrip(b"\n"))
    assert read_anweb(path) == read_anweb(SAMPLE)


def test_reads_the_txt_inside_a_cms_zip(tmp_path: Path) -> None:
    archive = tmp_path / "2019-Alpha-Numeric-HCPCS-File.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("HCPC2019_README.txt", "read me")
        zf.writestr("proc_notes_2019.txt", "notes")
        zf.write(SAMPLE, "sub/hcpc2019_contr_anweb.TXT")  # the member name is matched case-insensitively
        zf.writestr("HCPC2019_CONTR_ANWEB.xlsx", b"not looked at")
    assert read_anweb(archive) == read_anweb(SAMPLE)


# ------------------------------------------------------------------------------------------------------
# ANWEB fixed-width file: bad input
# ------------------------------------------------------------------------------------------------------


def test_truncated_last_record(tmp_path: Path) -> None:
    lines = sample_lines()[:-1]  # drop the final CRLF: the download stopped mid-record
    lines[-1] = lines[-1][:150]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {len(lines)}", r"truncated record: 150 characters"):
        read_anweb(path)


def test_truncated_record_in_the_middle(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "E0100", "3")
    lines[i] = lines[i][:292]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 1}", r"truncated record: 292 characters"):
        read_anweb(path)


def test_truncated_first_record_is_not_taken_for_a_header_line(tmp_path: Path) -> None:
    lines = sample_lines()
    lines[HEADER_LINES] = lines[HEADER_LINES][:60]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {HEADER_LINES + 1}", r"truncated record"):
        read_anweb(path)


def test_bad_record_id(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "E0210", "3")
    lines[i] = lines[i][:10] + b"5" + lines[i][11:]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 1}", r"bad record id '5' in column 11"):
        read_anweb(path)


def test_bad_record_id_on_the_first_record(tmp_path: Path) -> None:
    lines = sample_lines()
    lines[HEADER_LINES] = lines[HEADER_LINES][:10] + b"9" + lines[HEADER_LINES][11:]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {HEADER_LINES + 1}", r"bad record id '9'"):
        read_anweb(path)


def test_orphan_continuation_line(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "C9754", "3")
    del lines[i]  # its continuation lines now follow C9741's record
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 1}", r"continuation line \(record id 4\) for 'C9754' does not follow"):
        read_anweb(path)


def test_continuation_of_the_wrong_kind(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "AD", "8")
    lines[i] = lines[i][:10] + b"4" + lines[i][11:]  # a procedure continuation after a modifier
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 1}", r"does not follow"):
        read_anweb(path)


def test_repeated_sequence_number(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "C9741", "4")
    lines[i + 1] = lines[i + 1][:5] + lines[i][5:10] + lines[i + 1][10:]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 2}", r"sequence number 200 repeated"):
        read_anweb(path)


@pytest.mark.parametrize(
    ("columns", "value", "reason"),
    [
        ((268, 276), b"20191332", r"invalid date in columns 269-276: '20191332'"),
        ((276, 284), b"2019O101", r"date in columns 277-284 is not yyyymmdd"),
        ((284, 292), b"2019 101", r"date in columns 285-292 is not yyyymmdd"),
        ((232, 240), b"20190229", r"invalid date in columns 233-240"),
    ],
)
def test_bad_date(tmp_path: Path, columns: tuple[int, int], value: bytes, reason: str) -> None:
    lines = sample_lines()
    i = index_of(lines, "J1100", "3")
    start, stop = columns
    lines[i] = lines[i][:start] + value + lines[i][stop:]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 1}", reason):
        read_anweb(path)


def test_bad_anesthesia_units(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "J1100", "3")
    lines[i] = lines[i][:265] + b" x1" + lines[i][268:]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 1}", r"anesthesia base units"):
        read_anweb(path)


def test_duplicate_code(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "J1100", "3")
    lines.insert(i + 1, lines[i])
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 2}", rf"duplicate code 'J1100' \(first at line {i + 1}\)"):
        read_anweb(path)


def test_lowercase_code(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "J1100", "3")
    lines[i] = b"j1100" + lines[i][5:]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 1}", r"bad code"):
        read_anweb(path)


def test_blank_line_between_records(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "J1100", "3")
    lines.insert(i, b"")
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 1}", r"blank line between records"):
        read_anweb(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty_ANWEB.txt"
    path.write_bytes(b"")
    with raises_at(path, "line 1", r"empty file"):
        read_anweb(path)


def test_header_lines_only(tmp_path: Path) -> None:
    path = write_lines(tmp_path, [*sample_lines()[:HEADER_LINES], b""])
    with raises_at(path, f"line {HEADER_LINES}", r"no HCPCS records found"):
        read_anweb(path)


def test_garbage_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\nnothing like a record\n" + "x" * 400 + "\n", encoding="ascii")
    with raises_at(path, "line 3", r"no HCPCS records found"):
        read_anweb(path)


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "utf16_ANWEB.txt"
    path.write_bytes(b"\r\n".join(sample_lines()).decode("cp1252").encode("utf-16"))
    with raises_at(path, "line 1", r"UTF-16 text"):
        read_anweb(path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image_ANWEB.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with raises_at(path, "line 3", r"binary data"):
        read_anweb(path)


def test_byte_undefined_in_windows_1252(tmp_path: Path) -> None:
    lines = sample_lines()
    i = index_of(lines, "J1100", "3")
    lines[i] = lines[i][:20] + b"\x81" + lines[i][21:]
    path = write_lines(tmp_path, lines)
    with raises_at(path, f"line {i + 1}", r"byte 0x81 is not Windows-1252"):
        read_anweb(path)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "2019-Alpha-Numeric-HCPCS-File.zip"
    path.write_bytes(SAMPLE.read_bytes())
    with raises_at(path, None, r"not a \.zip archive"):
        read_anweb(path)


def test_damaged_zip(tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.write(SAMPLE, "HCPC2019_CONTR_ANWEB.txt")
    path = tmp_path / "damaged.zip"
    path.write_bytes(good.read_bytes()[:200])
    with raises_at(path, None, r"damaged \.zip archive"):
        read_anweb(path)


def test_zip_without_anweb_txt(tmp_path: Path) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("HCPC2019_README.txt", "read me")
    with raises_at(path, None, r"holds no an \*ANWEB\*\.txt file"):
        read_anweb(path)


def test_zip_with_two_anweb_txt(tmp_path: Path) -> None:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(SAMPLE, "HCPC2019_CONTR_ANWEB.txt")
        zf.write(SAMPLE, "HCPC2019_NONCONTR_ANWEB.txt")
    with raises_at(path, None, r"several candidate files"):
        read_anweb(path)


def test_error_inside_a_zip_names_the_member(tmp_path: Path) -> None:
    lines = sample_lines()
    lines[-2] = lines[-2][:100]
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("HCPC2019_CONTR_ANWEB.txt", b"\r\n".join(lines))
    with raises_at(path, f"line {len(lines) - 1}", r"truncated record.*\(in HCPC2019_CONTR_ANWEB\.txt\)"):
        read_anweb(path)


def test_workbook_given_to_the_text_reader(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "HCPC_ANWEB.xlsx", [["HCPCS", "LONG_DESCRIPTION"], ["J1100", "x"]])
    with raises_at(path, "line 1", r"\.xlsx workbook"):
        read_anweb(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing_ANWEB.txt"
    with raises_at(path, None, r"cannot read file"):
        read_anweb(path)


# ------------------------------------------------------------------------------------------------------
# Long-description workbooks
# ------------------------------------------------------------------------------------------------------


def test_trimmed_long_description_workbook(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "HCPC2025_JUL_ANWEB_v3.TRIMMED.xlsx",
        [
            ["HCPCS", "LONG_DESCRIPTION"],
            ["   A1", "Dressing for one wound"],
            ["   RT", "Right side (used to identify procedures performed on the right side of the body)"],
            [None, None],
            ["J1100", "Injection, dexamethasone sodium phosphate, 1 mg"],
            ["A6575", "Gradient  compression arm sleeve and glove combination, each "],
        ],
    )
    assert read_long_descriptions_xlsx(path) == [
        HcpcsRecord(code="A1", kind="modifier", long_description="Dressing for one wound"),
        HcpcsRecord(
            code="RT",
            kind="modifier",
            long_description="Right side (used to identify procedures performed on the right side of the body)",
        ),
        HcpcsRecord(code="J1100", kind="code", long_description="Injection, dexamethasone sodium phosphate, 1 mg"),
        # Inner double spaces are CMS's text; only the ends are trimmed.
        HcpcsRecord(
            code="A6575",
            kind="code",
            long_description="Gradient  compression arm sleeve and glove combination, each",
        ),
    ]


def test_official_style_workbook_with_title_rows_short_descriptions_and_continuations(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "HCPC2019_CONTR_ANWEB.xlsx",
        [
            ["***Disclaimers"],
            [],
            ["*Inclusion or exclusion of a procedure ... does not imply any coverage\xa0"],
            [],
            ["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "PRICE1"],
            ["   AD", "0010", "7", "Medical supervision by a physician: more", "Md supervision, >4 anes proc"],
            ["G0503", "0010", "3", "Subsequent psychiatric collaborative care", "Subseq  psych care man,60mi", "13"],
            ["G0503", "0020", "4", "management, first 60 minutes"],
            ["J1100", "0010", "3", "Injection, dexamethasone sodium phosphate, 1 mg", "Dexamethasone sodium phos"],
        ],
    )
    assert read_long_descriptions_xlsx(path) == [
        HcpcsRecord(
            code="AD",
            kind="modifier",
            long_description="Medical supervision by a physician: more",
            short_description="Md supervision, >4 anes proc",
        ),
        HcpcsRecord(
            code="G0503",
            kind="code",
            long_description="Subsequent psychiatric collaborative care management, first 60 minutes",
            short_description="Subseq  psych care man,60mi",
        ),
        HcpcsRecord(
            code="J1100",
            kind="code",
            long_description="Injection, dexamethasone sodium phosphate, 1 mg",
            short_description="Dexamethasone sodium phos",
        ),
    ]


@pytest.mark.parametrize(
    ("rows", "location", "reason"),
    [
        ([["CODE", "LONG_DESCRIPTION"], ["J1100", "x"]], "row 2", r"no header row with an HCPCS column"),
        ([["HCPCS", "DESCRIPTION"], ["J1100", "x"]], "row 1", r"no LONG_DESCRIPTION"),
        ([["HCPCS", "LONG_DESCRIPTION"], ["J1100", "x"], [None, "orphan text"]], "row 3", r"blank HCPCS code"),
        ([["HCPCS", "LONG_DESCRIPTION"], ["J1100", "x"], ["J1100", "y"]], "row 3", r"duplicate code 'J1100'"),
        ([["HCPCS", "LONG_DESCRIPTION"], ["J11", "x"]], "row 2", r"not a HCPCS code or modifier"),
        ([["HCPCS", "LONG_DESCRIPTION"], ["J1100", None]], "row 2", r"blank long description"),
        ([["HCPCS", "LONG_DESCRIPTION"]], "row 1", r"no codes below the header row"),
        (
            [["HCPC", "RECID", "LONG DESCRIPTION"], ["J1100", "3", "x"], ["J1200", "4", "y"]],
            "row 3",
            r"continuation row for 'J1200' does not follow",
        ),
    ],
)
def test_bad_long_description_workbook(tmp_path: Path, rows: list[list[Any]], location: str, reason: str) -> None:
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    with raises_at(path, location, reason):
        read_long_descriptions_xlsx(path)


@pytest.mark.parametrize(
    "content",
    [b"", b"HCPCS,LONG_DESCRIPTION\r\nJ1100,x\r\n", "HCPCS\tLONG".encode("utf-16"), b"PK\x03\x04garbage"],
    ids=["empty", "csv", "utf16", "broken-zip"],
)
def test_not_an_xlsx(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "codes.xlsx"
    path.write_bytes(content)
    with pytest.raises(SourceFormatError) as caught:
        read_long_descriptions_xlsx(path)
    assert caught.value.path == path
    assert re.search(r"not an \.xlsx workbook|damaged \.zip|holds no", caught.value.reason)


def test_damaged_xlsx_part(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", [["HCPCS", "LONG_DESCRIPTION"], ["J1100", "x"]])
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    with pytest.raises(SourceFormatError) as caught:
        read_long_descriptions_xlsx(path)
    assert caught.value.path == path
    assert "unreadable" in caught.value.reason


# ------------------------------------------------------------------------------------------------------
# NOC lists
# ------------------------------------------------------------------------------------------------------

NOC_SAMPLE_CODES = frozenset({"A0999", "A4335", "J7199", "L8608", "L8698", "V5299"})


def noc_workbook_rows() -> list[list[Any]]:
    # The layout of CMS's NOC workbooks: a title row, blank rows, the header, a blank row, codes; a long
    # description wraps onto a second row with the same code; 2019 ends with Excel's escape of ^Z.
    return [
        [None, "NOC CODES - HCPCS 2025"],
        [],
        ["HCPCS", "LONG DESCRIPTION", "ADD DATE", "TERM DATE"],
        [],
        ["A0999", "Unlisted ambulance service", 19870101],
        ["J7192", "Factor viii (antihemophilic factor, recombinant) per i.u., not otherwise", 19940101],
        ["J7192", "specified"],
        ["V5299", "Hearing service, miscellaneous", 19820101],
        ["_x001A_"],
    ]


def test_noc_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "NOC codes_JUL2025.xlsx", noc_workbook_rows())
    assert read_noc_codes(path) == frozenset({"A0999", "J7192", "V5299"})


def test_noc_prn(tmp_path: Path) -> None:
    assert read_noc_codes(NOC_PRN) == NOC_SAMPLE_CODES


def test_noc_zip_prefers_the_workbook(tmp_path: Path) -> None:
    workbook = write_xlsx(tmp_path / "NOC_Codes_2019.xlsx", noc_workbook_rows())
    archive = tmp_path / "2019-HCPCS-NOC-Codes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(NOC_PRN, "NOC_Codes_2019.prn")
        zf.write(workbook, "NOC_Codes_2019.xlsx")
    assert read_noc_codes(archive) == frozenset({"A0999", "J7192", "V5299"})
    prn_only = tmp_path / "prn-only.zip"
    with zipfile.ZipFile(prn_only, "w") as zf:
        zf.write(NOC_PRN, "NOC_Codes_2019.prn")
    assert read_noc_codes(prn_only) == NOC_SAMPLE_CODES


def test_noc_workbook_duplicate_code(tmp_path: Path) -> None:
    rows = [*noc_workbook_rows()[:-1], ["A0999", "Unlisted ambulance service, again", 19870101]]
    path = write_xlsx(tmp_path / "noc.xlsx", rows)
    with raises_at(path, "row 9", r"duplicate code 'A0999'"):
        read_noc_codes(path)


def test_noc_workbook_bad_code(tmp_path: Path) -> None:
    rows = [*noc_workbook_rows()[:5], ["   RT", "Right side"]]
    path = write_xlsx(tmp_path / "noc.xlsx", rows)
    with raises_at(path, "row 6", r"not a HCPCS code"):
        read_noc_codes(path)


def test_noc_workbook_missing_header(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "noc.xlsx", [["CODE", "DESCRIPTION"], ["A0999", "Unlisted ambulance service"]])
    with raises_at(path, "row 2", r"no header row with an HCPCS column"):
        read_noc_codes(path)


def test_noc_prn_bad_line(tmp_path: Path) -> None:
    lines = NOC_PRN.read_bytes().split(b"\r\n")
    lines[6] = b"  A43 5  Incontinence supply; miscellaneous"
    path = tmp_path / "NOC.prn"
    path.write_bytes(b"\r\n".join(lines))
    with raises_at(path, "line 7", r"no HCPCS code in columns 3-7"):
        read_noc_codes(path)


def test_noc_prn_missing_header(tmp_path: Path) -> None:
    path = tmp_path / "NOC.prn"
    path.write_bytes(b"  A0999  Unlisted ambulance service\r\n")
    with raises_at(path, "line 1", r"no header line"):
        read_noc_codes(path)


@pytest.mark.parametrize(
    ("content", "location", "reason"),
    [(b"", "line 1", r"empty file"), ("  HCPCS  LONG".encode("utf-16-le"), "line 1", r"binary data")],
    ids=["empty", "utf16-without-bom"],
)
def test_noc_bad_text(tmp_path: Path, content: bytes, location: str, reason: str) -> None:
    path = tmp_path / "NOC.prn"
    path.write_bytes(content)
    with raises_at(path, location, reason):
        read_noc_codes(path)


# ------------------------------------------------------------------------------------------------------
# The full official files (../shared/data)
# ------------------------------------------------------------------------------------------------------

ANWEB_2019_ZIP = HCPCS_DATA / "2019-annual" / "2019-Alpha-Numeric-HCPCS-File.zip"
# In these codes CMS's own 2019 workbook has two spaces where the text file breaks the line and drops
# them (e.g. "needle  biopsy"), so the text file cannot show them; all other descriptions match exactly.
SPACING_LOST_AT_LINE_BREAK_2019 = {
    *("C9754", "G0417", "G0418", "G0419", "G0502", "G0503"),
    *("G9482", "G9486", "G9488", "G9627", "G9986"),
}


@pytest.fixture(scope="module")
def anweb_2019() -> dict[str, HcpcsRecord]:
    return by_code(read_anweb(ANWEB_2019_ZIP))


@pytest.fixture(scope="module")
def workbook_2019() -> dict[str, dict[str, Any]]:
    """The rows of CMS's HCPC2019_CONTR_ANWEB.xlsx by code, continuation rows' text appended."""
    with zipfile.ZipFile(ANWEB_2019_ZIP) as zf:
        content = zf.read("HCPC2019_CONTR_ANWEB.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # print headers openpyxl cannot parse
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
    header_index = next(i for i, row in enumerate(rows) if row[0] == "HCPC")
    header = rows[header_index]
    result: dict[str, dict[str, Any]] = {}
    for row in rows[header_index + 1 :]:
        values = dict(zip(header, row, strict=True))
        code = str(values["HCPC"]).strip()
        if values["RECID"] in ("4", "8"):
            # G0503 is split over two rows in the workbook (its description exceeds 1,194 characters).
            result[code]["LONG DESCRIPTION"] += " " + values["LONG DESCRIPTION"]
        else:
            result[code] = values
    return result


@pytest.mark.full_data
@needs_data
def test_2019_counts(anweb_2019: dict[str, HcpcsRecord]) -> None:
    kinds = [record.kind for record in anweb_2019.values()]
    assert kinds.count("code") == 6440
    assert kinds.count("modifier") == 360


@pytest.mark.full_data
@needs_data
def test_2019_j_code_descriptions_equal_the_cms_workbook(
    anweb_2019: dict[str, HcpcsRecord], workbook_2019: dict[str, dict[str, Any]]
) -> None:
    j_codes = [code for code in anweb_2019 if code.startswith("J")]
    assert len(j_codes) == 786
    for code in j_codes:
        assert anweb_2019[code].long_description == workbook_2019[code]["LONG DESCRIPTION"], code


@pytest.mark.full_data
@needs_data
def test_2019_all_descriptions_equal_the_cms_workbook_up_to_lost_spaces(
    anweb_2019: dict[str, HcpcsRecord], workbook_2019: dict[str, dict[str, Any]]
) -> None:
    assert anweb_2019.keys() == workbook_2019.keys()
    differing = set()
    for code, record in anweb_2019.items():
        expected = workbook_2019[code]["LONG DESCRIPTION"]
        if record.long_description != expected:
            differing.add(code)
            assert normalized(record.long_description) == normalized(expected), code
        assert record.short_description == workbook_2019[code]["SHORT DESCRIPTION"], code
    assert differing == SPACING_LOST_AT_LINE_BREAK_2019


@pytest.mark.full_data
@needs_data
def test_2019_other_fields_equal_the_cms_workbook(
    anweb_2019: dict[str, HcpcsRecord], workbook_2019: dict[str, dict[str, Any]]
) -> None:
    """Every column of the workbook against the text file: this pins the column offsets."""

    def text(value: Any) -> str | None:
        return None if value is None else str(value).strip() or None

    def many(values: dict[str, Any], prefix: str, count: int) -> tuple[str, ...]:
        return tuple(v for i in range(1, count + 1) if (v := text(values[f"{prefix}{i}"])))

    def day(value: Any) -> date | None:
        value = text(value)
        return None if value is None else date(int(value[:4]), int(value[4:6]), int(value[6:]))

    differences: dict[str, list[str]] = {}
    for code, record in anweb_2019.items():
        values = workbook_2019[code]
        units = text(values["ANEST_BU"])
        expected = {
            "pricing_indicators": many(values, "PRICE", 4),
            "multiple_pricing_indicator": text(values["MULT_PI"]),
            "coverage_issues_manual_refs": many(values, "CIM", 3),
            "carriers_manual_refs": many(values, "MCM", 3),
            "statute_number": text(values["STATUTE"]),
            "lab_certification_codes": many(values, "LABCERT", 8),
            "cross_reference_codes": many(values, "XREF", 5),
            "coverage_code": text(values["COV"]),
            "asc_payment_group": text(values["ASC_GRP"]),
            "asc_effective_date": day(values["ASC_DT"]),
            "opps_payment_group": text(values["OPPS"]),
            "opps_payment_indicator": text(values["OPPS_PI"]),
            "opps_effective_date": day(values["OPPS_DT"]),
            "processing_note_number": text(values["PROCNOTE"]),
            "betos_code": text(values["BETOS"]),
            "type_of_service_codes": many(values, "TOS", 5),
            "anesthesia_base_units": None if units is None else int(units),
            "added_date": day(values["ADD DT"]),
            "action_effective_date": day(values["ACT EFF DT"]),
            "termination_date": day(values["TERM DT"]),
            "action_code": text(values["ACTION CD"]),
        }
        for field, value in expected.items():
            if getattr(record, field) != value:
                differences.setdefault(field, []).append(code)
    # Where the two official files disagree, the text file's own columns were checked by eye:
    # - the workbook leaves ACT EFF DT empty for 115 codes whose action date equals their added date;
    # - the workbook lists TOS "R" for E0210 and E0776, which the text file does not ("ALP ", "AEP ").
    assert set(differences) == {"action_effective_date", "type_of_service_codes"}
    assert len(differences["action_effective_date"]) == 115
    for code in differences["action_effective_date"]:
        assert workbook_2019[code]["ACT EFF DT"] is None
        assert anweb_2019[code].action_effective_date == anweb_2019[code].added_date
    assert differences["type_of_service_codes"] == ["E0210", "E0776"]


@pytest.mark.full_data
@needs_data
def test_2019_known_records(anweb_2019: dict[str, HcpcsRecord]) -> None:
    j1100 = anweb_2019["J1100"]
    assert (j1100.betos_code, j1100.added_date, j1100.action_effective_date, j1100.action_code) == (
        "O1E",
        date(1982, 1, 1),
        date(2001, 1, 1),
        "N",
    )
    g0503 = anweb_2019["G0503"]  # 17 description lines
    assert g0503.long_description.startswith("Subsequent psychiatric collaborative care management")
    assert g0503.long_description.endswith("are prepared for discharge from active treatment")
    assert g0503.termination_date == date(2017, 12, 31)
    assert g0503.cross_reference_codes == ("99493",)
    assert anweb_2019["C9744"].action_code == "D"
    assert anweb_2019["C9744"].termination_date == date(2018, 12, 31)
    assert anweb_2019["LT"].kind == "modifier"
    assert dataclasses.replace(anweb_2019["A1"], long_description="") == HcpcsRecord(
        code="A1",
        kind="modifier",
        long_description="",
        short_description="Dressing for one wound",
        coverage_code="C",
        added_date=date(2002, 7, 1),
        action_effective_date=date(2002, 7, 1),
        action_code="N",
    )


@pytest.mark.full_data
@needs_data
def test_2019_workbook_reader_agrees_with_the_text_file(anweb_2019: dict[str, HcpcsRecord]) -> None:
    from_workbook = by_code(read_long_descriptions_xlsx(ANWEB_2019_ZIP))
    assert from_workbook.keys() == anweb_2019.keys()
    for code, record in from_workbook.items():
        assert record.kind == anweb_2019[code].kind
        assert record.short_description == anweb_2019[code].short_description
        assert normalized(record.long_description) == normalized(anweb_2019[code].long_description)


@pytest.mark.full_data
@needs_data
def test_2025_trimmed_long_descriptions() -> None:
    records = read_long_descriptions_xlsx(
        HCPCS_DATA / "2025-jul" / "HCPC2025_JUL_ANWEB_v3.TRIMMED-code-longdesc-only.xlsx"
    )
    kinds = [record.kind for record in records]
    assert kinds.count("code") == 8387
    assert kinds.count("modifier") == 383
    codes = by_code(records)
    assert codes["A1"] == HcpcsRecord(code="A1", kind="modifier", long_description="Dressing for one wound")
    assert codes["J1100"].long_description == "Injection, dexamethasone sodium phosphate, 1 mg"
    assert codes["J1100"].short_description is None
    assert codes["V5364"].long_description == "Dysphagia screening"


@pytest.mark.full_data
@needs_data
def test_2025_noc_codes() -> None:
    codes = read_noc_codes(HCPCS_DATA / "2025-jul" / "NOC codes_JUL2025.xlsx")
    # 163 distinct codes. The sheet's 169 rows are a title row, 2 blank rows, the header row and 165
    # code rows; J7192 and J7195 each take 2 rows (a wrapped description), so 166 rows have something in
    # column A (header included) but only 163 codes are NOC codes.
    assert len(codes) == 163
    assert {"A0999", "J3490", "J7192", "J7195", "V5299"} <= codes


@pytest.mark.full_data
@needs_data
def test_2019_noc_codes(tmp_path: Path) -> None:
    archive = HCPCS_DATA / "2019-annual" / "2019-HCPCS-NOC-Codes.zip"
    codes = read_noc_codes(archive)
    assert len(codes) == 139  # 141 code rows; L8608 and L8698 wrap onto a second row
    assert {"A0999", "L8608", "L8698", "V5299"} <= codes
    # The archive's text export lists the same codes as its workbook (which the reader prefers).
    prn = tmp_path / "NOC_Codes_2019.prn"
    with zipfile.ZipFile(archive) as zf:
        prn.write_bytes(zf.read("NOC_Codes_2019.prn"))
    assert read_noc_codes(prn) == codes
