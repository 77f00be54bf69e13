"""The Policies tab of the detail view: a state filter (remembered, Alt+P) above the Medicare policies of the
code, and a policy's own page in a window of its own when its link is followed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from db.coverage import Policies
from db.coverage_page import policy_page
from desktop.render_policies import parse_policy_link, policies_html, policy_page_html
from desktop.shortcuts import BY_NAME

ALL_STATES = "All states"
SETTING = "policies/state"


class PolicyDialog(QDialog):
    """One policy's page: plain paragraphs and its codes (code links open the code in the main window)."""

    def __init__(self, parent: QWidget, html: str, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(760, 620)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setAccessibleName("Policy")
        self.browser.setHtml(html)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)


class PoliciesTab(QWidget):
    """`browser` is the detail view's browser for this tab (its code links go through the detail view)."""

    policy_opened = Signal(object)  # the PolicyDialog, for tests and screenshots

    def __init__(self, browser: QTextBrowser) -> None:
        super().__init__()
        self.browser = browser
        self.settings: QSettings | None = None
        self.label = QLabel("State (Alt+P):")
        self.state = QComboBox()
        self.state.setAccessibleName("State filter for Medicare policies")
        self.label.setBuddy(self.state)
        # A shortcut of the window while the tab is shown (a QShortcut is live only while its parent is visible).
        self.state_shortcut = QShortcut(QKeySequence(BY_NAME["policy_state"].keys), self)
        self.state_shortcut.activated.connect(self.focus_state)
        row = QHBoxLayout()
        row.addWidget(self.label)
        row.addWidget(self.state)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(browser, 1)
        self.policies: Policies | None = None
        self.data_dir: Path | None = None
        self.day = dt.date.today()
        self.code_display = ""
        self.dialogs: list[PolicyDialog] = []
        self._remembered = ""
        self.state.currentIndexChanged.connect(self._state_changed)
        browser.anchorClicked.connect(self._on_link)

    def use_settings(self, settings: QSettings) -> None:
        self.settings = settings
        self._remembered = str(settings.value(SETTING, "") or "")

    def focus_state(self) -> None:
        self.state.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def selected_state(self) -> str | None:
        text = self.state.currentText()
        return None if not text or text == ALL_STATES else text

    def set_policies(self, policies: Policies | None, data_dir: Path | None, day: dt.date, code_display: str) -> bool:
        """Show a code's policies; True when there is something to show (the tab is enabled then)."""
        self.policies, self.data_dir, self.day, self.code_display = policies, data_dir, day, code_display
        wanted = self.selected_state() or self._remembered
        states = policies.states() if policies else []
        if wanted and wanted not in states:
            states = sorted({*states, wanted})  # keep the clerk's state: "nothing in NY" is an answer
        self.state.blockSignals(True)
        self.state.clear()
        self.state.addItems([ALL_STATES, *states])
        self.state.setCurrentIndex(max(0, self.state.findText(wanted)) if wanted else 0)
        self.state.blockSignals(False)
        self.render()
        return bool(policies and policies.policies)

    def render(self) -> None:
        scroll = self.browser.verticalScrollBar().value()
        self.browser.setHtml(policies_html(self.policies, self.selected_state(), self.day, self.code_display))
        self.browser.verticalScrollBar().setValue(scroll)

    def _state_changed(self) -> None:
        self._remembered = self.selected_state() or ""
        if self.settings is not None:
            self.settings.setValue(SETTING, self._remembered)
        self.render()

    def _on_link(self, url: QUrl) -> None:
        target = parse_policy_link(url.toString())
        if target is None or self.data_dir is None:
            return
        page = policy_page(self.data_dir, target[0], target[1], self.day)
        title = f"{page.policy.id} {page.policy.title}" if page else "Policy"
        dialog = PolicyDialog(self, policy_page_html(page, self.day), title)
        dialog.browser.anchorClicked.connect(lambda link: self.browser.anchorClicked.emit(link))
        self.dialogs = [d for d in self.dialogs if d.isVisible()] + [dialog]
        dialog.show()
        self.policy_opened.emit(dialog)
