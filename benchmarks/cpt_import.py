"""Import of a 12,000-row licensed CPT file (every descriptor invented here): reading time and the whole import.

    .venv/bin/python benchmarks/cpt_import.py --data DIR [--rows 12000]

Writes an AMA-layout long-descriptor file (code TAB descriptor) and a PFS relative value file of the same
codes into a temporary folder, times each reader on its own (the issue's budget: 10 s of reading), then runs
the real `import` into DIR (detect, copy, rebuild of the whole database and search index from the bundled
files plus the CPT year) and prints its time. DIR is left with CPT loaded, for benchmarks/keystrokes.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.importer import plan_import, run_import
from db.imports import Imports
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


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    chance = random.Random(12)
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        long_file, pfs_file = write_files(Path(temporary), args.rows)
        started = time.perf_counter()
        ama = read_ama(long_file)
        ama_seconds = time.perf_counter() - started
        started = time.perf_counter()
        pfs = read_pfs(pfs_file)
        pfs_seconds = time.perf_counter() - started
        print(
            f"read {len(ama.entries):,} AMA rows in {ama_seconds:.2f} s, "
            f"{len(pfs.rows):,} PFS rows in {pfs_seconds:.2f} s"
        )
        started = time.perf_counter()
        plan = plan_import([long_file, pfs_file], [], Imports.load(args.data), args.data)
        plan_seconds = time.perf_counter() - started
        report = run_import(plan, args.data, progress=lambda _line: None)
        total = time.perf_counter() - started
        print(f"detect + plan {plan_seconds:.2f} s; whole import (copy, rebuild database and index) {total:.1f} s")
        print(f"  build steps: {report.timings}")
        print(f"  cpt counts: { {k: v for k, v in report.counts.items() if k.startswith('cpt.')} }")
    return 0


if __name__ == "__main__":
    sys.exit(main())
