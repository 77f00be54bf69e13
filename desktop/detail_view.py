"""The tabbed detail view of one code; tabs adapt to the code and empty ones are disabled, not hidden."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop import render
from desktop.policies_tab import PoliciesTab
from desktop.render_edits import edits_html
from desktop.services import DetailBundle

ARTICLE_TAB_NAMES = ("Procedure", "Risks", "Recovery")
# Policies and Edits (Medicare's coverage and NCCI edits) last, so Ctrl+1..8 keep their tabs.
TAB_NAMES = (
    "Overview", "Notes", "Procedure", "Risks", "Recovery", "Similar codes", "Index terms", "Policies", "Edits"
)  # fmt: skip


class SeventhCharacterBuilder(QWidget):
    """Pick a 7th character; shows the full billable code (placeholder X included) and copies it."""

    copied = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("7th character:")
        self.choice = QComboBox()
        self.choice.setAccessibleName("7th character")
        self.result = QLabel()
        self.copy_button = QPushButton("Copy code")
        self.label.setBuddy(self.choice)
        layout.addWidget(self.label)
        layout.addWidget(self.choice, 1)
        layout.addWidget(self.result)
        layout.addWidget(self.copy_button)
        self.choice.currentIndexChanged.connect(self._update)
        self.copy_button.clicked.connect(self.copy)
        self._codes: list[str] = []

    def set_detail(self, bundle: DetailBundle | None) -> None:
        self.choice.blockSignals(True)
        self.choice.clear()
        self._codes = []
        if bundle is not None:
            for seventh in bundle.detail.seventh_characters:
                if seventh.full_code:
                    display = f"{seventh.full_code[:3]}.{seventh.full_code[3:]}"
                    self.choice.addItem(f"{seventh.character}: {seventh.meaning}")
                    self._codes.append(display)
        self.choice.blockSignals(False)
        self.setVisible(bool(self._codes))
        self._update()

    def current_code(self) -> str | None:
        index = self.choice.currentIndex()
        return self._codes[index] if 0 <= index < len(self._codes) else None

    def _update(self) -> None:
        code = self.current_code()
        self.result.setText(f"<b>{code}</b>" if code else "")

    def copy(self) -> None:
        code = self.current_code()
        if code:
            QGuiApplication.clipboard().setText(code)
            self.copied.emit(code)


class DetailView(QTabWidget):
    link_activated = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.browsers: list[QTextBrowser] = []
        self.builder = SeventhCharacterBuilder()
        for name in TAB_NAMES:
            browser = QTextBrowser()
            browser.setOpenLinks(False)
            browser.anchorClicked.connect(self._on_link)
            browser.setAccessibleName(name)
            self.browsers.append(browser)
            if name == "Overview":
                page = QWidget()
                layout = QVBoxLayout(page)
                layout.setContentsMargins(0, 0, 0, 0)
                layout.addWidget(self.builder)
                layout.addWidget(browser, 1)
                self.addTab(page, name)
            elif name == "Policies":  # Medicare coverage: desktop/policies_tab.py
                self.policies_tab = PoliciesTab(browser)
                self.addTab(self.policies_tab, name)
            else:
                self.addTab(browser, name)
        self.builder.setVisible(False)
        self.bundle: DetailBundle | None = None
        self.show_empty()

    def _on_link(self, url: QUrl) -> None:
        target = render.parse_link(url.toString())
        if target is not None:
            self.link_activated.emit(*target)

    def show_empty(self, message: str = "Select a code to see its details.") -> None:
        self.bundle = None
        for index, browser in enumerate(self.browsers):
            browser.setHtml(f"<p>{render.esc(message)}</p>" if index == 0 else "")
            self.setTabEnabled(index, index == 0)
        self.builder.set_detail(None)

    def show_detail(self, bundle: DetailBundle, today: dt.date | None = None) -> None:
        """`today` defaults to the date of service the detail was loaded for."""
        self.bundle = bundle
        detail = bundle.detail
        today = today or detail.day or dt.date.today()
        pages = {
            "Overview": render.overview_html(detail, today),
            "Notes": render.notes_html(detail),
            "Procedure": render.pcs_explanation_html(detail),
            "Risks": "",
            "Recovery": "",
            "Similar codes": render.similar_html(detail),
            "Index terms": render.index_terms_html(detail, bundle.synonyms),
            "Edits": edits_html(bundle.edits, detail.ref.system),
        }
        for index, name in enumerate(TAB_NAMES):
            if name == "Policies":
                shown = self.policies_tab.set_policies(bundle.policies, bundle.data_dir, today, detail.ref.display)
                self.setTabEnabled(index, shown)
                continue
            markdown = render.article_markdown(detail, name) if name in ARTICLE_TAB_NAMES else ""
            if markdown:
                # An article explains the procedure in plain language; a PCS code without one is explained
                # character by character instead.
                self.browsers[index].setMarkdown(markdown)
            else:
                self.browsers[index].setHtml(pages[name])
            self.setTabEnabled(index, bool(markdown or pages[name]))
        self.builder.set_detail(bundle)
        if not self.isTabEnabled(self.currentIndex()):
            self.setCurrentIndex(0)

    def select_tab(self, index: int) -> bool:
        if 0 <= index < self.count() and self.isTabEnabled(index):
            self.setCurrentIndex(index)
            return True
        return False

    def enabled_tabs(self) -> list[int]:
        return [index for index in range(self.count()) if self.isTabEnabled(index)]
