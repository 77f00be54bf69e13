"""The Edits tab on real data: the small build plus the NCCI fixtures (CMS's PTP and MUE layouts, see
tests/fixtures/ncci) imported by the production import path; driven from the keyboard."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from db.importer import plan_import, run_import
from db.imports import Imports
from desktop.detail_view import TAB_NAMES
from desktop.main_window import MainWindow
from tests.conftest import FIXTURES

EDITS_TAB = TAB_NAMES.index("Edits")
DAY = dt.date(2026, 11, 2)  # in the fixtures' quarter, 2026 Q4


@pytest.fixture(scope="module")
def data_with_ncci(tmp_path_factory: pytest.TempPathFactory, small_data: Path) -> Path:
    data = tmp_path_factory.mktemp("edits-tab")
    shutil.copytree(small_data, data, dirs_exist_ok=True)
    files = [FIXTURES / "ncci" / name for name in (
        "ccipra-v323r0-f1.TXT", "ccioph-v323r0-f1.TXT", "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv")]  # fmt: skip
    run_import(plan_import(files, [], Imports.load(data), data), data, progress=lambda _line: None)
    return data


@pytest.fixture
def make_window(open_window):
    return lambda data, day=DAY: open_window(data, day=day)


def open_code(qtbot, window: MainWindow, code: str) -> None:
    window.search_bar.clear()
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=lambda r: r.query == code):
        qtbot.keyClicks(window.search_bar, code)
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)


def test_ctrl_9_shows_the_ptp_partners_in_both_columns_and_the_mue(qtbot, make_window, data_with_ncci):
    window = make_window(data_with_ncci)
    open_code(qtbot, window, "G0105")
    assert window.detail.isTabEnabled(EDITS_TAB)
    qtbot.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
    assert window.detail.currentIndex() == EDITS_TAB
    text = window.detail.browsers[EDITS_TAB].toPlainText()
    # G0105 is column 1 of two practitioner edits (45378, G0121) and of one outpatient hospital edit.
    assert "PTP edits, practitioner" in text and "PTP edits, outpatient hospital" in text
    assert "In force on 2026-11-02: 2 edits (2 with G0105 as column 1" in text
    assert "Mutually exclusive procedures" in text and "0: not allowed" in text
    assert "45378" in text and "G0121" in text
    # MUE: practitioner 1, date of service edit (policy); no outpatient hospital or DME table loaded.
    mue = text.split("Medically Unlikely Edits (units)")[1].split("PTP edits")[0]
    assert "practitioner\n1\n2 Date of Service Edit: Policy\nCMS Policy" in mue
    assert "outpatient hospital" not in mue and text.index("Medically Unlikely") < text.index("PTP edits")


def test_a_code_as_column_2_and_an_edit_not_in_force_on_the_date(qtbot, make_window, data_with_ncci):
    # J1100 is in the small HCPCS build; the practitioner fixture has no edit for it: an empty table, the MUE.
    window = make_window(data_with_ncci)
    open_code(qtbot, window, "J1100")
    qtbot.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
    text = window.detail.browsers[EDITS_TAB].toPlainText()
    assert "No PTP edit names J1100 in this quarter." in text
    assert "30" in text and "3 Date of Service Edit: Clinical" in text


def test_icd10_codes_have_no_edits_tab_and_without_ncci_data_a_plain_line(qtbot, make_window, small_data):
    window = make_window(small_data)
    open_code(qtbot, window, "E11.9")
    assert not window.detail.isTabEnabled(EDITS_TAB)
    open_code(qtbot, window, "G0105")
    assert window.detail.isTabEnabled(EDITS_TAB)
    qtbot.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
    text = window.detail.browsers[EDITS_TAB].toPlainText()
    assert text.strip() == "NCCI edits are not loaded: File \u2192 Import official files\u2026"
