"""The Claim check window (Ctrl+K): paste or type a claim, see every finding as you type, open a code, copy, export.

Checks run on this window's own single worker thread with its own read-only connection, debounced while the
clerk types; only the newest result is shown.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.engine import open_read_only, session_scope
from db.layout import DATABASE_FILE, current_dir
from db.ncci_store import open_store
from db.rules.check import check_claim
from db.rules.findings import CheckResult, Finding
from desktop.services import Job

log = logging.getLogger(__name__)
DEBOUNCE_MS = 250
SEVERITY_MARKS = {"error": "\u2716 Error", "warning": "\u26a0 Warning", "note": "\u2139 Note"}


class _Checker(QObject):
    """Runs checks one at a time on its own thread; `done(generation, result)` for the newest request."""

    done = Signal(int, object)
    failed = Signal(str)

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self._engine = open_read_only(current_dir(data_dir) / DATABASE_FILE)
        self._data_dir = data_dir
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(1)
        self.generation = 0

    def request(self, text: str, day: dt.date, setting: str) -> int:
        self.generation += 1
        generation = self.generation

        def work() -> None:
            if generation != self.generation:
                return  # a newer claim is waiting
            try:
                with session_scope(self._engine) as session:
                    result = check_claim(session, text, day, open_store(self._data_dir), setting, self._data_dir)
            except Exception as error:  # a check must never take the window down
                log.exception("claim check failed")
                self.failed.emit(f"The check failed: {error}")
                return
            self.done.emit(generation, result)

        self._pool.start(Job(work))
        return generation

    def close(self) -> None:
        self._pool.clear()
        self._pool.waitForDone(5000)
        self._engine.dispose()


class ClaimWindow(QWidget):
    """`open_code(system, code)` asks the main window to show a code's detail."""

    open_code = Signal(str, str)
    result_shown = Signal(object)

    def __init__(self, data_dir: Path, day: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Claim check \u2014 Codebook")
        self.resize(980, 640)
        self.result: CheckResult | None = None
        self._checker = _Checker(data_dir)
        self._checker.done.connect(self._on_result)
        self._checker.failed.connect(lambda text: self.summary.setText(text))
        self._build(day)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.check_now)
        self.claim.textChanged.connect(self._timer.start)
        self.date.textChanged.connect(self._timer.start)
        self.setting.currentIndexChanged.connect(self._timer.start)

    def _build(self, day: dt.date) -> None:
        self.claim = QPlainTextEdit(placeholderText="Paste or type the claim: E11.65, I10; 99214-25 x1, 20610 RT")
        self.claim.setTabChangesFocus(True)
        self.claim.setAccessibleName("Claim codes")
        self.date = QLineEdit(day.isoformat(), maxLength=10)
        self.date.setAccessibleName("Date of service")
        self.setting = QComboBox()
        self.setting.addItem("Practitioner (professional claim)", "practitioner")
        self.setting.addItem("Outpatient hospital", "hospital")
        self.summary = QLabel("Type or paste a claim.")
        self.findings = QTreeWidget()
        self.findings.setHeaderLabels(["Severity", "Rule", "Codes", "What it says"])
        self.findings.setRootIsDecorated(False)
        self.findings.setAccessibleName("Findings")
        self.findings.setColumnWidth(0, 100)
        self.findings.setColumnWidth(1, 230)
        self.findings.setColumnWidth(2, 120)
        self.findings.currentItemChanged.connect(self._show_finding)
        self.findings.itemActivated.connect(lambda item, _column: self.open_finding(item))
        self.detail = QTextBrowser(openLinks=False)
        self.detail.anchorClicked.connect(lambda url: self._open_written(url.toString()))
        top = QHBoxLayout()
        for label, widget in (("Date of service", self.date), ("Claim type", self.setting)):
            caption = QLabel(f"&{label}:")
            caption.setBuddy(widget)
            top.addWidget(caption)
            top.addWidget(widget)
        top.addStretch(1)
        copy = QPushButton("&Copy as text")
        copy.clicked.connect(self.copy_text)
        export = QPushButton("&Export\u2026")
        export.clicked.connect(self._export_dialog)
        top.addWidget(copy)
        top.addWidget(export)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.findings)
        split.addWidget(self.detail)
        split.setSizes([330, 170])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.claim, 1)
        layout.addWidget(self.summary)
        layout.addWidget(split, 4)
        QShortcut(QKeySequence("Ctrl+Shift+C"), self, self.copy_text)
        QShortcut(QKeySequence("Esc"), self, self.close)

    # -- checking -------------------------------------------------------------------------------------------

    def day(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.date.text().strip())
        except ValueError:
            return None

    def check_now(self) -> None:
        day = self.day()
        if day is None:
            self.summary.setText("Write the date of service as YYYY-MM-DD, e.g. 2026-05-01.")
            return
        self._checker.request(self.claim.toPlainText(), day, str(self.setting.currentData()))

    def _on_result(self, generation: int, result: CheckResult) -> None:
        if generation != self._checker.generation:
            return
        self.result = result
        counts = result.counts()
        codes = ", ".join(code.display or code.code for code in result.codes) or "no codes"
        self.summary.setText(
            f"{counts['error']} errors, {counts['warning']} warnings, {counts['note']} notes for {codes} "
            f"on {result.day.isoformat()} (checked in {result.elapsed_ms:.0f} ms)"
            + (f"; not codes, skipped: {', '.join(result.ignored[:8])}" if result.ignored else "")
        )
        self.findings.clear()
        for finding in result.findings:
            item = QTreeWidgetItem(
                [SEVERITY_MARKS[finding.severity], finding.rule_title, " ".join(finding.codes), finding.message]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, finding)
            item.setToolTip(3, finding.message)
            self.findings.addTopLevelItem(item)
        if self.findings.topLevelItemCount():
            self.findings.setCurrentItem(self.findings.topLevelItem(0))
        else:
            self.detail.setHtml("<p>No problems found by the rules Codebook checks.</p>" if result.codes else "")
        self.result_shown.emit(result)

    def _show_finding(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None) -> None:
        finding = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(finding, Finding):
            self.detail.clear()
            return
        links = " ".join(f'<a href="{html.escape(code)}">{html.escape(code)}</a>' for code in finding.codes)
        also = " ".join(f'<a href="{html.escape(code)}">{html.escape(code)}</a>' for code in finding.candidates)
        self.detail.setHtml(
            f"<h3>{html.escape(SEVERITY_MARKS[finding.severity])}: {html.escape(finding.rule_title)}</h3>"
            f"<p>{html.escape(finding.message)}</p>"
            f"<p><b>What to do:</b> {html.escape(finding.action)}</p>"
            + (f"<p><b>Official source:</b> {html.escape(finding.source)}</p>" if finding.source else "")
            + f"<p><b>Codes:</b> {links} (Enter opens the first in the main window)</p>"
            + (f"<p><b>Suggested:</b> {also}</p>" if also else "")
        )

    # -- actions --------------------------------------------------------------------------------------------

    def _system_of(self, code: str) -> str:
        systems = {c.code: c.system for c in self.result.codes} if self.result else {}
        return systems.get(code) or ("icd10cm" if code[:1].isalpha() and len(code) != 5 else "hcpcs")

    def _open_written(self, code: str) -> None:
        self.open_code.emit(self._system_of(code), code)

    def open_finding(self, item: QTreeWidgetItem | None = None) -> None:
        """Enter on a finding: show its (first) code in the main window."""
        item = item or self.findings.currentItem()
        finding = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(finding, Finding) and finding.codes:
            self._open_written(finding.codes[0])

    def copy_text(self) -> None:
        if self.result is not None:
            QGuiApplication.clipboard().setText(self.result.to_text())

    def export_to(self, path: Path) -> None:
        """CSV or JSON by the file's suffix."""
        if self.result is None:
            return
        text = self.result.to_json_text() if path.suffix.lower() == ".json" else self.result.to_csv()
        path.write_text(text, encoding="utf-8", newline="")

    def _export_dialog(self) -> None:
        if self.result is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Export the findings", f"claim-check-{self.result.day.isoformat()}.csv", "CSV (*.csv);;JSON (*.json)"
        )
        if name:
            self.export_to(Path(name))

    def closeEvent(self, event: object) -> None:
        self._timer.stop()
        super().closeEvent(event)  # type: ignore[arg-type]

    def shutdown(self) -> None:
        self._checker.close()


def claim_window_opener(parent: QWidget, data_dir: Callable[[], Path], day: Callable[[], dt.date],
                        open_code: Callable[[str, str], None]) -> Callable[[], ClaimWindow]:  # fmt: skip
    """A slot for Ctrl+K: one Claim check window per main window, shown and focused on each call."""
    opened: list[ClaimWindow] = []

    def show() -> ClaimWindow:
        if not opened or opened[0].property("data_dir") != str(data_dir()):
            if opened:
                opened.pop().shutdown()
            window = ClaimWindow(data_dir(), day(), parent)
            window.setProperty("data_dir", str(data_dir()))
            window.open_code.connect(open_code)
            opened.append(window)
        window = opened[0]
        window.show()
        window.raise_()
        window.activateWindow()
        window.claim.setFocus()
        return window

    return show
