"""File → Remove CPT data: confirm, take the licensed CPT data off (with a progress window), then restart the
search on the new data."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget

from desktop.gui_swap import GuiThreadSwap

if TYPE_CHECKING:
    from db.build import BuildSources

log = logging.getLogger(__name__)


class _Relay(QObject):
    line = Signal(str)
    finished = Signal(object)


def remove_cpt_data(
    parent: QWidget,
    data_dir: Path,
    user_database: Path,
    restart: Callable[[Path], None],
    confirm: bool = True,
    base: BuildSources | None = None,
    close_data: Callable[[], None] = lambda: None,
) -> bool:
    """True when the CPT data was removed (and `restart` called). `base`: the official files to rebuild from
    (default the bundled ones). `close_data` closes what the window holds open of `data_dir`, on the GUI
    thread, right before the new data is swapped in (Windows cannot rename a folder whose files are open)."""
    from db.cpt_import import remove_cpt
    from db.imports import Imports

    if not any(release.system == "cpt" for release in Imports.load(data_dir).releases):
        QMessageBox.information(parent, "Codebook", "No CPT data is loaded.")
        return False
    question = (
        "Remove every CPT file you imported, and their descriptors in favorites and history, from the code database?"
    )
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    if confirm and QMessageBox.question(parent, "Remove CPT data", question, buttons) != QMessageBox.StandardButton.Yes:
        return False
    dialog = QProgressDialog("Removing the CPT data…", "", 0, 0, parent)
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    relay = _Relay()
    outcome: dict[str, object] = {}

    def swap_data(renames: Callable[[], None]) -> None:
        close_data()
        try:
            renames()
        finally:
            restart(data_dir)  # the new data, or the old one again if the renames failed
            outcome["restarted"] = True

    swap = GuiThreadSwap(swap_data)

    def work() -> None:
        try:
            remove_cpt(data_dir, relay.line.emit, user_database, base, swap)
            relay.finished.emit(None)
        except Exception as error:  # reported in the window, logged in full
            log.exception("removing the CPT data failed")
            relay.finished.emit(error)

    def done(error: object) -> None:
        outcome["error"] = error
        dialog.reset()
        dialog.close()

    relay.line.connect(lambda text: dialog.setLabelText(f"Removing the CPT data…\n\n{text.strip()}"))
    relay.finished.connect(done)
    thread = threading.Thread(target=work, name="codebook-remove-cpt", daemon=True)
    thread.start()
    while "error" not in outcome:
        QApplication.processEvents()
        thread.join(0.02)
    if outcome["error"] is not None:
        QMessageBox.critical(parent, "Codebook", f"The CPT data could not be removed: {outcome['error']}")
        return False
    if not outcome.get("restarted"):
        restart(data_dir)
    return True
