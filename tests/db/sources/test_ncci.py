"""NCCI readers, detection and store, on fixtures in CMS's published layouts.

Layouts followed (the real files are not in /work/shared/data: CMS serves them behind the AMA click-through):
- PTP: CMS "Medicare NCCI Procedure to Procedure (PTP) Edits" quarterly files, practitioner `ccipra-v323r0-f1.TXT`
  (zip `medicare-ncci-2026q4-practitioner-ptp-edits-ccipra-v323r0-f1.zip`) and outpatient hospital `ccioph-...`:
  tab-delimited, a copyright line, then a 4-row header block whose columns read Column 1 | Column 2 |
  *=in existence prior to 1996 | Effective Date | Deletion Date *=no data | Modifier 0=not allowed 1=allowed
  9=not applicable | PTP Edit Rationale (as reconciled against the real Q3 2026 ccipra-v322r0-f1.TXT in the
  public repository docs quoted by the `search` tool), dates YYYYMMDD, '*' = no deletion date.
- MUE: CMS "Medicare NCCI Medically Unlikely Edits" `MCR_MUE_PractitionerServices_Eff_10-01-2026.csv`: a quoted
  AMA copyright cell, then HCPCS/CPT Code | Practitioner Services MUE Values | MUE Adjudication Indicator |
  MUE Rationale, the indicator written "2 Date of Service Edit: Policy".
Code pairs are real HCPCS/CPT numbers; values are plausible where the real one is not known; no CPT descriptors.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sqlite3
import statistics
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from db.importer import plan_import, run_import
from db.imports import Imports
from db.ncci_store import STORE_FILE, open_store
from db.sources.detect import scan
from db.sources.errors import SourceFormatError
from db.sources.ncci import OPEN_END, ptp_edition, read_mue_csv, read_ptp_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ncci"
PTP_TXT = FIXTURES / "ccipra-v323r0-f1.TXT"
MUE_CSV = FIXTURES / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"


def ptp_lines(path: Path = PTP_TXT) -> list[str]:
    return path.read_text(encoding="latin-1").splitlines()


def cms_ptp_zip(folder: Path, text: Path = PTP_TXT, version: str = "v323r0", quarter: str = "2026q4") -> Path:
    """The zip as CMS ships it: an outer download zip holding the part's zip, which holds the .TXT and a workbook."""
    stem = f"ccipra-{version}-f1"
    book = openpyxl.Workbook()
    sheet = book.active
    for line in text.read_text(encoding="latin-1").splitlines():
        sheet.append(line.split("\t"))
    workbook = io.BytesIO()
    book.save(workbook)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.TXT", text.read_bytes())
        archive.writestr(f"{stem}.xlsx", workbook.getvalue())
    outer = folder / f"medicare-ncci-{quarter}-practitioner-ptp-edits-{stem}.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.zip", inner.getvalue())
    return outer


def test_ptp_text_reads_every_edit_with_its_fields() -> None:
    edits = list(read_ptp_text(ptp_lines(), str(PTP_TXT)))
    assert len(edits) == 24
    by_pair = {(e.column1, e.column2): e for e in edits}
    bundled = by_pair[("20610", "99214")]
    assert (bundled.effective, bundled.deletion, bundled.modifier) == (20020101, OPEN_END, 1)
    assert bundled.rationale == "Standards of medical / surgical practice"
    old = by_pair[("12001", "11042")]
    assert old.prior_1996 and old.deletion == 20200101
    never = by_pair[("96372", "J1030")]
    assert never.modifier == 9 and never.effective == never.deletion
    assert by_pair[("93000", "93005")].modifier == 0


