"""The main window's saved state (geometry, splitter, tab, filters, text size) in settings.ini, and text size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

MIN_FONT, MAX_FONT = 8, 24
#: The code-set filters, in Alt+0..Alt+4 order (None: every code set).
FILTERS = (None, "icd10cm", "icd10pcs", "hcpcs", "cpt")


def _set_font_size(size: int) -> QFont:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    font = QFont(app.font())
    font.setPointSize(max(MIN_FONT, min(MAX_FONT, size)))
    app.setFont(font)
    return font


def change_text_size(window: MainWindow, step: int) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    font = _set_font_size(app.font().pointSize() + step)
    for browser in window.detail.browsers:
        browser.document().setDefaultFont(font)
    window.model.layoutChanged.emit()
    window.settings.setValue("ui/font_size", font.pointSize())


def restore(window: MainWindow) -> None:
    settings = window.settings
    geometry = settings.value("ui/geometry")
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
    else:
        window.resize(1200, 760)
    splitter = settings.value("ui/splitter")
    if isinstance(splitter, QByteArray):
        window.splitter.restoreState(splitter)
    size = settings.value("ui/font_size")
    if size is not None:
        _set_font_size(int(size))
    system = settings.value("search/system") or None
    window.system_filter = system if system in FILTERS else None
    window.billable_only = str(settings.value("search/billable_only", "false")).lower() == "true"
    last_tab = int(settings.value("ui/tab", 0) or 0)
    window.detail.setCurrentIndex(last_tab if 0 <= last_tab < window.detail.count() else 0)


def save(window: MainWindow) -> None:
    settings = window.settings
    settings.setValue("ui/geometry", window.saveGeometry())
    settings.setValue("ui/splitter", window.splitter.saveState())
    settings.setValue("ui/tab", window.detail.currentIndex())
    settings.setValue("search/system", window.system_filter or "")
    settings.setValue("search/billable_only", "true" if window.billable_only else "false")
    settings.sync()
