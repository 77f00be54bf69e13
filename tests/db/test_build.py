"""The build on small real-format files: contents, release rows, atomic swap, bad input, cancel."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from db.build import BuildCancelled, HcpcsFiles, PcsFiles, build
from db.cli import main
from db.engine import open_read_only, session_scope
from db.layout import DATABASE_FILE, current_dir
from db.models import Code, HcpcsAttributes, IndexTerm, Note
from db.queries import counts_by_system, releases


@pytest.fixture
def session(small_data):
    engine = open_read_only(current_dir(small_data) / DATABASE_FILE)
    with session_scope(engine) as session:
        yield session
    engine.dispose()


def test_codes_of_every_system_with_hierarchy(session):
    code = session.scalars(select(Code).where(Code.system == "icd10cm", Code.code == "S72001A")).one()
    assert (code.first_seq, code.last_seq) == (1, 1)

    def version(system: str, code_text: str | None) -> Code:
        return session.scalars(select(Code).where(Code.system == system, Code.code == code_text)).one()

    parent = version("icd10cm", code.parent_code)
    assert parent.code == "S72001" and not parent.billable
    chapter = version("icd10cm", code.chapter_code)
    assert chapter.title.startswith("Injury, poisoning")
    pcs = session.scalars(select(Code).where(Code.system == "icd10pcs", Code.code == "0FT44ZZ")).one()
    assert pcs.billable and pcs.title == "Resection of Gallbladder, Percutaneous Endoscopic Approach"
    pcs_parents = []
    node = pcs
    while node.parent_code:
        node = version("icd10pcs", node.parent_code)
        pcs_parents.append((node.code, node.kind))
    assert pcs_parents == [
        ("0FT4", "body_part"),
        ("0FT", "operation"),
        ("0F", "body_system"),
        ("0", "section"),
    ]
    modifier = session.scalars(select(Code).where(Code.system == "hcpcs", Code.code == "RT")).one()
    assert modifier.kind == "modifier" and not modifier.billable


def test_notes_are_stored_where_stated(session):
    e11 = session.scalars(select(Code).where(Code.system == "icd10cm", Code.code == "E11")).one()
    kinds = {note.kind for note in session.scalars(select(Note).where(Note.code_id == e11.id))}
    assert kinds == {"includes", "use_additional_code", "excludes1"}


def test_releases_name_their_files_and_dates(session):
    rows = {(r.system, r.content): r for r in releases(session)}
    cm = rows[("icd10cm", "tabular")]
    assert cm.name == "ICD-10-CM FY2099"
    assert (str(cm.valid_from), str(cm.valid_to)) == ("2098-10-01", "2099-09-30")
    assert cm.sources[0].file_name == "icd10cm-tabular-2099.xml" and len(cm.sources[0].sha256) == 64
    hcpcs = rows[("hcpcs", "codes")]
    assert hcpcs.name == "HCPCS Level II July 2099"
    assert (str(hcpcs.valid_from), str(hcpcs.valid_to)) == ("2099-07-01", "2099-09-30")


def test_index_terms_attach_to_current_codes_and_unresolved_are_counted(session, small_data):
    terms = session.scalars(select(IndexTerm)).all()
    assert terms, "the fixture indexes point to some codes of the small tabular"
    info = json.loads((current_dir(small_data) / "build.json").read_text())
    unresolved = {k: v for k, v in info["counts"].items() if k.startswith("index_references_unresolved")}
    attached = {k: v for k, v in info["counts"].items() if k.startswith("index_terms.")}
    assert sum(unresolved.values()) > 0  # most fixture references point outside the small tabular
    assert sum(attached.values()) == len(terms)


def test_counts(session):
    counts = counts_by_system(session)
    assert counts["icd10cm"]["billable"] == 21
    assert counts["hcpcs"]["codes"] == 4 and counts["hcpcs"]["modifiers"] == 4
    assert counts["icd10pcs"]["codes"] == counts["icd10pcs"]["billable"]


def test_hcpcs_attributes_row_for_every_code(session):
    assert len(session.scalars(select(HcpcsAttributes)).all()) == 8


def _checksum(folder: Path) -> bytes:
    return (current_dir(folder) / DATABASE_FILE).read_bytes()


def test_bad_source_leaves_previous_build_intact(tmp_path, small_sources):
    build(tmp_path, small_sources, progress=lambda _l: None, with_index=False)
    before = _checksum(tmp_path)
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(small_sources.icd10pcs[0].tables.read_bytes()[:3000])
    from db.sources.errors import SourceFormatError

    with pytest.raises(SourceFormatError, match=r"truncated\.xml"):
        build(
            tmp_path,
            dataclasses.replace(small_sources, icd10pcs=[PcsFiles(truncated, small_sources.icd10pcs[0].definitions)]),
            progress=lambda _l: None,
        )
    assert _checksum(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "truncated.xml"]


def test_cancel_leaves_nothing_behind(tmp_path, small_sources):
    with pytest.raises(BuildCancelled):
        build(tmp_path, small_sources, progress=lambda _l: None, should_cancel=lambda: True, with_index=False)
    assert list(tmp_path.iterdir()) == []


def test_cli_info_and_export(small_data, capsys):
    assert main(["info", "--json", "--data", str(small_data)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {r["system"] for r in info["releases"]} == {"icd10cm", "icd10pcs", "hcpcs", "cpt"}
    cpt = next(r for r in info["releases"] if r["system"] == "cpt")
    assert cpt["content"] == "article references" and cpt["sources"] == []
    assert info["counts"]["icd10cm"]["billable"] == 21

    assert main(["export", "--system", "hcpcs", "--format", "jsonl", "--data", str(small_data)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["code"] for line in lines] == ["E0143", "G0105", "J1100", "J3490", "GA", "LT", "RT", "XS"]
    assert lines[0] == {
        "system": "hcpcs",
        "code": "E0143",
        "display": "E0143",
        "title": "Walker, folding, wheeled, adjustable or fixed height",
        "billable": True,
        "release": "HCPCS Level II July 2099",
        "kind": "code",
    }

    assert main(["export", "--system", "icd10cm", "--billable", "--data", str(small_data)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "system,code,display,title,billable,release"
    assert len(rows) == 1 + 21
    assert rows[1].startswith("icd10cm,E1165,E11.65,Type 2 diabetes mellitus with hyperglycemia,yes,")


def test_cli_reports_missing_data_and_bad_files(tmp_path, capsys):
    assert main(["info", "--data", str(tmp_path / "empty")]) == 3
    assert "codebook-cli build" in capsys.readouterr().err
    bad = tmp_path / "bad.xml"
    bad.write_text("<nope", encoding="utf-8")
    assert main(["build", "--data", str(tmp_path / "d"), "--icd10pcs-tables", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.xml" in err and "line 1" in err and "previously built data is intact" in err


def test_a_pcs_code_defined_twice_stops_the_build(tmp_path, small_sources):
    from db.sources.errors import SourceFormatError

    text = small_sources.icd10pcs[0].tables.read_text(encoding="utf-8")
    first_row = text.index("<pcsRow")
    row = text[first_row : text.index("</pcsRow>", first_row) + len("</pcsRow>")]
    doubled = tmp_path / "icd10pcs_tables_2099.xml"
    doubled.write_text(text.replace(row, row + row, 1), encoding="utf-8")
    with pytest.raises(SourceFormatError, match="defined by two rows"):
        build(
            tmp_path / "data",
            dataclasses.replace(small_sources, icd10pcs=[PcsFiles(doubled, small_sources.icd10pcs[0].definitions)]),
            progress=lambda _l: None,
        )
    assert not (tmp_path / "data" / "current").exists()


def test_a_users_other_release_leaves_out_links_to_codes_it_does_not_have(tmp_path, small_sources, capsys):
    """A newer (or older) official HCPCS file may lack codes the curated lay terms name (E0143 here)."""
    anweb = Path(__file__).resolve().parents[1] / "fixtures" / "hcpcs" / "HCPC2019_CONTR_ANWEB_sample.txt"
    strict = dataclasses.replace(small_sources, hcpcs=[HcpcsFiles(anweb)])
    from db.sources.errors import SourceFormatError

    with pytest.raises(SourceFormatError, match="E0143"):
        build(tmp_path / "strict", strict, progress=lambda _l: None)
    report = build(tmp_path / "lenient", dataclasses.replace(strict, strict_links=False), progress=lambda _l: None)
    assert report.counts["lay_term_codes_not_in_release"] == 1
    assert report.counts["hcpcs.codes"] > 0

    assert main(["show", "J1100", "--json", "--data", str(tmp_path / "lenient")]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["system"], shown["code"]) == ("hcpcs", "J1100")
    assert shown["hcpcs_attributes"]["betos_code"]
