"""Several releases side by side: code versions, the release in force on a date, history, diff, the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from db.build import CmFiles, build
from db.cli import main
from db.code_detail import code_detail
from db.engine import open_read_only, session_scope
from db.history import code_history, diff_releases
from db.in_force import in_force, in_force_all, rows_in_force
from db.layout import DATABASE_FILE, current_dir
from db.models import Code, Note
from db.releases import ReleaseInfo, in_force_order
from db.sources.errors import SourceFormatError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The second ICD-10-CM fixture release (tests/conftest.py: two_release_data) is FY2100: the FY2099 fixture
# with four changes: E11.65 reworded, J18.9 deleted, J18.8 added, E11.9 split into E11.91 (billable -> header).
IN_FY2099 = dt.date(2099, 5, 1)
IN_FY2100 = dt.date(2100, 5, 1)


@pytest.fixture()
def two_releases(two_release_data: Path) -> Path:
    return two_release_data


@pytest.fixture()
def session(two_releases: Path):
    engine = open_read_only(current_dir(two_releases) / DATABASE_FILE)
    with session_scope(engine) as session:
        yield session
    engine.dispose()


def test_fiscal_years_and_april_updates_close_where_the_next_starts():
    fy25 = ReleaseInfo("icd10cm", "tabular", "FY2025", dt.date(2024, 10, 1), dt.date(2025, 9, 30))
    april = ReleaseInfo("icd10cm", "tabular", "FY2025 April", dt.date(2025, 4, 1), dt.date(2025, 9, 30))
    fy27 = ReleaseInfo("icd10cm", "tabular", "FY2027", dt.date(2026, 10, 1), dt.date(2027, 9, 30))
    closed = in_force_order([fy27, april, fy25])
    assert [(r.name, r.valid_from, r.valid_to) for r in closed] == [
        ("FY2025", dt.date(2024, 10, 1), dt.date(2025, 3, 31)),
        ("FY2025 April", dt.date(2025, 4, 1), dt.date(2025, 9, 30)),
        # The year between (FY2026) is not loaded: it stays uncovered, nothing is stretched over it.
        ("FY2027", dt.date(2026, 10, 1), dt.date(2027, 9, 30)),
    ]


def test_unchanged_codes_keep_one_row_changed_ones_get_a_version(session):
    def rows(code: str) -> list[tuple[int, int, str, bool]]:
        query = select(Code).where(Code.system == "icd10cm", Code.code == code).order_by(Code.first_seq)
        return [(c.first_seq, c.last_seq, c.title, c.billable) for c in session.scalars(query)]

    assert rows("J441") == [(1, 2, "Chronic obstructive pulmonary disease with (acute) exacerbation", True)]
    assert [r[:2] for r in rows("E1165")] == [(1, 1), (2, 2)]
    assert rows("J189")[0][:2] == (1, 1) and len(rows("J189")) == 1
    assert rows("J188")[0][:2] == (2, 2)
    assert [(r[:2], r[3]) for r in rows("E119")] == [((1, 1), True), ((2, 2), False)]
    # Notes belong to the version: the unchanged J44 keeps one copy of its notes.
    j44 = session.scalars(select(Code).where(Code.system == "icd10cm", Code.code == "J44")).one()
    assert len(session.scalars(select(Note).where(Note.code_id == j44.id)).all()) == 2


def test_the_release_in_force_answers_for_a_date(session):
    assert in_force(session, "icd10cm", IN_FY2099).release.name == "ICD-10-CM FY2099"
    answer = in_force(session, "icd10cm", IN_FY2100)
    assert answer.covered and answer.release.seq == 2
    outside = in_force(session, "icd10cm", dt.date(2101, 1, 2))
    assert not outside.covered and outside.release.seq == 2
    assert "File → Import official files" in outside.notice()


def test_detail_on_a_date_shows_that_release_and_marks_codes_not_valid(session):
    old = code_detail(session, "icd10cm", "E11.65", IN_FY2099)
    new = code_detail(session, "icd10cm", "E11.65", IN_FY2100)
    assert old.ref.title == "Type 2 diabetes mellitus with hyperglycemia" and old.valid_on_date
    assert new.ref.title.endswith("not elsewhere classified") and new.history_line.startswith("Reworded in")
    deleted = code_detail(session, "icd10cm", "J18.9", IN_FY2100)
    assert not deleted.valid_on_date and deleted.validity == "deleted: not valid after 2099-09-30"
    added = code_detail(session, "icd10cm", "J18.8", IN_FY2099)
    assert not added.valid_on_date and added.validity == "not valid until 2099-10-01"
    # Children and billable status are those of the release in force.
    assert [c.code for c in code_detail(session, "icd10cm", "E11.9", IN_FY2100).children] == ["E1191"]
    assert code_detail(session, "icd10cm", "E11.9", IN_FY2099).status == "billable"
    assert [c.code for c in code_detail(session, "icd10cm", "J18", IN_FY2100).children] == ["J188"]


def test_history_and_diff(session):
    steps = code_history(session, "icd10cm", "E119")
    assert [(s.release.name, s.billable, s.change) for s in steps] == [
        ("ICD-10-CM FY2099", True, None),
        ("ICD-10-CM FY2100", False, "billable_changed"),
    ]
    changes = {(row.code, row.change) for row in diff_releases(session, "icd10cm", 1, 2)}
    assert changes == {
        ("E1165", "revised"),
        ("J189", "deleted"),
        ("J188", "added"),
        ("E119", "billable_changed"),
        ("E1191", "added"),
    }


def test_word_search_rows_are_those_valid_on_the_date(session):
    fy2099 = rows_in_force(session, in_force_all(session, IN_FY2099))
    fy2100 = rows_in_force(session, in_force_all(session, IN_FY2100))
    j189 = session.scalars(select(Code.id).where(Code.code == "J189")).one()
    j441 = session.scalars(select(Code.id).where(Code.code == "J441")).one()
    assert j189 in fy2099 and j189 not in fy2100 and j441 in fy2099 and j441 in fy2100


def test_the_same_release_twice_is_refused(tmp_path, small_sources):
    copy = tmp_path / "icd10cm-tabular-2099-copy.xml"
    copy.write_bytes(small_sources.icd10cm[0].tabular.read_bytes())
    twice = dataclasses.replace(small_sources, icd10cm=[*small_sources.icd10cm, CmFiles(copy)])
    with pytest.raises(SourceFormatError, match="same release"):
        build(tmp_path / "data", twice, progress=lambda _line: None)


def test_cli_date_history_and_diff(two_releases, capsys):
    data = ["--data", str(two_releases)]
    assert main(["show", "J18.9", "--json", "--date", "2100-05-01", *data]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["valid_on_date"] is False and shown["validity"].startswith("deleted")
    assert main(["show", "J18.9", "--json", "--date", "2099-05-01", *data]) == 0
    assert json.loads(capsys.readouterr().out)["valid_on_date"] is True
    assert main(["history", "E11.65", "--json", *data]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [step["change"] for step in history["history"]] == [None, "revised"]
    assert main(["diff", "--system", "icd10cm", "--from", "2099-05-01", "--to", "2100-05-01", *data]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "code,display,change,old_title,new_title" and len(lines) == 6
    assert 'J189,J18.9,deleted,"Pneumonia, unspecified organism",' in lines
    assert main(["diff", "--system", "icd10cm", "--from", "2101-01-01", "--to", "2100-05-01", *data]) == 1
    assert "no loaded ICD-10-CM release covers 2101-01-01" in capsys.readouterr().err
    assert main(["show", "E11.65", "--date", "15/11/2026", *data]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["export", "--system", "icd10cm", "--date", "2099-05-01", *data]) == 0
    exported = capsys.readouterr().out
    assert "J189" in exported and "J188" not in exported
