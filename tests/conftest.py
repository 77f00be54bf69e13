"""Shared fixtures: a small real database and index built by the production build code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Qt must never try to reach a display in tests: set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file of ../shared/data (the official files we hold), or a skip where it is not beside the clone."""
    import pytest

    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"official source file {path} is not present (the shared data folder is not mounted)")
    return path


def write_hcpcs_workbook(path: Path, rows: list[tuple[str, str]]) -> Path:
    """A workbook in the layout of the bundled July 2025 file (HCPCS, LONG_DESCRIPTION)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "HCPC2099_JUL_ANWEB"
    sheet.append(["HCPCS", "LONG_DESCRIPTION"])
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


SMALL_HCPCS = [
    ("   GA", "Waiver of liability statement issued as required by payer policy, individual case"),
    ("   LT", "Left side (used to identify procedures performed on the left side of the body)"),
    ("   RT", "Right side (used to identify procedures performed on the right side of the body)"),
    (
        "   XS",
        "Separate structure/organ, a service that is distinct because it was performed on a separate organ/structure",
    ),
    ("E0143", "Walker, folding, wheeled, adjustable or fixed height"),
    ("G0105", "Colorectal cancer screening; colonoscopy on individual at high risk"),
    ("J1100", "Injection, dexamethasone sodium phosphate, 1 mg"),
    ("J3490", "Unclassified drugs"),
]


@pytest.fixture(scope="session")
def small_sources(tmp_path_factory: pytest.TempPathFactory):
    from db.build import BuildSources, CmFiles, HcpcsFiles, PcsFiles

    folder = tmp_path_factory.mktemp("sources")
    return BuildSources(
        icd10cm=[CmFiles(FIXTURES / "icd10cm" / "icd10cm-tabular-2099.xml")],
        icd10pcs=[
            PcsFiles(
                FIXTURES / "icd10pcs" / "icd10pcs_tables_2099.xml",
                FIXTURES / "icd10pcs" / "icd10pcs_definitions_2099.xml",
            )
        ],
        hcpcs=[HcpcsFiles(write_hcpcs_workbook(folder / "HCPC2099_JUL_ANWEB.xlsx", SMALL_HCPCS))],
        icd10cm_index=FIXTURES / "indexes" / "icd10cm_index_2099.xml",
        icd10cm_eindex=FIXTURES / "indexes" / "icd10cm_eindex_sample.xml",
        icd10cm_neoplasm=FIXTURES / "indexes" / "icd10cm_neoplasm_sample.xml",
        icd10cm_drug=FIXTURES / "indexes" / "icd10cm_drug_sample.xml",
        icd10pcs_index=FIXTURES / "indexes" / "icd10pcs_index_sample.xml",
        lay_terms=FIXTURES / "lay_terms_small.tsv",
        articles=FIXTURES / "articles_small",
    )


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory, small_sources) -> Path:
    """A data folder (database and search index) built from the small fixtures."""
    from db.build import build

    data_dir = tmp_path_factory.mktemp("data")
    build(data_dir, small_sources, progress=lambda _line: None)
    return data_dir


@pytest.fixture(scope="session")
def two_release_data(tmp_path_factory: pytest.TempPathFactory, small_sources) -> Path:
    """The small fixtures with a second ICD-10-CM release, FY2100: the FY2099 tabular (CDC layout) with E11.65
    reworded, J18.9 deleted, J18.8 added and E11.9 split into E11.91 (so E11.9 becomes a header)."""
    import dataclasses

    from db.build import CmFiles, build

    fy2100 = CmFiles(FIXTURES / "icd10cm" / "icd10cm-tabular-2100.xml")
    sources = dataclasses.replace(small_sources, icd10cm=[fy2100, *small_sources.icd10cm])
    data_dir = tmp_path_factory.mktemp("two-releases")
    build(data_dir, sources, progress=lambda _line: None)
    return data_dir


@pytest.fixture(scope="session")
def full_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder built from the bundled official files (full_data tests only)."""
    from db.build import build

    data_dir = tmp_path_factory.mktemp("full-data")
    build(data_dir, progress=lambda _line: None)
    return data_dir


#: The Medicare Coverage Database downloads as CMS ships them: each zip holds a zip of the CSV tables.
MCD_DOWNLOADS = (("current_article", "current_article_csv"), ("current_lcd", "current_lcd_csv"), ("ncd", "ncd_csv"))


def write_mcd_downloads(folder: Path, tables: Path = FIXTURES / "mcd") -> Path:
    """current_article.zip › current_article_csv.zip › *.csv (and the LCD and NCD ones) from `tables`."""
    import io
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    for outer, inner in MCD_DOWNLOADS:
        if not (tables / inner).is_dir():
            continue
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for table in sorted((tables / inner).glob("*.csv")):
                archive.write(table, table.name)
        with zipfile.ZipFile(folder / f"{outer}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{inner}.zip", buffer.getvalue())
    return folder


@pytest.fixture(scope="session")
def mcd_downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mcd_downloads(tmp_path_factory.mktemp("mcd"))


@pytest.fixture(scope="session")
def coverage_data(tmp_path_factory: pytest.TempPathFactory, small_data: Path, mcd_downloads: Path) -> Path:
    """A copy of the small build with the fixture coverage downloads imported (codebook-cli import's path)."""
    import shutil

    from db.importer import plan_import, run_import
    from db.imports import Imports

    data_dir = tmp_path_factory.mktemp("coverage") / "data"
    shutil.copytree(small_data, data_dir)
    plan = plan_import([mcd_downloads], [], Imports.load(data_dir), data_dir)
    run_import(plan, data_dir, progress=lambda _line: None)
    return data_dir
