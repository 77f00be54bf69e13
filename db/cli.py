"""`codebook-cli`: build, inspect, export, search and show codes from the command line."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from db.build import BuildSources, build
from db.engine import open_read_only, session_scope
from db.layout import DATABASE_FILE, INDEX_DIR, current_dir
from db.paths import DATA_DIR_ENV, default_data_dir
from db.queries import (
    CodeDetail,
    build_facts,
    code_detail,
    counts_by_system,
    export_rows,
    find_code,
    releases,
    system_label,
)
from db.search_index import SearchIndex
from db.sources.errors import SourceFormatError

EXIT_BAD_INPUT = 2
EXIT_NO_DATA = 3
SYSTEM_CHOICES = ("icd10cm", "icd10pcs", "hcpcs", "cpt")


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
    code_set_files = (args.icd10cm_tabular, args.icd10pcs_tables, args.hcpcs)
    if any(value is not None for value in code_set_files):
        # Another release may have deleted codes that the curated lay terms or articles name: leave those
        # links out (the build counts them) rather than refuse to load the user's official files.
        sources.strict_links = False
    if args.hcpcs is not None and args.hcpcs_noc is None:
        # The bundled NOC list belongs to the bundled release; a user's file brings its own.
        sources.hcpcs_noc = None
    data_dir = _data_dir(args)
    started = time.perf_counter()
    print(f"Building Codebook data into {data_dir}", flush=True)
    report = build(data_dir, sources, progress=lambda line: print(line, flush=True), with_index=not args.no_index)
    print(f"Done in {time.perf_counter() - started:.1f} s")
    for key, value in sorted(report.counts.items()):
        print(f"  {key}: {value:,}")
    return 0


def command_info(args: argparse.Namespace) -> int:
    database = _database(args)
    engine = open_read_only(database)
    with session_scope(engine) as session:
        release_views = releases(session)
        counts = counts_by_system(session)
        facts = build_facts(session)
    engine.dispose()
    if args.json:
        info = {
            "data_dir": str(_data_dir(args)),
            "releases": [release.to_json() for release in release_views],
            "counts": counts,
            "build": facts,
        }
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    print(f"Data: {_data_dir(args)}")
    for release in release_views:
        start = release.valid_from.isoformat() if release.valid_from else "-"
        end = release.valid_to.isoformat() if release.valid_to else "-"
        print(f"  {release.name}: dates of service {start} to {end}")
    for system, system_counts in sorted(counts.items()):
        print(f"  {system}: " + ", ".join(f"{key} {value:,}" for key, value in sorted(system_counts.items())))
    return 0


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


def _open_index(args: argparse.Namespace) -> SearchIndex:
    database = _database(args)
    try:
        return SearchIndex.open(database.parent / INDEX_DIR)
    except FileNotFoundError as error:
        raise CliError(f"{error}: run `codebook-cli build` to rebuild it", EXIT_NO_DATA) from error


def _systems(value: str | None) -> list[str] | None:
    return [value] if value else None


def command_search(args: argparse.Namespace) -> int:
    if (args.query is None) == (args.batch is None):
        raise CliError("give either a QUERY or --batch FILE", EXIT_BAD_INPUT)
    index = _open_index(args)
    try:
        if args.batch is not None:
            return _search_batch(index, Path(args.batch), args)
        results = index.search(args.query, _systems(args.system), args.billable, args.limit)
        if args.json:
            print(
                json.dumps(
                    {
                        "query": args.query,
                        "elapsed_ms": round(results.elapsed_ms, 3),
                        "corrected_query": results.corrected_query,
                        "results": [hit.to_json() for hit in results.hits],
                    },
                    ensure_ascii=False,
                )
            )
            return 0
        if results.corrected_query:
            print(f"(no match for {args.query!r}; showing results for {results.corrected_query})")
        for hit in results.hits:
            mark = "billable" if hit.billable else ("modifier" if hit.kind == "modifier" else "header")
            why = hit.matched + (f": {hit.via}" if hit.via else "")
            print(f"{hit.display:10} {hit.system:9} {mark:8}  {hit.title}  [{why}]")
        print(f"{len(results.hits)} results in {results.elapsed_ms:.1f} ms")
        return 0
    finally:
        index.close()


def _search_batch(index: SearchIndex, batch: Path, args: argparse.Namespace) -> int:
    try:
        lines = batch.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"cannot read {batch}: {error}", EXIT_BAD_INPUT) from error
    requests = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            query = request["query"]
            if not isinstance(query, str):
                raise TypeError("query is not a string")
        except (ValueError, KeyError, TypeError) as error:
            raise CliError(
                f'{batch}, line {number}: not a JSON object with a string "query" ({error})', EXIT_BAD_INPUT
            ) from error
        system = request.get("system") or args.system
        if system is not None and system not in SYSTEM_CHOICES:
            raise CliError(f"{batch}, line {number}: unknown system {system!r}", EXIT_BAD_INPUT)
        requests.append((request.get("id"), query, system))
    for request_id, query, system in requests:
        results = index.search(query, _systems(system), args.billable, args.limit)
        record = {
            "id": request_id,
            "elapsed_ms": round(results.elapsed_ms, 3),
            "corrected_query": results.corrected_query,
            "results": [
                {
                    "system": h.system,
                    "code": h.code,
                    "display": h.display,
                    "title": h.title,
                    "billable": h.billable,
                    "matched": h.matched,
                }
                for h in results.hits
            ],
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def command_show(args: argparse.Namespace) -> int:
    database = _database(args)
    engine = open_read_only(database)
    try:
        with session_scope(engine) as session:
            matches = find_code(session, args.code, args.system)
            if not matches:
                raise CliError(f"no code {args.code!r}" + (f" in {args.system}" if args.system else ""), 1)
            detail = code_detail(session, matches[0].system, matches[0].code)
            assert detail is not None
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(detail.to_json(), indent=2, ensure_ascii=False))
    else:
        print(render_detail_text(detail))
        if len(matches) > 1:
            others = ", ".join(f"{m.display} ({m.system})" for m in matches[1:])
            print(f"\nThe same code also exists as: {others} (use --system)")
    return 0


def command_verify(args: argparse.Namespace) -> int:
    """Every built file against the build's manifest (sha256); 1 naming each damaged file."""
    from db.integrity import MANIFEST_FILE, verify

    folder = current_dir(_data_dir(args))
    if not folder.is_dir():
        raise CliError(f"no built data in {_data_dir(args)}: run `codebook-cli build` first", EXIT_NO_DATA)
    started = time.perf_counter()
    problems = verify(folder)
    seconds = round(time.perf_counter() - started, 3)
    if args.json:
        report = {"folder": str(folder), "ok": not problems, "problems": [p.to_json() for p in problems]}
        print(json.dumps({**report, "seconds": seconds}, indent=2, sort_keys=True))
    elif problems:
        for problem in problems:
            print(f"damaged: {folder / problem.path}: {problem.detail}")
        print(f"{len(problems)} problem(s) in {folder}: rebuild with `codebook-cli build`", file=sys.stderr)
    else:
        print(f"OK: every file in {folder} matches {MANIFEST_FILE} (sha256, {seconds:.2f} s)")
    return 1 if problems else 0


