"""The date-of-service field on the real window, by keyboard, over two real ICD-10-CM fixture releases."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from desktop.results_model import NOT_VALID_ROLE


@pytest.fixture
def window(open_window, two_release_data):
    return open_window(two_release_data)


def type_date(qtbot, window: MainWindow, text: str) -> None:
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    assert window.date_field.edit.hasFocus() and window.date_field.edit.selectedText()
    qtbot.keyClicks(window.date_field.edit, text)
    qtbot.keyClick(window.date_field.edit, Qt.Key.Key_Return)


def search(qtbot, window: MainWindow, text: str) -> list[str]:
    window.search_bar.clear()
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=lambda r: r.query == text):
        qtbot.keyClicks(window.search_bar, text)
    return [window.model.hit(row).code for row in range(window.model.rowCount())]


def test_the_date_defaults_to_today_and_takes_typed_dates(qtbot, window):
    assert window.service.day == dt.date.today()
    assert window.date_field.edit.text() == dt.date.today().strftime("%m/%d/%Y")
    type_date(qtbot, window, "2099-08-01")
    assert window.service.day == dt.date(2099, 8, 1) and window.search_bar.hasFocus()
    assert window.date_field.edit.text() == "08/01/2099"
    assert window.release_banner.isHidden()
    type_date(qtbot, window, "11/15/2100")
    assert window.service.day == dt.date(2100, 11, 15)
    # FY2100 ended 2100-09-30: answers come from it, and the banner says so and names the menu item.
    assert "No loaded release covers the date of service 11/15/2100" in window.release_banner.text()
    assert "File → Import official files…" in window.release_banner.text()


def test_a_bad_date_is_refused_and_nothing_changes(qtbot, window):
    type_date(qtbot, window, "11/15")
    assert window.service.day == dt.date.today()
    assert "not a complete date" in window.date_field.message.text()
    qtbot.keyClick(window.date_field.edit, Qt.Key.Key_Escape)
    assert window.date_field.message.text() == "" and window.search_bar.hasFocus()


def test_the_calendar_opens_from_the_keyboard(qtbot, window):
    window.set_day(dt.date(2099, 8, 1))
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(window.date_field.edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = window.date_field.calendar
    qtbot.waitUntil(calendar.isVisible)
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Right)
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not calendar.isVisible())
    assert window.service.day == dt.date(2099, 8, 2)


def test_search_and_detail_answer_for_the_date(qtbot, window):
    window.set_day(dt.date(2100, 5, 1))
    words = search(qtbot, window, "pneumonia")
    assert "J188" in words and "J189" not in words
    # Typed exactly, a code deleted before the date is shown, marked with when it stopped being valid.
    assert search(qtbot, window, "J18.9")[0] == "J189"
    assert window.model.index(0, 0).data(NOT_VALID_ROLE) == "deleted: not valid after 2099-09-30"
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    overview = window.detail.browsers[0].toPlainText()
    assert "Deleted: not valid after 2099-09-30" in overview and "History in the loaded releases" in overview
    # Changing the date reloads the detail shown for the new date.
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        window.set_day(dt.date(2099, 5, 1))
    assert "Valid on 2099-05-01" in window.detail.browsers[0].toPlainText()
    assert "J189" in search(qtbot, window, "pneumonia")
