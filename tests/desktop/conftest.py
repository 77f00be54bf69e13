"""The real main window on a data folder, shown offscreen and closed (window, its data, user data) after the test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from db.user_data import UserData
from desktop.main_window import MainWindow
from desktop.services import CodeService

OpenWindow = Callable[..., MainWindow]


@pytest.fixture
def open_window(qtbot, tmp_path) -> Iterator[OpenWindow]:
    """`open_window(data, user_folder=None, day=None)`: the window answers from `data` (for `day`, default today);
    favorites, history and settings go to `user_folder` (default tmp_path/user)."""
    opened: list[tuple[MainWindow, UserData]] = []

    def open_(data: Path, user_folder: Path | None = None, day: dt.date | None = None) -> MainWindow:
        folder = user_folder or tmp_path / "user"
        service = CodeService(data)
        if day is not None:
            service.set_day(day)
        user_data = UserData(folder)
        settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(service, user_data, settings)
        qtbot.addWidget(window)
        with qtbot.waitActive(window):
            window.show()
            window.activateWindow()
        opened.append((window, user_data))
        return window

    yield open_
    for window, user_data in opened:
        window.close()
        window.service.close()  # the service in use at the end (an import may have replaced the first)
        user_data.close()
