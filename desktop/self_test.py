"""`codebook --self-test`: the real window, offscreen; types a query key by key, opens a detail and its tabs."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop.main_window import MainWindow

TIMEOUT_MS = 20000
KEY_INTERVAL_MS = 40


class SelfTest:
    def __init__(
        self,
        app: QApplication,
        window: MainWindow,
        query: str,
        process_age_ms: Callable[[], float],
        report: Callable[[dict[str, object]], None],
        screenshot: str | None = None,
    ) -> None:
        self.app, self.window, self.query = app, window, query
        self.process_age_ms, self.report, self.screenshot = process_age_ms, report, screenshot
        self.exit_code: int | None = None
        self.figures: dict[str, object] = {}
        self._typed_at = 0.0

    def fail(self, reason: str) -> None:
        self.report({"self_test": "failed", "reason": reason, **self.figures})
        self.exit_code = 1
        self.app.exit(1)

    def start(self) -> None:
        QApplication.processEvents()
        self.figures["startup_ms"] = round(self.process_age_ms())
        self.window.search_bar.setFocus()
        self.window.results_shown.connect(self._on_results)
        QTimer.singleShot(TIMEOUT_MS, lambda: self.exit_code is None and self.fail("timed out"))
        self._typed_at = time.perf_counter()
        self._type(0)

    def _type(self, position: int) -> None:
        if position < len(self.query):
            QTest.keyClick(self.window.search_bar, self.query[position])
            QTimer.singleShot(KEY_INTERVAL_MS, lambda: self._type(position + 1))

    def _on_results(self, results: object) -> None:
        if "first_results_ms" not in self.figures:
            self.figures["first_results_ms"] = round((time.perf_counter() - self._typed_at) * 1000)
        if self.window.search_bar.text() != self.query:
            return
        self.window.results_shown.disconnect(self._on_results)
        if not self.window.model.rowCount():
            self.fail(f"no results for {self.query!r}")
            return
        self.figures["results"] = self.window.model.rowCount()
        self.figures["first_result"] = self.window.model.hit(0).display  # type: ignore[union-attr]
        self.window.detail_shown.connect(self._on_detail)
        self._detail_at = time.perf_counter()
        QTest.keyClick(self.window.search_bar, Qt.Key.Key_Return)

    def _on_detail(self, _bundle: object) -> None:
        self.window.detail_shown.disconnect(self._on_detail)
        self.figures["detail_ms"] = round((time.perf_counter() - self._detail_at) * 1000)
        tabs = self.window.detail.enabled_tabs()
        for index in tabs:
            self.window.detail.select_tab(index)
            QApplication.processEvents()
        self.figures["tabs_opened"] = [self.window.detail.tabText(i) for i in tabs]
        if self.screenshot:
            self.window.grab().save(self.screenshot)
        self.report({"self_test": "passed", **self.figures})
        self.exit_code = 0
        self.app.exit(0)
