"""Import of a 12,000-row licensed CPT file (every descriptor invented here): the whole import, against a rebuild.

    .venv/bin/python benchmarks/cpt_import.py --data DIR [--rows 12000] [--runs 5] [--no-reference]

DIR must hold a build (`codebook-cli build --data DIR`). Each run writes an AMA-layout long-descriptor file (code
TAB descriptor) and a PFS relative value file of the same codes (other descriptors each run, so each run is a new
file of the same CPT year and replaces the last) and runs the real `import` into DIR: detect, copy, read, lay the
year over the current build (db/cpt_layer.py) and swap it in. Prints each run, the median and p95 (the issue's
budget: 10 s), the time of Remove CPT data, and as the reference the full rebuild of the same data (what an
import cost before the layer). DIR is left with CPT loaded, for benchmarks/keystrokes.py.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing_stats import percentile
from db.build import build
from db.cpt_import import remove_cpt
from db.importer import plan_import, run_import
from db.imports import Imports, sources_with_imports
from db.sources.cpt_ama import read_ama
from db.sources.cpt_pfs import read_pfs

WORDS = [
    "zorblat",
    "quillfen",
    "blorvic",
    "trandle",
    "plimsy",
    "grommet",
    "fellish",
    "varnock",
    "sipple",
    "drumway",
    "keltric",
    "mosswend",
]
UPPER = ",,,STATUS,MEDICARE,WORK,NON-FAC,NA,FACILITY,NA,MP,NON-FACILITY,FACILITY,PCTC,GLOB,PRE,INTRA,POST,MULT,BILAT,ASST,CO-,TEAM,ENDO,CONV,DIAGNOSTIC,CALCULATION,FAMILY,PAYMENT,PAYMENT,PAYMENT"  # noqa: E501
LOWER = "HCPCS,MOD,DESCRIPTION,CODE,PAYMENT,RVU,PE RVU,INDICATOR,PE RVU,INDICATOR,RVU,TOTAL,TOTAL,IND,DAYS,OP,OP,OP,PROC,SURG,SURG,SURG,SURG,BASE,FACTOR,PROCEDURES,FLAG,INDICATOR,AMOUNT,AMOUNT,AMOUNT"  # noqa: E501


def write_files(folder: Path, rows: int, seed: int = 12) -> tuple[Path, Path]:
    chance = random.Random(seed)
    codes = [f"{10000 + n}" for n in range(rows)]
    long_file = folder / "LONGULT.txt"
    with long_file.open("w", encoding="utf-8", newline="\r\n") as out:
        out.write("Invented placeholder notice (benchmark)\n")
        for code in codes:
            out.write(f"{code}\t{' '.join(chance.choices(WORDS, k=chance.randint(4, 14)))}, invented\n")
    pfs_file = folder / "PPRRVU99_JAN.csv"
    with pfs_file.open("w", encoding="utf-8", newline="\r\n") as out:
        out.write(",,2099 National Physician Fee Schedule Relative Value File January Release" + "," * 28 + "\n")
        out.write(UPPER + "\n" + LOWER + "\n")
        for code in codes:
            work = chance.uniform(0, 20)
            out.write(
                f"{code},,{chance.choice(WORDS).upper()} INVENTED,A,,{work:.2f},{work / 2:.2f},,{work / 3:.2f},,"
                f"0.10,{work * 1.5:.2f},{work * 1.3:.2f},0,{chance.choice(['000', '010', '090', 'XXX'])},"
                "0.10,0.80,0.10,2,0,2,1,0,,33.4009,09,0,99,0.00,0.00,0.00\n"
            )
    return long_file, pfs_file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=12_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-reference", action="store_true", help="skip the full rebuild (about a minute)")
    args = parser.parse_args()
    times: list[float] = []
    with tempfile.TemporaryDirectory() as temporary:
        for run in range(args.runs):
            folder = Path(temporary) / f"run{run}"
            folder.mkdir()
            long_file, pfs_file = write_files(folder, args.rows, seed=12 + run)
            if run == 0:
                started = time.perf_counter()
                ama, pfs = read_ama(long_file), read_pfs(pfs_file)
                print(f"reading alone: {len(ama.entries):,} AMA and {len(pfs.rows):,} PFS rows in "
                      f"{time.perf_counter() - started:.2f} s")  # fmt: skip
            started = time.perf_counter()
            plan = plan_import([long_file, pfs_file], [], Imports.load(args.data), args.data)
            report = run_import(plan, args.data, progress=lambda _line: None)
            times.append(time.perf_counter() - started)
            codes, pfs_rows = report.counts.get("cpt.codes", 0), report.counts.get("cpt.pfs_rows", 0)
            print(f"run {run + 1}: import {times[-1]:.2f} s ({codes:,} codes, {pfs_rows:,} PFS rows; {report.timings})")
        median, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"import of {args.rows:,} rows: median {median:.2f} s, p95 {p95:.2f} s, {len(times)} runs (target 10 s)")
        started = time.perf_counter()
        remove_cpt(args.data, progress=lambda _line: None)
        print(f"Remove CPT data: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        plan = plan_import([long_file, pfs_file], [], Imports.load(args.data), args.data)
        run_import(plan, args.data, progress=lambda _line: None)
        print(f"import again after the removal: {time.perf_counter() - started:.2f} s")
        if not args.no_reference:
            started = time.perf_counter()
            build(args.data, sources_with_imports(args.data, Imports.load(args.data)), progress=lambda _line: None)
            print(f"reference, the full rebuild of the same data (the import before the layer): "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
