"""The Policies tab on real data: the small build plus the fixture Medicare Coverage Database downloads."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl

from db.coverage import CodeGroup, Policies, Policy
from db.user_data import UserData
from desktop.main_window import MainWindow
from desktop.render_policies import parse_policy_link, policies_html
from desktop.services import CodeService

POLICIES_TAB = 7


@pytest.fixture
def make_window(qtbot, coverage_data, tmp_path):
    opened = []

    def make() -> MainWindow:
        service = CodeService(coverage_data)
        user_data = UserData(tmp_path / "user")
        settings = QSettings(str(tmp_path / "user" / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(service, user_data, settings)
        window.detail.policies_tab.use_settings(settings)  # as desktop/runner.py does
        qtbot.addWidget(window)
        with qtbot.waitActive(window):
            window.show()
            window.activateWindow()
        opened.append((window, service, user_data, settings))
        return window

    yield make
    for window, service, user_data, _settings in opened:
        window.close()
        service.close()
        user_data.close()


def open_code(qtbot, window: MainWindow, code: str) -> None:
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=lambda r: r.query == code):
        qtbot.keyClicks(window.search_bar, code)
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)


def test_an_hcpcs_code_shows_two_articles_in_two_states_and_the_state_filter_by_keyboard(qtbot, make_window):
    window = make_window()
    open_code(qtbot, window, "E0143")
    qtbot.keyClick(window, Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier)
    tab = window.detail.policies_tab
    assert window.detail.currentIndex() == POLICIES_TAB and window.detail.isTabEnabled(POLICIES_TAB)
    text = tab.browser.toPlainText()
    assert "A52503 Walkers - Policy Article" in text and "States: NY" in text
    assert "A99801 Billing and Coding: Walker Accessories" in text and "States: IL" in text
    assert "L33791 Walkers" in text and "NCD 280.1" in text and "manual section 280.1" in text
    assert "Covered (supports medical necessity), group 1 (2 codes)" in text and "S72.001, S72.002" in text
    assert [tab.state.itemText(i) for i in range(tab.state.count())] == ["All states", "IL", "NY"]

    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert tab.state.hasFocus()
    qtbot.keyClick(tab.state, Qt.Key.Key_Down)
    assert tab.state.currentText() == "IL"
    text = tab.browser.toPlainText()
    assert "A99801" in text and "A52503" not in text and "NCD 280.1" in text  # NCDs are national
    assert window.settings.value("policies/state") == "IL"

    # Remembered: the next window starts in IL.
    window.close()
    again = make_window()
    open_code(qtbot, again, "E0143")
    assert again.detail.policies_tab.state.currentText() == "IL"


def test_a_policy_page_opens_from_the_tab_as_plain_paragraphs(qtbot, make_window):
    window = make_window()
    open_code(qtbot, window, "J1100")
    tab = window.detail.policies_tab
    with qtbot.waitSignal(tab.policy_opened, timeout=3000) as opened:
        tab.browser.anchorClicked.emit(QUrl("policy:article/99802"))
    page = opened.args[0].browser.toPlainText()
    assert page.startswith("A99802 Billing and Coding: Dexamethasone Injection")
    assert "Invented text: this article lists the diagnoses" in page
    assert "J44.1, J44.9" in page and "never run" not in page and "example.invalid" not in page
    opened.args[0].close()


def test_an_icd10_code_lists_the_articles_and_their_procedures(qtbot, make_window):
    window = make_window()
    open_code(qtbot, window, "J44.1")
    text = window.detail.policies_tab.browser.toPlainText()
    assert "Lists J44.1 as covered for: J1100" in text and "A99802" in text


def test_render_escapes_and_shortens_long_groups():
    group = CodeGroup(1, "<b>not markup</b>", tuple(f"Z{n:04d}" for n in range(100)), ("",) * 100)
    policy = Policy("article", "A1", 1, 1, "<script>x</script>", ("MAC",), ("TX",), covered=(group,))
    html = policies_html(Policies("J1100", "hcpcs", (policy,)), None, dt.date(2026, 1, 1), "J1100")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;not markup" in html
    assert "… and 40 more" in html and "Z00.59<" in html and "Z00.60" not in html
    assert "No Medicare article" in policies_html(Policies("J1100", "hcpcs", (policy,)), "NY", dt.date.today(), "J")
    assert parse_policy_link("policy:lcd/33791") == ("lcd", 33791) and parse_policy_link("code:x/y") is None
