"""The Claim check window, by keyboard on the real main window: Ctrl+K, paste a claim, see the findings, Enter
opens the code; copy as text and export. The NCCI store is built from the fixtures by the production import."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from db.importer import plan_import, run_import
from db.imports import Imports
from desktop.claim_window import ClaimWindow, claim_window_opener
from desktop.main_window import MainWindow
from tests.conftest import FIXTURES

DAY = dt.date(2026, 11, 2)  # the NCCI fixtures' quarter (2026 Q4)
CLAIM = "E11, 20610 RT LT, 99214, 20610 x3"


@pytest.fixture(scope="module")
def data_with_ncci(tmp_path_factory: pytest.TempPathFactory, small_data: Path) -> Path:
    data = tmp_path_factory.mktemp("claim-window")
    shutil.copytree(small_data, data, dirs_exist_ok=True)
    files = [
        FIXTURES / "ncci" / "ccipra-v323r0-f1.TXT",
        FIXTURES / "ncci" / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv",
    ]
    run_import(plan_import(files, [], Imports.load(data), data), data, progress=lambda _line: None)
    return data


@pytest.fixture
def window(open_window, data_with_ncci: Path):
    main = open_window(data_with_ncci, day=DAY)
    service = main.service
    opener = claim_window_opener(main, lambda: service.data_dir, lambda: service.day, main.navigate_to)
    main.claim_check_requested.connect(opener)
    yield main
    for claim in main.findChildren(ClaimWindow):
        claim.close()
        claim.shutdown()


def open_and_paste(qtbot, main: MainWindow, text: str) -> ClaimWindow:
    qtbot.keyClick(main, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(main.findChildren(ClaimWindow)) and main.findChildren(ClaimWindow)[0].isVisible())
    claim = main.findChildren(ClaimWindow)[0]
    qtbot.waitUntil(lambda: claim.claim.hasFocus())
    QGuiApplication.clipboard().setText(text)
    with qtbot.waitSignal(claim.result_shown, timeout=5000):
        qtbot.keyClick(claim.claim, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    return claim


def test_ctrl_k_paste_see_findings_and_enter_opens_the_code(qtbot, window: MainWindow) -> None:
    claim = open_and_paste(qtbot, window, CLAIM)
    assert claim.date.text() == DAY.isoformat()
    rows = [claim.findings.topLevelItem(i) for i in range(claim.findings.topLevelItemCount())]
    seen = {(row.text(1), row.text(2)) for row in rows}
    assert ("Header code, not billable", "E11") in seen
    assert ("NCCI procedure-to-procedure edit", "20610 99214") in seen
    assert ("Medically Unlikely Edit (units)", "20610") in seen
    assert ("Modifier", "20610 LT RT") in seen
    assert rows[0].text(0).endswith("Error")  # errors first
    assert "errors" in claim.summary.text() and "checked in" in claim.summary.text()
    # The finding's detail: the rule in plain words, the official source, what to do
    header = next(i for i, row in enumerate(rows) if row.text(2) == "E11")
    claim.findings.setFocus()
    claim.findings.setCurrentItem(rows[0])
    for _ in range(header):
        qtbot.keyClick(claim.findings, Qt.Key.Key_Down)
    assert "What to do:" in claim.detail.toPlainText() and "Official source:" in claim.detail.toPlainText()
    with qtbot.waitSignal(window.detail_shown, timeout=5000) as shown:
        qtbot.keyClick(claim.findings, Qt.Key.Key_Return)
    assert shown.args[0].detail.ref.code == "E11"


def test_results_follow_the_typing_and_the_date(qtbot, window: MainWindow) -> None:
    def rules() -> list[str]:
        return [claim.findings.topLevelItem(i).text(1) for i in range(claim.findings.topLevelItemCount())]

    claim = open_and_paste(qtbot, window, "93000, 93005")
    assert rules()[0] == "NCCI procedure-to-procedure edit"
    with qtbot.waitSignal(claim.result_shown, timeout=5000):
        claim.claim.selectAll()
        qtbot.keyClicks(claim.claim, "93000")
    assert "NCCI procedure-to-procedure edit" not in rules()
    claim.date.clear()
    qtbot.keyClicks(claim.date, "2026-13-40")
    qtbot.waitUntil(lambda: "YYYY-MM-DD" in claim.summary.text())


def test_copy_as_text_and_export_csv_and_json(qtbot, window: MainWindow, tmp_path: Path) -> None:
    claim = open_and_paste(qtbot, window, CLAIM)
    qtbot.keyClick(claim, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Claim check for date of service 2026-11-02") and "What to do:" in copied
    claim.export_to(tmp_path / "claim.csv")
    lines = (tmp_path / "claim.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "date,severity,rule,codes,message,source,action" and len(lines) == 1 + len(claim.result.findings)
    claim.export_to(tmp_path / "claim.json")
    exported = json.loads((tmp_path / "claim.json").read_text(encoding="utf-8"))
    assert exported["date"] == "2026-11-02" and {f["rule"] for f in exported["findings"]} >= {"ncci_ptp", "mue"}
    assert all("action" in f for f in exported["findings"])
