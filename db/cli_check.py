"""`codebook-cli check`: the claim check of a claim's codes for a date of service, as text or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from db.cli_common import EXIT_BAD_INPUT, CliError, add_data_option, data_dir, database
from db.cli_releases import add_date_option, parse_day
from db.engine import open_read_only, session_scope
from db.ncci_store import open_store
from db.rules.check import SETTINGS, check_claim


def add_check_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check",
        help="check a claim's codes for a date of service (validity, tabular notes, NCCI edits, MUEs, modifiers)",
    )
    add_data_option(parser)
    add_date_option(parser)
    parser.add_argument("codes", nargs="*", metavar="CODES", help='the claim, as written: "E11.65, I10; 99214-25"')
    parser.add_argument("--file", metavar="FILE", help="a text file with one claim per line")
    parser.add_argument("--setting", choices=SETTINGS, default="practitioner", help="which NCCI/MUE tables apply")
    parser.add_argument("--json", action="store_true", help="JSON (with --file: one JSON object per line)")
    parser.set_defaults(handler=command_check)


def _claims(args: argparse.Namespace) -> list[str]:
    if args.file and args.codes:
        raise CliError("give the claim as CODES or with --file, not both", EXIT_BAD_INPUT)
    if args.file:
        path = Path(args.file)
        try:
            text = path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as error:
            raise CliError(f"cannot read {path}: {error.strerror or error}", EXIT_BAD_INPUT) from None
        return [line for line in text.splitlines() if line.strip()]
    if not args.codes:
        raise CliError('no codes: codebook-cli check --date 2026-05-01 "E11.65, I10; 99214-25"', EXIT_BAD_INPUT)
    return [" ".join(args.codes)]


def command_check(args: argparse.Namespace) -> int:
    """Exit 0 whenever the check ran, whatever it found (findings are the answer, not a failure)."""
    day = parse_day(args.date)
    claims = _claims(args)
    engine = open_read_only(database(args))
    store = open_store(data_dir(args))
    try:
        with session_scope(engine) as session:
            results = [check_claim(session, claim, day, store, args.setting, data_dir(args)) for claim in claims]
    finally:
        engine.dispose()
    if args.json and not args.file:
        print(json.dumps(results[0].to_json(), indent=2, ensure_ascii=False))
    elif args.json:
        for result in results:
            sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("\n".join(result.to_text() for result in results))
    return 0
