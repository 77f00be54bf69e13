"""The official CMS ANWEB workbook reader gives the records the fixed-width reader gives for the same release.

Small workbooks are written in the layout of CMS's HCPC2019_CONTR_ANWEB.xlsx (in /work/shared/data's
2019-Alpha-Numeric-HCPCS-File.zip): 7 disclaimer rows, then the header row HCPC, SEQNUM, RECID,
LONG DESCRIPTION, SHORT DESCRIPTION, PRICE1..4, MULT_PI, CIM1..3, MCM1..3, STATUTE, LABCERT1..8, XREF1..5,
COV, ASC_GRP, ASC_DT, OPPS, OPPS_PI, OPPS_DT, PROCNOTE, BETOS, TOS1..5, ANEST_BU, ADD DT, ACT EFF DT,
TERM DT, ACTION CD (public parsers of the 2020 and 2025 workbooks print the same names), one row per code
with the whole long description, and RECID 4/8 rows continuing a description too long for one cell.
"""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from db.sources.errors import SourceFormatError
from db.sources.hcpcs import HcpcsRecord, read_anweb
from db.sources.hcpcs_workbook import read_anweb_workbook
from tests.conftest import FIXTURES, shared_file

SAMPLE = FIXTURES / "hcpcs" / "HCPC2019_CONTR_ANWEB_sample.txt"
HEADER = [
    "HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "PRICE1", "PRICE2", "PRICE3", "PRICE4",
    "MULT_PI", "CIM1", "CIM2", "CIM3", "MCM1", "MCM2", "MCM3", "STATUTE", *[f"LABCERT{i}" for i in range(1, 9)],
    *[f"XREF{i}" for i in range(1, 6)], "COV", "ASC_GRP", "ASC_DT", "OPPS", "OPPS_PI", "OPPS_DT", "PROCNOTE",
    "BETOS", *[f"TOS{i}" for i in range(1, 6)], "ANEST_BU", "ADD DT", "ACT EFF DT", "TERM DT", "ACTION CD",
]  # fmt: skip
# Each workbook column as columns of the fixed-width record (0-based start, width), for building fixtures.
SLICES = [(0, 5), (5, 5), (10, 1), None, (91, 28), *[(119 + 2 * i, 2) for i in range(4)], (127, 1),
          *[(128 + 6 * i, 6) for i in range(3)], *[(146 + 8 * i, 8) for i in range(3)], (170, 10),
          *[(180 + 3 * i, 3) for i in range(8)], *[(204 + 5 * i, 5) for i in range(5)], (229, 1), (230, 2),
          (232, 8), (240, 3), (243, 1), (244, 8), (252, 4), (256, 3), *[(260 + i, 1) for i in range(5)],
          (265, 3), (268, 8), (276, 8), (284, 8), (292, 1)]  # fmt: skip


