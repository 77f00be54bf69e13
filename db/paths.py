"""The one place that knows where resources, built data and user data live."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Codebook"
DATA_DIR_ENV = "CODEBOOK_DATA_DIR"
USER_DIR_ENV = "CODEBOOK_USER_DIR"


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_root() -> Path:
    """The folder that holds `resources/` (and, when frozen, the prebuilt `data/`)."""
    if is_frozen():
        return Path(getattr(sys, "_MEIPASS"))  # noqa: B009 (set by the PyInstaller bootloader; mypy does not know it)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return bundle_root() / "resources"


def source_files_dir() -> Path:
    """Official code-set files shipped with the app (zipped where large)."""
    return resources_dir() / "sources"


def articles_dir() -> Path:
    return resources_dir() / "articles"


def user_dir() -> Path:
    """Per-user writable folder: favorites, history, settings, logs, rebuilt or imported data."""
    override = os.environ.get(USER_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def bundled_data_dir() -> Path:
    """Prebuilt database and index inside a frozen bundle (read-only)."""
    return bundle_root() / "data"


def default_data_dir() -> Path:
    """Where built data is read and written when neither `--data` nor the environment says otherwise.

    In a frozen bundle that is the prebuilt data shipped beside the executable; from a source
    checkout it is the user's data directory, so a build never writes into the source tree.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    if is_frozen():
        return bundled_data_dir()
    return user_dir() / "data"


def rebuilt_data_dir() -> Path:
    """Where a rebuild goes when the default data cannot be used or written (e.g. a read-only install)."""
    return user_dir() / "data"


def import_data_dir(explicit: str | Path | None = None) -> Path:
    """Where imported releases go and are built: `--data` / $CODEBOOK_DATA_DIR when given, else the user's data
    directory (never the install folder, which is read-only and replaced by an upgrade)."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    if os.environ.get(DATA_DIR_ENV):
        return default_data_dir()
    return rebuilt_data_dir()


def has_imports(data_dir: Path) -> bool:
    """True when the user imported releases into this data folder (they must be built in, never dropped)."""
    return (data_dir / "imports" / "imports.json").is_file()
