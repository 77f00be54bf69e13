"""CPT on the command line: `remove-cpt`, the CPT lines of `info` and `show`, and the per-file rows of `import`.

Nothing here prints a descriptor except `show`/`search`, which the user asks for: `info` and the import report
name files, kinds, rows and years only.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from db.cli_common import add_data_option
from db.cpt_detail import CptView
from db.paths import user_dir
from db.pfs import INDICATORS, PfsView
from db.user_data import USER_DATABASE_FILE


def command_remove_cpt(args: argparse.Namespace) -> int:
    from db.cpt_import import remove_cpt
    from db.paths import import_data_dir

    target = import_data_dir(args.data)
    progress = (lambda _line: None) if args.json else (lambda line: print(line, flush=True))
    report = remove_cpt(target, progress, user_dir() / USER_DATABASE_FILE)
    message = "No CPT data is loaded: nothing changed." if report is None else f"Removed every CPT file from {target}."
    if args.json:
        print(json.dumps({"data_dir": str(target), "changed": report is not None, "message": message}, indent=2))
    else:
        print(message)
    return 0


def add_cpt_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "remove-cpt", help="delete every imported CPT file and its codes (File → Remove CPT data in the app)"
    )
    add_data_option(parser)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=command_remove_cpt)


def add_column_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--code-column", type=int, metavar="N", help="CPT lists (CSV/XLSX): the code column, 1 = first")
    parser.add_argument("--description-column", type=int, metavar="N", help="CPT lists: the description column")


def file_rows(files: list[dict[str, Any]], facts: dict[str, Any]) -> None:
    """Add the rows each CPT file loaded (and what it was taken for) to the import report's file entries."""
    by_name = {(entry["release"], entry["file"]): entry for entry in facts.get("cpt_files", [])}
    for item in files:
        loaded = by_name.get((item.get("release"), item.get("name")))
        if loaded is not None and item.get("status") == "new":
            item["rows"] = loaded["rows"]
            item["content"] = loaded["content"]
            item["read_as"] = loaded["evidence"]


def info_lines(facts: dict[str, Any]) -> list[str]:
    lines = []
    for entry in facts.get("cpt_files", []):
        lines.append(
            f"  {entry['release']}: {entry['file']} ({entry['kind']}, {entry['content']}): {entry['rows']:,} rows"
        )
    missing = facts.get("article_cpt_numbers_not_in_cpt_file")
    if missing:
        shown = ", ".join(missing[:20]) + (
            f" and {len(missing) - 20} more (info --json lists all)" if len(missing) > 20 else ""
        )
        lines.append(f"  {len(missing)} CPT numbers named by articles are not in the CPT files: {shown}")
    return lines


def detail_lines(cpt: CptView | None, fee_schedule: tuple[PfsView, ...]) -> list[str]:
    lines: list[str] = []
    if cpt is not None:
        lines.append(f"  {cpt.category}" + ("; add-on code" if cpt.add_on else ""))
        lines.extend(f"  {text}" for text in cpt.list_columns)
        lines.append(f"  {cpt.copyright}")
    for view in fee_schedule:
        rvus = dict(view.rvus)
        label = f"modifier {view.modifier}" if view.modifier else "global"
        lines.append(f"  Medicare fee schedule ({view.release}, {label}): status {view.status_text}")
        lines.append(
            f"    RVUs work {_n(rvus['work_rvu'])}, PE non-facility {_n(rvus['nonfacility_pe_rvu'])}, PE facility "
            f"{_n(rvus['facility_pe_rvu'])}, MP {_n(rvus['mp_rvu'])}; total non-facility "
            f"{_n(rvus['nonfacility_total'])}, facility {_n(rvus['facility_total'])}"
        )
        labels = dict(INDICATORS)
        indicators = ", ".join(f"{labels[name]} {value}" for name, value in view.indicators)
        lines.append(
            f"    global days {view.global_text}; {indicators}; conversion factor {_n(view.conversion_factor)}"
        )
    return lines


def _n(value: float | None) -> str:
    return "NA" if value is None else f"{value:.2f}" if value < 10 or value != int(value) else f"{value:g}"
