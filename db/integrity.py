"""Checksums of a built data folder: the manifest a build writes, the full `verify` and the start-up `quick_check`.

Algorithms, chosen by measurement on the full build (89 MB in 11 files: codebook.sqlite 44 MB, index/ 42 MB;
2-core VM shared with other jobs, warm page cache, best of 3; `python benchmarks/checksums.py --data DIR`):

    plain read 6400 MB/s, zlib.crc32 2700 MB/s, sha256 1260 MB/s (SHA-NI), sha1 1300, blake2b 700-800,
    md5 500-650; xxhash's xxh3_64 4900 MB/s (not a dependency: it would save ~15 ms a start on this data).

`verify` uses sha256: a strong digest anyone can recompute with `sha256sum`. `quick_check` uses zlib.crc32,
from the standard library (nothing new to bundle), twice the speed of sha256 here and more than that on CPUs
without SHA instructions; it is there to catch damage (a bad sector, a half-copied install, a few overwritten
bytes), not tampering, which its 32 bits do with a 1 in 4 billion miss rate per damaged file.

When quick_check runs: before the window shows, inside `db.data_check.data_problem`. On the full data it costs
33 ms with a warm cache and 90 ms after the files were evicted from the page cache (`verify`: 70 / 130-160 ms),
about 0.2 s from a 500 MB/s SATA SSD; `data_problem` went from 0.3 ms to 36 ms. `codebook --self-test`
startup_ms here (interleaved runs, base commit vs this one, medians; the machine's load moves single runs by
+-300 ms): 865 -> 915 ms with a warm cache, 1060 -> 1200 ms with the data evicted first; budget 1.5 s.
Running it on a worker thread after the window shows would save those milliseconds only to add a state in which
the window is up but the data is not yet trusted (results to disable, the release line and the first searches
read from unchecked files, a rebuild swapped in under an open window). Checking first means nothing is ever read
from a damaged file, and a damaged folder takes the same rebuild path as a missing one. Sizes are compared
first (one stat per file), so a truncated or missing file costs no reading at all. Should slow disks push
start-up past the budget, the check can move to a thread started before Qt loads, joined before the data opens.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 1
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a built folder, naming the file (a path relative to the folder, `/`-separated)."""

    path: str
    kind: str  # "manifest", "missing", "extra", "size", "checksum"
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, "detail": self.detail}


def _files(folder: Path) -> dict[str, Path]:
    """Every regular file under `folder` except the manifest, by its relative POSIX path."""
    found: dict[str, Path] = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if relative != MANIFEST_FILE and path.is_file():
                found[relative] = path
    return found


def crc32_of(path: Path) -> str:
    """zlib.crc32 of the whole file, as 8 hex digits."""
    crc = 0
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as stream:
        while read := stream.readinto(buffer):
            crc = zlib.crc32(view[:read], crc)
    return f"{crc:08x}"


def sha256_of(path: Path) -> str:
    # Not db.sources.files.sha256_of: importing that module (zipfile, ElementTree) costs start-up 10 ms.
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def write_manifest(folder: Path) -> None:
    """Write `folder/manifest.json`: every file's relative path, size, sha256 and crc32 (written atomically)."""
    entries = [
        {"path": relative, "size": path.stat().st_size, "sha256": sha256_of(path), "crc32": crc32_of(path)}
        for relative, path in sorted(_files(folder).items())
    ]
    manifest = {
        "manifest_format": MANIFEST_FORMAT,
        "algorithms": {"sha256": "hashlib.sha256, hex", "crc32": "zlib.crc32 of the whole file, 8 hex digits"},
        "files": entries,
    }
    temporary = folder / f"{MANIFEST_FILE}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, folder / MANIFEST_FILE)


def _read_manifest(folder: Path) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, [Problem(MANIFEST_FILE, "manifest", f"no manifest in {folder} (built by an older version?)")]
    except (OSError, ValueError) as error:
        return {}, [Problem(MANIFEST_FILE, "manifest", f"the manifest cannot be read ({error})")]
    try:
        if manifest["manifest_format"] != MANIFEST_FORMAT:
            return {}, [Problem(MANIFEST_FILE, "manifest", f"unknown manifest format {manifest['manifest_format']}")]
        entries = {str(e["path"]): e for e in manifest["files"]}
        for entry in entries.values():
            int(entry["size"]), str(entry["sha256"]), str(entry["crc32"])
    except (KeyError, TypeError, ValueError) as error:
        return {}, [Problem(MANIFEST_FILE, "manifest", f"the manifest is malformed ({error!r})")]
    return entries, []


def _check(folder: Path, digest_key: str) -> list[Problem]:
    expected, problems = _read_manifest(folder)
    if problems:
        return problems
    present = _files(folder)
    for relative in sorted(set(present) - set(expected)):
        problems.append(Problem(relative, "extra", "not in the manifest (a file was added to the built data)"))
    # Sizes first: a stat per file, so a missing or truncated file is reported without reading anything.
    to_hash: list[tuple[str, Path, dict[str, Any]]] = []
    for relative, entry in sorted(expected.items()):
        path = present.get(relative)
        if path is None:
            problems.append(Problem(relative, "missing", "listed in the manifest but missing"))
            continue
        size = path.stat().st_size
        if size != int(entry["size"]):
            problems.append(Problem(relative, "size", f"{size:,} bytes, the manifest says {int(entry['size']):,}"))
            continue
        to_hash.append((relative, path, entry))
    digest = sha256_of if digest_key == "sha256" else crc32_of
    for relative, path, entry in to_hash:
        try:
            found = digest(path)
        except OSError as error:
            problems.append(Problem(relative, "missing", f"cannot be read ({error})"))
            continue
        if found != str(entry[digest_key]):
            problems.append(Problem(relative, "checksum", f"{digest_key} does not match the manifest (damaged)"))
    return sorted(problems, key=lambda problem: problem.path)


def verify(folder: Path) -> list[Problem]:
    """Everything against the manifest with sha256: missing, extra, wrong size, wrong checksum. [] when intact."""
    return _check(folder, "sha256")


def quick_check(folder: Path) -> list[Problem]:
    """The start-up check: the same file list and sizes, whole-file crc32 instead of sha256. [] when intact."""
    return _check(folder, "crc32")
