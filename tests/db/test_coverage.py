"""The coverage store and its questions, on the fixture MCD downloads (layout: see tests/db/sources/test_mcd.py)
imported by the production import path into a copy of the small build."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest

from db.coverage import articles_missing_diagnosis, policies_for_code
from db.coverage_store import as_of, loaded, store_path
from db.importer import plan_import, run_import
from db.imports import Imports
from db.sources.errors import SourceFormatError
from tests.conftest import write_mcd_downloads

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mcd"
DAY = dt.date(2026, 2, 1)


def _import(paths: list[Path], data_dir: Path) -> dict[str, int]:
    plan = plan_import(paths, [], Imports.load(data_dir), data_dir)
    return run_import(plan, data_dir, progress=lambda _line: None).counts


def _tables_copy(tmp_path: Path) -> Path:
    tables = tmp_path / "tables"
    shutil.copytree(FIXTURES, tables)
    return tables


def test_import_loads_every_table_with_its_as_of_date(coverage_data: Path):
    assert as_of(coverage_data) == {
        "article": dt.date(2026, 1, 8),
        "lcd": dt.date(2026, 1, 8),
        "ncd": dt.date(2025, 6, 1),
    }
    with sqlite3.connect(store_path(coverage_data)) as db:
        assert db.execute("SELECT COUNT(*) FROM article_x_icd10_covered").fetchone()[0] == 5
        # Three contractors, though both the article and the LCD download carry contractor.csv.
        assert db.execute("SELECT COUNT(*) FROM contractor").fetchone()[0] == 3
        columns = {row[1] for row in db.execute("PRAGMA table_info(article_x_hcpc_code)")}
    assert not columns & {"long_description", "short_description"}  # CPT descriptors never stored


def test_the_same_files_twice_change_nothing(coverage_data: Path, mcd_downloads: Path):
    before = store_path(coverage_data).stat().st_mtime_ns
    plan = plan_import([mcd_downloads], [], Imports.load(coverage_data), coverage_data)
    assert not plan.has_new
    assert {report.status for report in plan.reports} <= {"already loaded", "left out"}
    assert store_path(coverage_data).stat().st_mtime_ns == before


def test_a_newer_download_replaces_the_older_one_and_keeps_identical_tables(tmp_path: Path, mcd_downloads: Path):
    data_dir = tmp_path / "data"
    _import([mcd_downloads], data_dir)
    tables = _tables_copy(tmp_path)
    article = tables / "current_article_csv" / "article.csv"
    article.write_text(
        article.read_text(encoding="utf-8")
        .replace("Walkers - Policy Article", "Walkers - Policy Article, revised")
        .replace('"2026-01-08 00:00:00"', '"2026-02-05 00:00:00"'),
        encoding="utf-8",
    )
    newer = write_mcd_downloads(tmp_path / "newer", tables)
    plan = plan_import([newer], [], Imports.load(data_dir), data_dir)
    assert [f.found.name for f in plan.reports if f.status == "new"] == ["article.csv"]
    run_import(plan, data_dir, progress=lambda _line: None)
    assert as_of(data_dir)["article"] == dt.date(2026, 2, 5)
    policies = policies_for_code(data_dir, "hcpcs", "E0143", day=DAY)
    assert policies is not None
    assert next(p.title for p in policies.policies if p.kind == "article") == "Walkers - Policy Article, revised"
    assert len([p for p in policies.policies if p.kind == "article"]) == 2  # the kept HCPCS table still answers
    assert not list(data_dir.glob(".coverage-*"))


def test_an_older_download_is_refused_and_nothing_changes(tmp_path: Path):
    tables = _tables_copy(tmp_path)
    data_dir = tmp_path / "data"
    _import([write_mcd_downloads(tmp_path / "first", tables)], data_dir)
    sums = loaded(data_dir)
    article = tables / "current_article_csv" / "article.csv"
    article.write_text(article.read_text(encoding="utf-8").replace("2026-01-08", "2020-01-08"), encoding="utf-8")
    older = write_mcd_downloads(tmp_path / "older", tables)
    with pytest.raises(SourceFormatError, match=r"as of 2025-11-20, older than the one loaded \(as of 2026-01-08\)"):
        _import([older], data_dir)
    assert loaded(data_dir) == sums and as_of(data_dir)["article"] == dt.date(2026, 1, 8)


def test_an_incomplete_download_is_refused_naming_what_is_missing(tmp_path: Path):
    tables = _tables_copy(tmp_path)
    (tables / "current_article_csv" / "article_x_contractor.csv").unlink()
    shutil.rmtree(tables / "current_lcd_csv")
    shutil.rmtree(tables / "ncd_csv")
    data_dir = tmp_path / "data"
    with pytest.raises(SourceFormatError, match=r"articles download is incomplete: no article_x_contractor\.csv"):
        _import([write_mcd_downloads(tmp_path / "partial", tables)], data_dir)
    assert not store_path(data_dir).exists() and not list(data_dir.glob(".coverage-*"))


def test_a_bad_row_stops_the_load_and_leaves_the_store_as_it_was(tmp_path: Path, mcd_downloads: Path):
    data_dir = tmp_path / "data"
    _import([mcd_downloads], data_dir)
    before = store_path(data_dir).read_bytes()
    tables = _tables_copy(tmp_path)
    covered = tables / "current_article_csv" / "article_x_icd10_covered.csv"
    covered.write_text(covered.read_text(encoding="utf-8") + '99802,x3,"J18.9",1,1,"","",3,"",""\n', "utf-8")
    with pytest.raises(SourceFormatError, match=r"article_x_icd10_covered\.csv, line 7: column article_version"):
        _import([write_mcd_downloads(tmp_path / "bad", tables)], data_dir)
    assert store_path(data_dir).read_bytes() == before


def test_an_hcpcs_code_gets_its_articles_lcd_and_ncd_with_contractors_states_and_groups(coverage_data: Path):
    policies = policies_for_code(coverage_data, "hcpcs", "e0143", day=DAY)
    assert policies is not None
    assert [(p.kind, p.id, p.states) for p in policies.policies] == [
        ("article", "A52503", ("NY",)),  # Noridian's PA jurisdiction ended in 2010
        ("article", "A99801", ("IL",)),
        ("lcd", "L33791", ("IL", "NY")),
        ("ncd", "NCD 280.1", ()),
    ]
    walker, accessories, lcd, ncd = policies.policies
    assert walker.contractors == ("Noridian Healthcare Solutions, LLC (DME MAC, 16013)",)
    assert walker.procedure_paragraph == "Group 1 Paragraph: invented fixture text for the walker codes."
    assert walker.related == ("L33791",) and walker.effective_from == dt.date(2026, 1, 1)
    assert [(g.number, g.codes, g.paragraph[:17]) for g in accessories.covered] == [
        (1, ("S72001", "S72002"), "Group 1 Paragraph")
    ]
    assert lcd.effective_from == dt.date(2015, 10, 1) and lcd.effective_to is None  # version 8, not 7
    assert ncd.section == "280.1" and ncd.title == "Durable Medical Equipment Reference List"
    assert policies.states() == ["IL", "NY"]


def test_the_state_filter_keeps_what_applies_there(coverage_data: Path):
    policies = policies_for_code(coverage_data, "hcpcs", "E0143", state="il", day=DAY)
    assert policies is not None
    assert [p.id for p in policies.policies] == ["A99801", "L33791", "NCD 280.1"]
    none = policies_for_code(coverage_data, "hcpcs", "E0143", state="TX", day=DAY)
    assert none is not None and [p.id for p in none.policies] == ["NCD 280.1"]


def test_groups_keep_the_articles_order_and_paragraphs_and_the_json_contract(coverage_data: Path):
    policies = policies_for_code(coverage_data, "hcpcs", "J1100", day=DAY)
    assert policies is not None
    article = policies.policies[0]
    assert [(g.number, g.codes) for g in article.covered] == [(1, ("J441", "J449")), (2, ("E119",))]
    assert article.covered[1].paragraph.startswith("• Group 2 Paragraph")
    assert policies.to_json()["policies"][0] == {
        "kind": "article",
        "id": "A99802",
        "title": "Billing and Coding: Dexamethasone Injection (invented fixture article)",
        "contractors": ["Novitas Solutions, Inc. (A and B MAC, 04412)"],
        "states": ["TX"],
        "effective_from": "2025-10-01",
        "effective_to": None,
        "covered_icd10": ["J441", "J449", "E119"],
        "noncovered_icd10": ["S72001"],
    }


def test_an_icd10_code_gets_the_articles_listing_it_and_for_which_procedures(coverage_data: Path):
    policies = policies_for_code(coverage_data, "icd10cm", "S72.001", day=DAY, with_codes=False)
    assert policies is not None
    articles = [p for p in policies.policies if p.kind == "article"]
    assert [(p.id, p.listed_as, p.procedures) for p in articles] == [
        ("A99801", "covered", ("E0143",)),
        ("A99802", "non-covered", ("J1100",)),
    ]
    assert articles[0].covered[0].codes == ("S72001",)  # only the group holding the code


def test_no_coverage_data_means_none(small_data: Path):
    assert policies_for_code(small_data, "hcpcs", "E0143") is None
    assert articles_missing_diagnosis(small_data, ["J1100"], ["J18.9"], DAY) == []


def test_the_claim_check_question(coverage_data: Path):
    missing = articles_missing_diagnosis(coverage_data, ["J1100", "E0143"], ["J18.9"], DAY)
    assert [(m.procedure, m.article_id) for m in missing] == [("J1100", "A99802"), ("E0143", "A99801")]
    assert "A99802" in missing[0].message() and "3 ICD-10-CM codes" in missing[0].message()
    assert articles_missing_diagnosis(coverage_data, ["J1100"], ["j44.1"], DAY) == []
    assert articles_missing_diagnosis(coverage_data, ["J1100", "E0143"], ["J18.9"], DAY, state="NY") == []
    # Before the article's current version took effect its rules are unknown: no warning.
    assert articles_missing_diagnosis(coverage_data, ["J1100"], ["J18.9"], dt.date(2025, 9, 1)) == []
