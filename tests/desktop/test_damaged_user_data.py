"""Damaged files at start-up: user.sqlite moved aside and the clerk told; a damaged built index rebuilt, never used."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from db.data_check import data_problem
from db.integrity import verify
from db.layout import INDEX_DIR, current_dir
from db.user_data import USER_DATABASE_FILE, UserData, damage_of
from desktop.main_window import MainWindow
from desktop.runner import choose_data_dir, tell_about_recovered_user_data
from desktop.services import CodeService

REPO = Path(__file__).resolve().parents[2]
GARBAGE = b"Not a database: a half-copied profile or a disk error. " * 200


def kept_name(number: int = 1) -> str:
    suffix = "" if number == 1 else f"-{number}"
    return f"{USER_DATABASE_FILE}.damaged-{dt.date.today().isoformat()}{suffix}"


def with_saved_codes(folder: Path, favorites: int = 3, viewed: int = 4) -> None:
    user_data = UserData(folder)
    for number in range(favorites):
        user_data.toggle_favorite("icd10cm", f"S72.00{number}", f"S72.00{number}", f"Invented title {number}")
    for number in range(viewed):
        user_data.record_view("hcpcs", f"J110{number}", f"J110{number}", f"Invented drug {number}")
    user_data.close()


def test_garbage_is_moved_aside_with_the_date_and_a_fresh_file_works(tmp_path):
    (tmp_path / USER_DATABASE_FILE).write_bytes(GARBAGE)
    user_data = UserData(tmp_path)
    notice = user_data.recovered
    assert notice is not None and notice.kept_as == tmp_path / kept_name()
    assert notice.kept_as.read_bytes() == GARBAGE  # kept, unchanged
    assert "not a database" in notice.reason
    assert str(notice.kept_as) in notice.message() and "No favorites" in notice.message()
    assert user_data.toggle_favorite("icd10cm", "E11.9", "E11.9", "Invented")
    assert [saved.code for saved in user_data.favorites()] == ["E11.9"]
    user_data.close()
    assert UserData(tmp_path).recovered is None  # the fresh file is healthy on the next start


def test_an_earlier_damaged_copy_is_never_overwritten(tmp_path):
    (tmp_path / kept_name()).write_bytes(b"the first damaged copy")
    for number in (2, 3):
        (tmp_path / USER_DATABASE_FILE).write_bytes(GARBAGE[:number])
        user_data = UserData(tmp_path)
        user_data.close()
        assert user_data.recovered is not None and user_data.recovered.kept_as.name == kept_name(number)
        assert user_data.recovered.kept_as.read_bytes() == GARBAGE[:number]
    assert (tmp_path / kept_name()).read_bytes() == b"the first damaged copy"


def test_a_healthy_file_keeps_its_favorites_and_history(tmp_path):
    with_saved_codes(tmp_path)
    other_copy = UserData(tmp_path)  # another copy of the app, its writes still in the WAL
    other_copy.toggle_favorite("hcpcs", "E0143", "E0143", "Invented walker")
    assert damage_of(tmp_path / USER_DATABASE_FILE) is None
    user_data = UserData(tmp_path)
    assert user_data.recovered is None
    assert len(user_data.favorites()) == 4 and len(user_data.history()) == 4
    user_data.close()
    other_copy.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == []


def test_a_damaged_page_keeps_every_readable_favorite(tmp_path):
    with_saved_codes(tmp_path, favorites=3, viewed=4)
    database = tmp_path / USER_DATABASE_FILE
    connection = sqlite3.connect(database)
    root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_favorites_1'")
    page = root.fetchone()[0]
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with database.open("r+b") as handle:  # a garbled page header: the unique index, not the rows
        handle.seek((page - 1) * page_size)
        handle.write(b"\xff" * 16)
    user_data = UserData(tmp_path)
    notice = user_data.recovered
    assert notice is not None and (notice.favorites_recovered, notice.history_recovered) == (3, 4)
    assert "3 favorite(s) and 4 recent code(s)" in notice.message()
    assert sorted(saved.code for saved in user_data.favorites()) == ["S72.000", "S72.001", "S72.002"]
    assert len(user_data.history()) == 4
    assert damage_of(tmp_path / USER_DATABASE_FILE) is None
    user_data.close()


def test_an_unreadable_schema_is_moved_aside(tmp_path):
    connection = sqlite3.connect(tmp_path / USER_DATABASE_FILE)
    connection.execute("CREATE TABLE favorites (id INTEGER PRIMARY KEY, note TEXT)")
    connection.commit()
    connection.close()
    user_data = UserData(tmp_path)
    assert user_data.recovered is not None and "favorites table lacks the columns" in user_data.recovered.reason
    assert user_data.toggle_favorite("icd10cm", "E11.9", "E11.9", "Invented")
    user_data.close()


def test_the_window_tells_the_clerk_and_closes_from_the_keyboard(qtbot, small_data, tmp_path):
    (tmp_path / USER_DATABASE_FILE).write_bytes(GARBAGE)
    service = CodeService(small_data)
    user_data = UserData(tmp_path)
    window = MainWindow(service, user_data, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    box = tell_about_recovered_user_data(window, user_data)
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    assert str(tmp_path / kept_name()) in box.text() and "damaged" in box.text()
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not box.isVisible())
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=lambda r: r.query == "S72.001"):
        qtbot.keyClicks(window.search_bar, "S72.001")
    assert window.model.hit(0).display == "S72.001"
    window.close()
    service.close()
    user_data.close()


def test_a_healthy_user_file_shows_no_message(qtbot, tmp_path):
    with_saved_codes(tmp_path)
    user_data = UserData(tmp_path)
    assert tell_about_recovered_user_data(None, user_data) is None  # type: ignore[arg-type]
    user_data.close()


def damaged_copy(small_data: Path, target: Path) -> Path:
    shutil.copytree(small_data, target)
    segment = next((current_dir(target) / INDEX_DIR).glob("*.seg"))
    with segment.open("r+b") as handle:
        handle.seek(segment.stat().st_size // 2)
        handle.write(b"\x00\x01\x02\x03")
    return segment


def test_self_test_refuses_a_damaged_index_naming_the_file(small_data, tmp_path):
    segment = damaged_copy(small_data, tmp_path / "data")
    env = {**os.environ, "CODEBOOK_USER_DIR": str(tmp_path / "user"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "desktop.app", "--self-test", "--data", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "damaged" in result.stderr and f"{INDEX_DIR}/{segment.name}" in result.stderr


def test_a_damaged_bundled_index_is_rebuilt_into_the_user_folder(small_data, tmp_path, monkeypatch):
    bundle = tmp_path / "install"
    segment = damaged_copy(small_data, bundle / "data")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setenv("CODEBOOK_USER_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("CODEBOOK_DATA_DIR", raising=False)
    chosen, problem, build_target = choose_data_dir(None)
    assert chosen == bundle / "data" and problem is not None and segment.name in problem
    assert build_target == tmp_path / "user" / "data"
    shutil.copytree(small_data, tmp_path / "user" / "data")  # what the rebuild leaves there
    assert choose_data_dir(None)[:2] == (tmp_path / "user" / "data", None)


@pytest.mark.full_data
def test_the_app_rebuilds_a_damaged_index_with_its_progress_window(small_data, tmp_path):
    """The real start: a damaged index -> the progress window builds the bundled data -> the window opens."""
    segment = damaged_copy(small_data, tmp_path / "data")
    env = {**os.environ, "CODEBOOK_USER_DIR": str(tmp_path / "user"), "QT_QPA_PLATFORM": "offscreen"}
    shot = tmp_path / "window.png"
    result = subprocess.run(
        [sys.executable, "-m", "desktop.app", "--data", str(tmp_path / "data"), "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert shot.is_file()
    assert data_problem(tmp_path / "data") is None and verify(current_dir(tmp_path / "data")) == []
    assert not segment.exists() or segment.read_bytes() != b""  # the damaged segment was replaced by the build
    log = (tmp_path / "user" / "logs" / "codebook.log").read_text(encoding="utf-8")
    assert "is damaged" in log and segment.name in log
