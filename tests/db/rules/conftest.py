"""An NCCI store built by the production import path from the fixtures in CMS's layouts (tests/fixtures/ncci)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from db.importer import plan_import, run_import
from db.imports import Imports
from db.ncci_store import NcciStore, open_store
from tests.conftest import FIXTURES


def build_ncci(data: Path) -> NcciStore:
    files = [
        FIXTURES / "ncci" / name for name in ("ccipra-v323r0-f1.TXT", "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv")
    ]
    plan = plan_import(files, [], Imports.load(data), data)
    run_import(plan, data, progress=lambda _line: None)
    store = open_store(data)
    assert store is not None
    return store


@pytest.fixture(scope="session")
def ncci_store(tmp_path_factory: pytest.TempPathFactory) -> NcciStore:
    return build_ncci(tmp_path_factory.mktemp("ncci"))


@pytest.fixture(scope="session")
def small_data_with_ncci(tmp_path_factory: pytest.TempPathFactory, small_data: Path) -> Path:
    """The small build with the NCCI fixtures imported beside it (for the desktop tests)."""
    data = tmp_path_factory.mktemp("small-ncci")
    shutil.copytree(small_data, data, dirs_exist_ok=True)
    build_ncci(data)
    return data
