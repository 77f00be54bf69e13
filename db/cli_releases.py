"""`codebook-cli` commands about releases: the --date option, `history` and `diff`."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys

from db.cli_common import database
from db.engine import open_read_only, session_scope
from db.history import code_history, diff_releases
from db.in_force import in_force
from db.queries import find_code, system_label


class DateError(ValueError):
    """A --date value that is not a date."""


def parse_day(text: str | None) -> dt.date:
    """YYYY-MM-DD (default: today)."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DateError(f"--date {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-15") from None


def add_date_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="date of service to answer for (default: today)")


def command_history(args: argparse.Namespace) -> int:
    engine = open_read_only(database(args))
    try:
        with session_scope(engine) as session:
            matches = find_code(session, args.code, args.system)
            if not matches:
                print(f"codebook-cli: no code {args.code!r} in any loaded release", file=sys.stderr)
                return 1
            match = matches[0]
            steps = code_history(session, match.system, match.code)
    finally:
        engine.dispose()
    if args.json:
        print(
            json.dumps(
                {
                    "code": match.code,
                    "display": match.display,
                    "system": match.system,
                    "history": [step.to_json() for step in steps],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    print(f"{match.display}  ({system_label(match.system)})")
    for step in steps:
        dates = step.release.dates_text()
        if not step.present:
            what = "deleted" if step.change == "deleted" else "not in this release"
            print(f"  {step.release.name} ({dates}): {what}")
            continue
        mark = "billable" if step.billable else "header"
        change = f" [{step.change.replace('_', ' ')}]" if step.change else ""
        print(f"  {step.release.name} ({dates}): {mark}{change}  {step.title}")
    return 0


def command_diff(args: argparse.Namespace) -> int:
    start, end = parse_day(args.from_date), parse_day(args.to_date)
    engine = open_read_only(database(args))
    try:
        with session_scope(engine) as session:
            answers = [in_force(session, args.system, day) for day in (start, end)]
            for day, answer in zip((start, end), answers, strict=True):
                if answer is None or not answer.covered:
                    print(
                        f"codebook-cli: no loaded {system_label(args.system)} release covers {day.isoformat()}"
                        " (see `codebook-cli info` for the loaded releases and their dates)",
                        file=sys.stderr,
                    )
                    return 1
            old, new = answers[0], answers[1]
            assert old is not None and new is not None
            rows = diff_releases(session, args.system, old.release.seq, new.release.seq)
    finally:
        engine.dispose()
    print(f"# {old.release.name} -> {new.release.name}: {len(rows)} codes differ", file=sys.stderr)
    fields = ["code", "display", "change", "old_title", "new_title"]
    if args.format == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: value if value is not None else "" for key, value in row.to_json().items()})
    return 0