def write_workbook(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "A"
    for text in ["***Disclaimers", None, "*Inclusion or exclusion ... does not imply coverage.", None, None, None]:
        sheet.append([text])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def rows_from_fixed_width(path: Path) -> list[list[Any]]:
    """One workbook row per record of the fixed-width file, the long description joined, as CMS writes it."""
    records = {(record.kind, record.code): record for record in read_anweb(path)}
    rows = []
    for line in path.read_bytes().decode("cp1252").splitlines()[8:]:
        if line[10] not in "37":
            continue
        kind = "code" if line[10] == "3" else "modifier"
        code = line[:5].strip()
        cells = [line[start : start + width].strip() or None if (start, width) else None
                 for start, width in (s or (0, 0) for s in SLICES)]  # fmt: skip
        cells[0] = line[:5]
        cells[3] = records[(kind, code)].long_description
        rows.append(cells)
    return rows


def test_the_same_records_as_the_fixed_width_file(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "HCPC2099_JAN_ANWEB.xlsx", rows_from_fixed_width(SAMPLE))
    expected = read_anweb(SAMPLE)
    assert read_anweb_workbook(workbook) == expected
    assert len(expected) == 21 and {record.kind for record in expected} == {"code", "modifier"}


def test_continuation_rows_and_cells_excel_turned_into_numbers(tmp_path: Path) -> None:
    first = row("G0503", "3", "Subsequent care management, first 60 minutes,", PRICE1=0, MULT_PI=1, COV="M",
                ASC_GRP="1", ASC_DT=20190101, BETOS="I3B", TOS1=1, ANEST_BU="  0", ADD__DT=20180101,
                ACT__EFF__DT=20190101.0, ACTION__CD="N")  # fmt: skip
    continuation = row("G0503", "4", "goals and are prepared for discharge")
    continuation[1] = "0020"
    modifier = row("   RT", "7", "Right side", COV="C", ADD__DT="20030101", ACTION__CD="N")
    g0503, rt = read_anweb_workbook(write_workbook(tmp_path / "anweb.xlsx", [first, continuation, modifier]))
    assert g0503.long_description == (
        "Subsequent care management, first 60 minutes, goals and are prepared for discharge"
    )
    assert g0503.short_description == "Subsequent care management,"
    assert g0503.pricing_indicators == ("00",)  # Excel's 0 is CMS's '00'
    assert g0503.multiple_pricing_indicator == "1"
    assert (g0503.asc_payment_group, g0503.asc_effective_date) == ("1", date(2019, 1, 1))
    assert (g0503.betos_code, g0503.type_of_service_codes, g0503.anesthesia_base_units) == ("I3B", ("1",), 0)
    assert (g0503.added_date, g0503.action_effective_date) == (date(2018, 1, 1), date(2019, 1, 1))
    assert rt == HcpcsRecord(
        code="RT",
        kind="modifier",
        long_description="Right side",
        short_description="Right side",
        coverage_code="C",
        added_date=date(2003, 1, 1),
        action_code="N",
    )


def test_reads_the_workbook_inside_the_cms_zip(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "HCPC2099_JAN_ANWEB.xlsx", rows_from_fixed_width(SAMPLE))
    archive = tmp_path / "2099-alpha-numeric-hcpcs-file.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(SAMPLE, "HCPC2099_JAN_ANWEB.txt")
        out.write(workbook, "HCPC2099_JAN_ANWEB.xlsx")
        out.writestr("HCPC2099_README.txt", "readme")
    assert read_anweb_workbook(archive) == read_anweb(SAMPLE)


def row(code: str, recid: str, long: str, **cells: Any) -> list[Any]:
    values: list[Any] = [None] * len(HEADER)
    values[:5] = [code, "0010", recid, long, long[:28]]
    for name, value in cells.items():
        values[HEADER.index(name.replace("__", " "))] = value
    return values


@pytest.mark.parametrize(
    ("rows", "where", "message"),
    [
        ([row("J1100", "3", "Injection"), row("J1100", "3", "Again")], "row 10, column HCPC", "duplicate code"),
        ([row("J1100", "7", "Injection")], "row 9, column RECID", "does not fit code 'J1100'"),
        ([row("J1100", "4", "more")], "row 9, column RECID", "does not follow"),
        ([row("J1100", "3", "")], "row 9, column LONG DESCRIPTION", "blank long description"),
        ([row("J1100", "3", "Inj", ADD__DT="2019-13-01")], "row 9, column ADD DT", "not yyyymmdd"),
        ([row("J1100", "3", "Inj", ADD__DT="20191301")], "row 9, column ADD DT", "invalid date"),
        ([row("J1100", "3", "Inj", ANEST_BU="x")], "row 9, column ANEST_BU", "not a number"),
        ([row("J11#0", "3", "Inj")], "row 9", "not a HCPCS code"),
        ([], "row 8", "no codes below the header row"),
    ],
)
def test_bad_rows_name_row_and_column(tmp_path: Path, rows: list[list[Any]], where: str, message: str) -> None:
    path = write_workbook(tmp_path / "anweb.xlsx", rows)
    with pytest.raises(SourceFormatError, match=message) as caught:
        read_anweb_workbook(path)
    assert caught.value.location == where


def test_a_workbook_without_the_official_columns_is_refused(tmp_path: Path) -> None:
    trimmed = write_workbook(tmp_path / "trimmed.xlsx", [["J1100", "Injection"]], header=["HCPCS", "LONG_DESCRIPTION"])
    with pytest.raises(SourceFormatError, match="not the full CMS ANWEB workbook: no column SEQNUM, RECID"):
        read_anweb_workbook(trimmed)
    nothing = write_workbook(tmp_path / "other.xlsx", [["a", "b"]], header=["Name", "Value"])
    with pytest.raises(SourceFormatError, match="no header row with an HCPC column"):
        read_anweb_workbook(nothing)
    not_a_workbook = tmp_path / "HCPC2099_ANWEB.xlsx"
    not_a_workbook.write_bytes(b"HCPC,LONG DESCRIPTION\n")
    with pytest.raises(SourceFormatError, match=r"not an \.xlsx workbook"):
        read_anweb_workbook(not_a_workbook)


@pytest.mark.full_data
def test_the_2019_official_workbook_matches_the_2019_fixed_width_file() -> None:
    """CMS's own two forms of the 2019 file differ in a few cells; everything else must be equal."""
    archive = shared_file("hcpcs/2019-annual/2019-Alpha-Numeric-HCPCS-File.zip")
    text = read_anweb(archive)
    workbook = read_anweb_workbook(archive)
    assert [(r.kind, r.code) for r in workbook] == [(r.kind, r.code) for r in text]
    assert len(workbook) == 6800
    differences: dict[str, list[str]] = {}
    for ours, theirs in zip(workbook, text, strict=True):
        for field in dataclasses.fields(HcpcsRecord):
            mine, reference = getattr(ours, field.name), getattr(theirs, field.name)
            if mine != reference:
                differences.setdefault(field.name, []).append(ours.code)
                if field.name == "long_description":  # the text file cannot show a double space at a line break
                    assert mine.split() == reference.split() and "  " in mine, ours.code
                elif field.name == "action_effective_date":  # the workbook leaves these cells empty
                    assert mine is None, ours.code
    assert {name: len(codes) for name, codes in differences.items()} == {
        "action_effective_date": 115,
        "long_description": 11,
        "type_of_service_codes": 2,
    }
    assert differences["type_of_service_codes"] == ["E0210", "E0776"]
