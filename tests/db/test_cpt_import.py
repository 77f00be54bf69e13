"""CPT through the one import path on the small fixtures: a year's files make one `cpt` release built into the
real database and search index; more files join that year; a bad file changes nothing; Remove CPT data leaves
no trace. Fixture layouts: see tests/db/sources/test_cpt_readers.py (all descriptors invented)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from db.code_detail import code_detail
from db.cpt_import import Columns, remove_cpt
from db.engine import open_read_only, session_scope
from db.importer import plan_import, run_import
from db.imports import IMPORTS_DIR, Imports
from db.in_force import in_force
from db.layout import DATABASE_FILE, INDEX_DIR, current_dir
from db.queries import export_rows, find_code
from db.search_index import SearchIndex
from db.sources.errors import SourceFormatError
from db.user_data import UserData
from tests.conftest import FIXTURES
from tests.db.sources.test_cpt_readers import write_charge_list

CPT = FIXTURES / "cpt"
DAY = dt.date(2099, 6, 1)
AMA_AND_PFS = [CPT / name for name in ("LONGULT.txt", "MEDU.txt", "SHORTU.txt", "MODUL.txt", "PPRRVU99_JAN.csv")]


def imported(data: Path, paths: list[Path], small_sources, columns: Columns = Columns()):  # noqa: B008
    plan = plan_import(paths, [], Imports.load(data), data)
    plan.cpt_columns = columns
    return plan, run_import(plan, data, progress=lambda _line: None, base=small_sources)


def detail(data: Path, system: str, code: str, day: dt.date = DAY):
    engine = open_read_only(current_dir(data) / DATABASE_FILE)
    try:
        with session_scope(engine) as session:
            found = code_detail(session, system, code, day)
            return found.to_json() if found else None
    finally:
        engine.dispose()


def search(data: Path, query: str) -> list[tuple[str, str]]:
    index = SearchIndex.open(current_dir(data) / INDEX_DIR)
    try:
        return [(hit.system, hit.code) for hit in index.search(query, None, False, 10).hits]
    finally:
        index.close()


@pytest.fixture(scope="module")
def cpt_data(tmp_path_factory: pytest.TempPathFactory, small_sources) -> Path:
    data = tmp_path_factory.mktemp("cpt-data")
    plan, report = imported(data, AMA_AND_PFS, small_sources)
    assert [draft.release.name for draft in plan.drafts] == ["CPT 2099"]
    assert {r.found.name: r.status for r in plan.reports} == {p.name: "new" for p in AMA_AND_PFS}
    files = {entry["file"]: entry for entry in report.facts["cpt_files"]}
    assert files["LONGULT.txt"]["rows"] == 6 and files["PPRRVU99_JAN.csv"]["rows"] == 7
    assert files["MODUL.txt"]["content"] == "modifiers"
    return data


def test_a_year_of_files_is_one_release_searched_and_shown(cpt_data: Path) -> None:
    shown = detail(cpt_data, "cpt", "99213")
    assert shown is not None
    assert shown["title"].startswith("Zorblat office visit for an established patient")  # the long descriptor
    assert shown["short_title"] == "ZORBLAT VISIT EST LOW"
    assert shown["release"]["name"] == "CPT 2099" and shown["valid_on_date"]
    assert shown["release"]["valid_from"] == "2099-01-01" and shown["release"]["valid_to"] == "2099-12-31"
    assert shown["cpt"]["category"] == "Category I" and shown["cpt"]["medium_descriptor"].endswith("café)")
    assert "American Medical Association" in shown["cpt"]["copyright"]
    fee = shown["fee_schedule"][0]
    assert (fee["work_rvu"], fee["facility_total"], fee["global_days"], fee["status"]) == (1.3, 1.93, "XXX", "A")
    assert search(cpt_data, "99213")[0] == ("cpt", "99213")
    assert search(cpt_data, "zorblat")[0] == ("cpt", "99213")
    assert search(cpt_data, "0001U")[0] == ("cpt", "0001U")
    assert search(cpt_data, "3074F")[0] == ("cpt", "3074F")


def test_add_on_modifiers_and_categories(cpt_data: Path) -> None:
    add_on = detail(cpt_data, "cpt", "11001")
    assert add_on is not None and add_on["cpt"]["add_on"] and add_on["fee_schedule"][0]["global_days"] == "ZZZ"
    modifier = detail(cpt_data, "cpt", "25")
    assert modifier is not None and modifier["kind"] == "modifier" and modifier["status"].startswith("modifier")
    pla = detail(cpt_data, "cpt", "0001U")
    assert pla is not None and pla["cpt"]["category"] == "Proprietary Laboratory Analyses (PLA)"


def test_fee_schedule_facts_for_hcpcs_and_every_modifier_row(cpt_data: Path) -> None:
    hcpcs = detail(cpt_data, "hcpcs", "J1100")
    assert hcpcs is not None and hcpcs["fee_schedule"][0]["status"] == "E" and hcpcs["cpt"] is None
    # A code only the PFS file has is titled by its short descriptor; each modifier row is shown, global first.
    tracing = detail(cpt_data, "cpt", "93000")
    assert tracing is not None and tracing["title"] == "INVENTED TRACING COMPLETE"
    assert [row["modifier"] for row in tracing["fee_schedule"]] == ["", "26"]
    assert tracing["fee_schedule"][0]["facility_na"] and tracing["fee_schedule"][0]["facility_total"] is None


def test_an_articles_number_uses_the_imported_code(cpt_data: Path) -> None:
    shown = detail(cpt_data, "cpt", "47562")
    assert shown is not None and shown["kind"] == "code" and shown["title"].startswith("Quillfen")
    assert [a["id"] for a in shown["articles"]] == ["laparoscopic-cholecystectomy"]


def test_export_cpt(cpt_data: Path) -> None:
    engine = open_read_only(current_dir(cpt_data) / DATABASE_FILE)
    with session_scope(engine) as session:
        answer = in_force(session, "cpt", DAY)
        assert answer is not None
        codes = [(row.code, row.kind) for row in export_rows(session, answer)]
    engine.dispose()
    assert codes[:2] == [("0001U", "code"), ("0042T", "code")] and ("25", "modifier") in codes
    assert "47562" in dict(codes)


def test_more_files_join_their_year_and_a_list_keeps_its_columns(tmp_path: Path, small_sources) -> None:
    data = tmp_path / "data"
    imported(data, [CPT / "LONGULT.txt", CPT / "PPRRVU99_JAN.csv"], small_sources)
    charges = write_charge_list(tmp_path / "charges-2099.xlsx")
    _plan, report = imported(data, [charges], small_sources, Columns(code=3, description=4))
    assert [release.name for release in Imports.load(data).releases] == ["CPT 2099"]
    assert len(Imports.load(data).releases[0].files) == 3
    shown = detail(data, "cpt", "99213")
    assert shown is not None and "Fee: 125" in shown["cpt"]["list_columns"]
    assert shown["title"].startswith("Zorblat office visit for an established")  # AMA long still wins
    assert report.counts["article_cpt_numbers_not_in_cpt_file"] == 0


def test_a_list_alone_reports_the_article_numbers_it_lacks(tmp_path: Path, small_sources) -> None:
    data = tmp_path / "data"
    _plan, report = imported(data, [write_charge_list(tmp_path / "charges-2099.xlsx")], small_sources)
    assert report.facts["article_cpt_numbers_not_in_cpt_file"] == ["47562"]
    reference = detail(data, "cpt", "47562")
    assert reference is not None and reference["kind"] == "reference" and not reference["cpt"]["licensed"]


def test_a_bad_file_changes_nothing(tmp_path: Path, small_sources) -> None:
    data = tmp_path / "data"
    imported(data, [CPT / "LONGULT.txt", CPT / "PPRRVU99_JAN.csv"], small_sources)
    before = (data / IMPORTS_DIR / "imports.json").read_text(encoding="utf-8")
    bad = tmp_path / "cpt-2099" / "SHORTU.txt"
    bad.parent.mkdir()
    bad.write_text("99213\tZORBLAT\n0042T\tTRANDLE\n99213\tOTHER\n", encoding="utf-8")
    plan = plan_import([bad], [], Imports.load(data), data)
    assert not plan.has_new and "line 3: code 99213 is also on line 1" in plan.unrecognised[0].reason
    # A list whose duplicates lie beyond what detection reads stops the build, naming the file and line.
    rows = [[f"Dept {n}", 10, f"{10000 + n}", f"Invented service number {n}", None] for n in range(400)]
    rows.append(["Dept", 10, "10001", "Another invented wording", None])
    late = write_charge_list(tmp_path / "late-duplicate-2099.xlsx", rows)
    plan = plan_import([late], [], Imports.load(data), data)
    assert plan.has_new
    with pytest.raises(SourceFormatError, match="row 402") as error:
        run_import(plan, data, progress=lambda _line: None, base=small_sources)
    assert error.value.path == late  # the clerk's file, not its removed copy
    assert (data / IMPORTS_DIR / "imports.json").read_text(encoding="utf-8") == before
    assert detail(data, "cpt", "99213") is not None


def test_remove_cpt_data_leaves_no_trace(tmp_path: Path, small_sources) -> None:
    data = tmp_path / "data"
    imported(data, AMA_AND_PFS, small_sources)
    users = UserData(tmp_path / "user")
    users.toggle_favorite("cpt", "99213", "99213", "Zorblat office visit (a favorite)")
    users.record_view("cpt", "99213", "99213", "Zorblat office visit (history)")
    users.close()
    report = remove_cpt(data, lambda _line: None, users.path, base=small_sources)
    assert report is not None and report.counts["user_entries_scrubbed"] == 2
    assert Imports.load(data).releases == []
    assert not any(p.name.startswith("cpt-") for p in (data / IMPORTS_DIR).iterdir())
    engine = open_read_only(current_dir(data) / DATABASE_FILE)
    with session_scope(engine) as session:
        assert find_code(session, "99213", "cpt") == []
    engine.dispose()
    assert search(data, "zorblat") == []
    for path in (current_dir(data) / DATABASE_FILE, users.path):
        assert b"orblat" not in path.read_bytes()
    connection = sqlite3.connect(users.path)
    assert connection.execute("SELECT count(*) FROM favorites WHERE system = 'cpt'").fetchone() == (1,)
    connection.close()
    assert remove_cpt(data, lambda _line: None, base=small_sources) is None
    assert json.loads((data / IMPORTS_DIR / "imports.json").read_text(encoding="utf-8")) == {"releases": []}
