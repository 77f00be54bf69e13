"""The main window: search bar, results, detail tabs and status bar, wired to actions with shortcuts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from db.search_index import SearchHit, SearchResults
from db.user_data import SavedCode, UserData
from desktop import help_dialogs, render_releases, window_state
from desktop.date_field import DateOfServiceField
from desktop.detail_view import TAB_NAMES, DetailView
from desktop.results_model import SYSTEM_BADGES, ResultsModel
from desktop.results_view import ResultsView
from desktop.search_bar import SearchBar
from desktop.services import CodeService, DatedResults, DetailBundle
from desktop.shortcuts import BY_NAME, TAB_KEYS
from desktop.window_state import FILTERS

SEARCH_DEBOUNCE_MS = 120
DETAIL_DEBOUNCE_MS = 60


def _saved_hit(saved: SavedCode, why: str) -> SearchHit:
    return SearchHit(saved.system, saved.code, saved.display, saved.title, True, "code", why, saved.title, ())


class MainWindow(QMainWindow):
    #: Emitted with each result set shown (tests and the self-test wait on it).
    results_shown = Signal(object)
    detail_shown = Signal(object)
    rebuild_requested = Signal()
    import_requested = Signal()
    remove_cpt_requested = Signal()
    whats_new_requested = Signal()
    claim_check_requested = Signal()

    def __init__(self, service: CodeService, user_data: UserData, settings: QSettings) -> None:
        super().__init__()
        self.service = service
        self.user_data = user_data
        self.settings = settings
        self.setWindowTitle("Codebook")
        self.search_bar = SearchBar()
        self.date_field = DateOfServiceField(service.day)
        self.model = ResultsModel()
        self.results = ResultsView()
        self.results.setModel(self.model)
        self.detail = DetailView()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.results)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.release_banner = QLabel()
        self.release_banner.setWordWrap(True)
        self.release_banner.setStyleSheet("background:#fff4ce; color:#5c4400; padding:4px; border-radius:3px")
        central = QWidget()
        layout = QVBoxLayout(central)
        top = QHBoxLayout()
        top.addWidget(self.search_bar, 1)
        top.addWidget(self.date_field)
        layout.addLayout(top)
        layout.addWidget(self.release_banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.status_text = QLabel()
        self.release_text = QLabel()
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.release_text)

        self.system_filter: str | None = None
        self.billable_only = False
        self.last_results: SearchResults | None = None
        self.back_stack: list[tuple[str, str]] = []
        self.forward_stack: list[tuple[str, str]] = []
        self.current_code: tuple[str, str] | None = None
        self._navigating = False

        self.search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self.search_timer.timeout.connect(self.run_search)
        self.detail_timer = QTimer(self, singleShot=True, interval=DETAIL_DEBOUNCE_MS)
        self.detail_timer.timeout.connect(self._load_selected_detail)

        self.search_bar.textChanged.connect(lambda _text: self.search_timer.start())
        self.search_bar.move_requested.connect(self.results.move_selection)
        self.search_bar.open_requested.connect(self.open_detail)
        self.search_bar.escape_pressed.connect(self.on_escape)
        self.results.selectionModel().currentChanged.connect(self._on_current_changed)
        self.results.activated.connect(lambda _index: self.open_detail())
        self.detail.link_activated.connect(self.navigate_to)
        self.date_field.day_changed.connect(self.set_day)
        self.date_field.finished.connect(self.search_bar.setFocus)
        self.detail.builder.copied.connect(lambda code: self.show_message(f"Copied {code}"))
        service.results_ready.connect(self._on_results)
        service.detail_ready.connect(self._on_detail)
        service.failed.connect(self.show_message)

        self.actions_by_name: dict[str, QAction] = {}
        self._build_menus()
        self._restore_settings()
        self._update_release_text()
        self.show_saved_codes()
        self.search_bar.setFocus()

    # -- menus and actions ----------------------------------------------------------------------------------

    def _action(self, name: str, slot: Callable[[], object], menu_name: str, checkable: bool = False) -> QAction:
        shortcut = BY_NAME[name]
        action = QAction(shortcut.text, self)
        action.setShortcut(QKeySequence(shortcut.keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        action.triggered.connect(lambda _checked=False: slot())
        self._menus[menu_name].addAction(action)
        self.actions_by_name[name] = action
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._menus = {name: bar.addMenu(f"&{name}") for name in ("File", "Edit", "View", "Go", "Help")}
        self._action("import_files", self.import_requested.emit, "File")
        self._action("rebuild", self.rebuild_requested.emit, "File")
        self._action("remove_cpt", self.remove_cpt_requested.emit, "File")
        self._action("quit", self.close, "File")
        self._action("focus_search", self.focus_search, "Edit")
        self._action("date_of_service", self.focus_date, "Edit")
        self._action("copy_code", self.copy_code, "Edit")
        self._action("copy_code_title", lambda: self.copy_code(with_title=True), "Edit")
        self._action("toggle_favorite", self.toggle_favorite, "Edit")
        for name, system in zip(
            ("filter_all", "filter_icd10cm", "filter_icd10pcs", "filter_hcpcs", "filter_cpt"), FILTERS, strict=True
        ):
            self._action(name, lambda s=system: self.set_filter(s), "View", checkable=True)
        self._action("billable_only", self.toggle_billable, "View", checkable=True)
        self._menus["View"].addSeparator()
        for index, (name, keys) in enumerate(zip(TAB_NAMES, TAB_KEYS, strict=False)):
            action = QAction(f"{name} tab", self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(lambda _c=False, i=index: self.detail.select_tab(i))
            self._menus["View"].addAction(action)
        self._menus["View"].addSeparator()
        self._action("text_bigger", lambda: self.change_text_size(1), "View")
        self._action("text_smaller", lambda: self.change_text_size(-1), "View")
        self.actions_by_name["text_bigger"].setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
        self._action("back", self.go_back, "Go")
        self._action("forward", self.go_forward, "Go")
        self._action("recent", self.show_recent, "Go")
        self._action("whats_new", self.whats_new_requested.emit, "Go")
        self._action("claim_check", self.claim_check_requested.emit, "Go")
        self._action("shortcuts_help", self.show_shortcuts, "Help")
        about = QAction("About Codebook", self)
        about.triggered.connect(self.show_about)
        self._menus["Help"].addAction(about)
        # Esc and Enter are handled by the search bar itself; they are listed in F1 only.

    # -- searching ------------------------------------------------------------------------------------------

    def systems(self) -> list[str] | None:
        return [self.system_filter] if self.system_filter else None

    def run_search(self) -> None:
        text = self.search_bar.text()
        if not text.strip():
            self.show_saved_codes()
            return
        self.service.search(text, self.systems(), self.billable_only)

    def _on_results(self, generation: int, dated: DatedResults) -> None:
        results = dated.results
        if not self.service.is_current_search(generation) or results.query != self.search_bar.text():
            return  # an outdated query: drop it
        if dated.day != self.service.day:
            return  # searched for another date of service
        self.last_results = results
        self.model.set_hits(list(results.hits), dated.not_valid)
        if results.hits:
            self.results.setCurrentIndex(self.model.index(0, 0))
        else:
            self.detail.show_empty("No codes match. Check the spelling, or try fewer words.")
        self._update_status()
        self.results_shown.emit(results)

    def show_saved_codes(self) -> None:
        """With an empty search bar: favorites, then recently viewed codes."""
        favorites = [_saved_hit(s, "favorite") for s in self.user_data.favorites()]
        pinned = {(h.system, h.code) for h in favorites}
        recent = [_saved_hit(s, "recent") for s in self.user_data.history(30) if (s.system, s.code) not in pinned]
        self.last_results = None
        self.model.set_hits(favorites + recent)
        self.status_text.setText(
            f"{len(favorites)} favorites, {len(recent)} recent codes. Type to search."
            if favorites or recent
            else "Type a code, words or an abbreviation to search."
        )

    def show_recent(self) -> None:
        self.search_bar.clear()
        recent = [_saved_hit(s, "recent") for s in self.user_data.history(100)]
        self.model.set_hits(recent)
        self.status_text.setText(f"{len(recent)} recently viewed codes")
        if recent:
            self.results.setCurrentIndex(self.model.index(0, 0))
        self.search_bar.setFocus()

    def _update_status(self) -> None:
        parts = []
        results = self.last_results
        if results is not None:
            count = len(results.hits)
            parts.append(f"{count} result{'' if count == 1 else 's'} in {results.elapsed_ms:.0f} ms")
            if results.corrected_query:
                parts.append(f"no exact match: showing results for “{results.corrected_query}”")
        filters = [SYSTEM_BADGES[self.system_filter]] if self.system_filter else ["all code sets"]
        if self.billable_only:
            filters.append("billable only")
        parts.append("filter: " + ", ".join(filters))
        self.status_text.setText(" · ".join(parts))

    def _update_release_text(self) -> None:
        answers, day = self.service.answers, self.service.day
        self.release_text.setText(render_releases.status_text(answers, day))
        self.release_text.setToolTip(render_releases.status_tooltip(answers))
        warning = render_releases.banner_text(answers, day)
        self.release_banner.setText(warning)
        self.release_banner.setVisible(bool(warning))

    def use_service(self, service: CodeService) -> None:
        """Answer from new data (after an import or a rebuild), for the same date of service."""
        service.set_day(self.service.day)
        self.service = service
        service.results_ready.connect(self._on_results)
        service.detail_ready.connect(self._on_detail)
        service.failed.connect(self.show_message)
        self._update_release_text()
        self.run_search()

    def set_day(self, day: dt.date) -> None:
        """A new date of service: search, detail, banner and status bar answer for it."""
        self.service.set_day(day)
        self.date_field.set_day(day)
        self._update_release_text()
        self.show_message(f"Date of service {day.strftime('%m/%d/%Y')}")
        if self.search_bar.text().strip():
            self.run_search()
        if self.current_code is not None:
            self._navigating = True
            self.service.load_detail(*self.current_code)

    def focus_date(self) -> None:
        self.date_field.edit.setFocus()
        self.date_field.edit.selectAll()

    def set_filter(self, system: str | None) -> None:
        self.system_filter = system
        self._sync_filter_actions()
        self._update_status()
        self.run_search()

    def toggle_billable(self) -> None:
        self.billable_only = not self.billable_only
        self._sync_filter_actions()
        self._update_status()
        self.run_search()

    def _sync_filter_actions(self) -> None:
        for name, system in zip(
            ("filter_all", "filter_icd10cm", "filter_icd10pcs", "filter_hcpcs", "filter_cpt"), FILTERS, strict=True
        ):
            self.actions_by_name[name].setChecked(system == self.system_filter)
        self.actions_by_name["billable_only"].setChecked(self.billable_only)

    # -- detail ---------------------------------------------------------------------------------------------

    def selected_hit(self) -> SearchHit | None:
        return self.model.hit(self.results.currentIndex().row())

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.detail_timer.start()

    def _load_selected_detail(self) -> None:
        hit = self.selected_hit()
        if hit is not None:
            self.service.load_detail(hit.system, hit.code)

    def _on_detail(self, generation: int, bundle: DetailBundle | None) -> None:
        if not self.service.is_current_detail(generation):
            return
        if bundle is None:
            self.detail.show_empty("This code is not in the loaded data.")
            return
        ref = bundle.detail.ref
        if self.current_code is not None and not self._navigating and self.current_code != (ref.system, ref.code):
            self.back_stack.append(self.current_code)
            self.forward_stack.clear()
        self._navigating = False
        self.current_code = (ref.system, ref.code)
        self.detail.show_detail(bundle)
        self.user_data.record_view(ref.system, ref.code, ref.display, ref.title)
        self.detail_shown.emit(bundle)

    def open_detail(self) -> None:
        """Enter: move into the detail of the selected code."""
        if self.selected_hit() is None:
            return
        self.detail_timer.stop()
        self._load_selected_detail()
        page = self.detail.currentWidget()
        (self.detail.browsers[self.detail.currentIndex()] if page is not None else self.detail).setFocus()

    def navigate_to(self, system: str, code: str) -> None:
        """Follow a link inside the app (breadcrumb, note, similar code)."""
        self.service.load_detail(system, code)

    def go_back(self) -> None:
        if self.back_stack and self.current_code is not None:
            self.forward_stack.append(self.current_code)
            self._navigating = True
            self.service.load_detail(*self.back_stack.pop())

    def go_forward(self) -> None:
        if self.forward_stack and self.current_code is not None:
            self.back_stack.append(self.current_code)
            self._navigating = True
            self.service.load_detail(*self.forward_stack.pop())

    # -- clipboard, favorites, focus ------------------------------------------------------------------------

    def _target(self) -> tuple[str, str, str, str] | None:
        """The code actions apply to: the detail shown when it has focus, else the selected result."""
        bundle = self.detail.bundle
        if bundle is not None and self.detail.isAncestorOf(QApplication.focusWidget()):
            ref = bundle.detail.ref
            return ref.system, ref.code, ref.display, ref.title
        hit = self.selected_hit()
        if hit is not None:
            return hit.system, hit.code, hit.display, hit.title
        if bundle is not None:
            ref = bundle.detail.ref
            return ref.system, ref.code, ref.display, ref.title
        return None

    def copy_code(self, with_title: bool = False) -> None:
        focus = QApplication.focusWidget()
        if not with_title and focus is self.search_bar and self.search_bar.hasSelectedText():
            self.search_bar.copy()
            return
        browser = focus if focus in self.detail.browsers else None
        if not with_title and browser is not None and browser.textCursor().hasSelection():
            browser.copy()
            return
        target = self._target()
        if target is None:
            return
        _system, _code, display, title = target
        text = f"{display} {title}" if with_title else display
        QGuiApplication.clipboard().setText(text)
        self.show_message(f"Copied {text}")

    def toggle_favorite(self) -> None:
        target = self._target()
        if target is None:
            return
        system, code, display, title = target
        pinned = self.user_data.toggle_favorite(system, code, display, title)
        self.show_message(f"{display} {'pinned as a favorite' if pinned else 'removed from favorites'}")
        if not self.search_bar.text().strip():
            self.show_saved_codes()

    def focus_search(self) -> None:
        self.search_bar.setFocus()
        self.search_bar.selectAll()

    def on_escape(self) -> None:
        if self.search_bar.text():
            self.search_bar.clear()
        self.search_bar.setFocus()

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() == Qt.Key.Key_Escape:
            self.focus_search()
            return
        super().keyPressEvent(event)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 4000)

    # -- text size, settings, help --------------------------------------------------------------------------

    def change_text_size(self, step: int) -> None:
        window_state.change_text_size(self, step)

    def _restore_settings(self) -> None:
        window_state.restore(self)
        self._sync_filter_actions()

    def save_settings(self) -> None:
        window_state.save(self)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.save_settings()
        super().closeEvent(event)

    def shortcuts_text(self) -> str:
        return help_dialogs.shortcuts_text()

    def show_shortcuts(self) -> None:
        help_dialogs.show_shortcuts(self)

    def show_about(self) -> None:
        help_dialogs.show_about(self, self.service.releases)
