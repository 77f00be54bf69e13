"""The one hard rule: db/ never imports Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_db_never_loads_pyside6():
    code = (
        "import pkgutil, importlib, sys, db\n"
        "for m in pkgutil.walk_packages(db.__path__, 'db.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_db_sources_do_not_mention_qt():
    for path in (REPO / "db").rglob("*.py"):
        assert "PySide6" not in path.read_text(encoding="utf-8"), path
