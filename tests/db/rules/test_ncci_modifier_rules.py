"""NCCI PTP, MUE and modifier rules on the small build and the NCCI fixtures (CMS layouts, real code pairs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from db.engine import open_read_only, session_scope
from db.layout import DATABASE_FILE, current_dir
from db.ncci_store import NcciStore
from db.rules.check import check_claim
from db.rules.findings import RULES, CheckResult

Q4_2026 = dt.date(2026, 11, 2)


@pytest.fixture(scope="module")
def session(small_data: Path) -> Iterator[Session]:
    engine = open_read_only(current_dir(small_data) / DATABASE_FILE)
    with session_scope(engine) as opened:
        yield opened
    engine.dispose()


def rules(result: CheckResult, rule: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(f.severity, f.codes) for f in result.findings if f.rule == rule]


def test_ptp_indicator_1_without_a_modifier_warns_and_with_one_notes(session: Session, ncci_store: NcciStore) -> None:
    plain = check_claim(session, "E11.9, 20610 RT, 99214", Q4_2026, ncci_store)
    assert rules(plain, "ncci_ptp") == [("warning", ("20610", "99214"))]
    finding = next(f for f in plain.findings if f.rule == "ncci_ptp")
    assert "modifier indicator 1" in finding.source and "effective 2002-01-01" in finding.source
    with_25 = check_claim(session, "E11.9, 20610, 99214-25", Q4_2026, ncci_store)
    assert rules(with_25, "ncci_ptp") == [("note", ("20610", "99214"))]


def test_ptp_indicator_0_is_an_error_whatever_the_modifier(session: Session, ncci_store: NcciStore) -> None:
    result = check_claim(session, "93000, 93005-59", Q4_2026, ncci_store)
    assert rules(result, "ncci_ptp") == [("error", ("93000", "93005"))]


def test_ptp_does_not_fire_for_unrelated_deleted_or_not_applicable_pairs(
    session: Session, ncci_store: NcciStore
) -> None:
    assert rules(check_claim(session, "99214, 93000", Q4_2026, ncci_store), "ncci_ptp") == []
    assert rules(check_claim(session, "12001, 11042", Q4_2026, ncci_store), "ncci_ptp") == []  # deleted 2020
    assert rules(check_claim(session, "12001, 11042", dt.date(2019, 6, 1), ncci_store), "ncci_ptp")  # in force then
    assert rules(check_claim(session, "96372, J1030", Q4_2026, ncci_store), "ncci_ptp") == []  # indicator 9
    assert rules(check_claim(session, "20610, 99214", Q4_2026, None), "ncci_ptp") == []  # no NCCI data loaded


def test_mue_date_of_service_and_line_edits(session: Session, ncci_store: NcciStore) -> None:
    assert rules(check_claim(session, "20610 x3", Q4_2026, ncci_store), "mue") == [("error", ("20610",))]
    assert rules(check_claim(session, "20610 x2", Q4_2026, ncci_store), "mue") == []
    # MAI 3: every line of the code on the date counts
    assert rules(check_claim(session, "J1030 x5, J1030 x5", Q4_2026, ncci_store), "mue") == [("error", ("J1030",))]
    # MAI 1 (line edit): each line is compared alone
    assert rules(check_claim(session, "11042 x2", Q4_2026, ncci_store), "mue") == [("warning", ("11042",))]
    assert rules(check_claim(session, "11042, 11042", Q4_2026, ncci_store), "mue") == []
    message = next(f for f in check_claim(session, "20610 x3", Q4_2026, ncci_store).findings if f.rule == "mue")
    assert "allows 2" in message.message and "2 Date of Service Edit: Policy" in message.source


def test_modifiers_unknown_and_contradicting(session: Session) -> None:
    day = dt.date(2099, 8, 1)
    assert rules(check_claim(session, "20610 RT", day), "modifier") == []
    assert rules(check_claim(session, "20610 XS", day), "modifier") == []  # HCPCS modifier of the loaded release
    assert rules(check_claim(session, "99214-25", day), "modifier") == []  # CPT modifier, by number
    assert rules(check_claim(session, "20610 ZZ", day), "modifier") == [("warning", ("20610", "ZZ"))]
    assert rules(check_claim(session, "20610 RT LT", day), "modifier") == [("warning", ("20610", "LT", "RT"))]
    assert rules(check_claim(session, "20610-50-RT", day), "modifier") == [("warning", ("20610", "50", "RT"))]


def test_json_has_exactly_the_contract_keys(session: Session, ncci_store: NcciStore) -> None:
    result = check_claim(session, "E11.9, 20610 RT, 99214, J1030 x2, ZZ99.9", Q4_2026, ncci_store).to_json()
    assert set(result) == {"date", "codes", "findings"}
    assert result["date"] == "2026-11-02"
    assert all(set(code) == {"code", "system", "modifiers", "units", "valid_on_date"} for code in result["codes"])
    assert result["codes"][1] == {"code": "20610", "system": "cpt", "modifiers": ["RT"], "units": 1,
                                  "valid_on_date": False}  # fmt: skip
    assert all(set(f) == {"severity", "rule", "codes", "message", "source"} for f in result["findings"])
    assert {f["rule"] for f in result["findings"]} <= set(RULES)
