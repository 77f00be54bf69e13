"""Screenshots of the release features (offscreen, real window, real data): the date-of-service field with a
deleted code and its history, the banner for an uncovered date, What's new, and an import in progress.

.venv/bin/python tools/screenshots_releases.py --data DIR [--out docs] [--import PATH]

The import shot copies DIR to a temporary folder first: the data in DIR is never changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from db.user_data import UserData
from desktop.import_dialog import ImportDialog, window_swap
from desktop.main_window import MainWindow
from desktop.runner import apply_theme
from desktop.services import CodeService
from desktop.whats_new import WhatsNewDialog


def run_until(app: QApplication, done, timeout_ms: int = 120000) -> None:  # type: ignore[no-untyped-def]
    """The event loop (so worker threads run) until `done()` or the timeout."""
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if done() else None)
    timer.start(50)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    timer.stop()
    app.processEvents()


def save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--import", dest="import_path", type=Path, help="files to import for the progress shot")
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    apply_theme(app, "light")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        user = Path(scratch) / "user"
        user_data = UserData(user)
        user_data.toggle_favorite("icd10cm", "T7807XA", "T78.07XA", "Anaphylactic reaction due to milk and dairy")
        window = MainWindow(
            CodeService(args.data), user_data, QSettings(str(user / "s.ini"), QSettings.Format.IniFormat)
        )
        window.resize(1280, 800)
        window.show()
        # A code deleted in FY2026, typed exactly, on a date of service in FY2026 April.
        window.set_day(dt.date(2026, 5, 1))
        QTest.keyClicks(window.search_bar, "T78.07XA")
        run_until(app, lambda: window.model.rowCount() > 0)
        QTest.keyClick(window.search_bar, Qt.Key.Key_Return)
        run_until(app, lambda: window.detail.bundle is not None)
        window.focus_date()
        save(window, args.out / "date-of-service-history.png")
        # A date no loaded release covers: the banner says what is answered and what to do.
        window.set_day(dt.date(2026, 12, 2))
        run_until(app, lambda: not window.release_banner.isHidden(), 3000)
        save(window, args.out / "date-not-covered.png")
        whats_new = WhatsNewDialog(window, window.service.engine, [("icd10cm", "T7807XA")])
        whats_new.show()
        app.processEvents()
        save(whats_new, args.out / "whats-new.png")
        whats_new.close()
        if args.import_path is not None:
            data = Path(scratch) / "data"
            shutil.copytree(args.data, data)
            window.use_service(CodeService(data))
            dialog = ImportDialog(window, data, window_swap(window, data))
            dialog.show()
            dialog.add_paths([args.import_path])
            run_until(app, lambda: dialog.import_button.isEnabled(), 60000)
            save(dialog, args.out / "import-found.png")
            dialog.start_import()
            run_until(app, lambda: "indexed" in dialog.progress_text.text(), 300000)
            save(dialog, args.out / "import-progress.png")
            run_until(app, lambda: dialog.summary.text().startswith(("Imported", "Nothing")), 600000)
            save(dialog, args.out / "import-done.png")
            dialog.close()
        window.close()
        window.service.close()
        user_data.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
