"""Screenshots of the real window (offscreen) for docs/: light and dark, a diagnosis and a PCS procedure code.

.venv/bin/python tools/screenshots.py [--data DIR] [--out docs]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from db.paths import default_data_dir
from db.user_data import UserData
from desktop.main_window import MainWindow
from desktop.runner import apply_theme
from desktop.services import CodeService

SHOTS = (
    ("diagnosis", "copd exac", "Notes"),
    ("procedure", "0FT44ZZ", "Overview"),
    ("article", "0FT44ZZ", "Procedure"),
)


def wait_for(app: QApplication, signal, action) -> None:  # type: ignore[no-untyped-def]
    """Run `action`, then the event loop until `signal` fires (QEventLoop.exec lets the worker thread run;
    a QTest.qWait polling loop would keep Python's GIL and slow the search being pictured)."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(10000, loop.quit)
    action()
    loop.exec()
    signal.disconnect(loop.quit)
    app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as user:
        for theme in ("light", "dark"):
            apply_theme(app, theme)
            for name, query, tab in SHOTS:
                service = CodeService(args.data or default_data_dir())
                user_data = UserData(Path(user))
                window = MainWindow(
                    service, user_data, QSettings(str(Path(user) / "s.ini"), QSettings.Format.IniFormat)
                )
                window.resize(1280, 800)
                window.show()
                window.search_bar.setFocus()
                wait_for(app, window.results_shown, lambda w=window, q=query: QTest.keyClicks(w.search_bar, q))
                wait_for(app, window.detail_shown, lambda w=window: QTest.keyClick(w.search_bar, Qt.Key.Key_Return))
                window.detail.select_tab([window.detail.tabText(i) for i in range(window.detail.count())].index(tab))
                QTest.qWait(100)
                path = args.out / f"{name}-{theme}.png"
                window.grab().save(str(path))
                print(path)
                window.close()
                service.close()
                user_data.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
