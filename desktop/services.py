"""Search and detail loading off the GUI thread: one worker thread, generation numbers, latest wins."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from db.coverage import Policies
from db.edits import CodeEdits
from db.engine import open_read_only, session_scope
from db.in_force import (
    InForce,
    RowsInForce,
    in_force_all,
    rows_in_force,
    valid_codes,
    validity_text,
    version_at,
    versions,
)
from db.layout import DATABASE_FILE, INDEX_DIR, current_dir
from db.queries import CodeDetail, ReleaseView, code_detail, find_code, releases
from db.search_index import SearchIndex, SearchResults

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetailBundle:
    detail: CodeDetail
    synonyms: tuple[str, ...]
    #: Medicare coverage for the code (None when no coverage data is loaded), and where it was read from.
    policies: Policies | None = None
    data_dir: Path | None = None
    #: NCCI edits of a procedure code (None when no NCCI data is loaded or for ICD-10 codes).
    edits: CodeEdits | None = None


@dataclass(frozen=True)
class DatedResults:
    """Search results for a date of service: word hits are those in force then; a code typed exactly that is
    not is kept and says why."""

    results: SearchResults
    day: dt.date
    #: (system, code) -> "deleted: not valid after 2025-09-30", "not valid until 2026-10-01"...
    not_valid: dict[tuple[str, str], str]


class Job(QRunnable):
    """A function run on a QThreadPool (the services and the claim check share it)."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__()
        self._work = work

    def run(self) -> None:
        self._work()


