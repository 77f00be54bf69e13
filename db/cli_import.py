"""The data folder's own commands: `import PATH...` (official files from disk, as downloaded) and `verify`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, cast

from db.cli_common import EXIT_BAD_INPUT, EXIT_NO_DATA, CliError, add_data_option, data_dir
from db.cli_cpt import add_column_options, file_rows
from db.cpt_import import Columns
from db.engine import open_read_only, session_scope
from db.importer import ImportPlan, plan_import, run_import
from db.imports import Imports
from db.in_force import ReleaseRef, code_set_releases
from db.layout import DATABASE_FILE, current_dir
from db.paths import bundled_data_dir, import_data_dir, is_frozen
from db.sources.detect import scan


def loaded_releases(target: Path) -> list[ReleaseRef]:
    """The code-set releases the target's data holds now (or, before its first build, the bundled ones)."""
    candidates = [target] + ([bundled_data_dir()] if is_frozen() else [])
    for folder in candidates:
        database = current_dir(folder) / DATABASE_FILE
        if database.is_file():
            engine = open_read_only(database)
            try:
                with session_scope(engine) as session:
                    return code_set_releases(session)
            finally:
                engine.dispose()
    from db.build import BuildSources

    bundled = BuildSources.bundled()
    files = [cm.tabular for cm in bundled.icd10cm] + [p.tables for p in bundled.icd10pcs]
    files += [h.codes for h in bundled.hcpcs]
    found = scan(files).found
    return [ReleaseRef(0, f.release.system, 0, f.release.name, f.release.valid_from, f.release.valid_to) for f in found]


def plan_lines(plan: ImportPlan) -> list[str]:
    lines = []
    for report in plan.reports:
        found, release = report.found, report.found.release
        dates = f"{release.valid_from or '?'} to {release.valid_to or '?'}"
        lines.append(f"  {report.status:15} {found.kind:24} {release.name} (dates of service {dates})")
        lines.append(f"  {'':15} {found.location}")
        lines.append(f"  {'':15} sha256 {found.sha256}" + (f"; {found.official}" if found.official else ""))
        if report.why:
            lines.append(f"  {'':15} {report.why}")
    for unknown in plan.unrecognised:
        lines.append(f"  {'not read':15} {unknown.location}: {unknown.reason}")
    return lines


def command_import(args: argparse.Namespace) -> int:
    target = import_data_dir(args.data)
    paths = [Path(p).expanduser() for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CliError(f"no such file or folder: {', '.join(missing)}", EXIT_BAD_INPUT)
    plan = plan_import(paths, loaded_releases(target), Imports.load(target), target)
    plan.cpt_columns = Columns(args.code_column, args.description_column)
    quiet = args.json
    if not quiet:
        print(f"Found in {', '.join(map(str, paths))}:")
        print("\n".join(plan_lines(plan)))
    result: dict[str, object] = {
        "data_dir": str(target),
        "files": [report.to_json() for report in plan.reports],
        "unrecognised": [{"location": u.location, "reason": u.reason} for u in plan.unrecognised],
        "refused": plan.refusals,
        "imported": [],
        "changed": False,
    }
    if plan.refusals:
        return _finish(args, result, "Nothing was imported: " + "; ".join(plan.refusals), EXIT_BAD_INPUT)
    if not plan.has_new:
        what = "every code file found is already loaded" if plan.reports else "no official code file was found"
        return _finish(args, result, f"Nothing changed: {what}.", 0 if plan.reports else EXIT_BAD_INPUT)
    started = time.perf_counter()
    report = run_import(plan, target, progress=(lambda _line: None) if quiet else lambda line: print(line, flush=True))
    counts = {entry["release"]: entry for entry in report.facts.get("release_counts", [])}
    imported = [draft.release.name for draft in plan.drafts] + sorted(plan.store_files)
    rows: dict[str, object] = {draft.release.name: counts.get(draft.release.name, {}) for draft in plan.drafts}
    for name in plan.store_files:
        rows[name] = {k.split(".", 1)[1]: v for k, v in report.counts.items() if k.startswith(f"{name}.")}
    file_rows(cast("list[dict[str, Any]]", result["files"]), report.facts)
    not_in_cpt = report.facts.get("article_cpt_numbers_not_in_cpt_file")
    if not_in_cpt:
        result["article_cpt_numbers_not_in_cpt_file"] = not_in_cpt
        if not quiet:
            print(f"CPT numbers articles name but the CPT files lack (wrong or retired?): {', '.join(not_in_cpt)}")
    result.update(
        imported=imported,
        changed=True,
        rows=rows,
        seconds=round(time.perf_counter() - started, 1),
    )
    return _finish(args, result, f"Imported {', '.join(imported)} into {target} in {result['seconds']} s.", 0)


def _finish(args: argparse.Namespace, result: dict[str, object], message: str, code: int) -> int:
    result["message"] = message
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(message, file=sys.stderr if code else sys.stdout)
    return code


def add_import_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "import", help="load official CMS/CDC files as downloaded (zips, folders or files) as new releases"
    )
    add_data_option(parser)
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--json", action="store_true")
    add_column_options(parser)
    parser.set_defaults(handler=command_import)


def command_verify(args: argparse.Namespace) -> int:
    """Every built file against the build's manifest (sha256); 1 naming each damaged file."""
    from db.integrity import MANIFEST_FILE, verify

    folder = current_dir(data_dir(args))
    if not folder.is_dir():
        raise CliError(f"no built data in {data_dir(args)}: run `codebook-cli build` first", EXIT_NO_DATA)
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
