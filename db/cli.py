"""`codebook-cli`: build, inspect, export, search and show codes from the command line."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from db.build import CmFiles, HcpcsFiles, PcsFiles, build
from db.cli_check import add_check_parser
from db.cli_common import EXIT_BAD_INPUT, SYSTEM_CHOICES, CliError, add_data_option, data_dir, database
from db.cli_cpt import add_cpt_parser, detail_lines, info_lines
from db.cli_import import add_import_parser, command_verify
from db.cli_policies import add_policies_parser, policies_json
from db.cli_releases import DateError, add_date_option, command_diff, command_history, parse_day
from db.cli_search import command_search
from db.edits import code_edits
from db.engine import open_read_only, session_scope
from db.imports import sources_with_imports
from db.in_force import in_force
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
from db.sources.errors import SourceFormatError


def command_build(args: argparse.Namespace) -> int:
    target = data_dir(args)
    # The bundled files plus every release imported into this data folder (a rebuild never drops them).
    sources = sources_with_imports(target)

    def given(value: str | None) -> Path | None:
        return Path(value).expanduser().resolve() if value is not None else None

    # A code-set file given here replaces the bundled releases of that code set (`import` adds releases).
    if args.icd10cm_tabular is not None:
        sources.icd10cm = [CmFiles(Path(args.icd10cm_tabular).expanduser().resolve(), origin="given")]
    if args.icd10pcs_tables is not None or args.icd10pcs_definitions is not None:
        bundled_pcs = sources.icd10pcs[-1]
        tables = given(args.icd10pcs_tables) or bundled_pcs.tables
        definitions = given(args.icd10pcs_definitions) or bundled_pcs.definitions
        sources.icd10pcs = [PcsFiles(tables, definitions, origin="given")]
    if args.hcpcs is not None:
        # The bundled NOC list belongs to the bundled release; a user's file brings its own.
        sources.hcpcs = [HcpcsFiles(Path(args.hcpcs).expanduser().resolve(), given(args.hcpcs_noc), origin="given")]
    elif args.hcpcs_noc is not None:
        sources.hcpcs = [HcpcsFiles(sources.hcpcs[-1].codes, given(args.hcpcs_noc))]
    for name in ("icd10cm_index", "icd10cm_eindex", "icd10cm_neoplasm", "icd10cm_drug", "icd10pcs_index"):
        index_file = given(getattr(args, name))
        if index_file is not None:
            setattr(sources, name, index_file)
    code_set_files = (args.icd10cm_tabular, args.icd10pcs_tables, args.hcpcs)
    if any(value is not None for value in code_set_files):
        # Another release may have deleted codes that the curated lay terms or articles name: leave those
        # links out (the build counts them) rather than refuse to load the user's official files.
        sources.strict_links = False
    started = time.perf_counter()
    print(f"Building Codebook data into {target}", flush=True)
    report = build(target, sources, progress=lambda line: print(line, flush=True), with_index=not args.no_index)
    print(f"Done in {time.perf_counter() - started:.1f} s")
    for key, value in sorted(report.counts.items()):
        print(f"  {key}: {value:,}")
    return 0


def command_info(args: argparse.Namespace) -> int:
    engine = open_read_only(database(args))
    with session_scope(engine) as session:
        release_views = releases(session)
        counts = counts_by_system(session)
        facts = build_facts(session)
    engine.dispose()
    if args.json:
        info = {
            "data_dir": str(data_dir(args)),
            "releases": [release.to_json() for release in release_views],
            "counts": counts,
            "build": facts,
        }
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    print(f"Data: {data_dir(args)}")
    for release in release_views:
        start = release.valid_from.isoformat() if release.valid_from else "-"
        end = release.valid_to.isoformat() if release.valid_to else "-"
        print(f"  {release.name}: dates of service {start} to {end}")
    for system, system_counts in sorted(counts.items()):
        print(f"  {system}: " + ", ".join(f"{key} {value:,}" for key, value in sorted(system_counts.items())))
    print("\n".join(info_lines(facts)))
    return 0


def command_export(args: argparse.Namespace) -> int:
    engine = open_read_only(database(args))
    out = sys.stdout
    with session_scope(engine) as session:
        answer = in_force(session, args.system, parse_day(args.date))
        if answer is None:
            raise CliError(f"no {system_label(args.system)} release is loaded", 1)
        if answer.notice():
            print(f"codebook-cli: {answer.notice()}", file=sys.stderr)
        rows = export_rows(session, answer, args.billable)
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
                if args.system in ("hcpcs", "cpt"):
                    record["kind"] = row.kind
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(out, lineterminator="\n")
            header = ["system", "code", "display", "title", "billable", "release"]
            if args.system in ("hcpcs", "cpt"):
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
                if args.system in ("hcpcs", "cpt"):
                    values.append(row.kind)
                writer.writerow(values)
    engine.dispose()
    return 0


def command_show(args: argparse.Namespace) -> int:
    engine = open_read_only(database(args))
    try:
        with session_scope(engine) as session:
            matches = find_code(session, args.code, args.system)
            if not matches:
                raise CliError(f"no code {args.code!r}" + (f" in {args.system}" if args.system else ""), 1)
            detail = code_detail(session, matches[0].system, matches[0].code, parse_day(args.date))
            assert detail is not None
    finally:
        engine.dispose()
    if args.json:
        payload = detail.to_json()
        # Medicare coverage documents for the code (null when no coverage data is loaded): db/cli_policies.py
        payload["policies"] = policies_json(data_dir(args), detail.ref.system, detail.ref.code, parse_day(args.date))
        # NCCI PTP edits and MUE values of a procedure code (null when not loaded or for ICD-10): db/edits.py
        edits = code_edits(data_dir(args), detail.ref.code, parse_day(args.date)) if detail.ref.system in (
            "hcpcs", "cpt") else None  # fmt: skip
        payload["edits"] = edits.to_json() if edits is not None else None
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print(render_detail_text(detail))
        if len(matches) > 1:
            others = ", ".join(f"{m.display} ({m.system})" for m in matches[1:])
            print(f"\nThe same code also exists as: {others} (use --system)")
    return 0


def render_detail_text(detail: CodeDetail) -> str:
    lines = [f"{detail.ref.display}  {detail.ref.title}", f"  {system_label(detail.ref.system)}, {detail.status}"]
    release = detail.release
    start = release.valid_from.isoformat() if release.valid_from else "-"
    end = release.valid_to.isoformat() if release.valid_to else "-"
    lines.append(f"  release: {release.name}, dates of service {start} to {end}")
    lines.append(f"  {detail.validity}" + (f"; {detail.history_line}" if detail.history_line else ""))
    lines.extend(detail_lines(detail.cpt, detail.fee_schedule))
    if detail.notice:
        lines.append(f"  NOTE: {detail.notice}")
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
    add_data_option(build_parser)
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
    add_data_option(info_parser)
    info_parser.add_argument("--json", action="store_true")
    info_parser.set_defaults(handler=command_info)

    export_parser = commands.add_parser("export", help="every code of a code set as CSV or JSON lines")
    add_data_option(export_parser)
    export_parser.add_argument("--system", required=True, choices=SYSTEM_CHOICES)
    export_parser.add_argument("--billable", action="store_true", help="billable codes only")
    export_parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    add_date_option(export_parser)
    export_parser.set_defaults(handler=command_export)
    search_parser = commands.add_parser("search", help="search codes the way the app does")
    add_data_option(search_parser)
    search_parser.add_argument("query", nargs="?", metavar="QUERY")
    search_parser.add_argument("--system", choices=SYSTEM_CHOICES)
    search_parser.add_argument("--billable", action="store_true", help="billable codes only")
    search_parser.add_argument("--limit", type=int, default=20)
    search_parser.add_argument("--json", action="store_true")
    add_date_option(search_parser)
    search_parser.add_argument("--batch", metavar="FILE", help='JSON lines {"id": ..., "query": ..., "system": ...}')
    search_parser.set_defaults(handler=command_search)

    show_parser = commands.add_parser("show", help="everything about one code")
    add_data_option(show_parser)
    show_parser.add_argument("code", metavar="CODE")
    show_parser.add_argument("--system", choices=SYSTEM_CHOICES)
    show_parser.add_argument("--json", action="store_true")
    add_date_option(show_parser)
    show_parser.set_defaults(handler=command_show)

    history_parser = commands.add_parser("history", help="a code in every loaded release: added, reworded, deleted")
    add_data_option(history_parser)
    history_parser.add_argument("code", metavar="CODE")
    history_parser.add_argument("--system", choices=SYSTEM_CHOICES)
    history_parser.add_argument("--json", action="store_true")
    history_parser.set_defaults(handler=command_history)

    diff_parser = commands.add_parser("diff", help="every code that differs between the releases in force on two dates")
    add_data_option(diff_parser)
    diff_parser.add_argument("--system", required=True, choices=("icd10cm", "icd10pcs", "hcpcs"))
    diff_parser.add_argument("--from", dest="from_date", required=True, metavar="YYYY-MM-DD")
    diff_parser.add_argument("--to", dest="to_date", required=True, metavar="YYYY-MM-DD")
    diff_parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    diff_parser.set_defaults(handler=command_diff)
    add_import_parser(commands)
    add_check_parser(commands)
    add_policies_parser(commands)
    add_cpt_parser(commands)

    verify_parser = commands.add_parser("verify", help="check every built file against the build's checksums")
    add_data_option(verify_parser)
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
    except DateError as error:
        print(f"codebook-cli: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
