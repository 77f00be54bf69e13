"""`codebook-cli`: build, inspect, export, search and show codes from the command line."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from db.build import BuildSources, build, current_dir
from db.engine import DATABASE_FILE, open_read_only, session_scope
from db.paths import DATA_DIR_ENV, default_data_dir
from db.queries import build_facts, counts_by_system, export_rows, releases
from db.sources.errors import SourceFormatError

EXIT_BAD_INPUT = 2
EXIT_NO_DATA = 3


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data).expanduser().resolve() if args.data else default_data_dir()


def _database(args: argparse.Namespace) -> Path:
    database = current_dir(_data_dir(args)) / DATABASE_FILE
    if not database.is_file():
        raise CliError(
            f"no built data in {_data_dir(args)}: run `codebook-cli build` first "
            f"(or pass --data DIR / set {DATA_DIR_ENV})",
            EXIT_NO_DATA,
        )
    return database


def _add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        help=f"folder where built data is read and written (default: ${DATA_DIR_ENV}, else {default_data_dir()})",
    )


def command_build(args: argparse.Namespace) -> int:
    sources = BuildSources.bundled()
    overrides = {
        "icd10cm_tabular": args.icd10cm_tabular,
        "icd10cm_index": args.icd10cm_index,
        "icd10cm_eindex": args.icd10cm_eindex,
        "icd10cm_neoplasm": args.icd10cm_neoplasm,
        "icd10cm_drug": args.icd10cm_drug,
        "icd10pcs_tables": args.icd10pcs_tables,
        "icd10pcs_definitions": args.icd10pcs_definitions,
        "icd10pcs_index": args.icd10pcs_index,
        "hcpcs": args.hcpcs,
        "hcpcs_noc": args.hcpcs_noc,
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(sources, name, Path(value).expanduser().resolve())
    if args.hcpcs is not None and args.hcpcs_noc is None:
        # The bundled NOC list belongs to the bundled release; a user's file brings its own.
        sources.hcpcs_noc = None
    data_dir = _data_dir(args)
    started = time.perf_counter()
    print(f"Building Codebook data into {data_dir}", flush=True)
    report = build(data_dir, sources, progress=lambda line: print(line, flush=True), with_index=False)
    print(f"Done in {time.perf_counter() - started:.1f} s")
    for key, value in sorted(report.counts.items()):
        print(f"  {key}: {value:,}")
    return 0


def command_info(args: argparse.Namespace) -> int:
    database = _database(args)
    engine = open_read_only(database)
    with session_scope(engine) as session:
        info = {
            "data_dir": str(_data_dir(args)),
            "releases": [release.to_json() for release in releases(session)],
            "counts": counts_by_system(session),
            "build": build_facts(session),
        }
    engine.dispose()
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    print(f"Data: {info['data_dir']}")
    for release in info["releases"]:
        assert isinstance(release, dict)
        print(f"  {release['name']}: dates of service {release['valid_from']} to {release['valid_to']}")
    for system, counts in sorted(counts_by_system_items(info["counts"])):
        print(f"  {system}: " + ", ".join(f"{key} {value:,}" for key, value in sorted(counts.items())))
    return 0


def counts_by_system_items(counts: object) -> list[tuple[str, dict[str, int]]]:
    assert isinstance(counts, dict)
    return list(counts.items())


def command_export(args: argparse.Namespace) -> int:
    database = _database(args)
    engine = open_read_only(database)
    out = sys.stdout
    with session_scope(engine) as session:
        rows = export_rows(session, args.system, args.billable)
        if args.format == "jsonl":
            for row in rows:
                record = {
                    "system": row.system,
                    "code": row.code,
                    "display": row.display,
                    "title": row.title,
                    "billable": row.billable,
                    "release": row.release,
                }
                if args.system == "hcpcs":
                    record["kind"] = row.kind
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(out, lineterminator="\n")
            header = ["system", "code", "display", "title", "billable", "release"]
            if args.system == "hcpcs":
                header.append("kind")
            writer.writerow(header)
            for row in rows:
                values = [
                    row.system,
                    row.code,
                    row.display,
                    row.title,
                    "yes" if row.billable else "no",
                    row.release,
                ]
                if args.system == "hcpcs":
                    values.append(row.kind)
                writer.writerow(values)
    engine.dispose()
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codebook-cli", description="Codebook: offline US medical code reference")
    commands = parser.add_subparsers(dest="command", required=True)

    build_parser = commands.add_parser("build", help="build the database and search index from official files")
    _add_data_option(build_parser)
    for option, what in (
        ("--icd10cm-tabular", "ICD-10-CM tabular XML (icd10cm-tabular-*.xml, plain or zipped)"),
        ("--icd10cm-index", "ICD-10-CM alphabetic index XML (icd10cm_index_YYYY.xml)"),
        ("--icd10cm-eindex", "ICD-10-CM external cause index XML"),
        ("--icd10cm-neoplasm", "ICD-10-CM neoplasm table XML"),
        ("--icd10cm-drug", "ICD-10-CM table of drugs and chemicals XML"),
        ("--icd10pcs-tables", "ICD-10-PCS tables XML"),
        ("--icd10pcs-definitions", "ICD-10-PCS definitions XML"),
        ("--icd10pcs-index", "ICD-10-PCS index XML"),
        ("--hcpcs", "HCPCS Level II: official fixed-width ANWEB .txt (or the CMS .zip), or a workbook"),
        ("--hcpcs-noc", "HCPCS NOC code list (.xlsx, .prn or CMS .zip)"),
    ):
        build_parser.add_argument(option, metavar="FILE", help=what)
    build_parser.set_defaults(handler=command_build)

    info_parser = commands.add_parser("info", help="loaded releases and counts")
    _add_data_option(info_parser)
    info_parser.add_argument("--json", action="store_true")
    info_parser.set_defaults(handler=command_info)

    export_parser = commands.add_parser("export", help="every code of a code set as CSV or JSON lines")
    _add_data_option(export_parser)
    export_parser.add_argument("--system", required=True, choices=("icd10cm", "icd10pcs", "hcpcs"))
    export_parser.add_argument("--billable", action="store_true", help="billable codes only")
    export_parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export_parser.set_defaults(handler=command_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        result: int = args.handler(args)
        return result
    except SourceFormatError as error:
        print(f"codebook-cli: bad source file: {error}", file=sys.stderr)
        print("Nothing was changed: the previously built data is intact.", file=sys.stderr)
        return EXIT_BAD_INPUT
    except CliError as error:
        print(f"codebook-cli: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
