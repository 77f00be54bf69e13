"""Checksum speed on a built data folder: the measurements behind db/integrity.py's choice of algorithms.

Run after `codebook-cli build`:

    .venv/bin/python benchmarks/checksums.py [--data DIR]

Prints MB/s for a plain read and each candidate (best of 3, warm page cache), then the real `quick_check`
and `verify` with a warm cache and (Linux) after evicting the folder's files from the page cache.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.integrity import quick_check, verify
from db.layout import current_dir
from db.paths import default_data_dir


def _evict(files: list[Path]) -> None:
    for path in files:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def _best_seconds(work: Callable[[], object], repeat: int = 3, before: Callable[[], None] | None = None) -> float:
    best = float("inf")
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", metavar="DIR")
    args = parser.parse_args()
    folder = current_dir(Path(args.data).expanduser().resolve() if args.data else default_data_dir())
    files = [path for path in folder.rglob("*") if path.is_file()]
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    print(f"{folder}: {megabytes:.1f} MB in {len(files)} files")

    def stream(update: Callable[[bytes], object]) -> Callable[[], None]:
        def work() -> None:
            for path in files:
                with path.open("rb") as handle:
                    while block := handle.read(1 << 20):
                        update(block)

        return work

    candidates: dict[str, Callable[[], None]] = {"plain read": stream(lambda _block: None)}
    candidates["zlib.crc32"] = stream(lambda block: zlib.crc32(block))
    candidates["zlib.adler32"] = stream(lambda block: zlib.adler32(block))
    for name in ("sha256", "sha1", "blake2b", "md5"):
        digest = hashlib.new(name)
        candidates[name] = stream(digest.update)
    try:
        import xxhash  # optional: measured only where it is installed, not a dependency

        candidates["xxhash.xxh3_64"] = stream(xxhash.xxh3_64().update)
    except ImportError:
        print("(xxhash not installed: skipped)")
    for name, work in candidates.items():
        seconds = _best_seconds(work)
        print(f"  {name:15s} {seconds * 1000:6.0f} ms  {megabytes / seconds:6.0f} MB/s")
    for name, check in (("quick_check", quick_check), ("verify", verify)):
        warm = _best_seconds(lambda check=check: check(folder))  # type: ignore[misc]
        line = f"  {name:15s} {warm * 1000:6.0f} ms warm"
        if hasattr(os, "posix_fadvise"):
            cold = _best_seconds(lambda check=check: check(folder), before=lambda: _evict(files))  # type: ignore[misc]
            line += f", {cold * 1000:6.0f} ms after eviction from the page cache"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
