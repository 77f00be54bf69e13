"""File → Import official files… and What's new, driven by keyboard, with a real small release imported."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.import_dialog import ImportDialog, window_swap
from desktop.whats_new import WhatsNewDialog

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The FY2100 tabular: the FY2099 fixture (CDC layout) with E11.65 reworded, J18.9 deleted, J18.8 added and
# E11.9 split into E11.91.
FY2100 = FIXTURES / "icd10cm" / "icd10cm-tabular-2100.xml"


@pytest.fixture
def window(open_window, small_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_data, data)
    return open_window(data)


def download(tmp_path: Path) -> Path:
    archive = tmp_path / "stick" / "2100-code-tables-tabular-index.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(FY2100, "Table and Index/icd10cm-tabular-2100.xml")
    return archive


def test_import_by_keyboard_then_whats_new(qtbot, window, tmp_path, small_sources):
    data = window.service.data_dir
    dialog = ImportDialog(window, data, window_swap(window, data), base=small_sources)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
    qtbot.waitUntil(dialog.path_edit.hasFocus)
    qtbot.keyClicks(dialog.path_edit, str(download(tmp_path).parent))
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Ready to import"), timeout=10000)
    assert "ICD-10-CM FY2100" in dialog.summary.text()
    first = dialog.found.topLevelItem(0)
    assert first.text(0) == "new" and first.text(1) == "icd10cm-tabular" and "›" in first.text(4)
    assert dialog.import_button.hasFocus()
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(dialog.cancel_button.isEnabled)  # a mnemonic clicks after a short animation
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Imported"), timeout=60000)
    assert "ICD-10-CM FY2100" in dialog.summary.text()
    # The window answers from the new data at once, for its date of service.
    assert [r.name for r in window.service.releases if r.system == "icd10cm" and r.content == "tabular"] == [
        "ICD-10-CM FY2099",
        "ICD-10-CM FY2100",
    ]
    window.set_day(dt.date(2100, 5, 1))
    assert "ICD-10-CM FY2100" in window.release_text.text()
    # The same files again: nothing new.
    dialog.add_paths([tmp_path / "stick"])
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Nothing new"), timeout=10000)
    assert not dialog.import_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()

    user_data = window.user_data
    user_data.toggle_favorite("icd10cm", "J189", "J18.9", "Pneumonia, unspecified organism")
    own = [(saved.system, saved.code) for saved in user_data.favorites()]
    whats_new = WhatsNewDialog(window, window.service.engine, own)
    qtbot.addWidget(whats_new)
    whats_new.show()
    assert "1 added" not in whats_new.counts.text() and "2 added, 1 deleted, 1 reworded" in whats_new.counts.text()
    first = whats_new.table.topLevelItem(0)
    assert (first.text(0), first.text(1), first.text(2)) == ("★", "J18.9", "deleted")
    qtbot.keyClicks(whats_new.filter_edit, "hyperglycemia")
    assert whats_new.table.topLevelItemCount() == 1
    export = tmp_path / "changes.csv"
    whats_new.export(export)
    assert export.read_text(encoding="utf-8").splitlines()[1].startswith("E1165,E11.65,revised,")
    with qtbot.waitSignal(whats_new.code_chosen) as chosen:
        qtbot.keyClick(whats_new.table, Qt.Key.Key_Return)
    assert chosen.args == ["icd10cm", "E1165"]


def test_a_bad_file_is_refused_in_the_dialog_and_nothing_changes(qtbot, window, tmp_path, small_sources):
    data = window.service.data_dir
    broken = tmp_path / "icd10cm-tabular-2100.xml"
    broken.write_bytes(FY2100.read_bytes()[:2500])
    dialog = ImportDialog(window, data, window_swap(window, data), base=small_sources)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.add_paths([broken])
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10000)
    qtbot.keyClick(dialog.import_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Nothing was imported"), timeout=60000)
    assert "icd10cm-tabular-2100.xml" in dialog.summary.text() and "line" in dialog.summary.text()
    assert [r.name for r in window.service.releases if r.content == "tabular"] == ["ICD-10-CM FY2099"]
    assert not (data / "imports" / "imports.json").exists()