class CodeService(QObject):
    """Owns the search index and database of one data folder; every query runs on its single worker thread.

    Whoosh searchers must not be shared across threads, and one long-lived searcher used from one thread is
    also the fast way; SQLite reads are quick enough to share that thread.
    """

    results_ready = Signal(int, object)
    detail_ready = Signal(int, object)
    failed = Signal(str)

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.data_dir = data_dir
        folder = current_dir(data_dir)
        self._index = SearchIndex.open(folder / INDEX_DIR)
        self._engine = open_read_only(folder / DATABASE_FILE)
        with session_scope(self._engine) as session:
            self.releases: list[ReleaseView] = releases(session)
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(1)
        self._search_generation = 0
        self._detail_generation = 0
        self._closed = False
        self.set_day(dt.date.today())

    # -- date of service ------------------------------------------------------------------------------------

    def set_day(self, day: dt.date) -> None:
        """Answer for this date of service from now on (the next search and detail use it)."""
        with session_scope(self._engine) as session:
            self.answers: dict[str, InForce] = in_force_all(session, day)
        self.day = day
        #: Rows of versions in force on the day, worked out on the worker thread at the first search.
        self._rows_for: tuple[dt.date, RowsInForce] | None = None

    def _rows_in_force(self, day: dt.date, answers: dict[str, InForce]) -> RowsInForce:
        cached = self._rows_for
        if cached is None or cached[0] != day:
            with session_scope(self._engine) as session:
                cached = (day, rows_in_force(session, answers))
            self._rows_for = cached
        return cached[1]

    @property
    def engine(self) -> object:
        """The read-only database engine, for dialogs that run their own short queries (What's new)."""
        return self._engine

    def close(self) -> None:
        """Idempotent: a rebuild closes the data before replacing it, and the restart closes it again."""
        if self._closed:
            return
        self._closed = True
        self._pool.clear()
        self._pool.waitForDone(5000)
        self._index.close()
        self._engine.dispose()

    # -- search ---------------------------------------------------------------------------------------------

    def search(self, text: str, systems: list[str] | None, billable_only: bool, limit: int = 100) -> int:
        self._search_generation += 1
        generation = self._search_generation
        day, answers = self.day, self.answers

        def work() -> None:
            if generation != self._search_generation:
                return  # a newer query is already waiting: skip this one
            try:
                allowed = self._rows_in_force(day, answers)
                results: SearchResults = self._index.search(text, systems, billable_only, limit, allowed_rows=allowed)
                dated = self._for_day(results, day, answers)
            except Exception as error:  # never let a query take the app down
                log.exception("search failed for %r", text)
                self.failed.emit(f"Search failed: {error}")
                return
            self.results_ready.emit(generation, dated)

        self._pool.start(Job(work))
        return generation

    def _for_day(self, results: SearchResults, day: dt.date, answers: dict[str, InForce]) -> DatedResults:
        """Word hits not in force on the day are left out; codes typed exactly stay, marked with why."""
        pairs = [(hit.system, hit.code) for hit in results.hits]
        with session_scope(self._engine) as session:
            in_force_then = valid_codes(session, answers, pairs, require_covered=False)
            kept = tuple(
                hit
                for hit in results.hits
                if (hit.system, hit.code) in in_force_then or hit.matched == "code" or hit.system not in answers
            )
            not_valid: dict[tuple[str, str], str] = {}
            for hit in kept:
                if (hit.system, hit.code) in in_force_then or hit.system not in answers:
                    continue
                answer = answers[hit.system]
                version = (
                    version_at(session, hit.system, hit.code, answer.release.seq)
                    or versions(session, hit.system, hit.code)[-1]
                )
                not_valid[(hit.system, hit.code)] = validity_text(session, version, answer)[1]
        return DatedResults(replace(results, hits=kept), day, not_valid)

    def is_current_search(self, generation: int) -> bool:
        return generation == self._search_generation

    # -- detail ---------------------------------------------------------------------------------------------

    def load_detail(self, system: str, code: str) -> int:
        self._detail_generation += 1
        generation = self._detail_generation
        day = self.day

        def work() -> None:
            if generation != self._detail_generation:
                return
            try:
                bundle = self.detail_now(system, code, day)
            except Exception as error:
                log.exception("detail failed for %s %s", system, code)
                self.failed.emit(f"Could not load {code}: {error}")
                return
            self.detail_ready.emit(generation, bundle)

        self._pool.start(Job(work))
        return generation

    def is_current_detail(self, generation: int) -> bool:
        return generation == self._detail_generation

    def detail_now(self, system: str, code: str, day: dt.date | None = None) -> DetailBundle | None:
        """Load synchronously (worker thread, or tests), as in force on `day` (default: the service's day)."""
        day = day or self.day
        with session_scope(self._engine) as session:
            detail = code_detail(session, system, code, day)
            if detail is None:
                matches = find_code(session, code, system or None)
                if not matches:
                    return None
                detail = code_detail(session, matches[0].system, matches[0].code, day)
            if detail is None:
                return None
        return DetailBundle(detail, self._synonyms_for(detail), self._policies_for(detail, day), self.data_dir,
                            self._edits_for(detail, day))  # fmt: skip

    def _edits_for(self, detail: CodeDetail, day: dt.date) -> CodeEdits | None:
        """NCCI edits (db/edits.py); a damaged NCCI store costs the tab, never the detail."""
        from db.edits import code_edits

        if detail.ref.system not in ("hcpcs", "cpt"):
            return None
        try:
            return code_edits(self.data_dir, detail.ref.code, day)
        except Exception:
            log.exception("NCCI lookup failed for %s", detail.ref.code)
            return None

    def _policies_for(self, detail: CodeDetail, day: dt.date) -> Policies | None:
        """Medicare coverage (db/coverage.py); a damaged coverage store costs the tab, never the detail."""
        from db.coverage import policies_for_code

        system, code = detail.ref.system, detail.ref.code
        try:
            return policies_for_code(self.data_dir, system, code, day=day, with_codes=system != "icd10cm")
        except Exception:
            log.exception("coverage lookup failed for %s %s", system, code)
            return None

    def _synonyms_for(self, detail: CodeDetail) -> tuple[str, ...]:
        lineage = {(detail.ref.system, detail.ref.code)} | {(p.system, p.code) for p in detail.path}
        found: list[str] = []
        for lay in self._index.lay_terms:
            for system, code in lay.codes:
                if (system, code) in lineage or (system == detail.ref.system and detail.ref.code.startswith(code)):
                    found.append(lay.term)
                    break
        return tuple(found)
