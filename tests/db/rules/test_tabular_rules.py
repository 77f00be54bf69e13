"""Code validity and tabular-note rules, each firing and not firing, on the bundled official data (full_data) and,
for dates of service across releases, on the two small fixture releases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import open_read_only, session_scope
from db.layout import DATABASE_FILE, current_dir
from db.models import Code
from db.rules.check import check_claim
from db.rules.findings import CheckResult

DAY = dt.date(2026, 5, 1)  # ICD-10-CM FY2026 April update, ICD-10-PCS FY2026
HCPCS_DAY = dt.date(2025, 8, 1)  # HCPCS July 2025 and ICD-10-CM FY2025 April update


def fired(result: CheckResult, rule: str) -> list[tuple[str, ...]]:
    return [f.codes for f in result.findings if f.rule == rule]


@pytest.fixture(scope="module")
def session(full_data: Path) -> Iterator[Session]:
    engine = open_read_only(current_dir(full_data) / DATABASE_FILE)
    with session_scope(engine) as opened:
        yield opened
    engine.dispose()


pytestmark = pytest.mark.full_data


def test_not_a_code(session: Session) -> None:
    result = check_claim(session, "E11.99", DAY)
    assert fired(result, "not_a_code") == [("E1199",)]
    assert "E11.9" in result.findings[0].action  # the nearest code that exists
    assert fired(check_claim(session, "E11.9", DAY), "not_a_code") == []


def test_not_valid_on_date_added_later_and_deleted_earlier(session: Session) -> None:
    # B88.01 is new in the FY2026 release; S30.1XXA was deleted after FY2025 (real history of the bundled files)
    before = check_claim(session, "B88.01", HCPCS_DAY)
    assert fired(before, "not_valid_on_date") == [("B8801",)]
    assert "not valid until 2026-04-01" in before.findings[0].message
    assert fired(check_claim(session, "B88.01", DAY), "not_valid_on_date") == []
    after = check_claim(session, "S30.1XXA", DAY)
    assert fired(after, "not_valid_on_date") == [("S301XXA",)]
    assert "deleted: not valid after 2025-09-30" in after.findings[0].message
    assert "History:" in after.findings[0].source
    assert fired(check_claim(session, "S30.1XXA", HCPCS_DAY), "not_valid_on_date") == []


def test_hcpcs_valid_on_date_or_checked_against_the_newest(session: Session) -> None:
    assert fired(check_claim(session, "J1030 x2", HCPCS_DAY), "not_valid_on_date") == []
    later = check_claim(session, "J1030 x2", DAY)  # no loaded HCPCS release covers May 2026
    assert [(f.severity, f.codes) for f in later.findings if f.rule == "not_valid_on_date"] == [("note", ("J1030",))]


def test_header_lists_its_billable_children(session: Session) -> None:
    result = check_claim(session, "E11", DAY)
    assert fired(result, "header_not_billable") == [("E11",)]
    assert result.findings[0].candidates[:2] == ("E1100", "E1101")  # in the tabular's order
    assert fired(check_claim(session, "E11.65", DAY), "header_not_billable") == []


def test_seventh_character_missing_or_not_allowed(session: Session) -> None:
    missing = check_claim(session, "S72.001", DAY)
    assert fired(missing, "seventh_character") == [("S72001",)]
    assert "S72001A" in missing.findings[0].candidates
    assert "A (initial encounter for closed fracture)" in missing.findings[0].source
    assert fired(check_claim(session, "S72.001Z", DAY), "seventh_character") == [("S72001Z",)]
    assert fired(check_claim(session, "S72.001A", DAY), "seventh_character") == []


def test_placeholder_x_missing(session: Session) -> None:
    result = check_claim(session, "S13.4A, T36.01A", DAY)
    assert fired(result, "placeholder") == [("S134A",), ("T3601A",)]
    assert {c for f in result.findings for c in f.candidates} >= {"S134XXA", "T360X1A"}
    assert fired(check_claim(session, "S13.4XXA", DAY), "placeholder") == []


def test_excludes1_inherited_family_and_range(session: Session) -> None:
    diabetes = check_claim(session, "E10.9, E11.65", DAY)  # E10 Excludes1: type 2 diabetes mellitus (E11.-)
    assert fired(diabetes, "excludes1") == [("E109", "E1165")]
    assert "E10 Excludes1: type 2 diabetes mellitus (E11.-)" in diabetes.findings[0].source
    # I10 Excludes1: hypertensive disease complicating pregnancy ... (O10-O11, O13-O16): a range
    assert fired(check_claim(session, "I10, O10.011", DAY), "excludes1") == [("I10", "O10011")]
    assert fired(check_claim(session, "E11.65, I10", DAY), "excludes1") == []


def test_code_first_partner_missing(session: Session) -> None:
    alone = check_claim(session, "F02.80", DAY)
    assert fired(alone, "code_first_missing") == [("F0280",)]
    assert "G30" in alone.findings[-1].candidates or "G30" in " ".join(f.source for f in alone.findings)
    assert fired(check_claim(session, "G30.9, F02.80", DAY), "code_first_missing") == []
    # D63.1 Code first: underlying chronic kidney disease (CKD) (N18.-): met by N18.30 (N18 has its own notes)
    assert ("D631",) not in fired(check_claim(session, "N18.30, D63.1", DAY), "code_first_missing")
    assert ("D631",) in fired(check_claim(session, "D63.1", DAY), "code_first_missing")


def test_use_additional_code_partner_missing(session: Session) -> None:
    result = check_claim(session, "E11.65", DAY)
    finding = next(f for f in result.findings if f.rule == "use_additional_missing")
    assert finding.severity == "note" and "Z794" in finding.candidates
    assert fired(check_claim(session, "E11.65, Z79.4", DAY), "use_additional_missing") == []


def test_manifestation_first_or_alone(session: Session) -> None:
    assert fired(check_claim(session, "F02.80, G30.9", DAY), "manifestation_first") == [("F0280",)]
    assert fired(check_claim(session, "D63.1", DAY), "manifestation_first") == [("D631",)]
    assert fired(check_claim(session, "G30.9, F02.80", DAY), "manifestation_first") == []


def test_pcs_on_a_professional_claim(session: Session) -> None:
    assert fired(check_claim(session, "K80.20, 0FT44ZZ", DAY), "pcs_on_professional") == [("0FT44ZZ",)]
    assert fired(check_claim(session, "K80.20, 0FT44ZZ", DAY, setting="hospital"), "pcs_on_professional") == []


CLAIM_20 = (
    "E11.65, I10, E78.5, J44.1, N18.30, D63.1, F02.80, G30.9, S72.001A, M17.11, Z79.4, E66.9, R73.9; "
    "99214-25, 20610 RT, J1030 x2, 96372, G0105, 93000, 36415"
)


def test_a_20_code_claim_is_read_whole(session: Session) -> None:
    """Its speed (at most 50 ms) is measured by benchmarks/claim_check.py, not asserted on a shared machine."""
    result = check_claim(session, CLAIM_20, DAY)
    assert len(result.codes) == 20


def test_500_codes_and_hostile_text_never_crash(session: Session) -> None:
    """Their speed (under 200 ms) is measured by benchmarks/claim_check.py, not asserted on a shared machine."""
    codes = list(session.scalars(select(Code.display).where(Code.system == "icd10cm").limit(400)))
    hostile = {
        "500 codes": ", ".join(codes + [f"J{1000 + n} RT x3" for n in range(100)]),
        "10,000 characters": ("E11.65\x00\x1b[31m I10 \u202e99214-25 x" * 400)[:10_000],
        "control characters": "".join(chr(n % 32) for n in range(10_000)),
    }
    for name, text in hostile.items():
        result = check_claim(session, text, DAY)
        assert len(result.codes) <= 1000, name
