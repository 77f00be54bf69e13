"""The coverage rule: the claim check on the small build with the fixture Medicare Coverage Database downloads
(layout: tests/db/sources/test_mcd.py) imported by the production import path (tests/conftest.py
`coverage_data`). Article A99802 lists J1100 and three covered diagnoses (J44.1 among them, not J18.9)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from db.cli import main
from db.engine import open_read_only, session_scope
from db.importer import plan_import, run_import
from db.imports import Imports
from db.layout import DATABASE_FILE, current_dir
from db.rules.check import check_claim
from db.rules.coverage import RULE, TITLE
from db.rules.findings import RULES, CheckResult
from tests.conftest import FIXTURES, write_mcd_downloads

DAY = dt.date(2026, 2, 1)


@pytest.fixture(scope="module")
def session(coverage_data: Path) -> Iterator[Session]:
    engine = open_read_only(current_dir(coverage_data) / DATABASE_FILE)
    with session_scope(engine) as opened:
        yield opened
    engine.dispose()


def coverage_findings(result: CheckResult) -> list[tuple[str, tuple[str, ...], str]]:
    return [(f.severity, f.codes, f.message) for f in result.findings if f.rule_title == TITLE]


def test_a_procedure_without_a_supporting_diagnosis_warns_and_names_the_article(session, coverage_data) -> None:
    result = check_claim(session, "J18.9, J1100 x4", DAY, coverage=coverage_data)
    ((severity, codes, message),) = coverage_findings(result)
    assert (severity, codes) == ("warning", ("J1100",))
    assert "A99802" in message and "Dexamethasone Injection" in message and "3 ICD-10-CM codes" in message
    finding = next(f for f in result.findings if f.rule_title == TITLE)
    assert finding.rule == RULE and RULE in RULES  # a contract rule name (issue 13), see db/rules/coverage.py
    assert finding.to_json()["rule"] == "use_additional_missing" and "A99802" in finding.source


def test_no_finding_with_a_covered_diagnosis_before_the_article_or_without_coverage_data(
    session, coverage_data, small_data
) -> None:
    assert coverage_findings(check_claim(session, "J44.1, J1100", DAY, coverage=coverage_data)) == []
    # The article's current version took effect 2025-10-01: earlier, its rules are unknown.
    assert coverage_findings(check_claim(session, "J18.9, J1100", dt.date(2025, 9, 1), coverage=coverage_data)) == []
    assert coverage_findings(check_claim(session, "J18.9, J1100", DAY, coverage=small_data)) == []  # not loaded
    assert coverage_findings(check_claim(session, "J18.9, J1100", DAY)) == []  # not asked
    assert coverage_findings(check_claim(session, "J18.9, E11.9", DAY, coverage=coverage_data)) == []  # no procedure


def test_a_claim_without_diagnoses_gets_a_note_not_a_warning(session, coverage_data) -> None:
    ((severity, codes, message),) = coverage_findings(check_claim(session, "J1100", DAY, coverage=coverage_data))
    assert (severity, codes) == ("note", ("J1100",)) and "no diagnosis" in message


def test_one_finding_per_procedure_naming_every_article(session, tmp_path: Path) -> None:
    # The fixture downloads with the walkers article (A52503, E0143) listing a covered diagnosis too: E0143 is
    # then listed by two articles, neither supporting J18.9.
    tables = tmp_path / "tables"
    shutil.copytree(FIXTURES / "mcd", tables)
    covered = tables / "current_article_csv" / "article_x_icd10_covered.csv"
    covered.write_text(covered.read_text(encoding="utf-8") + '52503,12,"E11.9",1,1,"","2026-01-08 00:00:00",1,'
                       '"Type 2 diabetes mellitus without complications (fixture)",""\n', encoding="utf-8")  # fmt: skip
    data = tmp_path / "data"
    downloads = write_mcd_downloads(tmp_path / "downloads", tables)
    run_import(plan_import([downloads], [], Imports.load(data), data), data, progress=lambda _line: None)
    result = check_claim(session, "J18.9, J1100, E0143, J1100 x2", DAY, coverage=data)
    found = coverage_findings(result)
    assert [(severity, codes) for severity, codes, _ in found] == [("warning", ("J1100",)), ("warning", ("E0143",))]
    message = found[1][2]
    assert "2 billing and coding articles" in message and "A52503 (Walkers - Policy Article)" in message
    assert "A99801" in message
    # E11.9 supports E0143 under A52503, not under A99801: only A99801 is named.
    ((_, codes, message),) = coverage_findings(check_claim(session, "E11.9, E0143", DAY, coverage=data))
    assert codes == ("E0143",) and "A99801" in message and "A52503" not in message


def test_cli_check_reads_the_coverage_of_its_data_folder(coverage_data, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--date", DAY.isoformat(), "--json", "--data", str(coverage_data), "J18.9, E0143"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [f["codes"] for f in findings if f["rule"] == "use_additional_missing"] == [["E0143"]]
    assert any("A99801" in f["message"] for f in findings)
