"""The real window on a small real index, driven from the keyboard (offscreen Qt)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from desktop.main_window import MainWindow
from desktop.services import DatedResults


@pytest.fixture
def user_folder(tmp_path):
    return tmp_path / "user"


@pytest.fixture
def make_window(open_window, small_data, user_folder):
    return lambda: open_window(small_data, user_folder)


def type_and_wait(qtbot, window: MainWindow, text: str) -> None:
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=lambda r: r.query == text):
        qtbot.keyClicks(window.search_bar, text)


def test_focus_starts_in_the_search_bar_and_stays_there(qtbot, make_window):
    window = make_window()
    qtbot.waitUntil(lambda: window.search_bar.hasFocus())
    type_and_wait(qtbot, window, "fracture femur")
    assert window.model.rowCount() > 2
    assert window.results.currentIndex().row() == 0
    qtbot.keyClick(window.search_bar, Qt.Key.Key_Down)
    assert window.results.currentIndex().row() == 1
    qtbot.keyClick(window.search_bar, Qt.Key.Key_PageDown)
    assert window.results.currentIndex().row() == min(11, window.model.rowCount() - 1)
    qtbot.keyClick(window.search_bar, Qt.Key.Key_Up)
    assert window.search_bar.hasFocus()


def test_keyboard_flow_enter_tabs_copy_and_favorite_survives_restart(qtbot, make_window):
    window = make_window()
    type_and_wait(qtbot, window, "S72.001")
    assert window.model.hit(0).display == "S72.001"
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    assert window.detail.bundle.detail.ref.display == "S72.001"
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.detail.tabText(window.detail.currentIndex()) == "Notes"
    assert "Fracture of hip NOS" in window.detail.browsers[1].toPlainText()
    assert "S72.00" in window.detail.browsers[1].toPlainText()
    window.search_bar.setFocus()
    qtbot.keyClick(window.search_bar, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "S72.001"
    qtbot.keyClick(
        window.search_bar, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert QGuiApplication.clipboard().text() == "S72.001 Fracture of unspecified part of neck of right femur"
    qtbot.keyClick(window.search_bar, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    window.close()

    again = make_window()
    assert again.search_bar.text() == ""
    shown = [again.model.hit(row) for row in range(again.model.rowCount())]
    assert shown[0].display == "S72.001" and shown[0].matched == "favorite"


def test_escape_clears_then_returns_to_the_search_bar(qtbot, make_window):
    window = make_window()
    type_and_wait(qtbot, window, "copd")
    qtbot.keyClick(window.search_bar, Qt.Key.Key_Escape)
    assert window.search_bar.text() == ""
    window.results.setFocus()
    qtbot.keyClick(window.results, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.search_bar.hasFocus()


def test_seventh_character_builder_composes_and_copies(qtbot, make_window):
    window = make_window()
    type_and_wait(qtbot, window, "T07")
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    builder = window.detail.builder
    assert builder.isVisible() and builder.current_code() == "T07.XXXA"
    builder.choice.setCurrentIndex(1)
    builder.copy_button.click()
    assert QGuiApplication.clipboard().text() == "T07.XXXS"


def test_pcs_code_procedure_tab_explains_each_character(qtbot, make_window):
    window = make_window()
    type_and_wait(qtbot, window, "0FT40ZZ")  # open approach: no article, so the characters are explained
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    text = window.detail.browsers[2].toPlainText()
    assert "Resection" in text and "Cutting out or off, without replacement, all of a body part" in text
    assert not window.detail.isTabEnabled(1)  # no notes for a PCS code: disabled, not hidden
    assert window.detail.count() == 9  # the last two: Policies (Medicare coverage), Edits (NCCI)


def test_links_navigate_with_back_and_forward(qtbot, make_window):
    window = make_window()
    type_and_wait(qtbot, window, "S72.001")
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        window.detail.link_activated.emit("icd10cm", "S72")
    assert window.current_code == ("icd10cm", "S72")
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.current_code == ("icd10cm", "S72001")
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert window.current_code == ("icd10cm", "S72")


def test_filters_and_outdated_results_are_dropped(qtbot, make_window):
    window = make_window()
    qtbot.keyClick(window.search_bar, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert window.system_filter == "icd10pcs"
    type_and_wait(qtbot, window, "resection")
    assert {window.model.hit(r).system for r in range(window.model.rowCount())} == {"icd10pcs"}
    assert "ICD-10-PCS" in window.status_text.text()
    stale = window.last_results
    window.service.results_ready.emit(0, DatedResults(stale, window.service.day, {}))  # generation 0 is long gone
    assert window.last_results is stale
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.billable_only and "billable only" in window.status_text.text()


def test_status_bar_and_banner_say_when_no_release_covers_the_date(make_window):
    window = make_window()
    # The small fixture releases are of 2099: no release covers today, so the banner says what to do.
    assert window.release_text.text().startswith("DOS ")
    assert not window.release_banner.isHidden()
    assert "File → Import official files…" in window.release_banner.text()
    window.set_day(dt.date(2099, 8, 1))
    assert window.release_banner.isHidden()
    assert "(not in force)" not in window.release_text.text()


def test_results_model_passes_qtmodeltester(qtmodeltester, small_data):
    from db.layout import INDEX_DIR, current_dir
    from db.search_index import SearchIndex
    from desktop.results_model import ResultsModel

    index = SearchIndex.open(current_dir(small_data) / INDEX_DIR)
    model = ResultsModel()
    model.set_hits(list(index.search("fracture").hits))
    index.close()
    qtmodeltester.check(model)


def test_self_test_command(small_data, tmp_path):
    env = {**os.environ, "CODEBOOK_USER_DIR": str(tmp_path / "user"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "desktop.app", "--self-test", "--data", str(small_data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["self_test"] == "passed"
    assert {"startup_ms", "first_results_ms", "detail_ms"} <= set(figures)
    assert (tmp_path / "user" / "logs" / "codebook.log").exists()


def test_self_test_reports_missing_data(tmp_path):
    env = {**os.environ, "CODEBOOK_USER_DIR": str(tmp_path / "user"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "desktop.app", "--self-test", "--data", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3 and "no built database" in result.stderr


def test_article_tabs_of_a_linked_code(qtbot, make_window):
    window = make_window()
    type_and_wait(qtbot, window, "0FT44ZZ")
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    for index, heading in ((2, "Summary"), (3, "Risks and complications"), (4, "Recovery")):
        assert window.detail.isTabEnabled(index)
        text = window.detail.browsers[index].toPlainText()
        assert heading in text and "not medical advice" in text
