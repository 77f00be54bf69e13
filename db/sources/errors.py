"""The one error type every source parser raises for bad input, naming the file and the place."""

from __future__ import annotations

from pathlib import Path


class SourceFormatError(Exception):
    """A source file is missing, truncated, of the wrong format or encoding.

    ``location`` says where in the file (``line 12``, ``row 40``, ``element <diag> near line 803``...),
    so the user can open the file and see the problem.
    """

    def __init__(self, path: Path | str, location: str | None, reason: str) -> None:
        self.path = Path(path)
        self.location = location
        self.reason = reason
        where = f"{self.path}" + (f", {location}" if location else "")
        super().__init__(f"{where}: {reason}")
