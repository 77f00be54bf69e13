"""Walking what a user points at (files, folders, zips inside zips) to the files inside, bounded, never extracting."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from db.sources.files import sha256_of

__all__ = ["MAX_ZIP_DEPTH", "Container", "Entry", "Origin", "Problem", "is_noise", "walk"]

#: A zip inside a zip inside a zip inside a zip is still opened; deeper ones are reported, not opened.
#: CMS nests two levels at most (the HCPCS and payment-file zips), so 4 leaves room and stops zip bombs.
MAX_ZIP_DEPTH = 4
#: A zip inside a zip is read into memory to be opened; CMS's biggest nested zips are a few tens of MB.
MAX_NESTED_ZIP_BYTES = 512 << 20
#: Members that claim to inflate more than this ratio (and to more than 64 MiB) are zip bombs, not code files.
MAX_COMPRESSION_RATIO = 1000
_RATIO_CHECK_BYTES = 64 << 20
MAX_MEMBERS = 20_000

SEPARATOR = " › "

# System clutter nobody put there on purpose: never reported.
_NOISE_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "__macosx", ".trashes", ".spotlight-v100", ".fseventsd",
                "system volume information", "$recycle.bin", ".localized"}  # fmt: skip


def is_noise(name: str) -> bool:
    """Operating-system clutter (.DS_Store, __MACOSX, AppleDouble '._x', Office lock '~$x', hidden dot files)."""
    base = name.rstrip("/").rsplit("/", 1)[-1].lower()
    return base in _NOISE_NAMES or base.startswith(("._", "~$", "."))


@dataclass(frozen=True)
class Origin:
    """Where a file is: a path on disk, then the member names of the zips it sits in, outermost first."""

    path: Path
    members: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        return SEPARATOR.join([str(self.path), *self.members])

    @property
    def name(self) -> str:
        return (self.members[-1] if self.members else self.path.name).rstrip("/").rsplit("/", 1)[-1]

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The file's bytes as a stream, opening each zip on the way (for materializing after the walk)."""
        if not self.members:
            with self.path.open("rb") as handle:
                yield handle
            return
        with contextlib.ExitStack() as stack:
            archive = stack.enter_context(zipfile.ZipFile(self.path))
            for member in self.members[:-1]:
                archive = stack.enter_context(zipfile.ZipFile(io.BytesIO(archive.read(member))))
            yield stack.enter_context(archive.open(self.members[-1]))


@dataclass(frozen=True)
class Container:
    """A zip an entry came from, with the sha256 of the zip's own bytes (computed when first asked)."""

    origin: Origin
    digest: Callable[[], str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Entry:
    """A regular file found by the walk; `open` works only until the walk moves on (use `origin.open` later)."""

    origin: Origin
    size: int
    containers: tuple[Container, ...]  # innermost first
    open: Callable[[], IO[bytes]] = field(compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.origin.name

    @property
    def in_archive(self) -> bool:
        return bool(self.origin.members)


@dataclass(frozen=True)
class Problem:
    """Something the walk could not open (a damaged or too deep zip, an unreadable file)."""

    location: str
    reason: str


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def walk(paths: Sequence[Path]) -> Iterator[Entry | Problem]:
    """Every file under `paths` (folders recursively, zips at any depth up to MAX_ZIP_DEPTH), sorted by name.

    Workbooks (.xlsx are zips too) are files, not archives. Noise (is_noise) is skipped silently.
    """
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from _walk_folder(path)
        elif path.exists():
            yield from _walk_file(path)
        else:
            yield Problem(str(path), "not found")


def _walk_folder(folder: Path) -> Iterator[Entry | Problem]:
    for root, dirs, files in os.walk(folder, onerror=None):
        dirs[:] = sorted(d for d in dirs if not is_noise(d))
        for name in sorted(files):
            if not is_noise(name):
                yield from _walk_file(Path(root) / name)


def _walk_file(path: Path) -> Iterator[Entry | Problem]:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        yield Problem(str(path), f"cannot read: {error.strerror or error}")
        return
    origin = Origin(path)
    if magic not in _ZIP_MAGIC:
        yield Entry(origin, size, (), lambda: path.open("rb"))
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        yield Problem(origin.location, f"damaged zip (truncated or incomplete download?): {error}")
        return
    with archive:
        if _is_workbook(archive):
            yield Entry(origin, size, (), lambda: path.open("rb"))
            return
        digest = functools.cache(lambda: sha256_of(path))
        yield from _walk_archive(archive, origin, (Container(origin, digest),), depth=1)


def _is_workbook(archive: zipfile.ZipFile) -> bool:
    return "xl/workbook.xml" in archive.namelist()


def _walk_archive(
    archive: zipfile.ZipFile, origin: Origin, containers: tuple[Container, ...], depth: int
) -> Iterator[Entry | Problem]:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > MAX_MEMBERS:
        yield Problem(origin.location, f"zip with {len(infos)} files (more than {MAX_MEMBERS}): not opened")
        return
    for info in sorted(infos, key=lambda info: info.filename):
        if any(is_noise(part) for part in info.filename.split("/")):
            continue
        member = Origin(origin.path, (*origin.members, info.filename))
        problem = _member_problem(info)
        if problem:
            yield Problem(member.location, problem)
            continue
        if not _looks_like_zip(archive, info):
            yield Entry(member, info.file_size, containers, functools.partial(archive.open, info))
            continue
        yield from _walk_nested(archive, info, member, containers, depth)


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "encrypted zip member: cannot be read without its password"
    if info.file_size > _RATIO_CHECK_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        return f"claims to unpack {info.compress_size:,} bytes to {info.file_size:,} (zip bomb?): not read"
    return None


def _looks_like_zip(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    if info.file_size < 4:
        return False
    try:
        with archive.open(info) as handle:
            return handle.read(4) in _ZIP_MAGIC
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, RuntimeError):
        return False  # reported when the entry itself is read


def _walk_nested(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: Origin, containers: tuple[Container, ...], depth: int
) -> Iterator[Entry | Problem]:
    if info.file_size > MAX_NESTED_ZIP_BYTES:
        yield Problem(member.location, f"zip inside a zip of {info.file_size:,} bytes: too large to open")
        return
    try:
        data = archive.read(info)
        inner = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, RuntimeError) as error:
        yield Problem(member.location, f"damaged zip: {error}")
        return
    with inner:
        if _is_workbook(inner):
            yield Entry(member, info.file_size, containers, lambda: io.BytesIO(data))
            return
        if depth >= MAX_ZIP_DEPTH:
            yield Problem(member.location, f"zip nested more than {MAX_ZIP_DEPTH} levels deep: not opened")
            return
        sha = hashlib.sha256(data).hexdigest()
        nested = (Container(member, lambda: sha), *containers)
        yield from _walk_archive(inner, member, nested, depth + 1)
