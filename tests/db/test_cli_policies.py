"""`codebook-cli policies` and the policies of `show --json`, on the fixture coverage data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from db.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_policies_json_follows_the_contract(coverage_data: Path, capsys: pytest.CaptureFixture[str]):
    code, out, _ = _run(capsys, "policies", "E0143", "--data", str(coverage_data), "--json", "--date", "2026-02-01")
    answer = json.loads(out)
    assert code == 0 and set(answer) == {"code", "system", "policies"}
    assert answer["code"] == "E0143" and answer["system"] == "hcpcs"
    keys = {"kind", "id", "title", "contractors", "states", "effective_from", "effective_to", "covered_icd10",
            "noncovered_icd10"}  # fmt: skip
    assert all(set(policy) == keys for policy in answer["policies"])
    assert [(p["kind"], p["id"]) for p in answer["policies"]] == [
        ("article", "A52503"), ("article", "A99801"), ("lcd", "L33791"), ("ncd", "NCD 280.1")
    ]  # fmt: skip
    assert answer["policies"][1]["covered_icd10"] == ["S72001", "S72002"]


def test_policies_by_state_and_for_a_diagnosis(coverage_data: Path, capsys: pytest.CaptureFixture[str]):
    _, out, _ = _run(capsys, "policies", "E0143", "--state", "ny", "--data", str(coverage_data), "--json")
    assert [p["id"] for p in json.loads(out)["policies"]] == ["A52503", "L33791", "NCD 280.1"]
    code, out, _ = _run(capsys, "policies", "J44.1", "--data", str(coverage_data))
    assert code == 0 and "(icd10cm)" in out and "lists J44.1 as covered for: J1100" in out


def test_show_json_includes_the_policies(coverage_data: Path, small_data: Path, capsys: pytest.CaptureFixture[str]):
    _, out, _ = _run(capsys, "show", "J1100", "--data", str(coverage_data), "--json")
    assert [p["id"] for p in json.loads(out)["policies"]] == ["A99802", "L99701"]
    _, out, _ = _run(capsys, "show", "J1100", "--data", str(small_data), "--json")
    assert json.loads(out)["policies"] is None  # no coverage data loaded


def test_errors_say_what_to_do(coverage_data: Path, small_data: Path, capsys: pytest.CaptureFixture[str]):
    code, _, err = _run(capsys, "policies", "E0143", "--data", str(small_data))
    assert code == 3 and "no Medicare coverage data" in err and "codebook-cli import" in err
    code, _, err = _run(capsys, "policies", "E0143", "--state", "New York", "--data", str(coverage_data))
    assert code == 2 and "two-letter state" in err
