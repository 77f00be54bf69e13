"""What `codebook-cli import FILE --json` says per CPT file (the kind detected, the rows loaded), and the office
list's preview and per-file columns the import dialog gives the plan. Fixture layouts: see
tests/db/sources/test_cpt_readers.py (all descriptors invented)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from db.cli import main
from db.cli_cpt import file_rows
from db.cpt_import import Columns, preview_list
from db.importer import plan_import, run_import
from db.imports import Imports
from tests.conftest import FIXTURES
from tests.db.sources.test_cpt_readers import write_charge_list
from tests.db.test_cpt_import import detail

CPT = FIXTURES / "cpt"
WORDY_NOTES = [
    ["Clinic A", 125, 99213, "Zorblat clinic visit (office list)", "Ask for the co-pay card and scan both sides of it"],
    ["Lab", 30, "0001U", "Plimsy antigen typing, office list", "Send it out with the printed requisition form today"],
]


def cpt_files(tmp_path: Path) -> list[Path]:
    return [
        CPT / "LONGULT.txt",
        CPT / "MODUL.txt",
        CPT / "PPRRVU99_JAN.csv",
        write_charge_list(tmp_path / "c-2099.xlsx"),
    ]


def test_the_import_report_gives_each_files_kind_and_rows(tmp_path: Path, small_sources) -> None:
    """The CLI's per-file entries: `FileReport.to_json` plus `file_rows` from the build's facts, as command_import
    builds them (the CLI itself rebuilds from the bundled files: see the full-data test below)."""
    data = tmp_path / "data"
    plan = plan_import(cpt_files(tmp_path), [], Imports.load(data), data)
    report = run_import(plan, data, progress=lambda _line: None, base=small_sources)
    files = [entry.to_json() for entry in plan.reports]
    file_rows(files, report.facts)
    got = {item["name"]: (item["kind"], item["status"], item.get("rows"), item.get("content")) for item in files}
    assert got == {
        "LONGULT.txt": ("cpt-ama", "new", 6, "long descriptors"),
        "MODUL.txt": ("cpt-ama", "new", 2, "modifiers"),
        "PPRRVU99_JAN.csv": ("cpt-pfs", "new", 7, "PFS relative values"),
        "c-2099.xlsx": ("cpt-csv", "new", 3, "office list"),  # J1100 is HCPCS: left out of the CPT rows
    }
    listed = next(item for item in files if item["kind"] == "cpt-csv")
    assert "column 3 by shape" in listed["read_as"] and "'Service'" in listed["read_as"]
    assert all(item["system"] == "cpt" and item["release"] == "CPT 2099" for item in files)


@pytest.mark.full_data
def test_cli_import_json_per_cpt_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert main(["import", *map(str, cpt_files(tmp_path)), "--json", "--data", str(data)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["changed"] and out["imported"] == ["CPT 2099"]
    assert {item["name"]: (item["kind"], item["rows"]) for item in out["files"]} == {
        "LONGULT.txt": ("cpt-ama", 6),
        "MODUL.txt": ("cpt-ama", 2),
        "PPRRVU99_JAN.csv": ("cpt-pfs", 7),
        "c-2099.xlsx": ("cpt-csv", 3),
    }


def test_the_preview_shows_the_chosen_columns_and_why(tmp_path: Path) -> None:
    (found,) = (
        plan_import([write_charge_list(tmp_path / "c-2099.xlsx", WORDY_NOTES)], [], Imports(), None).drafts[0].files
    )
    preview = preview_list(found)
    assert preview.choice is not None and not preview.problem
    assert (preview.choice.code_column, preview.choice.description_column) == (2, 4)  # the wordier notes, 0-based
    assert preview.headers == ("Department", "Fee", "CPT", "Service", "Notes")
    assert preview.first_rows(1) == [
        ("Clinic A", "125", "99213", "Zorblat clinic visit (office list)", WORDY_NOTES[0][4])
    ]
    service = preview.with_columns(Columns(description=4))
    assert service.choice is not None and service.choice.description_column == 3
    assert "description: column 4 as given 'Service'" in service.choice.why
    wrong = service.with_columns(Columns(code=1, description=4))
    assert wrong.choice is None and wrong.problem == "column 1 holds no CPT code"
    assert wrong.headers == preview.headers  # still named while the clerk picks another column
    same = service.with_columns(Columns(code=3, description=3))
    assert same.problem == "the code and description columns must differ"
    missing = service.with_columns(Columns(code=9))
    assert missing.problem == "there is no column 9 for the code (the file has 5)"


def test_each_list_is_read_with_its_own_columns(tmp_path: Path, small_sources) -> None:
    """`ImportPlan.cpt_list_columns` (by sha256) wins over the CLI's `cpt_columns`, which applies to the rest."""
    data = tmp_path / "data"
    wordy = write_charge_list(tmp_path / "a-2099.xlsx", WORDY_NOTES)
    other = tmp_path / "b-2099.csv"
    other.write_text("Code,Service,Notes\n47562,Quillfen list wording,Bring the consent form to the day unit today\n",
                     encoding="utf-8")  # fmt: skip
    plan = plan_import([wordy, other], [], Imports.load(data), data)
    by_name = {found.name: found for draft in plan.drafts for found in draft.files}
    plan.cpt_columns = Columns(description=2)
    plan.cpt_list_columns = {by_name["a-2099.xlsx"].sha256: Columns(description=4)}
    assert plan.columns_of(by_name["b-2099.csv"]) == Columns(description=2)
    run_import(plan, data, progress=lambda _line: None, base=small_sources)
    zorblat, quillfen = detail(data, "cpt", "99213"), detail(data, "cpt", "47562")
    assert zorblat is not None and zorblat["title"] == "Zorblat clinic visit (office list)"
    assert quillfen is not None and quillfen["title"] == "Quillfen list wording"
    assert "Notes: Ask for the co-pay card and scan both sides of it" in zorblat["cpt"]["list_columns"]