def test_ptp_one_line_header_is_read_too() -> None:
    # Copies of the file in the wild merge the header block into one row.
    lines = [
        "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\t"
        "Modifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale",
        "93000\t93005\t*\t19960101\t*\t0\tMisuse of column two code with column one code",
    ]
    assert [e.column2 for e in read_ptp_text(lines, "x.txt")] == ["93005"]


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("93000\t93005\t*\t19960101\t*\t7\tx", "modifier indicator '7'"),
        ("93000\t93005\t*\t19961301\t*\t0\tx", "effective date '19961301'"),
        ("9300\t93005\t*\t19960101\t*\t0\tx", "column 1 code '9300'"),
        ("93000\t93005\t*\t19960101\t2020\t0\tx", "deletion date '2020'"),
        ("93000\t93005", "2 columns"),
    ],
)
def test_ptp_bad_rows_stop_with_file_line_and_value(bad: str, says: str) -> None:
    lines = [*ptp_lines(), bad]
    with pytest.raises(SourceFormatError) as error:
        list(read_ptp_text(lines, "ccipra-v323r0-f1.TXT"))
    assert says in str(error.value)
    assert f"line {len(lines)}" in str(error.value)


def test_ptp_header_problems_are_named() -> None:
    with pytest.raises(SourceFormatError, match="no header row 'Column 1, Column 2'"):
        list(read_ptp_text(["just text", "93000\t93005\t*\t19960101\t*\t0\tx"], "f.txt"))
    with pytest.raises(SourceFormatError, match="no edits: truncated"):
        list(read_ptp_text(ptp_lines()[:5], "f.txt"))
    swapped = ptp_lines()
    swapped[1] = swapped[1].replace("Effective", "Modifier", 1)
    with pytest.raises(SourceFormatError, match="header column 4"):
        list(read_ptp_text(swapped, "f.txt"))


