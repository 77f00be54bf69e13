"""GuiThreadSwap: a worker thread's build hands its swap to the GUI thread and waits for it to be done."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal


class GuiThreadSwap(QObject):
    """Callable as a build's `swap` from a worker thread: `swap_data(renames)` runs on the GUI thread (where the
    window closes the data it holds open, since Windows cannot rename open files, runs the renames and opens the
    new data) while the worker waits. Create it on the GUI thread."""

    _requested = Signal(object)

    def __init__(self, swap_data: Callable[[Callable[[], None]], None]) -> None:
        super().__init__()
        self._swap_data = swap_data
        self._requested.connect(self._run)  # queued: emitted from the worker, run by the GUI thread's event loop

    def __call__(self, renames: Callable[[], None]) -> None:
        done = threading.Event()
        self._requested.emit((renames, done))
        done.wait()

    def _run(self, request: tuple[Callable[[], None], threading.Event]) -> None:
        renames, done = request
        try:
            self._swap_data(renames)
        finally:
            done.set()
