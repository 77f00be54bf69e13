"""The app never opens a socket, and never writes into a (frozen) install folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

AUDITED_RUN = """
import sys
opened = []
def hook(event, args):
    if event.startswith("socket."):
        opened.append(event)
        raise RuntimeError(f"network use: {event}")
sys.addaudithook(hook)
from desktop.app import main
code = main(sys.argv[1:])
print("SOCKET_EVENTS", opened)
sys.exit(code)
"""


def test_normal_use_opens_no_socket(small_data, tmp_path):
    """Start the window, type a query, open a detail and every tab, with any socket use made fatal."""
    env = {**os.environ, "CODEBOOK_USER_DIR": str(tmp_path / "user"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", AUDITED_RUN, "--self-test", "--data", str(small_data), "--self-test-query", "0FT44ZZ"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SOCKET_EVENTS []" in result.stdout
    figures = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))
    assert figures["self_test"] == "passed" and "Procedure" in figures["tabs_opened"]


def test_frozen_bundle_with_broken_data_rebuilds_into_the_user_folder(tmp_path, monkeypatch):
    from desktop.runner import choose_data_dir

    bundle = tmp_path / "install"
    (bundle / "data" / "current").mkdir(parents=True)  # damaged: no database, no index
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setenv("CODEBOOK_USER_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("CODEBOOK_DATA_DIR", raising=False)
    chosen, problem, build_target = choose_data_dir(None)
    assert chosen == bundle / "data" and problem is not None and "no built database" in problem
    assert build_target == tmp_path / "user" / "data"
    assert not str(build_target).startswith(str(bundle))


def test_frozen_bundle_uses_a_good_user_copy_when_the_bundled_data_is_broken(tmp_path, monkeypatch, small_data):
    import shutil

    from desktop.runner import choose_data_dir

    bundle = tmp_path / "install"
    (bundle / "data").mkdir(parents=True)
    shutil.copytree(small_data, tmp_path / "user" / "data")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setenv("CODEBOOK_USER_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("CODEBOOK_DATA_DIR", raising=False)
    chosen, problem, _target = choose_data_dir(None)
    assert (chosen, problem) == (tmp_path / "user" / "data", None)