def test_edition_and_quarter_from_cms_names() -> None:
    edition = ptp_edition(["ccipra-v323r0-f1.TXT", "medicare-ncci-2026q4-practitioner-ptp-edits-ccipra-v323r0-f1.zip"])
    assert edition is not None
    assert (edition.setting, edition.version, edition.part, edition.quarter) == (
        "practitioner",
        "32.3 r0",
        "f1",
        "2026 Q4",
    )
    assert (edition.quarter_start, edition.quarter_end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    hospital = ptp_edition(["ccioph-v330r1-f2.txt"])  # no quarter in the names: read from the version
    assert hospital is not None and hospital.setting == "hospital" and hospital.quarter == "2027 Q1"
    assert ptp_edition(["edits.txt"]) is None


def test_mue_csv_with_copyright_cell_and_split_header() -> None:
    setting, values = read_mue_csv(MUE_CSV.read_text(encoding="latin-1"), str(MUE_CSV))
    assert setting == "practitioner" and len(values) == 14
    by_code = {v.code: v for v in values}
    assert (by_code["20610"].value, by_code["20610"].adjudication) == (2, 2)
    assert by_code["11042"].adjudication_text == "1 Line Edit"
    with pytest.raises(SourceFormatError, match="MUE value 'two'"):
        read_mue_csv(MUE_CSV.read_text(encoding="latin-1") + "J9999,two,1 Line Edit,x\r\n", "m.csv")


def test_detect_finds_ptp_text_and_workbook_in_nested_zips_and_the_mue_table(tmp_path: Path) -> None:
    outer = cms_ptp_zip(tmp_path)
    shutil.copy(MUE_CSV, tmp_path / MUE_CSV.name)
    result = scan([outer, tmp_path / MUE_CSV.name])
    kinds = sorted((f.kind, f.name) for f in result.found)
    assert kinds == [
        ("ncci-mue", MUE_CSV.name),
        ("ncci-ptp", "ccipra-v323r0-f1.TXT"),
        ("ncci-ptp", "ccipra-v323r0-f1.xlsx"),
    ]
    ptp = next(f for f in result.found if f.name.endswith(".TXT"))
    assert ptp.release.valid_from == dt.date(2026, 10, 1) and "2026 Q4" in ptp.release.name
    assert " › ccipra-v323r0-f1.zip › " in ptp.location
    mue = next(f for f in result.found if f.kind == "ncci-mue")
    assert mue.release.valid_from == dt.date(2026, 10, 1)
    # A file that only looks alike is not taken for one
    (tmp_path / "notes.txt").write_text("Column 1\tColumn 2\nnothing here\n")
    assert not [f for f in scan([tmp_path / "notes.txt"]).found]


def _import(paths: list[Path], data: Path) -> dict[str, int]:
    plan = plan_import(paths, [], Imports.load(data), data)
    assert not plan.refusals and not plan.drafts
    return run_import(plan, data, progress=lambda _line: None).counts


def test_import_builds_the_store_once_and_answers_pairs_fast(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    download = cms_ptp_zip(tmp_path)
    counts = _import([download, MUE_CSV], data)
    # The workbook holds the same edits as the text file: read once.
    assert counts["NCCI.ptp_edits"] == 24 and counts["NCCI.mue_values"] == 14
    assert counts["NCCI.same_as_text_file"] == 1
    again = plan_import([download, MUE_CSV], [], Imports.load(data), data)
    assert {r.status for r in again.reports} == {"already loaded"} and not again.has_new
    store = open_store(data)
    assert store is not None
    answer = store.edition_for("ptp", "practitioner", dt.date(2026, 11, 2))
    assert answer is not None and answer[1] is True
    pairs = store.pairs(answer[0], ["20610", "99214", "J1030", "96372"])
    assert {(p.column1, p.column2, p.modifier) for p in pairs} == {("20610", "99214", 1), ("96372", "J1030", 9)}
    timings = []
    for _ in range(200):
        started = time.perf_counter()
        store.pairs(answer[0], ["20610", "99214"])
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.001
    mue = store.edition_for("mue", "practitioner", dt.date(2026, 11, 2))
    assert mue is not None and store.mue(mue[0], ["20610"])["20610"].value == 2


def test_each_quarter_is_kept_and_the_one_in_force_answers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _import([cms_ptp_zip(tmp_path)], data)
    newer = tmp_path / "q1" / "ccipra-v330r0-f1.TXT"
    newer.parent.mkdir()
    newer.write_text(PTP_TXT.read_text().replace("20610\t99214\t\t20020101\t*", "20610\t99214\t\t20020101\t20270101"))
    _import([cms_ptp_zip(newer.parent, newer, "v330r0", "2027q1")], data)
    store = open_store(data)
    assert store is not None
    assert [e.version for e in store.editions("ptp")] == ["32.3 r0", "33.0 r0"]
    q4, covered = store.edition_for("ptp", "practitioner", dt.date(2026, 12, 1)) or (None, False)
    q1, _ = store.edition_for("ptp", "practitioner", dt.date(2027, 2, 1)) or (None, False)
    assert q4 is not None and q4.version == "32.3 r0" and covered
    assert q1 is not None and q1.version == "33.0 r0"
    edit = next(p for p in store.pairs(q1, ["20610", "99214"]))
    assert not edit.in_force(dt.date(2027, 2, 1)) and edit.in_force(dt.date(2026, 12, 31))
    (before,) = store.pairs(q4, ["20610", "99214"])
    assert before.deletion is None  # the older quarter still says what it said
    # Stored once for both quarters: 24 edits, plus the second version of the one that changed.
    with sqlite3.connect(data / STORE_FILE) as connection:
        assert connection.execute("SELECT count(*) FROM ptp").fetchone() == (25,)
        assert connection.execute("SELECT count(*) FROM ptp WHERE editions = 3").fetchone() == (23,)
    assert len(store.partners(q1, "20610")) == len(store.partners(q4, "20610")) == 9


def test_a_store_of_another_layout_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / STORE_FILE) as connection:
        connection.execute("CREATE TABLE ptp (edition_id INTEGER)")  # the layout before quarters shared rows
    connection.close()
    assert open_store(data) is None
    with pytest.raises(SourceFormatError, match="another version of Codebook: delete the file"):
        _import([MUE_CSV], data)


def test_a_bad_file_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _import([MUE_CSV], data)
    before = (data / STORE_FILE).read_bytes()
    bad = tmp_path / "bad" / "ccipra-v331r0-f1.TXT"
    bad.parent.mkdir()
    bad.write_text(PTP_TXT.read_text() + "99214\t99213\t\t20100101\t*\t7\tbroken\r\n")
    with pytest.raises(SourceFormatError, match=r"line 30.*modifier indicator '7'"):
        _import([bad], data)
    assert (data / STORE_FILE).read_bytes() == before
    assert not list(data.glob(".ncci-*"))
    with sqlite3.connect(data / STORE_FILE) as connection:
        assert connection.execute("SELECT count(*) FROM ptp").fetchone() == (0,)
