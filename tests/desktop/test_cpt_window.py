"""CPT in the real window (offscreen Qt) on a small real build with the invented CPT fixtures imported: search a
CPT number and an invented word, open the detail, see the RVUs, the global days and the AMA copyright line;
File → Remove CPT data takes it all out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from db.importer import plan_import, run_import
from db.imports import Imports
from db.user_data import UserData
from desktop.cpt_actions import remove_cpt_data
from desktop.main_window import MainWindow
from desktop.services import CodeService
from tests.conftest import FIXTURES

CPT_FILES = [FIXTURES / "cpt" / name for name in ("LONGULT.txt", "SHORTU.txt", "PPRRVU99_JAN.csv")]


@pytest.fixture
def cpt_window(qtbot, tmp_path: Path, small_sources):
    data = tmp_path / "data"
    plan = plan_import(CPT_FILES, [], Imports.load(data), data)
    run_import(plan, data, progress=lambda _line: None, base=small_sources)
    service = CodeService(data)
    user_data = UserData(tmp_path / "user")
    window = MainWindow(service, user_data, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    window.set_day(dt.date(2099, 3, 1))
    yield window, data, small_sources
    window.close()
    window.service.close()
    user_data.close()


def type_and_wait(qtbot, window: MainWindow, text: str) -> None:
    window.search_bar.clear()
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=lambda r: r.query == text):
        qtbot.keyClicks(window.search_bar, text)


def test_search_a_cpt_number_and_a_word_and_read_the_fee_schedule(qtbot, cpt_window) -> None:
    window, _data, _sources = cpt_window
    type_and_wait(qtbot, window, "quillfen")
    assert (window.model.hit(0).system, window.model.hit(0).code) == ("cpt", "47562")
    type_and_wait(qtbot, window, "47562")
    assert window.model.hit(0).code == "47562"
    with qtbot.waitSignal(window.detail_shown, timeout=5000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    overview = window.detail.browsers[0].toPlainText()
    assert "Quillfen gallbladder keyhole removal" in overview
    assert "Medicare fee schedule (CPT 2099)" in overview
    assert "10.47" in overview and "18.56" in overview  # work RVU, facility total
    assert "090 (90 days" in overview  # global days
    assert "American Medical Association" in overview


def test_remove_cpt_data_from_the_window(qtbot, cpt_window) -> None:
    window, data, sources = cpt_window
    assert "remove_cpt" in window.actions_by_name
    events: list[str] = []

    def close_data() -> None:
        # Windows cannot rename a folder whose files are open: the window's data is closed before the swap.
        events.append("closed" if (data / "current").is_dir() and not list(data.glob("current.old")) else "late")
        window.service.close()

    def restart(target: Path) -> None:  # as the app's runner does (restart_search)
        events.append(f"restarted {target == data}")
        window.service.close()
        window.use_service(CodeService(target))

    # The app starts from the bundled files when it must rebuild; here from the small fixtures.
    assert remove_cpt_data(
        window, data, window.user_data.path, restart, confirm=False, base=sources, close_data=close_data
    )
    assert events == ["closed", "restarted True"]
    type_and_wait(qtbot, window, "quillfen")
    assert all(window.model.hit(row).system != "cpt" for row in range(window.model.rowCount()))
