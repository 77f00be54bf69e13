"""Builds the one-folder bundle from a fresh clone: the data first (when missing), then PyInstaller.

python -m pip install '.[build]' && python packaging/build_bundle.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.build import build  # noqa: E402
from db.data_check import data_problem  # noqa: E402

DATA = ROOT / "build" / "bundle-data"


def main() -> int:
    started = time.perf_counter()
    problem = data_problem(DATA)
    if problem is not None:
        print(f"Building data ({problem})", flush=True)
        build(DATA, progress=lambda line: print(line, flush=True))
    data_done = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", str(ROOT / "build.spec")],
        cwd=ROOT,
        check=True,
    )
    done = time.perf_counter()
    print(f"data: {data_done - started:.1f} s, bundle: {done - data_done:.1f} s, total {done - started:.1f} s")
    print(f"bundle: {ROOT / 'dist' / 'codebook'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
