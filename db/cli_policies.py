"""`codebook-cli policies CODE [--state XX] [--json]`: the Medicare coverage documents for a code, and the
`policies` part of `show CODE --json`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from db.cli_common import EXIT_BAD_INPUT, EXIT_NO_DATA, SYSTEM_CHOICES, CliError, add_data_option, data_dir
from db.cli_releases import add_date_option, parse_day
from db.coverage import Policies, Policy, policies_for_code
from db.coverage_store import store_path
from db.layout import DATABASE_FILE, current_dir

_STATE = re.compile(r"[A-Za-z]{2}")
_ICD10CM = re.compile(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?")
_PROCEDURE = re.compile(r"[A-Z0-9]{5}")


def _system_of(folder: Path, code: str, given: str | None) -> str:
    """The code's system: given, else as the code database knows it, else by its shape."""
    if given:
        return given
    database = current_dir(folder) / DATABASE_FILE
    if database.is_file():
        from db.engine import open_read_only, session_scope
        from db.queries import find_code

        engine = open_read_only(database)
        try:
            with session_scope(engine) as session:
                matches = [m.system for m in find_code(session, code) if m.system in ("hcpcs", "cpt", "icd10cm")]
        finally:
            engine.dispose()
        if matches:
            return matches[0]
    compact = code.strip().upper()
    if "." not in compact and _PROCEDURE.fullmatch(compact):
        return "hcpcs"
    if _ICD10CM.fullmatch(compact):
        return "icd10cm"
    raise CliError(f"{code!r} is neither an HCPCS/CPT nor an ICD-10-CM code (give --system)", EXIT_BAD_INPUT)


def policies_json(folder: Path, system: str, code: str, day: dt.date) -> list[dict[str, Any]] | None:
    """The policies of `show --json`: None when no coverage data is loaded."""
    answer = policies_for_code(folder, system, code, day=day)
    return None if answer is None else answer.to_json()["policies"]


def command_policies(args: argparse.Namespace) -> int:
    folder = data_dir(args)
    if args.state is not None and not _STATE.fullmatch(args.state):
        raise CliError(f"--state {args.state!r} is not a two-letter state (e.g. NY)", EXIT_BAD_INPUT)
    if not store_path(folder).is_file():
        raise CliError(
            f"no Medicare coverage data in {folder}: import the CMS Medicare Coverage Database downloads "
            "(current_article.zip, current_lcd.zip, ncd.zip) with `codebook-cli import`",
            EXIT_NO_DATA,
        )
    system = _system_of(folder, args.code, args.system)
    answer = policies_for_code(folder, system, args.code.strip().upper(), args.state, parse_day(args.date))
    assert answer is not None
    if args.json:
        print(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
    else:
        print(render_policies_text(answer))
    return 0


def _dates(policy: Policy) -> str:
    start = policy.effective_from.isoformat() if policy.effective_from else "?"
    return f"effective {start}" + (f" to {policy.effective_to.isoformat()}" if policy.effective_to else "")


def render_policies_text(answer: Policies) -> str:
    where = f" in {answer.state}" if answer.state else ""
    dates = ", ".join(f"{name} as of {day.isoformat()}" for name, day in sorted(answer.as_of.items()))
    lines = [f"Medicare policies for {answer.code} ({answer.system}){where}: {len(answer.policies)}"]
    if dates:
        lines.append(f"  Medicare Coverage Database: {dates}")
    for policy in answer.policies:
        lines.append(f"{policy.kind.upper():7} {policy.id}  {policy.title}  ({_dates(policy)})")
        if policy.contractors:
            lines.append("        contractors: " + "; ".join(policy.contractors))
        if policy.states:
            lines.append("        states: " + ", ".join(policy.states))
        if policy.listed_as:
            lines.append(f"        lists {answer.code} as {policy.listed_as} for: " + ", ".join(policy.procedures))
        for label, groups in (("covered", policy.covered), ("not covered", policy.noncovered)):
            for group in groups:
                shown = ", ".join(group.codes[:30]) + (f" and {len(group.codes) - 30:,} more" * (len(group.codes) > 30))
                lines.append(f"        {label}, group {group.number}: {shown}")
    return "\n".join(lines)


def add_policies_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("policies", help="Medicare coverage (articles, LCDs, NCDs) for a code")
    add_data_option(parser)
    parser.add_argument("code", metavar="CODE")
    parser.add_argument("--system", choices=SYSTEM_CHOICES)
    parser.add_argument("--state", metavar="XX", help="only what applies in this state (two letters)")
    parser.add_argument("--json", action="store_true")
    add_date_option(parser)
    parser.set_defaults(handler=command_policies)
