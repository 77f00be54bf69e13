"""`codebook-cli search`: the app's search, answering for a date of service (one query, or a batch)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from db.cli_common import EXIT_BAD_INPUT, EXIT_NO_DATA, SYSTEM_CHOICES, CliError, database
from db.cli_releases import parse_day
from db.engine import open_read_only, session_scope
from db.in_force import RowsInForce, in_force_all, rows_in_force, valid_codes
from db.layout import INDEX_DIR
from db.search_index import SearchIndex


def _open_index(args: argparse.Namespace) -> SearchIndex:
    try:
        return SearchIndex.open(database(args).parent / INDEX_DIR)
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
        day = parse_day(args.date)
        allowed = _rows_in_force(args, day)
        results = index.search(args.query, _systems(args.system), args.billable, args.limit, allowed_rows=allowed)
        valid = _valid_on_date(args, day, [(hit.system, hit.code) for hit in results.hits])
        if args.json:
            print(
                json.dumps(
                    {
                        "query": args.query,
                        "elapsed_ms": round(results.elapsed_ms, 3),
                        "corrected_query": results.corrected_query,
                        "date": day.isoformat(),
                        "results": [
                            {**hit.to_json(), "valid_on_date": (hit.system, hit.code) in valid} for hit in results.hits
                        ],
                    },
                    ensure_ascii=False,
                )
            )
            return 0
        if results.corrected_query:
            print(f"(no match for {args.query!r}; showing results for {results.corrected_query})")
        pairs = [(hit.system, hit.code) for hit in results.hits]
        in_answer, notices = _answering(args, day, pairs)
        for notice in notices:
            print(f"({notice})")
        for hit in results.hits:
            mark = "billable" if hit.billable else ("modifier" if hit.kind == "modifier" else "header")
            why = hit.matched + (f": {hit.via}" if hit.via else "")
            flag = "" if (hit.system, hit.code) in in_answer else f"  (not valid on {day.isoformat()})"
            print(f"{hit.display:10} {hit.system:9} {mark:8}  {hit.title}  [{why}]{flag}")
        print(f"{len(results.hits)} results in {results.elapsed_ms:.1f} ms")
        return 0
    finally:
        index.close()


def _rows_in_force(args: argparse.Namespace, day: dt.date) -> RowsInForce:
    """Word hits are codes in force on the date (or, when no release covers it, in the newest release)."""
    engine = open_read_only(database(args))
    try:
        with session_scope(engine) as session:
            return rows_in_force(session, in_force_all(session, day))
    finally:
        engine.dispose()


def _answering(
    args: argparse.Namespace, day: dt.date, pairs: list[tuple[str, str]]
) -> tuple[set[tuple[str, str]], list[str]]:
    """The codes in the release answering for the day, and one notice per code set no release covers then."""
    engine = open_read_only(database(args))
    try:
        with session_scope(engine) as session:
            answers = in_force_all(session, day)
            systems = {system for system, _code in pairs}
            notices = [a.notice() or "" for s, a in sorted(answers.items()) if s in systems and not a.covered]
            return valid_codes(session, answers, pairs, require_covered=False), notices
    finally:
        engine.dispose()


def _valid_on_date(args: argparse.Namespace, day: dt.date, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    engine = open_read_only(database(args))
    try:
        with session_scope(engine) as session:
            return valid_codes(session, in_force_all(session, day), pairs)
    finally:
        engine.dispose()


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
    day = parse_day(args.date)
    allowed = _rows_in_force(args, day)
    for request_id, query, system in requests:
        results = index.search(query, _systems(system), args.billable, args.limit, allowed_rows=allowed)
        valid = _valid_on_date(args, day, [(hit.system, hit.code) for hit in results.hits])
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
                    "valid_on_date": (h.system, h.code) in valid,
                }
                for h in results.hits
            ],
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0
