"""File → Import official files…: choose files or a folder, see what each file is, import in the background."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.cpt_preview import CptListPreview
from desktop.gui_swap import GuiThreadSwap

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

log = logging.getLogger(__name__)

#: "indexed 25,000 of 200,278": the build's progress lines that carry counts.
COUNTED = re.compile(r"(\d[\d,]*) of (\d[\d,]*)")
#: How many of the CPT numbers articles name that the imported CPT files lack the summary shows.
ARTICLE_NUMBERS_SHOWN = 12


class _Relay(QObject):
    """Signals from the worker thread to the dialog (queued: slots run on the GUI thread)."""

    planned = Signal(object)
    line = Signal(str)
    finished = Signal(object)


class ImportDialog(QDialog):
    """Scans as soon as files are added; Import builds the new data while the main window stays usable.

    `swap_data(renames)` runs on the GUI thread when the new data is ready: the window closes the data it has
    open (Windows cannot rename open files), runs the renames and opens the new data, all in one step.
    """

    def __init__(
        self,
        parent: QWidget | None,
        target: Path,
        swap_data: Callable[[Callable[[], None]], None],
        base: object | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import official files")
        self.resize(980, 640)
        self.target = target
        self._swap = GuiThreadSwap(swap_data)
        #: The official files a rebuild starts from (None: the bundled ones; tests give small fixtures).
        self._base = base
        self.paths: list[Path] = []
        self.plan: object | None = None
        self._cancel = threading.Event()
        self._busy = False
        self.relay = _Relay()
        self.relay.planned.connect(self._show_plan)
        self.relay.line.connect(self._show_progress)
        self.relay.finished.connect(self._finished)

        intro = QLabel(
            "Choose the files as downloaded from CMS or CDC: the zips (zips inside zips are fine), the files inside "
            f"them, or a folder holding them. Each file is recognised by its content. Imported releases go to {target}."
        )
        intro.setWordWrap(True)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Type or paste a file or folder path, then Enter")
        self.path_edit.setAccessibleName("Path to add")
        path_label = QLabel("&Path:")
        path_label.setBuddy(self.path_edit)
        self.add_files_button = QPushButton("Add &files…")
        self.add_folder_button = QPushButton("Add f&older…")
        self.path_list = QListWidget()
        self.path_list.setAccessibleName("Chosen files and folders")
        self.path_list.setMaximumHeight(90)
        self.found = QTreeWidget()
        self.found.setHeaderLabels(["Status", "What", "Release", "Dates of service", "File", "Why", "Checksum"])
        self.found.setRootIsDecorated(False)
        self.found.setAccessibleName("What was found")
        self.found.setMinimumHeight(120)
        #: An office's CPT list: its first rows and the columns read, which the clerk can change.
        self.cpt_preview = CptListPreview()
        self.cpt_preview.changed.connect(self._update_ready)
        self.summary = QLabel("Nothing chosen yet.")
        self.summary.setWordWrap(True)
        self.progress_text = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setVisible(False)
        self.import_button = QPushButton("&Import")
        self.import_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel")
        self.close_button = QPushButton("&Close")
        buttons_of_dialog = (self.add_files_button, self.add_folder_button, self.import_button)
        for button in (*buttons_of_dialog, self.cancel_button, self.close_button):
            # Enter in the path field adds the path; it must never also press Import (the default button).
            button.setAutoDefault(False)

        top = QHBoxLayout()
        top.addWidget(path_label)
        top.addWidget(self.path_edit, 1)
        top.addWidget(self.add_files_button)
        top.addWidget(self.add_folder_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress_bar, 1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.path_list)
        layout.addWidget(self.found, 1)
        layout.addWidget(self.cpt_preview)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress_text)
        layout.addLayout(buttons)
        self.cancel_button.setEnabled(False)
        #: What the clerk changes the import with: locked while it runs.
        self._inputs = (self.add_files_button, self.add_folder_button, self.path_edit, self.cpt_preview)

        self.path_edit.returnPressed.connect(self._add_typed_path)
        self.add_files_button.clicked.connect(self._choose_files)
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button.clicked.connect(self._cancel.set)
        self.close_button.clicked.connect(self.close)
        remove = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.path_list)
        remove.activated.connect(self._remove_selected_path)
        self.path_edit.setFocus()

    # -- choosing ---------------------------------------------------------------------------------------------

    def add_paths(self, paths: list[Path]) -> None:
        for path in paths:
            if path not in self.paths:
                self.paths.append(path)
                self.path_list.addItem(str(path))
        self._scan()

    def _add_typed_path(self) -> None:
        text = self.path_edit.text().strip().strip('"')
        if not text:
            return
        path = Path(text).expanduser()
        if not path.exists():
            self.summary.setText(f"There is no file or folder {path}.")
            return
        self.path_edit.clear()
        self.add_paths([path])

    def _choose_files(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(
            self, "Official files", "", "Code files (*.zip *.xml *.txt *.xlsx *.prn *.csv);;All files (*)"
        )
        self.add_paths([Path(name) for name in names])

    def _choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Folder of official files")
        if name:
            self.add_paths([Path(name)])

    def _remove_selected_path(self) -> None:
        row = self.path_list.currentRow()
        if 0 <= row < len(self.paths) and not self._busy:
            self.paths.pop(row)
            self.path_list.takeItem(row)
            self._scan()

    # -- scanning ---------------------------------------------------------------------------------------------

    def _scan(self) -> None:
        self.import_button.setEnabled(False)
        self.found.clear()
        self.plan = None
        self.cpt_preview.set_previews([])
        if not self.paths:
            self.summary.setText("Nothing chosen yet.")
            return
        self.summary.setText("Reading the files…")
        paths, target = list(self.paths), self.target

        def work() -> None:
            from db.cli_import import loaded_releases
            from db.cpt_import import preview_list
            from db.importer import plan_import
            from db.imports import Imports

            try:
                plan = plan_import(paths, loaded_releases(target), Imports.load(target), target)
                lists = [r.found for r in plan.reports if r.found.kind == "cpt-csv" and r.status == "new"]
                self.relay.planned.emit((plan, [preview_list(found) for found in lists]))
            except Exception as error:  # reported in the dialog, logged in full
                log.exception("scan failed")
                self.relay.planned.emit(error)

        threading.Thread(target=work, name="codebook-scan", daemon=True).start()

    def _show_plan(self, planned: object) -> None:
        from db.importer import ImportPlan

        if not isinstance(planned, tuple):
            self.summary.setText(f"The files could not be read: {planned}")
            return
        plan, previews = planned
        assert isinstance(plan, ImportPlan)
        self.plan = plan
        for report in plan.reports:
            found, release = report.found, report.found.release
            dates = f"{release.valid_from or '?'} to {release.valid_to or '?'}"
            columns = [report.status, found.kind, release.name, dates, found.location, report.why, found.official or ""]
            item = QTreeWidgetItem(columns)
            item.setToolTip(4, f"{found.location}\nsha256 {found.sha256}\n{found.release_evidence}")
            self.found.addTopLevelItem(item)
        for unknown in plan.unrecognised:
            self.found.addTopLevelItem(QTreeWidgetItem(["not read", "", "", "", unknown.location, unknown.reason, ""]))
        for column in range(4):
            self.found.resizeColumnToContents(column)
        self.cpt_preview.set_previews(previews)  # emits changed: the summary and Import follow
        if self.import_button.isEnabled():
            self.import_button.setFocus()

    def _update_ready(self) -> None:
        """The summary and Import for the plan and the office lists' columns as chosen now."""
        from db.importer import ImportPlan

        plan = self.plan
        if not isinstance(plan, ImportPlan) or self._busy:
            return
        new = [d.release.name for d in plan.drafts] + sorted(plan.store_files)
        problem = self.cpt_preview.problem()
        if plan.refusals:
            self.summary.setText("Cannot import: " + " ".join(plan.refusals))
        elif new and problem:
            self.summary.setText(f"Cannot import: {problem}. Choose the list's columns (Alt+U, Alt+D).")
        elif new:
            self.summary.setText(f"Ready to import: {', '.join(new)}. Press Import (Alt+I).")
        elif plan.reports:
            self.summary.setText("Nothing new: every code file found is already loaded.")
        else:
            self.summary.setText("No official code file was found in what you chose.")
        self.import_button.setEnabled(bool(new) and not plan.refusals and not problem)

    # -- importing --------------------------------------------------------------------------------------------

    def start_import(self) -> None:
        from db.build import BuildSources
        from db.importer import ImportPlan, run_import

        plan = self.plan
        if not isinstance(plan, ImportPlan) or self._busy:
            return
        self._busy = True
        self._cancel.clear()
        plan.cpt_list_columns = self.cpt_preview.columns()
        for widget in (self.import_button, *self._inputs):
            widget.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setVisible(True)
        self.progress_bar.setRange(0, 0)
        names = [draft.release.name for draft in plan.drafts] + sorted(plan.store_files)
        self.summary.setText(
            f"Importing {', '.join(names)}: building the new data. The main window keeps answering from the data "
            "it has until the new data is in. Cancel stops it and changes nothing."
        )

        def work() -> None:
            try:
                base = self._base if isinstance(self._base, BuildSources) else None
                report = run_import(plan, self.target, self.relay.line.emit, self._cancel.is_set, base, self._swap)
                self.relay.finished.emit(report)
            except BaseException as error:  # shown in the dialog, logged in full
                log.exception("import failed")
                self.relay.finished.emit(error)

        threading.Thread(target=work, name="codebook-import", daemon=True).start()

    def reject(self) -> None:
        """Esc or Close while importing does not leave a build running unseen: it asks to cancel first."""
        if self._busy:
            self.summary.setText("Importing: press Cancel to stop it (nothing will change), or wait.")
            return
        super().reject()

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self._busy:
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)

    def _show_progress(self, line: str) -> None:
        self.progress_text.setText(line.strip())
        counted = COUNTED.search(line)
        if counted:
            done, total = (int(group.replace(",", "")) for group in counted.groups())
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)

    def _finished(self, outcome: object) -> None:
        from db.build import BuildCancelled, BuildReport

        self._busy = False
        self.cancel_button.setEnabled(False)
        self.progress_bar.setVisible(False)
        for widget in self._inputs:
            widget.setEnabled(True)
        if isinstance(outcome, BuildReport):
            self.progress_text.setText("")
            self.summary.setText("Imported. " + self._imported_text(outcome))
            self.plan = None  # done: changing a list's columns now must not offer the same import again
            self.cpt_preview.set_previews([])
            self.close_button.setFocus()
            return
        if isinstance(outcome, BuildCancelled):
            self.summary.setText("Import cancelled: nothing was changed.")
        else:
            self.summary.setText(f"Nothing was imported, and nothing was changed: {outcome}")
        self.progress_text.setText("")
        # The plan still holds (nothing changed): Import can be pressed again once the file is fixed.
        self.import_button.setEnabled(True)

    def _imported_text(self, report: object) -> str:
        from db.build import BuildReport
        from db.importer import ImportPlan

        assert isinstance(report, BuildReport) and isinstance(self.plan, ImportPlan)
        counts = {entry["release"]: entry for entry in report.facts.get("release_counts", [])}
        parts = []
        for draft in self.plan.drafts:
            entry = counts.get(draft.release.name, {})
            codes = entry.get("billable")
            parts.append(f"{draft.release.name}" + (f" ({codes:,} codes)" if isinstance(codes, int) else ""))
        text = "Now loaded: " + "; ".join(parts) + ". Set the date of service (Alt+D) to work with it."
        missing = report.facts.get("article_cpt_numbers_not_in_cpt_file")
        if any(draft.release.system == "cpt" for draft in self.plan.drafts) and missing:
            shown = ", ".join(missing[:ARTICLE_NUMBERS_SHOWN]) + (" …" if len(missing) > ARTICLE_NUMBERS_SHOWN else "")
            numbers = (
                f"{len(missing):,} CPT numbers that Codebook's articles name are"
                if len(missing) > 1
                else ("1 CPT number that a Codebook article names is")
            )
            text += (
                f"\n{numbers} not in your CPT files (a wrong or retired number in the article?): {shown}"
                + (" (`codebook-cli info --json` lists them all)." if len(missing) > ARTICLE_NUMBERS_SHOWN else ".")
            )  # fmt: skip
        return text


def window_swap(window: MainWindow, target: Path) -> Callable[[Callable[[], None]], None]:
    """The swap for a main window: close its data if it is the folder being replaced, rename, open the new data
    (or, if that fails, the old data again) for the same date of service."""
    from db.data_check import data_problem
    from desktop.services import CodeService

    def swap_data(renames: Callable[[], None]) -> None:
        old_dir = window.service.data_dir
        if old_dir == target:
            window.service.close()
        try:
            renames()
        finally:
            window.use_service(CodeService(target if data_problem(target) is None else old_dir))

    return swap_data
