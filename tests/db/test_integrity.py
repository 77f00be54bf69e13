"""The build's manifest, `verify`, the start-up `quick_check` and `codebook-cli verify` on a real small build."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from db.cli import main
from db.data_check import data_problem
from db.integrity import MANIFEST_FILE, Problem, quick_check, verify, write_manifest
from db.layout import BUILD_INFO_FILE, DATA_FORMAT, DATABASE_FILE, INDEX_DIR, current_dir
from db.search_index import SearchIndex


@pytest.fixture
def data(small_data, tmp_path) -> Path:
    """A private copy of the small build, free to damage."""
    copy = tmp_path / "data"
    shutil.copytree(small_data, copy)
    return copy


def segment_file(folder: Path) -> Path:
    """The Whoosh segment of the built index (the file holding the postings)."""
    segments = sorted((folder / INDEX_DIR).glob("*.seg"))
    assert len(segments) == 1, segments
    return segments[0]


def overwrite_middle(path: Path, count: int = 8) -> None:
    """Flip `count` bytes in the middle of the file: same size, different content."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2)
        original = handle.read(count)
        handle.seek(size // 2)
        handle.write(bytes(byte ^ 0xFF for byte in original))
    assert path.stat().st_size == size


def kinds_by_path(problems: list[Problem]) -> dict[str, str]:
    return {problem.path: problem.kind for problem in problems}


def test_the_build_writes_a_manifest_of_every_file(small_data):
    folder = current_dir(small_data)
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    listed = {entry["path"]: entry for entry in manifest["files"]}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST_FILE}
    assert set(listed) == on_disk
    assert {DATABASE_FILE, BUILD_INFO_FILE, f"{INDEX_DIR}/format.json", f"{INDEX_DIR}/vocabulary.json"} <= on_disk
    database = listed[DATABASE_FILE]
    content = (folder / DATABASE_FILE).read_bytes()
    assert database["size"] == len(content)
    assert database["sha256"] == hashlib.sha256(content).hexdigest()
    assert len(database["crc32"]) == 8
    assert json.loads((folder / BUILD_INFO_FILE).read_text(encoding="utf-8"))["data_format"] == DATA_FORMAT


def test_a_fresh_build_passes_both_checks(data):
    folder = current_dir(data)
    assert verify(folder) == []
    assert quick_check(folder) == []
    assert data_problem(data) is None


def test_bytes_overwritten_in_the_middle_of_the_index_segment(data):
    folder = current_dir(data)
    segment = segment_file(folder)
    overwrite_middle(segment)
    name = f"{INDEX_DIR}/{segment.name}"
    assert kinds_by_path(verify(folder)) == {name: "checksum"}
    assert kinds_by_path(quick_check(folder)) == {name: "checksum"}
    problem = data_problem(data)
    assert problem is not None and "damaged" in problem and name in problem


def test_bytes_overwritten_in_the_middle_of_the_database(data):
    folder = current_dir(data)
    overwrite_middle(folder / DATABASE_FILE, count=4)
    assert kinds_by_path(verify(folder)) == {DATABASE_FILE: "checksum"}
    assert kinds_by_path(quick_check(folder)) == {DATABASE_FILE: "checksum"}
    problem = data_problem(data)
    assert problem is not None and DATABASE_FILE in problem


def test_missing_extra_and_truncated_files_are_each_named(data):
    folder = current_dir(data)
    (folder / INDEX_DIR / "vocabulary.json").unlink()
    (folder / INDEX_DIR / "_MAIN_9.toc").write_bytes(b"a newer table of contents Whoosh would prefer")
    database = folder / DATABASE_FILE
    database.write_bytes(database.read_bytes()[:-4096])
    expected = {
        f"{INDEX_DIR}/vocabulary.json": "missing",
        f"{INDEX_DIR}/_MAIN_9.toc": "extra",
        DATABASE_FILE: "size",
    }
    assert kinds_by_path(verify(folder)) == expected
    assert kinds_by_path(quick_check(folder)) == expected
    assert all(problem.path in str(problem) for problem in verify(folder))


def test_a_missing_or_garbled_manifest_means_damaged(data):
    folder = current_dir(data)
    (folder / MANIFEST_FILE).write_text('{"manifest_format": 1, "files": [{"path": "x"}]}', encoding="utf-8")
    assert kinds_by_path(quick_check(folder)) == {MANIFEST_FILE: "manifest"}
    (folder / MANIFEST_FILE).unlink()
    assert kinds_by_path(verify(folder)) == {MANIFEST_FILE: "manifest"}
    problem = data_problem(data)
    assert problem is not None and MANIFEST_FILE in problem


def test_a_folder_built_before_manifests_is_rebuilt(data):
    folder = current_dir(data)
    (folder / MANIFEST_FILE).unlink()
    info = json.loads((folder / BUILD_INFO_FILE).read_text(encoding="utf-8"))
    (folder / BUILD_INFO_FILE).write_text(json.dumps({**info, "data_format": 1}), encoding="utf-8")
    problem = data_problem(data)
    assert problem is not None and "another version" in problem


def test_write_manifest_then_verify_round_trip(data):
    # A damaged file re-manifested is "intact" again: the manifest records, it does not judge.
    folder = current_dir(data)
    overwrite_middle(segment_file(folder))
    assert verify(folder)
    write_manifest(folder)
    assert verify(folder) == [] and quick_check(folder) == []
    assert not (folder / f"{MANIFEST_FILE}.tmp").exists()


def test_the_damaged_index_would_otherwise_open_silently(data):
    """Why the checksum matters: Whoosh often opens a segment with overwritten bytes without complaint (where
    the bytes land decides; the segment's name, and so which file is hit, differs from build to build)."""
    folder = current_dir(data)
    overwrite_middle(segment_file(folder))
    # A loud failure is the harmless case; the silent one is what the checksum guards against.
    with contextlib.suppress(Exception):
        SearchIndex.open(folder / INDEX_DIR).close()
    assert data_problem(data) is not None


def test_cli_verify_exit_codes_and_messages(data, capsys):
    assert main(["verify", "--data", str(data)]) == 0
    assert "OK" in capsys.readouterr().out
    segment = segment_file(current_dir(data))
    overwrite_middle(segment)
    assert main(["verify", "--data", str(data)]) == 1
    captured = capsys.readouterr()
    assert str(segment) in captured.out and "sha256 does not match" in captured.out
    assert "1 problem(s)" in captured.err


def test_cli_verify_json(data, capsys):
    assert main(["verify", "--json", "--data", str(data)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["problems"] == []
    (current_dir(data) / DATABASE_FILE).unlink()
    assert main(["verify", "--json", "--data", str(data)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["problems"] == [
        {"path": DATABASE_FILE, "kind": "missing", "detail": "listed in the manifest but missing"}
    ]


def test_cli_verify_without_built_data(tmp_path, capsys):
    assert main(["verify", "--data", str(tmp_path / "none")]) == 3
    assert "codebook-cli build" in capsys.readouterr().err
