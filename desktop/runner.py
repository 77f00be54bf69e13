"""Starting the Qt side: choose or build the data, show the window, or run the self-test."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QStyleFactory, QWidget

from db.data_check import data_problem
from db.paths import (
    DATA_DIR_ENV,
    default_data_dir,
    has_imports,
    import_data_dir,
    is_frozen,
    rebuilt_data_dir,
    resources_dir,
    user_dir,
)
from db.sources.errors import SourceFormatError
from db.user_data import UserData

log = logging.getLogger("codebook")


def choose_data_dir(explicit: str | None) -> tuple[Path, str | None, Path]:
    """(folder to open, its problem or None, folder to build into when it has one).

    A frozen bundle's data is read-only: when it is missing or damaged the app uses (or builds) a copy in
    the user's data directory and never writes into the install folder.
    """
    import os

    chosen = Path(explicit).expanduser().resolve() if explicit else default_data_dir()
    user_copy = rebuilt_data_dir()
    given = bool(explicit) or bool(os.environ.get(DATA_DIR_ENV))
    if not given and user_copy != chosen and has_imports(user_copy):
        # The clerk imported releases: their data (bundled releases plus imported ones) is the one to open.
        return user_copy, data_problem(user_copy), user_copy
    problem = data_problem(chosen)
    if problem is None:
        return chosen, None, chosen
    if not given and user_copy != chosen:
        if data_problem(user_copy) is None:
            return user_copy, None, user_copy
        return chosen, problem, user_copy
    return chosen, problem, chosen


def apply_theme(app: QApplication, theme: str) -> None:
    """Follow the system palette by default; "light"/"dark" force one (screenshots, accessibility)."""
    if theme == "system":
        return
    app.setStyle(QStyleFactory.create("Fusion"))
    if theme == "light":
        app.setPalette(app.style().standardPalette())
        return
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#171717",
        QPalette.ColorRole.AlternateBase: "#2a2a2a",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2d2e30",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.Highlight: "#2f5d9e",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2d2e30",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Link: "#8ab4f8",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        # Disabled tabs and buttons must look disabled in the dark palette too.
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7378"))
    app.setPalette(palette)


class _BuildRelay(QObject):
    line = Signal(str)
    finished = Signal(object)


def build_with_progress(target: Path, reason: str, parent: object = None) -> bool:
    """Build the data with a progress window and a Cancel button; False when cancelled or failed."""
    # Imported here: the build code (parsers, openpyxl, YAML) costs half a second that a normal start skips.
    from db.build import BuildCancelled, build
    from db.imports import sources_with_imports

    dialog = QProgressDialog(f"{reason}\n\nBuilding the code database and search index…", "Cancel", 0, 0)
    dialog.setWindowTitle("Codebook: preparing data")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.setMinimumWidth(520)
    relay = _BuildRelay()
    cancel = threading.Event()
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            build(target, sources_with_imports(target), progress=relay.line.emit, should_cancel=cancel.is_set)
            relay.finished.emit(None)
        except BaseException as error:  # reported in the window, logged in full
            log.exception("build failed")
            relay.finished.emit(error)

    relay.line.connect(lambda text: dialog.setLabelText(f"{reason}\n\n{text.strip()}"))

    def done(error: object) -> None:
        outcome["error"] = error
        dialog.reset()
        dialog.close()

    relay.finished.connect(done)
    dialog.canceled.connect(cancel.set)
    thread = threading.Thread(target=work, name="codebook-build", daemon=True)
    thread.start()
    dialog.exec()
    if "error" not in outcome:
        # Closed by Cancel (or Esc) before the build finished: stop it and wait for its clean-up.
        cancel.set()
        while thread.is_alive():
            QApplication.processEvents()
            thread.join(0.05)
        return False
    error = outcome["error"]
    if error is None:
        return True
    if isinstance(error, BuildCancelled):
        return False
    message = str(error) if isinstance(error, SourceFormatError) else f"The build failed: {error}"
    QMessageBox.critical(None, "Codebook", message + "\n\nThe previous data (if any) was left as it was.")
    return False


def tell_about_recovered_user_data(parent: QWidget, user_data: UserData) -> QMessageBox | None:
    """A damaged user.sqlite was replaced: say so and where it was kept (Enter or Esc closes the box)."""
    if user_data.recovered is None:
        return None
    log.warning("user data was damaged: %s", user_data.recovered.message().replace("\n", " "))
    box = QMessageBox(
        QMessageBox.Icon.Warning, "Codebook", user_data.recovered.message(), QMessageBox.StandardButton.Ok, parent
    )
    box.setEscapeButton(QMessageBox.StandardButton.Ok)
    # The path can be selected and copied, for whoever tries to recover the old file.
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


def run(args: argparse.Namespace, log_file: Path | None, process_age_ms: Callable[[], float]) -> int:
    from desktop.app import install_excepthook, print_json
    from desktop.claim_window import claim_window_opener
    from desktop.cpt_actions import remove_cpt_data
    from desktop.main_window import MainWindow
    from desktop.services import CodeService

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Codebook")
    app.setOrganizationName("Codebook")
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "codebook.png")))
    apply_theme(app, args.theme)
    install_excepthook(lambda text: QMessageBox.warning(None, "Codebook", text) if not args.self_test else None)

    data_dir, problem, build_target = choose_data_dir(args.data)
    if problem is not None:
        log.warning("data problem: %s", problem)
        if args.self_test:
            print(f"self-test failed: {problem}", file=sys.stderr)
            return 3
        if not build_with_progress(build_target, f"Codebook needs its data: {problem}."):
            return 1
        data_dir = build_target
    try:
        service = CodeService(data_dir)
    except Exception as error:  # a damaged index: offer a rebuild instead of a traceback
        log.exception("cannot open data in %s", data_dir)
        if args.self_test:
            print(f"self-test failed: cannot open data in {data_dir}: {error}", file=sys.stderr)
            return 3
        target = rebuilt_data_dir() if is_frozen() else data_dir
        if not build_with_progress(target, f"The data in {data_dir} could not be opened ({error})."):
            return 1
        service = CodeService(target)

    folder = user_dir()
    user_data = UserData(folder)
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(service, user_data, settings)
    window.detail.policies_tab.use_settings(settings)  # the Policies tab remembers its state filter

    def restart_search(target: Path) -> None:
        """Answer from the data in `target` (or, if it cannot be used, the data opened before)."""
        old_dir = window.service.data_dir
        window.service.close()
        window.use_service(CodeService(target if data_problem(target) is None else old_dir))

    def rebuild() -> None:
        target = rebuilt_data_dir() if is_frozen() else window.service.data_dir
        window.service.close()  # Windows cannot replace files the app holds open
        if build_with_progress(target, "Rebuilding at your request."):
            QMessageBox.information(window, "Codebook", "The data was rebuilt. Codebook will now restart its search.")
        restart_search(target)

    def open_import() -> None:
        from desktop.import_dialog import ImportDialog, window_swap

        target = import_data_dir(args.data)
        dialog = ImportDialog(window, target, window_swap(window, target))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def open_whats_new() -> None:
        from desktop.whats_new import WhatsNewDialog

        own = [(saved.system, saved.code) for saved in [*user_data.favorites(), *user_data.history(200)]]
        dialog = WhatsNewDialog(window, window.service.engine, own)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.code_chosen.connect(window.navigate_to)
        dialog.show()

    window.whats_new_requested.connect(open_whats_new)
    window.rebuild_requested.connect(rebuild)
    window.import_requested.connect(open_import)
    open_claim_check = claim_window_opener(
        window, lambda: window.service.data_dir, lambda: window.service.day, window.navigate_to
    )
    window.claim_check_requested.connect(open_claim_check)
    window.remove_cpt_requested.connect(
        lambda: remove_cpt_data(
            window, window.service.data_dir, user_data.path, restart_search, close_data=window.service.close
        )
    )
    window.show()
    if not args.self_test:
        tell_about_recovered_user_data(window, user_data)
    elif user_data.recovered is not None:
        print(f"self-test: {user_data.recovered.message()}", file=sys.stderr)
    if args.self_test:
        from desktop.self_test import SelfTest

        test = SelfTest(app, window, args.self_test_query, process_age_ms, print_json, args.screenshot)
        QTimer.singleShot(0, test.start)
        code = app.exec()
        window.service.close()
        user_data.close()
        return test.exit_code if test.exit_code is not None else code
    if args.screenshot:
        QTimer.singleShot(800, lambda: (window.grab().save(args.screenshot), app.quit()))
    code = app.exec()
    window.service.close()
    user_data.close()
    return code
