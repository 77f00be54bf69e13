"""Coverage store at full size: import time of a synthetic MCD download and a code's policies in milliseconds.

Writes current_article.zip › current_article_csv.zip and current_lcd.zip › current_lcd_csv.zip (plus ncd.zip)
in the published layout (tests/fixtures/mcd header rows) with about the row counts of the 2026 current
downloads: 2,000 articles, 18,000 HCPCS rows, 430,000 covered and 45,000 non-covered ICD-10-CM rows, 27,000
article-contractor rows, 1,000 LCDs. The rows are invented; some codes are listed by dozens of articles and
some articles list thousands of diagnoses, as in the real data. Then imports them through the production
import path (printing its progress) and times `policies_for_code` for the most-listed codes.

    .venv/bin/python benchmarks/policies.py [--scale 1.0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.coverage import policies_for_code
from db.coverage_store import store_path
from db.importer import plan_import, run_import
from db.imports import Imports

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mcd"
STAMP = "2026-01-08 00:00:00"


def _header(folder: str, table: str) -> list[str]:
    with (FIXTURES / folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def _csv(header: list[str], rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue().encode("utf-8")


def _zip(path: Path, inner: str, tables: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in tables.items():
            archive.writestr(f"{name}.csv", data)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{inner}.zip", buffer.getvalue())


def generate(folder: Path, scale: float, seed: int = 14) -> dict[str, int]:
    rng = random.Random(seed)
    articles = int(2000 * scale)
    icd_pool = [f"{chr(65 + i % 26)}{i % 100:02d}{i % 7}{i % 10}" for i in range(70000)]
    hcpcs_pool = [f"{rng.choice('ABEGJKLQ')}{n:04d}" for n in range(9000)]
    popular = hcpcs_pool[:40]
    a = "current_article_csv"
    rows: dict[str, list[dict[str, object]]] = {name: [] for name in (
        "article", "article_x_hcpc_code", "article_x_hcpc_code_group", "article_x_icd10_covered",
        "article_x_icd10_covered_group", "article_x_icd10_noncovered", "article_x_icd10_noncovered_group",
        "article_x_contractor", "article_related_documents")}  # fmt: skip
    contractors = [(100 + n, 1 + n % 3, 1) for n in range(120)]
    for number in range(50000, 50000 + articles):
        key = {"article_id": number, "article_version": rng.randint(1, 30)}
        rows["article"].append({**key, "title": f"Billing and Coding: invented article {number}", "status": "A",
                                "article_eff_date": "2025-10-01 00:00:00", "last_updated": STAMP,
                                "description": "<p>Invented.</p>" * 20, "display_id": f"A{number}"})  # fmt: skip
        codes = rng.sample(hcpcs_pool, rng.randint(1, 14)) + (rng.sample(popular, 2) if rng.random() < 0.4 else [])
        for code in dict.fromkeys(codes):
            rows["article_x_hcpc_code"].append({**key, "hcpc_code_id": code, "hcpc_code_group": 1,
                                                "long_description": "invented", "short_description": "x"})  # fmt: skip
        rows["article_x_hcpc_code_group"].append({**key, "hcpc_code_group": 1, "paragraph": "<p>Invented.</p>"})
        size = int(min(12000, rng.paretovariate(1.1) * 60))
        for group in range(1, 1 + min(6, 1 + size // 400)):
            rows["article_x_icd10_covered_group"].append({**key, "icd10_covered_group": group,
                                                          "paragraph": f"<p>Group {group} invented.</p>"})  # fmt: skip
        for order, code in enumerate(rng.sample(icd_pool, size)):
            rows["article_x_icd10_covered"].append({**key, "icd10_code_id": f"{code[:3]}.{code[3:]}",
                                                    "icd10_covered_group": 1 + min(5, order // 400),
                                                    "sort_order": order, "description": "invented"})  # fmt: skip
        for order, code in enumerate(rng.sample(icd_pool, rng.randint(0, 45))):
            rows["article_x_icd10_noncovered"].append({**key, "icd10_code_id": code, "icd10_noncovered_group": 1,
                                                       "sort_order": order, "description": "invented"})  # fmt: skip
        rows["article_x_icd10_noncovered_group"].append({**key, "icd10_noncovered_group": 1, "paragraph": "<p>x</p>"})
        for contractor in rng.sample(contractors, rng.randint(1, 26)):
            rows["article_x_contractor"].append({**key, "contractor_id": contractor[0],
                                                 "contractor_type_id": contractor[1],
                                                 "contractor_version": contractor[2]})  # fmt: skip
        rows["article_related_documents"].append({**key, "r_lcd_id": 30000 + number % 1000, "r_lcd_version": 1})
    shared = {
        "contractor": [{"contractor_id": c[0], "contractor_type_id": c[1], "contractor_version": c[2],
                        "contractor_bus_name": f"Invented MAC {c[0]}", "contractor_number": f"{c[0]:05d}"}
                       for c in contractors],
        "contractor_jurisdiction": [{"contractor_id": c[0], "contractor_type_id": c[1], "contractor_version": c[2],
                                     "state_id": (c[0] + k) % 56, "active_date": "2016-01-01 00:00:00"}
                                    for c in contractors for k in range(3)],
        "contractor_type_lookup": [{"contractor_type_id": t, "description": f"Type {t}"} for t in (1, 2, 3)],
        "state_lookup": [{"state_id": s, "state_abbrev": f"S{s:02d}" if s else "NY", "description": f"State {s}"}
                         for s in range(56)],
    }  # fmt: skip
    tables = {name: _csv(_header(a, name), table) for name, table in rows.items()}
    tables |= {name: _csv(_header(a, name), table) for name, table in shared.items()}
    _zip(folder / "current_article.zip", a, tables)
    lcds = [{"lcd_id": 30000 + n, "lcd_version": 1, "title": f"Invented LCD {n}", "status": "A",
             "orig_det_eff_date": "2015-10-01 00:00:00", "last_updated": STAMP,
             "indication": "<p>Invented indication.</p>" * 200, "display_id": f"L{30000 + n}"}
            for n in range(int(1000 * scale) or 1)]  # fmt: skip
    lcd_contractors = [{"lcd_id": row["lcd_id"], "lcd_version": 1, "contractor_id": c[0], "contractor_type_id": c[1],
                        "contractor_version": c[2]} for row in lcds for c in rng.sample(contractors, 3)]  # fmt: skip
    lcd_tables = {
        "lcd": _csv(_header("current_lcd_csv", "lcd"), lcds),
        "lcd_x_contractor": _csv(_header("current_lcd_csv", "lcd_x_contractor"), lcd_contractors),
    }
    lcd_tables |= {name: _csv(_header(a, name), table) for name, table in shared.items()}
    _zip(folder / "current_lcd.zip", "current_lcd_csv", lcd_tables)
    ncds = [{"NCD_id": n, "NCD_vrsn_num": 1, "NCD_mnl_sect": f"{100 + n}.1", "NCD_mnl_sect_title": f"Invented {n}",
             "NCD_efctv_dt": "2005-01-01 00:00:00", "last_updt_tmstmp": STAMP} for n in range(360)]  # fmt: skip
    _zip(folder / "ncd.zip", "ncd_csv", {"ncd_trkg": _csv(_header("ncd_csv", "ncd_trkg"), ncds)})
    return {name: len(table) for name, table in rows.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", metavar="DIR", help="write the downloads and the store here (default: temporary)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policies-bench-") as temporary:
        root = Path(args.keep) if args.keep else Path(temporary)
        downloads, data_dir = root / "downloads", root / "data"
        downloads.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        counts = generate(downloads, args.scale)
        print(f"generated {sum(counts.values()):,} article rows in {time.perf_counter() - started:.1f} s: {counts}")
        started = time.perf_counter()
        plan = plan_import([downloads], [], Imports.load(data_dir), data_dir)
        scanned = time.perf_counter() - started
        run_import(plan, data_dir, progress=lambda line: print(f"  {line}", flush=True))
        total = time.perf_counter() - started
        print(f"import: {total:.1f} s (scan and checksums {scanned:.1f} s); limit 120 s")
        timings = []
        with sqlite3.connect(store_path(data_dir)) as db:
            ranked = [row[0] for row in db.execute(
                "SELECT hcpc_code_id FROM article_x_hcpc_code GROUP BY 1 ORDER BY COUNT(*) DESC, 1")]  # fmt: skip
        # The 30 codes listed by the most articles, and 30 others.
        for code in ranked[:30] + random.Random(1).sample(ranked[30:], 30):
            began = time.perf_counter()
            answer = policies_for_code(data_dir, "hcpcs", code)
            timings.append(((time.perf_counter() - began) * 1000, code, answer))
        timings.sort(key=lambda item: item[0])
        worst_ms, worst_code, worst = timings[-1]
        assert worst is not None
        listed = sum(len(p.covered_codes()) for p in worst.policies)
        print(f"policies_for_code over {len(timings)} codes: median {statistics.median(t[0] for t in timings):.1f} ms,"
              f" worst {worst_ms:.1f} ms ({worst_code}: {len(worst.policies)} policies, {listed:,} covered codes);"
              " limit 100 ms")  # fmt: skip
        began = time.perf_counter()
        icd = policies_for_code(data_dir, "icd10cm", "A00.00", with_codes=False)
        print(f"an ICD-10-CM code: {(time.perf_counter() - began) * 1000:.1f} ms "
              f"({len(icd.policies) if icd else 0} policies)")  # fmt: skip
        return 0 if total <= 120 and worst_ms <= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