def render_detail_text(detail: CodeDetail) -> str:
    lines = [f"{detail.ref.display}  {detail.ref.title}", f"  {system_label(detail.ref.system)}, {detail.status}"]
    release = detail.release
    start = release.valid_from.isoformat() if release.valid_from else "-"
    end = release.valid_to.isoformat() if release.valid_to else "-"
    lines.append(f"  release: {release.name}, dates of service {start} to {end}")
    if detail.path:
        lines.append("  path: " + " > ".join(f"{p.display} {p.title}" for p in detail.path))
    if detail.children:
        lines.append(f"  children ({len(detail.children)}):")
        lines.extend(f"    {c.display}  {c.title}" for c in detail.children[:40])
    if detail.notes:
        lines.append("  notes:")
        for note in detail.notes:
            origin = f" (from {note.source.display})" if note.inherited else ""
            lines.append(f"    {note.kind.replace('_', ' ')}{origin}: {note.text}")
    if detail.seventh_characters:
        assert detail.seventh_source is not None
        lines.append(f"  7th characters (from {detail.seventh_source.display}):")
        lines.extend(
            f"    {s.character}  {s.meaning}" + (f"  -> {s.full_code}" if s.full_code else "")
            for s in detail.seventh_characters
        )
    if detail.pcs_characters:
        lines.append("  characters:")
        for c in detail.pcs_characters:
            lines.append(f"    {c.position} {c.character}  {c.axis_title}: {c.label}")
            if c.definition:
                lines.append(f"        {c.definition}")
    if detail.hcpcs_attributes:
        lines.append("  attributes: " + "; ".join(f"{k}={v}" for k, v in detail.hcpcs_attributes))
    if detail.index_terms:
        lines.append(f"  index terms ({len(detail.index_terms)}):")
        lines.extend(f"    {term}" for _source, term in detail.index_terms[:30])
    return "\n".join(lines)


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
    build_parser.add_argument("--no-index", action="store_true", help="skip the search index (database only)")
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
    search_parser = commands.add_parser("search", help="search codes the way the app does")
    _add_data_option(search_parser)
    search_parser.add_argument("query", nargs="?", metavar="QUERY")
    search_parser.add_argument("--system", choices=SYSTEM_CHOICES)
    search_parser.add_argument("--billable", action="store_true", help="billable codes only")
    search_parser.add_argument("--limit", type=int, default=20)
    search_parser.add_argument("--json", action="store_true")
    search_parser.add_argument("--batch", metavar="FILE", help='JSON lines {"id": ..., "query": ..., "system": ...}')
    search_parser.set_defaults(handler=command_search)

    show_parser = commands.add_parser("show", help="everything about one code")
    _add_data_option(show_parser)
    show_parser.add_argument("code", metavar="CODE")
    show_parser.add_argument("--system", choices=SYSTEM_CHOICES)
    show_parser.add_argument("--json", action="store_true")
    show_parser.set_defaults(handler=command_show)

    verify_parser = commands.add_parser("verify", help="check every built file against the build's checksums")
    _add_data_option(verify_parser)
    verify_parser.add_argument("--json", action="store_true")
    verify_parser.set_defaults(handler=command_verify)
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
