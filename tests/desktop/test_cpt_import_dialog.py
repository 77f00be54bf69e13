"""CPT through File → Import official files… by keyboard on a small real build: the office list's preview (its code
in the third column, the columns the import chose and why, changed with Alt+U / Alt+D), then the imported codes
searched and read in the main window with the fee-schedule facts and the AMA copyright line.

Fixtures: tests/fixtures/cpt (AMA data-file and CMS PFS relative value file layouts, see
tests/db/sources/test_cpt_readers.py) and a charge-list workbook written here; every descriptor is invented.
CODEBOOK_SCREENSHOTS=docs saves the dialog with its preview as docs/cpt-import.png.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.import_dialog import ImportDialog, window_swap
from desktop.main_window import MainWindow
from tests.conftest import FIXTURES
from tests.db.sources.test_cpt_readers import write_charge_list
from tests.desktop.test_cpt_window import type_and_wait

CPT = FIXTURES / "cpt"
ALT = Qt.KeyboardModifier.AltModifier
# The office's own list: code in the third column, and a notes column wordier than the service names, so the
# import's guess for the description (the column with most words) is the notes: the clerk corrects it.
CHARGES = [
    ["Clinic A", 125, 99213, "Zorblat clinic visit (office list)", "Ask for the co-pay card and scan both sides of it"],
    ["Clinic B", 95, 99214, "Snorvex clinic visit, moderate", "Book a longer slot on the front desk calendar for it"],
    ["Lab", 30, "0001U", "Plimsy antigen typing, office list", "Send it out with the printed requisition form today"],
]


@pytest.fixture
def window(open_window, small_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_data, data)
    return open_window(data)


def office_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "stick" / "cpt-2099"
    folder.mkdir(parents=True)
    for name in ("LONGULT.txt", "SHORTU.txt", "PPRRVU99_JAN.csv"):
        shutil.copy(CPT / name, folder / name)
    write_charge_list(folder / "charges.xlsx", [list(row) for row in CHARGES])
    return folder


def open_dialog(qtbot, window: MainWindow, small_sources) -> ImportDialog:
    data = window.service.data_dir
    dialog = ImportDialog(window, data, window_swap(window, data), base=small_sources)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
    qtbot.waitUntil(dialog.path_edit.hasFocus)
    return dialog


def press(qtbot, dialog: ImportDialog, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(dialog.focusWidget(), key, modifier)


def test_import_cpt_by_keyboard_with_the_list_preview(qtbot, window, tmp_path, small_sources) -> None:
    dialog = open_dialog(qtbot, window, small_sources)
    qtbot.keyClicks(dialog.path_edit, str(office_folder(tmp_path)))
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Ready to import"), timeout=10000)
    assert "CPT 2099" in dialog.summary.text()
    kinds = {dialog.found.topLevelItem(i).text(1) for i in range(dialog.found.topLevelItemCount())}
    assert kinds == {"cpt-ama", "cpt-pfs", "cpt-csv"}

    preview = dialog.cpt_preview
    assert preview.isVisible() and not preview.list_combo.isVisible()  # one list: nothing to pick it from
    table = preview.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["Department", "Fee", "CPT (code)", "Service", "Notes (description)"]
    assert table.rowCount() == 3 and [table.item(1, c).text() for c in range(3)] == ["Clinic B", "95", "99214"]
    assert "code: column 3 by shape (3 CPT-shaped codes) 'CPT'" in preview.why.text()
    assert preview.code_combo.currentText() == "3: CPT" and preview.description_combo.currentText() == "5: Notes"

    # A code column without codes: said plainly, and Import waits for a column that holds them.
    press(qtbot, dialog, Qt.Key.Key_U, ALT)
    assert preview.code_combo.hasFocus()
    press(qtbot, dialog, Qt.Key.Key_Home)
    assert preview.code_combo.currentText() == "1: Department"
    assert "column 1 holds no CPT code" in preview.why.text() and "column 1 holds no CPT code" in dialog.summary.text()
    assert dialog.summary.text().startswith("Cannot import") and not dialog.import_button.isEnabled()
    press(qtbot, dialog, Qt.Key.Key_Down)
    press(qtbot, dialog, Qt.Key.Key_Down)
    assert preview.code_combo.currentText() == "3: CPT" and dialog.import_button.isEnabled()
    # The description: the service names, not the notes.
    press(qtbot, dialog, Qt.Key.Key_D, ALT)
    assert preview.description_combo.hasFocus()
    press(qtbot, dialog, Qt.Key.Key_Up)
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["Department", "Fee", "CPT (code)", "Service (description)", "Notes"]
    assert "description: column 4 as given 'Service'" in preview.why.text()
    assert dialog.summary.text().startswith("Ready to import")
    screenshots = os.environ.get("CODEBOOK_SCREENSHOTS")
    shot = dialog.grab()
    assert not shot.isNull()
    if screenshots:
        shot.save(str(Path(screenshots) / "cpt-import.png"))

    press(qtbot, dialog, Qt.Key.Key_I, ALT)
    qtbot.waitUntil(dialog.cancel_button.isEnabled)  # a mnemonic clicks after a short animation
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Imported"), timeout=60000)
    assert "CPT 2099" in dialog.summary.text() and not preview.isVisible()
    assert "not in your CPT files" not in dialog.summary.text()  # the article's 47562 is in the AMA file
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()

    # The window answers from the new data at once.
    window.set_day(dt.date(2099, 3, 1))
    type_and_wait(qtbot, window, "snorvex")
    assert (window.model.hit(0).system, window.model.hit(0).code) == ("cpt", "99214")  # only the list has it
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    overview = window.detail.browsers[0].toPlainText()
    assert "Snorvex clinic visit, moderate" in overview
    assert "Your list: Department: Clinic B; Fee: 95; Notes: Book a longer slot" in overview  # extra columns kept
    assert "American Medical Association" in overview

    type_and_wait(qtbot, window, "zorblat")
    assert (window.model.hit(0).system, window.model.hit(0).code) == ("cpt", "99213")
    type_and_wait(qtbot, window, "47562")
    assert (window.model.hit(0).system, window.model.hit(0).code) == ("cpt", "47562")
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    overview = window.detail.browsers[0].toPlainText()
    assert "Quillfen gallbladder keyhole removal" in overview  # the AMA long descriptor
    assert "Medicare fee schedule (CPT 2099)" in overview
    assert "10.47" in overview and "18.56" in overview  # work RVU, facility total
    assert "090 (90 days" in overview  # global days
    assert "American Medical Association" in overview


def test_each_list_keeps_its_own_columns(qtbot, window, tmp_path, small_sources) -> None:
    """Two office lists of one year, laid out differently: each is previewed and read with its own columns."""
    folder = tmp_path / "lists-2099"
    folder.mkdir()
    write_charge_list(folder / "charges-2099.xlsx", [list(row) for row in CHARGES])
    other = folder / "superbill-2099.csv"
    lines = [
        "Code,Service,Notes",
        "47562,Quillfen list wording,Bring the consent form to the day unit",
        "3074F,Blorvic list wording,Ask about the home reading log at the visit",
    ]
    other.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dialog = open_dialog(qtbot, window, small_sources)
    dialog.add_paths([folder])
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Ready to import"), timeout=10000)
    preview = dialog.cpt_preview
    assert preview.list_combo.isVisible() and preview.list_combo.count() == 2
    for name in ("charges-2099.xlsx", "superbill-2099.csv"):
        press(qtbot, dialog, Qt.Key.Key_L, ALT)
        assert preview.list_combo.hasFocus()
        while not preview.list_combo.currentText().endswith(name):
            press(qtbot, dialog, Qt.Key.Key_Down)
        assert preview.description_combo.currentText().endswith("Notes")
        press(qtbot, dialog, Qt.Key.Key_D, ALT)
        press(qtbot, dialog, Qt.Key.Key_Up)
        assert preview.description_combo.currentText().endswith("Service")
    assert sorted(columns.description for columns in preview.columns().values()) == [2, 4]
    press(qtbot, dialog, Qt.Key.Key_I, ALT)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith(("Imported", "Nothing")), timeout=60000)
    assert dialog.summary.text().startswith("Imported"), dialog.summary.text()
    window.set_day(dt.date(2099, 3, 1))
    for query, code in (("snorvex", "99214"), ("blorvic", "3074F")):
        type_and_wait(qtbot, window, query)
        assert (window.model.hit(0).system, window.model.hit(0).code) == ("cpt", code)


def test_the_summary_names_article_numbers_the_cpt_files_lack(qtbot, window, tmp_path, small_sources) -> None:
    """The small fixtures' article names 47562; a list without it: the import report says so."""
    folder = tmp_path / "cpt-2099"
    folder.mkdir()
    (folder / "charges-2099.csv").write_text("Code,Service\n99213,Zorblat list wording\n", encoding="utf-8")
    dialog = open_dialog(qtbot, window, small_sources)
    dialog.add_paths([folder])
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Ready to import"), timeout=10000)
    press(qtbot, dialog, Qt.Key.Key_I, ALT)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith(("Imported", "Nothing")), timeout=60000)
    assert dialog.summary.text().startswith("Imported"), dialog.summary.text()
    assert "1 CPT number that a Codebook article names is not in your CPT files" in dialog.summary.text()
    assert dialog.summary.text().endswith(": 47562.")
