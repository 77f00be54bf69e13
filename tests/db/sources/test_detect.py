"""Detection: every kind is told by its content, in folders and zips at any depth; bad files get a reason.

Fixtures are the official-layout files in tests/fixtures (XML in the CDC/CMS schemas, order files in the CMS
layout, see test_order_files.py, a cut of HCPC2019_CONTR_ANWEB.txt and NOC_Codes_2019.prn) and workbooks
written here in the layouts of the CMS workbooks in /work/shared/data (HCPC2019_CONTR_ANWEB.xlsx,
NOC codes_JUL2025.xlsx) and the bundled trimmed copy. Downloads are rebuilt in tmp_path as CMS nests them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from db.sources.code_indexes import read_cm_index
from db.sources.detect import KINDS, FoundFile, ScanResult, scan
from db.sources.errors import SourceFormatError
from db.sources.files import sha256_of
from db.sources.hcpcs import read_anweb
from db.sources.official import KnownFile, known_checksums, load_checksums
from db.sources.walk import MAX_ZIP_DEPTH, _member_problem
from tests.conftest import FIXTURES, REPO, SHARED_DATA, SMALL_HCPCS, shared_file, write_hcpcs_workbook

ANWEB_HEADER = [
    "HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "PRICE1", "PRICE2", "PRICE3", "PRICE4",
    "MULT_PI", "CIM1", "CIM2", "CIM3", "MCM1", "MCM2", "MCM3", "STATUTE", *[f"LABCERT{i}" for i in range(1, 9)],
    *[f"XREF{i}" for i in range(1, 6)], "COV", "ASC_GRP", "ASC_DT", "OPPS", "OPPS_PI", "OPPS_DT", "PROCNOTE",
    "BETOS", *[f"TOS{i}" for i in range(1, 6)], "ANEST_BU", "ADD DT", "ACT EFF DT", "TERM DT", "ACTION CD",
]  # fmt: skip


def workbook_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def anweb_workbook(header: list[str] = ANWEB_HEADER) -> bytes:
    record: list[object] = [None] * len(header)
    record[:5] = ["J1100", "0010", "3", "Injection, dexamethasone sodium phosphate, 1 mg", "Dexamethasone sodium phos"]
    record[-4:] = ["19990101", "20250701", None, "C"]
    return workbook_bytes([["***Disclaimers"], [], [], [], [], [], [], header, record])


def noc_workbook() -> bytes:
    return workbook_bytes([[None, "NOC CODES - HCPCS 2099"], [], ["HCPCS", "LONG DESCRIPTION", "ADD DATE", "TERM DATE"],
                           [], ["J3490", "Unclassified drugs", 20990401, None]])  # fmt: skip


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def fixture(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


def usb_stick(root: Path) -> Path:
    """A stick as a clerk brings it: CMS/CDC zips, a zip in a folder in a zip, loose files, OS clutter."""
    stick = root / "usb"
    stick.mkdir()
    index_zip = zip_bytes({"icd10cm_index_2099.xml": fixture("indexes", "icd10cm_index_2099.xml")})
    (stick / "april-1-2099-code-tables-tabular-index.zip").write_bytes(zip_bytes({
        "Table and Index/icd10cm_index_2099.zip": index_zip,
        "Table and Index/icd10cm-tabular-April-1-2099.xml": fixture("icd10cm", "icd10cm-tabular-2099.xml"),
        "Table and Index/icd10cm_eindex_2099.xml": fixture("indexes", "icd10cm_eindex_sample.xml"),
        "Table and Index/icd10cm_neoplasm_2099.xml": fixture("indexes", "icd10cm_neoplasm_sample.xml"),
        "Table and Index/icd10cm_drug_2099.xml": fixture("indexes", "icd10cm_drug_sample.xml"),
        "icd10cm-guidelines-2099.pdf": b"%PDF-1.7 guidelines",
        "__MACOSX/Table and Index/._icd10cm_index_2099.zip": b"\x00\x05\x16\x07 AppleDouble",
    }))  # fmt: skip
    (stick / "2099-code-descriptions-tabular-order.zip").write_bytes(zip_bytes({
        "Code Descriptions/icd10cm_order_2099.txt": fixture("order", "icd10cm-order-2099.txt"),
        "Code Descriptions/icd10cm_codes_2099.txt": b"A000    Cholera due to Vibrio cholerae 01, biovar cholerae\r\n",
        "README.txt": b"ICD-10-CM 2099 code descriptions\r\n",
    }))  # fmt: skip
    pcs = stick / "ICD-10-PCS 2099"
    pcs.mkdir()
    (pcs / "icd10pcs_tables_2099.xml").write_bytes(fixture("icd10pcs", "icd10pcs_tables_2099.xml"))
    (pcs / "icd10pcs_definitions_2099.xml").write_bytes(fixture("icd10pcs", "icd10pcs_definitions_2099.xml"))
    (pcs / "icd10pcs_index_2023.xml").write_bytes(fixture("indexes", "icd10pcs_index_sample.xml"))
    (pcs / "icd10pcs_order_2099.txt").write_bytes(fixture("order", "icd10pcs_order_2099.txt"))
    (pcs / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (stick / "2019-alpha-numeric-hcpcs-file.zip").write_bytes(zip_bytes({
        "HCPC2019_CONTR_ANWEB.txt": fixture("hcpcs", "HCPC2019_CONTR_ANWEB_sample.txt"),
        "NOC_Codes_2019.prn": fixture("hcpcs", "NOC_Codes_2019_sample.prn"),
    }))  # fmt: skip
    (stick / "july-2025-alpha-numeric-hcpcs-file.zip").write_bytes(zip_bytes({
        "HCPC2025_JUL_ANWEB_v3.xlsx": anweb_workbook(),
    }))  # fmt: skip
    (stick / "NOC codes_APR2099.xlsx").write_bytes(noc_workbook())
    write_hcpcs_workbook(stick / "HCPC2099_OCT_ANWEB.TRIMMED.xlsx", SMALL_HCPCS)
    (stick / "holiday.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a code file")
    for ncci in ("ccipra-v323r0-f1.TXT", "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"):  # NCCI store kinds
        shutil.copy(FIXTURES / "ncci" / ncci, stick / ncci)
    # Licensed CPT files (invented descriptors): the PFS file in its RVU zip, an AMA file, an office list.
    (stick / "RVU99A.zip").write_bytes(zip_bytes({"PPRRVU99_JAN.csv": fixture("cpt", "PPRRVU99_JAN.csv")}))
    (stick / "LONGULT.txt").write_bytes(fixture("cpt", "LONGULT.txt"))
    (stick / "charges.csv").write_bytes(b"Dept,CPT,Service,Fee\r\nA,99213,Zorblat clinic visit,80\r\n")
    return stick


@pytest.fixture(scope="module")
def stick_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScanResult]:
    stick = usb_stick(tmp_path_factory.mktemp("stick"))
    return stick, scan([stick], known={})


def by_name(result: ScanResult) -> dict[str, FoundFile]:
    return {found.name: found for found in result.found}


def test_every_kind_is_detected_with_its_release(stick_scan: tuple[Path, ScanResult]) -> None:
    _, result = stick_scan
    found = {name: (item.kind, item.release.name) for name, item in by_name(result).items()}
    assert found == {
        # in the April zip, so the April update, like the tabular beside it
        "icd10cm_index_2099.xml": ("icd10cm-index", "ICD-10-CM index FY2099 (April 1, 2099 update)"),
        "icd10cm-tabular-April-1-2099.xml": ("icd10cm-tabular", "ICD-10-CM FY2099 (April 1, 2099 update)"),
        "icd10cm_eindex_2099.xml": ("icd10cm-eindex", "ICD-10-CM external cause index FY2023"),
        "icd10cm_neoplasm_2099.xml": ("icd10cm-neoplasm", "ICD-10-CM neoplasm table FY2023"),
        "icd10cm_drug_2099.xml": ("icd10cm-drug", "ICD-10-CM table of drugs FY2023"),
        "icd10cm_order_2099.txt": ("icd10cm-order", "ICD-10-CM order file FY2099"),
        "icd10pcs_tables_2099.xml": ("icd10pcs-tables", "ICD-10-PCS FY2099"),
        "icd10pcs_definitions_2099.xml": ("icd10pcs-definitions", "ICD-10-PCS definitions FY2099"),
        "icd10pcs_index_2023.xml": ("icd10pcs-index", "ICD-10-PCS index FY2023"),
        "icd10pcs_order_2099.txt": ("icd10pcs-order", "ICD-10-PCS order file FY2099"),
        "HCPC2019_CONTR_ANWEB.txt": ("hcpcs-anweb-text", "HCPCS Level II January 2019"),
        "HCPC2025_JUL_ANWEB_v3.xlsx": ("hcpcs-anweb-workbook", "HCPCS Level II July 2025"),
        "HCPC2099_OCT_ANWEB.TRIMMED.xlsx": ("hcpcs-longdesc-workbook", "HCPCS Level II October 2099"),
        "NOC_Codes_2019.prn": ("hcpcs-noc", "HCPCS Level II January 2019"),
        "NOC codes_APR2099.xlsx": ("hcpcs-noc", "HCPCS Level II April 2099"),
        "ccipra-v323r0-f1.TXT": ("ncci-ptp", "NCCI PTP edits, practitioner, version 32.3 r0 (2026 Q4)"),
        "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv": (
            "ncci-mue",
            "MUE table, practitioner, effective 2026-10-01",
        ),
        "PPRRVU99_JAN.csv": ("cpt-pfs", "CPT 2099"),
        "LONGULT.txt": ("cpt-ama", "CPT (unknown year)"),
        "charges.csv": ("cpt-csv", "CPT (unknown year)"),
    }
    # The Medicare Coverage Database tables have their own stick (tests/db/sources/test_mcd.py).
    assert {item.kind for item in result.found} == {kind for kind in KINDS if not kind.startswith("mcd-")}


def test_location_size_and_checksum_of_a_file_in_a_folder_in_a_zip_in_a_zip(
    stick_scan: tuple[Path, ScanResult],
) -> None:
    stick, result = stick_scan
    index = by_name(result)["icd10cm_index_2099.xml"]
    data = fixture("indexes", "icd10cm_index_2099.xml")
    assert index.location == (
        f"{stick / 'april-1-2099-code-tables-tabular-index.zip'} › Table and Index/icd10cm_index_2099.zip"
        " › icd10cm_index_2099.xml"
    )
    assert (index.size, index.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert index.official is None
    assert index.release.valid_from == dt.date(2099, 4, 1) and index.release.valid_to == dt.date(2099, 9, 30)
    assert "April 1 update from the name 'april-1-2099-code-tables-tabular-index.zip'" in index.release_evidence


def test_release_evidence_says_what_the_release_was_read_from(stick_scan: tuple[Path, ScanResult]) -> None:
    found = by_name(stick_scan[1])
    tabular = found["icd10cm-tabular-April-1-2099.xml"]
    assert tabular.release.valid_from == dt.date(2099, 4, 1)
    assert "FY2099 from <version>2099</version>" in tabular.release_evidence
    assert "April 1 update from the name 'icd10cm-tabular-April-1-2099.xml'" in tabular.release_evidence
    # The sample tables say 2023 inside; the name's 2099 does not override the content.
    assert (
        "the name 'icd10cm_eindex_2099.xml' says 2099, the content wins"
        in found["icd10cm_eindex_2099.xml"].release_evidence
    )
    order = found["icd10cm_order_2099.txt"]
    assert "from the name 'icd10cm_order_2099.txt' only" in order.release_evidence
    assert (
        "the newest action effective date 2019-01-01 and the name" in found["HCPC2019_CONTR_ANWEB.txt"].release_evidence
    )
    workbook = found["HCPC2025_JUL_ANWEB_v3.xlsx"].release
    assert (workbook.valid_from, workbook.valid_to) == (dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    assert "only (the file has no dates)" in found["HCPC2099_OCT_ANWEB.TRIMMED.xlsx"].release_evidence


def test_clutter_is_silent_and_other_files_from_the_downloads_are_listed(stick_scan: tuple[Path, ScanResult]) -> None:
    stick, result = stick_scan
    reasons = {item.location.replace(str(stick), ""): item.reason for item in result.unrecognised}
    assert reasons == {
        "/2099-code-descriptions-tabular-order.zip › Code Descriptions/icd10cm_codes_2099.txt": (
            "ICD-10-CM code-descriptions file (code and long title only): not read; the order file of the same"
            " download has the same codes with short titles and headers"
        ),
        "/2099-code-descriptions-tabular-order.zip › README.txt": (
            "not a code file: text beginning 'ICD-10-CM 2099 code descriptions'"
        ),
        "/april-1-2099-code-tables-tabular-index.zip › icd10cm-guidelines-2099.pdf": "not a code file (PDF document)",
    }


def test_materialize_writes_the_bytes_under_the_file_name(stick_scan: tuple[Path, ScanResult], tmp_path: Path) -> None:
    found = by_name(stick_scan[1])
    index = found["icd10cm_index_2099.xml"].materialize(tmp_path / "import")
    assert index == tmp_path / "import" / "icd10cm_index_2099.xml"
    assert len(read_cm_index(index)) > 5
    anweb = found["HCPC2019_CONTR_ANWEB.txt"].materialize(tmp_path / "import")
    assert read_anweb(anweb) == read_anweb(FIXTURES / "hcpcs" / "HCPC2019_CONTR_ANWEB_sample.txt")
    assert sorted(path.name for path in (tmp_path / "import").iterdir()) == [anweb.name, index.name]


def test_materialize_refuses_a_file_that_changed_since_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "icd10pcs_order_2099.txt"
    path.write_bytes(fixture("order", "icd10pcs_order_2099.txt"))
    (found,) = scan([path], known={}).found
    path.write_bytes(path.read_bytes().replace(b"Bypass", b"Bypasz"))
    with pytest.raises(SourceFormatError, match="changed since it was scanned"):
        found.materialize(tmp_path / "out")
    assert not (tmp_path / "out" / path.name).exists() and list((tmp_path / "out").iterdir()) == []


def test_official_when_the_file_or_a_zip_it_came_in_has_a_known_checksum(tmp_path: Path) -> None:
    order = fixture("order", "icd10cm-order-2099.txt")
    download = tmp_path / "april-1-2099-code-descriptions-tabular-order.zip"
    download.write_bytes(zip_bytes({"icd10cm_order_2099.txt": order}))
    loose = tmp_path / "icd10cm_order_2099.txt"
    loose.write_bytes(order)
    known = {
        hashlib.sha256(download.read_bytes()).hexdigest(): KnownFile(
            hashlib.sha256(download.read_bytes()).hexdigest(), download.name, "CMS", "icd10cm", "FY2099-apr1",
            "reported by a third party, see MANIFEST",
        ),
    }  # fmt: skip
    from_zip, unzipped = scan([download, loose], known=known).found
    assert from_zip.official == (f"from official CMS file {download.name} (reported by a third party, see MANIFEST)")
    # The checksum's release adds the April 1 update that the order file's own name does not state.
    assert from_zip.release.name == "ICD-10-CM order file FY2099 (April 1, 2099 update)"
    assert unzipped.official is None and unzipped.release.name == "ICD-10-CM order file FY2099"


def test_order_files_are_told_apart_by_their_codes_not_their_names(tmp_path: Path) -> None:
    # Only letter sections (X: New Technology) and a misleading name: still ICD-10-PCS by the code shapes.
    lines = fixture("order", "icd10pcs_order_2099.txt").decode().splitlines()[-2:]
    path = tmp_path / "icd10cm_order_2099.txt"
    path.write_text("\r\n".join(lines) + "\r\n")
    assert [item.kind for item in scan([path], known={}).found] == ["icd10pcs-order"]


def nested_zip(depth: int, inner: bytes) -> bytes:
    data = zip_bytes({"icd10cm_index_2099.xml": inner})
    for level in range(depth - 1):
        data = zip_bytes({f"level{level}.zip": data})
    return data


def test_zips_are_opened_to_a_bounded_depth(tmp_path: Path) -> None:
    xml = fixture("indexes", "icd10cm_index_2099.xml")
    (tmp_path / "deep.zip").write_bytes(nested_zip(MAX_ZIP_DEPTH, xml))
    assert [item.kind for item in scan([tmp_path / "deep.zip"], known={}).found] == ["icd10cm-index"]
    (tmp_path / "deeper.zip").write_bytes(nested_zip(MAX_ZIP_DEPTH + 1, xml))
    result = scan([tmp_path / "deeper.zip"], known={})
    assert result.found == []
    (problem,) = result.unrecognised
    assert problem.reason == f"zip nested more than {MAX_ZIP_DEPTH} levels deep: not opened"
    assert problem.location.count(" › ") == MAX_ZIP_DEPTH


def unrecognised_reason(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    result = scan([path], known={})
    assert result.found == [], result.found
    (item,) = result.unrecognised
    assert item.location == str(path)
    return item.reason


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("icd10cm_index_2099.xml", b"", "empty file"),
        ("notes.txt", b"  \r\n\r\n", "empty file"),
        ("icd10cm_foo_2099.xml", b'<?xml version="1.0"?>\n<foo><version>2099</version></foo>',
         "not a CMS/CDC code file: XML root <foo>"),
        ("icd10pcs_tables.xsd.xml", b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>',
         "not a code file (XML schema describing a format)"),
        ("icd10cm_index_2099.xml", b"<ICD10CM.index><version>2099</version><title>Mystery</title><letter/>",
         "<ICD10CM.index> file of an unknown kind: title 'Mystery'"),
        ("icd10cm_tabular_2099.xml", b"<ICD10CM.tabular><version>2099</version><<chapter>",
         "damaged XML <ICD10CM.tabular> near its start: not well-formed (invalid token): line 1, column 41"),
        ("icd10cm_index_2099.xml", "<?xml version='1.0' encoding='utf-8'?><ICD10CM.index><title>Sjögren"
         .encode("cp1252"), "damaged XML <ICD10CM.index> near its start: not well-formed (invalid token)"),
        ("data.dat", bytes(range(256)) * 8, "binary data, not a CMS/CDC code file"),
        ("icd10cm_order_2099.txt", fixture("order", "icd10cm-order-2099.txt").decode().encode("utf-16"),
         "UTF-16 text: CMS and CDC ship plain (ASCII) text; use the file as downloaded, not re-saved"),
        ("HCPC2099_ANWEB.txt", b"J1100001003Injection, dexamethasone\r\n",
         "HCPCS fixed-width records of 35 characters, expected 320 (damaged file?)"),
        ("prices.xlsx", workbook_bytes([["Code", "Price", "Region"], ["J1100", 1.5, "east"]]),
         "not a CMS/CDC code file: workbook whose first row is 'Code, Price, Region'"),
        ("HCPC2099_ANWEB.xlsx", anweb_workbook([*ANWEB_HEADER[:-3], "FOO", "BAR", "BAZ"]),
         "HCPCS workbook lacking official ANWEB columns: ACT EFF DT, TERM DT, ACTION CD"),
        ("HCPC2099_ANWEB.xlsx", workbook_bytes([["HCPC", "DESCRIPTION", "PRICE"]]),
         "HCPCS workbook in no known CMS layout: columns HCPC, DESCRIPTION, PRICE"),
        ("HCPC2099_ANWEB.xlsx", anweb_workbook()[:3000], "damaged zip (truncated or incomplete download?)"),
    ],
)  # fmt: skip
def test_bad_files_get_a_clear_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    assert unrecognised_reason(tmp_path, name, data).startswith(reason)


def test_damaged_zips(tmp_path: Path) -> None:
    download = zip_bytes({"icd10cm_index_2099.xml": fixture("indexes", "icd10cm_index_2099.xml")})
    reason = unrecognised_reason(tmp_path, "2099-code-tables.zip", download[: len(download) // 2])
    assert reason == "damaged zip (truncated or incomplete download?): File is not a zip file"
    # Damaged compressed data: the head may still read, the checksum pass finds the bad CRC.
    corrupt = bytearray(zip_bytes({"icd10cm_index_2099.xml": fixture("indexes", "icd10cm_index_2099.xml") * 40}))
    corrupt[400] ^= 0xFF
    (tmp_path / "corrupt.zip").write_bytes(bytes(corrupt))
    result = scan([tmp_path / "corrupt.zip"], known={})
    assert result.found == []
    assert result.unrecognised[0].reason.startswith("damaged zip: ")


def test_encrypted_members_and_zip_bombs_are_not_read() -> None:
    info = zipfile.ZipInfo("icd10cm_index_2099.xml")
    info.flag_bits |= 0x1
    assert _member_problem(info) == "encrypted zip member: cannot be read without its password"
    bomb = zipfile.ZipInfo("icd10cm_index_2099.xml")
    bomb.compress_size, bomb.file_size = 1_000_000, 10 << 30
    assert _member_problem(bomb) == "claims to unpack 1,000,000 bytes to 10,737,418,240 (zip bomb?): not read"
    bomb.file_size = 13_000_000  # what a 13 MB index compresses to is fine
    assert _member_problem(bomb) is None


def test_big_files_are_judged_by_their_head_and_missing_paths_reported(tmp_path: Path) -> None:
    big = tmp_path / "recording.mp4"
    with big.open("wb") as handle:  # a sparse 2 GB file: reading it whole would take far too long
        handle.write(b"\x00\x00\x00\x18ftypmp42")
        handle.truncate(2 << 30)
    tabular = tmp_path / "icd10cm_tabular_2099.xml"
    tabular.write_bytes(fixture("icd10cm", "icd10cm-tabular-2099.xml"))
    result = scan([tmp_path, tmp_path / "gone.zip"], known={})
    assert [item.name for item in result.found] == [tabular.name]
    assert [(item.location, item.reason) for item in result.unrecognised] == [(str(tmp_path / "gone.zip"), "not found")]


# ---------------------------------------------------------------------------------------------------------
# The known checksums and the real files
# ---------------------------------------------------------------------------------------------------------


def test_the_checksum_table_parses_and_holds_manifests_files() -> None:
    table = load_checksums(REPO / "resources" / "official_checksums.tsv")
    manifest = shared_file("MANIFEST.md").read_text(encoding="utf-8")
    assert len(table) >= 50
    for entry in table.values():
        # Every checksum is MANIFEST's, or that of a member of a 2019 CMS zip MANIFEST lists (checked in full_data).
        assert entry.sha256 in manifest or entry.evidence.startswith("verified: member of 2019-"), entry
    reported = [entry for entry in table.values() if entry.evidence.startswith("reported by a third party")]
    assert {entry.file_name for entry in reported} >= {"2027-code-tables-tabular-index.zip", "icd10cm-order-2027.txt"}


def test_a_bad_checksum_table_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "official_checksums.tsv"
    header = "sha256\tfile_name\tpublisher\tcode_set\trelease\tevidence\n"
    path.write_text(header + "ABC\tx.zip\tCMS\ticd10cm\tFY2027\treported\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="not a lower-case sha256") as caught:
        load_checksums(path)
    assert caught.value.location == "line 2"
    path.write_text(header + "a" * 64 + "\tx.zip\tCMS\ticd10cm\t2027\treported\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="release not FYyyyy"):
        load_checksums(path)


@pytest.mark.full_data
def test_every_bundled_file_is_a_known_one() -> None:
    table = known_checksums()
    for path in sorted((REPO / "resources" / "sources").rglob("*")):
        if path.is_file():
            assert sha256_of(path) in table, path
            if zipfile.is_zipfile(path) and path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    (member,) = archive.namelist()
                    assert hashlib.sha256(archive.read(member)).hexdigest() in table, member
    for path in sorted((SHARED_DATA / "hcpcs" / "2019-annual").glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                assert table[hashlib.sha256(archive.read(member)).hexdigest()].file_name == member


REAL_FILES = {  # file (as found, inside its zip) -> kind, release name
    "HCPC2019_CONTR_ANWEB.txt": ("hcpcs-anweb-text", "HCPCS Level II January 2019"),
    "HCPC2019_CONTR_ANWEB.xlsx": ("hcpcs-anweb-workbook", "HCPCS Level II January 2019"),
    "NOC_Codes_2019.prn": ("hcpcs-noc", "HCPCS Level II January 2019"),
    "NOC_Codes_2019.xlsx": ("hcpcs-noc", "HCPCS Level II January 2019"),
    "NOC codes_JUL2025.xlsx": ("hcpcs-noc", "HCPCS Level II July 2025"),
    "HCPC2025_JUL_ANWEB_v3.TRIMMED-code-longdesc-only.xlsx": ("hcpcs-longdesc-workbook", "HCPCS Level II July 2025"),
    "icd10cm_drug_2023.xml": ("icd10cm-drug", "ICD-10-CM table of drugs FY2023"),
    "icd10cm_eindex_2023.xml": ("icd10cm-eindex", "ICD-10-CM external cause index FY2023"),
    "icd10cm_neoplasm_2023.xml": ("icd10cm-neoplasm", "ICD-10-CM neoplasm table FY2023"),
    "icd10cm-tabular-April-2025.xml": ("icd10cm-tabular", "ICD-10-CM FY2025 (April 1, 2025 update)"),
    "icd10c-tabular-April-1-2026.xml": ("icd10cm-tabular", "ICD-10-CM FY2026 (April 1, 2026 update)"),
    "icd10cm-drug-April-1-2026-XML.xml": ("icd10cm-drug", "ICD-10-CM table of drugs FY2026 (April 1, 2026 update)"),
    "icd10cm-eindex-April-1-2026-XML.xml": (
        "icd10cm-eindex",
        "ICD-10-CM external cause index FY2026 (April 1, 2026 update)",
    ),
    "icd10cm-neoplasm-April-1-2026-XML.xml": (
        "icd10cm-neoplasm",
        "ICD-10-CM neoplasm table FY2026 (April 1, 2026 update)",
    ),
    "icd10pcs_index_2023.xml": ("icd10pcs-index", "ICD-10-PCS index FY2023"),
    "icd10pcs_index_2025.xml": ("icd10pcs-index", "ICD-10-PCS index FY2025"),
    "icd10pcs_tables_2026.xml": ("icd10pcs-tables", "ICD-10-PCS FY2026"),
    "icd10pcs_definitions_2026.xml": ("icd10pcs-definitions", "ICD-10-PCS definitions FY2026"),
}


@pytest.mark.full_data
def test_the_real_files_are_detected_with_kind_release_and_official_origin() -> None:
    shared_file("MANIFEST.md")
    result = scan([SHARED_DATA, REPO / "resources" / "sources"])
    found = [(item.name, item.kind, item.release.name) for item in result.found]
    assert sorted(set(found)) == sorted((name, *value) for name, value in REAL_FILES.items())
    bundled = [item for item in result.found if str(REPO / "resources") in item.location]
    # ICD-10-CM: two tabulars and the April 2026 external-cause, neoplasm and drug files; ICD-10-PCS: tables,
    # definitions and the FY2025 index; HCPCS: the July 2025 workbook and NOC list.
    assert len(bundled) == 10
    for item in result.found:
        trimmed = item.kind == "hcpcs-longdesc-workbook"
        assert (item.official is None) == trimmed, item
        assert item.official is None or item.official.startswith(("official CMS file", "official CDC file")), item
    # The rest of the CMS downloads is listed with a reason: reports, README, record layout, corrections.
    assert len(result.unrecognised) == 11
    assert all(item.reason.startswith("not a ") for item in result.unrecognised)
