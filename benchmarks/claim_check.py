"""Claim check speed: a 20-code claim and hostile input against built data, median and p95 in milliseconds.

    .venv/bin/python benchmarks/claim_check.py --data DIR [--date 2026-05-01] [--runs 50]

Runs in-process (no CLI start-up), with the NCCI and coverage stores when DIR has them. Exit 2 when DIR has
no built data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.engine import open_read_only, session_scope
from db.layout import DATABASE_FILE, current_dir
from db.ncci_store import open_store
from db.rules.check import check_claim

CLAIMS = {
    "20 codes": (
        "E11.65, I10, E78.5, J44.1, N18.30, D63.1, F02.80, G30.9, S72.001A, M17.11, Z79.4, E66.9, R73.9; "
        "99214-25, 20610 RT, J1030 x2, 96372, G0105, 93000, 36415"
    ),
    "500 codes": ", ".join([f"E11.{n % 10}" for n in range(250)] + [f"J{1000 + n} RT x3" for n in range(250)]),
    "10,000 characters with control characters": ("E11.65\x00\x1b[31m I10 \u202e99214-25 x" * 400)[:10_000],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--date", default="2026-05-01")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    database = current_dir(args.data) / DATABASE_FILE
    if not database.is_file():
        print(f"claim_check: no built data in {args.data} (run codebook-cli build --data {args.data})", file=sys.stderr)
        return 2
    day = dt.date.fromisoformat(args.date)
    store = open_store(args.data)
    engine = open_read_only(database)
    with session_scope(engine) as session:
        for name, claim in CLAIMS.items():
            check_claim(session, claim, day, store, coverage=args.data)  # first run warms the page cache
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                result = check_claim(session, claim, day, store, coverage=args.data)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
            print(f"{name}: {len(result.codes)} codes, {len(result.findings)} findings, "
                  f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms ({args.runs} runs)")  # fmt: skip
    engine.dispose()
    print(f"NCCI store: {'loaded' if store else 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
