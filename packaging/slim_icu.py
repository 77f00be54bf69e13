"""Builds a smaller ICU data library (libicudata.so.NN) for the Linux bundle: only the ICU data Qt can read.

PySide6's Linux wheel ships ICU with all of its data (32 MB, the largest single file of the bundle). Qt 6 Core
calls ICU for four things only (the ICU symbols libQt6Core.so.6 imports, `readelf --dyn-syms`): case mapping
(u_strToUpper/Lower: tables compiled into libicuuc, no data file), converters (ucnv_*: the .cnv tables and
cnvalias.icu), collation (ucol_*: coll/, used by QCollator and so by the file dialog's sorting) and calendars /
time zones (ucal_*: zoneinfo64, metaZones, zone/ names, locale calendar data). No other Qt library or plugin
imports ICU. So:

* data that no API Qt calls ever reads goes: break iterators (brkitr/: Qt segments text itself), units, currency
  names, language names, transliterators, number spell-out rules (rbnf/), character names (unames.icu);
* locale data Qt can read but only shows in the user's language (time-zone names zone/, region names, the
  top-level locale bundles with calendar names) is kept for root and English (the interface is English only; any
  other locale falls back to root, as ICU always does for a locale it has no data for);
* converters, collation for every language, and every shared table (pool.res, res_index.res, supplemental data,
  normalization, time-zone rules) are kept whole.

Uses ICU's own tools (Debian/Ubuntu package icu-devtools: icupkg, genccode) and the C compiler: the data is
taken out of the wheel's library (its `icudtNN_dat` symbol), filtered with `icupkg -r`, and linked back into a
shared library with the same soname and symbol, as ICU's own `pkgdata -m dll` does.

    python packaging/slim_icu.py LIBICUDATA OUT_DIR   # prints the new library's path and both sizes
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

#: Trees (or single items) of the ICU data that only APIs Qt never calls read.
UNUSED_BY_QT = ("brkitr/", "unit/", "curr/", "lang/", "translit/", "rbnf/", "unames.icu")
#: Trees where only root and English locales are kept ("" is the top level: calendars, number symbols...).
ENGLISH_ONLY = ("", "zone/", "region/")
#: Locale bundle names ("de", "sr_Latn_BA", "es_419"), as opposed to shared tables (pool.res, res_index.res...).
LOCALE_BUNDLE = re.compile(r"[a-z]{2,3}(?:_[A-Za-z0-9]+)*\.res")
SHARED_TABLES = {"res_index.res", "pool.res", "root.res"}
TOOLS = ("readelf", "icupkg", "genccode", "cc")


class SlimIcuError(RuntimeError):
    """A tool is missing or the library is not an ICU data library."""


def removed(item: str) -> bool:
    """Whether the item (as `icupkg -l` lists it, e.g. "zone/de.res") is left out of the slim data."""
    if item.startswith(UNUSED_BY_QT):
        return True
    tree, _, name = item.rpartition("/")
    tree = f"{tree}/" if tree else ""
    if tree not in ENGLISH_ONLY or name in SHARED_TABLES or not LOCALE_BUNDLE.fullmatch(name):
        return False
    return not (name == "en.res" or name.startswith("en_"))


def _tool(name: str) -> str:
    path = shutil.which(name) or (shutil.which(name, path="/usr/sbin:/usr/local/sbin") if name != "cc" else None)
    if path is None:
        raise SlimIcuError(f"{name} not found: the slim ICU data needs apt-get install icu-devtools binutils gcc")
    return path


def _data_symbol(readelf: str, library: Path) -> tuple[str, int, int]:
    """(entry name such as "icudt73", file offset, size) of the library's data symbol."""
    symbols = subprocess.run([readelf, "-Ws", "--dyn-syms", str(library)], capture_output=True, text=True, check=True)
    found = re.search(
        r"\s([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+OBJECT\s+GLOBAL\s+\w+\s+(\d+)\s+(icudt\d+)_dat$", symbols.stdout, re.M
    )
    if found is None:
        raise SlimIcuError(f"{library}: no icudtNN_dat symbol, not an ICU data library")
    value, size, section, entry = int(found[1], 16), int(found[2], 0), int(found[3]), found[4]
    sections = subprocess.run([readelf, "-SW", str(library)], capture_output=True, text=True, check=True).stdout
    header = re.search(rf"\[\s*{section}\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", sections)
    if header is None:
        raise SlimIcuError(f"{library}: section {section} of the data symbol not found")
    return entry, value - int(header[1], 16) + int(header[2], 16), size


def slim_icu(library: Path, out_dir: Path) -> Path:
    """Write the slim library as OUT_DIR/<same file name> and return its path (OUT_DIR is emptied first)."""
    readelf, icupkg, genccode, cc = (_tool(name) for name in TOOLS)
    entry, offset, size = _data_symbol(readelf, library)
    shutil.rmtree(out_dir, ignore_errors=True)
    work = out_dir / "work"
    work.mkdir(parents=True)
    full = work / f"{entry}l.dat"
    with library.open("rb") as source:
        source.seek(offset)
        full.write_bytes(source.read(size))
    items = subprocess.run([icupkg, "-l", str(full)], capture_output=True, text=True, check=True).stdout.split()
    if not any(item.endswith(".cnv") for item in items) or "root.res" not in items:
        raise SlimIcuError(f"{library}: the data lists no converters or no root locale ({len(items)} items)")
    (work / "removed.txt").write_text("\n".join(item for item in items if removed(item)) + "\n", encoding="utf-8")
    slim = work / "slim" / full.name
    slim.parent.mkdir()
    subprocess.run([icupkg, "-r", str(work / "removed.txt"), str(full), str(slim)], check=True)
    subprocess.run(
        [genccode, "-a", "gcc", "-e", entry, "-d", str(work), str(slim)], check=True, stdout=subprocess.DEVNULL
    )
    assembly = next(work.glob("*.S"))
    out = out_dir / library.name
    subprocess.run(
        [
            cc,
            "-shared",
            "-nostdlib",
            "-Wl,-z,noexecstack",
            f"-Wl,-soname,{library.name}",
            "-o",
            str(out),
            str(assembly),
        ],
        check=True,
    )
    shutil.rmtree(work)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    library, out_dir = Path(argv[0]), Path(argv[1])
    out = slim_icu(library, out_dir)
    print(f"{out}: {library.stat().st_size / 1e6:.1f} MB -> {out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
