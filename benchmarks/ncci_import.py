"""NCCI PTP import at full size: a synthetic practitioner PTP file set of 2.5 million edits in CMS's published
layout, imported through the real import path; prints the time, the store's size and pair lookup times.

    .venv/bin/python benchmarks/ncci_import.py [--rows 2500000] [--folder /tmp/ncci-bench] [--lookups 2000]
                                               [--next-quarter]

--next-quarter then imports the following quarter (version 33.0, 2027 Q1: the same edits, one in a hundred
deleted on 2027-01-01) to show what a second quarter adds to the store.

The files follow CMS's quarterly practitioner PTP text files (`ccipra-v323r0-f1.txt` ... `-f4.txt`, the layout
of tests/fixtures/ncci/ccipra-v323r0-f1.TXT): a copyright line, the four-line header block read down each
column, then tab-separated edits (column 1, column 2, prior-1996 mark, effective and deletion dates YYYYMMDD or
`*`, modifier indicator, rationale), CRLF line ends, sorted by column 1 then column 2. The codes are numbers and
HCPCS-shaped strings, not real pairs; no descriptor appears (PTP files carry none).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.importer import plan_import, run_import
from db.imports import Imports
from db.ncci_store import PTP, STORE_FILE, open_store

HEADER = (
    "CPT only copyright 2025 American Medical Association. All rights reserved.\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)
RATIONALES = (
    "Standards of medical / surgical practice",
    "Misuse of column two code with column one code",
    "Mutually exclusive procedures",
    "CPT Manual or CMS manual coding instructions",
    "Anesthesia service included in surgical procedure",
    "HCPCS/CPT procedure code definition",
    "Laboratory panel",
    "More extensive procedure",
    "Gender-specific procedures",
    "Designated as a separate procedure",
)
PARTS = 4


def _codes(count: int, rng: random.Random) -> list[str]:
    numbers = rng.sample(range(10000, 99999), int(count * 0.85))
    letters = "ABCEGJKLQ"
    hcpcs = {f"{rng.choice(letters)}{rng.randrange(10000):04d}" for _ in range(count - len(numbers))}
    return sorted([f"{n:05d}" for n in numbers] + sorted(hcpcs))


def write_files(folder: Path, rows: int, seed: int = 13) -> list[Path]:
    """PARTS text files holding `rows` edits between them, split at column 1 codes as CMS splits them."""
    rng = random.Random(seed)
    codes = _codes(15_000, rng)
    column1 = codes[::2] if rows > 200_000 else codes[: max(2, rows // 50)]
    per_code = max(1, rows // len(column1))
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"ccipra-v323r0-f{part}.txt" for part in range(1, PARTS + 1)]
    handles = [path.open("w", encoding="latin-1", newline="") for path in paths]
    written = 0
    try:
        for handle in handles:
            handle.write(HEADER)
        for index, code in enumerate(column1):
            want = rows - written if index == len(column1) - 1 else per_code
            partners = sorted(rng.sample(codes, min(want, len(codes))))
            handle = handles[index * PARTS // len(column1)]
            lines = []
            for partner in partners:
                if partner == code:
                    continue
                effective = f"{rng.randrange(1996, 2027)}{rng.randrange(1, 13):02d}01"
                deleted = rng.random() < 0.15
                deletion = f"{min(int(effective[:4]) + rng.randrange(1, 6), 2026)}0101" if deleted else "*"
                prior = "*" if effective.startswith("1996") and rng.random() < 0.5 else ""
                modifier = "9" if deleted and rng.random() < 0.2 else rng.choice("0111")
                lines.append(f"{code}\t{partner}\t{prior}\t{effective}\t{deletion}\t{modifier}\t"
                             f"{rng.choice(RATIONALES)}\r\n")  # fmt: skip
            handle.writelines(lines)
            written += len(lines)
    finally:
        for handle in handles:
            handle.close()
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_500_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/ncci-bench"))
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--next-quarter", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(args.folder, ignore_errors=True)
    started = time.perf_counter()
    paths = write_files(args.folder / "files", args.rows)
    size = sum(path.stat().st_size for path in paths)
    print(f"wrote {len(paths)} files, {size / 1e6:.1f} MB, in {time.perf_counter() - started:.1f} s")

    data = args.folder / "data"
    started = time.perf_counter()
    gaps: list[float] = []
    last = [started]

    def progress(line: str) -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    plan = plan_import(paths, [], Imports.load(data), data)
    counts = run_import(plan, data, progress=progress).counts
    edits = counts.get("NCCI.ptp_edits", 0)
    elapsed = time.perf_counter() - started
    store_size = (data / STORE_FILE).stat().st_size
    print(f"import: {elapsed:.1f} s for {edits:,} edits; "
          f"{len(gaps)} progress lines, longest gap {max(gaps):.1f} s")  # fmt: skip
    print(f"store: {store_size / 1e6:.1f} MB ({store_size / max(1, edits):.1f} bytes per edit)")

    store = open_store(data)
    assert store is not None
    edition = store.editions(PTP)[0]
    rng = random.Random(7)
    # Half the pairs are edits of the file, half are codes of the file without an edit between them.
    known = [line.split("\t")[:2] for line in paths[0].read_text(encoding="latin-1").splitlines()[5:]]
    column1 = sorted({pair[0] for pair in known})
    codes = _codes(15_000, random.Random(13))
    timings: list[float] = []
    hits = 0
    for _ in range(args.lookups):
        pair = rng.choice(known) if rng.random() < 0.5 else [rng.choice(column1), rng.choice(codes)]
        begun = time.perf_counter()
        hits += bool(store.pairs(edition, pair))
        timings.append((time.perf_counter() - begun) * 1000)
    timings.sort()
    print(f"pair lookup ({args.lookups} pairs, {hits} with an edit, connection opened per call): "
          f"median {statistics.median(timings):.3f} ms, p95 {timings[int(len(timings) * 0.95)]:.3f} ms")  # fmt: skip
    timings = []
    for _ in range(200):
        begun = time.perf_counter()
        store.partners(edition, rng.choice(column1))
        timings.append((time.perf_counter() - begun) * 1000)
    timings.sort()
    print(f"partners of a code (200 codes): median {statistics.median(timings):.2f} ms, "
          f"p95 {timings[int(len(timings) * 0.95)]:.2f} ms")  # fmt: skip
    if args.next_quarter:
        _next_quarter(paths, data, store_size)
    return 0


def _next_quarter(paths: list[Path], data: Path, size_before: int) -> None:
    folder = paths[0].parent.parent / "next"
    folder.mkdir()
    changed = []
    for part, path in enumerate(paths, start=1):
        lines = path.read_text(encoding="latin-1").splitlines(keepends=True)
        for number in range(5, len(lines), 100):
            cells = lines[number].split("\t")
            if cells[4] == "*":
                cells[4] = "20270101"
                lines[number] = "\t".join(cells)
        target = folder / f"ccipra-v330r0-f{part}.txt"
        target.write_text("".join(lines), encoding="latin-1", newline="")
        changed.append(target)
    started = time.perf_counter()
    plan = plan_import(changed, [], Imports.load(data), data)
    counts = run_import(plan, data, progress=lambda _line: None).counts
    size = (data / STORE_FILE).stat().st_size
    print(f"next quarter: {time.perf_counter() - started:.1f} s for {counts.get('NCCI.ptp_edits', 0):,} edits; "
          f"store {size_before / 1e6:.1f} MB -> {size / 1e6:.1f} MB for both quarters")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
