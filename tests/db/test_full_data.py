"""Full official data: the counts the build reports and exports that match the official files exactly."""

from __future__ import annotations

import json
import zipfile
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from db.build import BuildSources
from db.cli import main
from db.sources.icd10pcs_tables import parse_tables

pytestmark = pytest.mark.full_data


def _export(data, capsys, system, *extra):
    assert main(["export", "--system", system, "--format", "jsonl", "--data", str(data), *extra]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_counts_reported_by_info(full_data, capsys):
    assert main(["info", "--json", "--data", str(full_data)]) == 0
    info = json.loads(capsys.readouterr().out)
    counts = info["counts"]
    assert counts["icd10pcs"]["codes"] == 79_115
    assert counts["hcpcs"]["codes"] == 8_387
    assert counts["hcpcs"]["modifiers"] == 383
    # CDC publishes 74,719 for FY2026; S06 death codes take 7th character A only (see the build report).
    assert counts["icd10cm"]["billable"] == 74_719
    assert counts["icd10cm"]["index_terms"] > 50_000
    assert info["build"]["counts"]["index_references_unresolved.icd10pcs-index"] > 0
    assert {r["name"] for r in info["releases"]} >= {
        "ICD-10-CM FY2026 (April 1, 2026 update)",
        "ICD-10-PCS FY2026",
        "HCPCS Level II July 2025",
    }


def test_icd10cm_export_matches_the_tabular(full_data, capsys):
    rows = _export(full_data, capsys, "icd10cm")
    codes = [row["code"] for row in rows]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    exported = {row["display"]: row["title"] for row in rows}
    root = ET.fromstring(
        zipfile.ZipFile(BuildSources.bundled().icd10cm[-1].tabular).read("icd10c-tabular-April-1-2026.xml")
    )
    official = {d.findtext("name"): " ".join(d.findtext("desc").split()) for d in root.iter("diag")}
    assert len(official) == 46_881
    assert {code: exported[code] for code in official} == official
    assert sum(row["billable"] for row in rows) == 74_719


def test_icd10pcs_export_matches_the_tables(full_data, capsys):
    rows = _export(full_data, capsys, "icd10pcs")
    _version, tables = parse_tables(BuildSources.bundled().icd10pcs[-1].tables)
    assert [row["code"] for row in rows] == sorted(code for t in tables for code, _ in t.codes())


def test_hcpcs_export_matches_the_workbook(full_data, capsys):
    rows = _export(full_data, capsys, "hcpcs")
    workbook = openpyxl.load_workbook(BuildSources.bundled().hcpcs[-1].codes, read_only=True)
    official = {str(code).strip(): text for code, text in list(workbook.active.iter_rows(values_only=True))[1:]}
    workbook.close()
    assert {row["code"]: row["title"] for row in rows} == official
    assert sum(row["kind"] == "modifier" for row in rows) == 383


def test_both_icd10cm_releases_and_their_diff(full_data, capsys):
    """CDC's published billable counts per release, and the FY2025 April -> FY2026 April differences counted
    independently from the two tabulars (MANIFEST.md, section 2d)."""
    fy2025 = _export(full_data, capsys, "icd10cm", "--billable", "--date", "2025-05-01")
    fy2026 = _export(full_data, capsys, "icd10cm", "--billable", "--date", "2026-05-01")
    assert (len(fy2025), len(fy2026)) == (74_260, 74_719)
    assert fy2025[0]["release"] == "ICD-10-CM FY2025 (April 1, 2025 update)"
    args = ["diff", "--system", "icd10cm", "--from", "2025-05-01", "--to", "2026-05-01", "--format", "jsonl"]
    assert main([*args, "--data", str(full_data)]) == 0
    changes = [json.loads(line)["change"] for line in capsys.readouterr().out.splitlines()]
    assert {change: changes.count(change) for change in set(changes)} == {
        "added": 614,
        "deleted": 12,
        "revised": 44,
        "billable_changed": 16,
    }
    # No ICD-10-CM release we bundle covers October 2025 to March 2026: the diff refuses rather than guess.
    assert main([*args[:4], "2025-12-01", *args[5:], "--data", str(full_data)]) == 1
