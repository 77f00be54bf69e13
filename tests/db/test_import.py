"""Importing official files from disk: nested zips and folders, twice, bad and partial sets (nothing changes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from db.cli import main
from db.engine import open_read_only, session_scope
from db.importer import plan_import, run_import
from db.imports import IMPORTS_DIR, IMPORTS_FILE, Imports
from db.in_force import code_set_releases, in_force
from db.layout import DATABASE_FILE, INDEX_DIR, current_dir
from db.search_index import SearchIndex
from db.sources.errors import SourceFormatError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The FY2100 tabular is the FY2099 fixture (CDC tabular XML layout) with J18.9 deleted and J18.8 added.
FY2100 = FIXTURES / "icd10cm" / "icd10cm-tabular-2100.xml"


@pytest.fixture()
def data(tmp_path, small_data) -> Path:
    """A copy of the small build, so each test imports into data of its own."""
    target = tmp_path / "data"
    shutil.copytree(small_data, target)
    return target


def loaded(data: Path):
    engine = open_read_only(current_dir(data) / DATABASE_FILE)
    with session_scope(engine) as session:
        releases = code_set_releases(session)
    engine.dispose()
    return releases


def nested_zip(tmp_path: Path) -> Path:
    """As CDC ships code files: a zip holding a folder, and in it a zip holding the XML."""
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FY2100, "icd10cm-table-index-2100/icd10cm-tabular-2100.xml")
    outer = tmp_path / "2100-code-tables-tabular-index.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(inner, "Downloads/icd10cm-2100.zip")
        archive.writestr("Downloads/README.txt", "Release notes")
    inner.unlink()
    return outer


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_nested_zip_becomes_a_new_release_searchable_on_its_dates(tmp_path, data, small_sources):
    plan = plan_import([nested_zip(tmp_path)], loaded(data), Imports.load(data), data)
    assert [(r.found.kind, r.status) for r in plan.reports] == [("icd10cm-tabular", "new")]
    assert "inner" not in plan.reports[0].found.location and "›" in plan.reports[0].found.location
    release = plan.drafts[0].release
    assert (release.valid_from.isoformat(), release.valid_to.isoformat()) == ("2099-10-01", "2100-09-30")
    report = run_import(plan, data, progress=lambda _line: None, base=small_sources)
    assert report.counts["icd10cm.releases"] == 2
    names = [r.name for r in loaded(data) if r.system == "icd10cm"]
    assert names == ["ICD-10-CM FY2099", "ICD-10-CM FY2100"]
    stored = json.loads((data / IMPORTS_DIR / IMPORTS_FILE).read_text(encoding="utf-8"))
    assert stored["releases"][0]["files"][0]["kind"] == "icd10cm-tabular"
    index = SearchIndex.open(current_dir(data) / INDEX_DIR)
    assert any(hit.code == "J188" for hit in index.search("other pneumonia").hits)
    index.close()
    engine = open_read_only(current_dir(data) / DATABASE_FILE)
    with session_scope(engine) as session:
        assert in_force(session, "icd10cm", dt.date(2100, 3, 1)).covered

    # The same files again change nothing, and say so.
    again = plan_import([nested_zip(tmp_path)], loaded(data), Imports.load(data), data)
    assert not again.has_new and [r.status for r in again.reports] == ["already loaded"]


def test_a_bundled_release_is_already_loaded_and_a_duplicate_is_left_out(tmp_path, data, small_sources):
    copy = tmp_path / "stick" / "icd10cm-tabular-2100.xml"
    copy.parent.mkdir()
    shutil.copy(FY2100, copy)
    shutil.copy(small_sources.icd10cm[0].tabular, copy.parent / "icd10cm-tabular-2099.xml")
    plan = plan_import([copy.parent, nested_zip(tmp_path)], loaded(data), Imports.load(data), data)
    statuses = sorted((r.found.release.name, r.status) for r in plan.reports)
    assert statuses == [
        ("ICD-10-CM FY2099", "already loaded"),
        ("ICD-10-CM FY2100", "left out"),
        ("ICD-10-CM FY2100", "new"),
    ]
    assert len(plan.drafts) == 1


def test_a_truncated_file_is_refused_and_nothing_changes(tmp_path, data, small_sources):
    truncated = tmp_path / "icd10cm-tabular-2100.xml"
    truncated.write_bytes(FY2100.read_bytes()[:2500])
    before = digest(current_dir(data) / DATABASE_FILE)
    plan = plan_import([truncated], loaded(data), Imports.load(data), data)
    assert plan.has_new  # the head looks right: only reading all of it finds the damage
    with pytest.raises(SourceFormatError, match=r"icd10cm-tabular-2100\.xml.*line"):
        run_import(plan, data, progress=lambda _line: None, base=small_sources)
    assert digest(current_dir(data) / DATABASE_FILE) == before
    assert not (data / IMPORTS_DIR / IMPORTS_FILE).exists()
    assert list((data / IMPORTS_DIR).iterdir()) == []


def test_a_partial_set_is_refused_before_anything_is_copied(tmp_path, data):
    definitions = tmp_path / "icd10pcs_definitions_2100.xml"
    text = (FIXTURES / "icd10pcs" / "icd10pcs_definitions_2099.xml").read_text(encoding="utf-8")
    definitions.write_text(text.replace("2099", "2100"), encoding="utf-8")
    plan = plan_import([definitions], loaded(data), Imports.load(data), data)
    assert plan.refusals and "needs its release's main file" in plan.refusals[0]
    assert main(["import", str(definitions), "--data", str(data)]) == 2
    assert not (data / IMPORTS_DIR).exists()


def test_cli_says_what_it_found_and_refuses_junk(tmp_path, data, capsys):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (junk / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["import", str(junk), "--json", "--data", str(data)]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["changed"] is False and out["message"].startswith("Nothing changed: no official code file")
    assert any("broken.zip" in item["location"] for item in out["unrecognised"])
    assert main(["import", str(tmp_path / "missing"), "--data", str(data)]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert (
        main(
            [
                "import",
                str(small_tabular := FIXTURES / "icd10cm" / "icd10cm-tabular-2099.xml"),
                "--json",
                "--data",
                str(data),
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["files"][0]["status"] == "already loaded" and out["files"][0]["name"] == small_tabular.name
