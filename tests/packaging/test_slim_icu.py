"""The bundle's slim ICU data (packaging/slim_icu.py): what it leaves out, and that Qt answers the same with it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "packaging" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


slim_icu = _module("slim_icu")


@pytest.mark.parametrize(
    ("item", "left_out"),
    [
        # APIs Qt never calls: every locale goes, English too.
        ("brkitr/en.res", True),
        ("brkitr/cjdict.dict", True),
        ("unit/en.res", True),
        ("curr/de.res", True),
        ("lang/en.res", True),
        ("translit/root.res", True),
        ("rbnf/en.res", True),
        ("unames.icu", True),
        # Read by Qt's time zones and calendars: English and root kept, other languages go.
        ("zone/de.res", True),
        ("zone/sr_Latn_BA.res", True),
        ("region/es_419.res", True),
        ("fr_CA.res", True),
        ("zone/en.res", False),
        ("zone/en_GB.res", False),
        ("en_US_POSIX.res", False),
        ("zone/root.res", False),
        ("region/root.res", False),
        ("root.res", False),
        # Shared tables stay whatever their name looks like.
        ("res_index.res", False),
        ("zone/res_index.res", False),
        ("pool.res", False),
        ("zone/pool.res", False),
        ("zone/tzdbNames.res", False),
        ("zoneinfo64.res", False),
        ("metaZones.res", False),
        ("supplementalData.res", False),
        ("cnvalias.icu", False),
        # Converters and collation (QStringDecoder, QCollator) for every language.
        ("ibm-37_P100-1995.cnv", False),
        ("windows-1252-2000.cnv", False),
        ("coll/sv.res", False),
        ("coll/zh.res", False),
        ("coll/ucadata.icu", False),
    ],
)
def test_what_the_slim_data_leaves_out(item: str, left_out: bool) -> None:
    assert slim_icu.removed(item) is left_out


def _wheel_icu_data() -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("only the Linux wheel of PySide6 ships ICU")
    if any(shutil.which(tool, path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None for tool in slim_icu.TOOLS):
        pytest.skip(f"needs {', '.join(slim_icu.TOOLS)} (apt-get install icu-devtools binutils gcc)")
    import PySide6

    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    if not found:
        pytest.skip("this PySide6 ships no ICU data library")
    return found[0]


def _probe(preload: Path | None) -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "icu_probe.py")], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_qt_answers_the_same_with_the_slim_data(tmp_path: Path) -> None:
    library = _wheel_icu_data()
    slim = slim_icu.slim_icu(library, tmp_path / "slim")
    assert slim.name == library.name
    assert slim.stat().st_size < library.stat().st_size * 0.4
    assert not (tmp_path / "slim" / "work").exists()
    soname = subprocess.run(["readelf", "-d", str(slim)], capture_output=True, text=True, check=True).stdout
    assert f"Library soname: [{library.name}]" in soname
    assert _probe(slim) == _probe(None)


def test_the_probe_sees_missing_collation_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without this, equal answers could mean the preloaded library was never used."""
    library = _wheel_icu_data()
    monkeypatch.setattr(slim_icu, "UNUSED_BY_QT", (*slim_icu.UNUSED_BY_QT, "coll/"))
    broken = slim_icu.slim_icu(library, tmp_path / "broken")
    assert _probe(broken) != _probe(None)


def test_a_library_without_icu_data_is_refused(tmp_path: Path) -> None:
    _wheel_icu_data()
    not_icu = Path(subprocess.run(["sh", "-c", "command -v ls"], capture_output=True, text=True).stdout.strip())
    with pytest.raises(slim_icu.SlimIcuError, match="not an ICU data library"):
        slim_icu.slim_icu(not_icu.resolve(), tmp_path / "out")
