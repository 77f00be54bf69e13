"""A code's NCCI edits (db/edits.py, the Edits tab's data and `show --json`'s "edits") on the NCCI fixtures in
CMS's layouts, imported by the production import path."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from db.cli import main
from db.edits import CodeEdits, PtpPartner, PtpTable, code_edits
from db.ncci_store import NcciStore
from desktop.render_edits import NOT_LOADED, ROWS_SHOWN, edits_html

Q4_2026 = dt.date(2026, 11, 2)


def test_partners_in_both_columns_in_force_first_then_the_others_marked(ncci_store: NcciStore) -> None:
    edits = code_edits(ncci_store.path.parent, "11042", Q4_2026)
    assert edits is not None
    (table,) = edits.ptp  # only the practitioner file is loaded here
    assert table.setting == "practitioner" and table.covers_date
    assert [(p.column1, p.column2, p.in_force) for p in table.partners] == [
        ("11042", "97597", True),  # 11042 as column 1
        ("12001", "11042", False),  # as column 2, deleted 2020-01-01
    ]
    assert table.others[0].why_not(Q4_2026) == "deleted 2020-01-01"
    assert table.partners[0].modifier == 1 and table.partners[0].deletion is None
    # In 2019 the deleted edit still applied.
    earlier = code_edits(ncci_store.path.parent, "11042", dt.date(2019, 6, 1))
    assert earlier is not None and all(p.in_force for p in earlier.ptp[0].partners)
    assert not earlier.ptp[0].covers_date  # no 2019 quarter loaded: the 2026 Q4 one is shown
    (mue,) = edits.mue
    assert (mue.setting, mue.value, mue.adjudication, mue.adjudication_text, mue.rationale) == (
        "practitioner", 1, 1, "1 Line Edit", "Anatomic Consideration")  # fmt: skip


def test_an_edit_deleted_the_day_it_took_effect_and_a_code_without_edits(ncci_store: NcciStore) -> None:
    edits = code_edits(ncci_store.path.parent, "J1030", Q4_2026)
    assert edits is not None
    (partner,) = edits.ptp[0].partners
    assert (partner.column1, partner.modifier, partner.in_force) == ("96372", 9, False)
    assert partner.why_not(Q4_2026) == "deleted the day it took effect (never applied)"
    none = code_edits(ncci_store.path.parent, "e0144", Q4_2026)
    assert none is not None and none.code == "E0144" and not none.ptp[0].partners and none.mue[0].value is None


def test_no_ncci_data_is_none_and_the_tab_says_how_to_load_it(small_data: Path) -> None:
    assert code_edits(small_data, "20610", Q4_2026) is None
    assert NOT_LOADED in edits_html(None, "hcpcs")
    assert edits_html(None, "icd10cm") == ""  # NCCI does not list ICD-10 codes: the tab is disabled


def test_the_tab_shows_at_most_rows_shown_edits_and_says_how_many_more() -> None:
    partners = tuple(PtpPartner("99214", f"{n:05d}", 1, dt.date(2020, 1, 1), None, "Misuse", True)
                     for n in range(10000, 10000 + ROWS_SHOWN + 25))  # fmt: skip
    edits = CodeEdits("99214", Q4_2026, (PtpTable("practitioner", "NCCI PTP edits", True, partners),), ())
    html = edits_html(edits, "cpt")
    assert html.count("<tr>") == ROWS_SHOWN + 1  # the header row
    assert "and 25 more" in html and "No MUE table is loaded" in html


@pytest.mark.parametrize("code", ["J1100", "E11.9"])
def test_show_json_has_the_edits(small_data_with_ncci: Path, small_data: Path, code: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert main(["show", code, "--json", "--date", "2026-11-02", "--data", str(small_data_with_ncci)]) == 0
    shown = json.loads(capsys.readouterr().out)
    if code == "E11.9":
        assert shown["edits"] is None
        return
    assert shown["edits"]["date"] == "2026-11-02"
    assert shown["edits"]["ptp"][0]["edits"] == []
    assert shown["edits"]["mue"] == [{
        "setting": "practitioner", "edition": "MUE table, practitioner, effective 2026-10-01", "covers_date": True,
        "value": 30, "adjudication_indicator": 3, "adjudication_text": "3 Date of Service Edit: Clinical",
        "rationale": "Clinical: Data",
    }]  # fmt: skip
    assert main(["show", code, "--json", "--data", str(small_data)]) == 0
    assert json.loads(capsys.readouterr().out)["edits"] is None
