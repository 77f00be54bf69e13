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
    dated = _Dated(args, parse_day(args.date))
    day = dated.day
    try:
        if args.batch is not None:
            return _search_batch(index, Path(args.batch), args, dated)
        results = index.search(args.query, _systems(args.system), args.billable, args.limit, allowed_rows=dated.allowed)
        pairs = [(hit.system, hit.code) for hit in results.hits]
        valid, in_answer = dated.validity(pairs)
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
        for notice in dated.notices(pairs):
            print(f"({notice})")
        for hit in results.hits:
            mark = "billable" if hit.billable else ("modifier" if hit.kind == "modifier" else "header")
            why = hit.matched + (f": {hit.via}" if hit.via else "")
            flag = "" if (hit.system, hit.code) in in_answer else f"  (not valid on {day.isoformat()})"
            print(f"{hit.display:10} {hit.system:9} {mark:8}  {hit.title}  [{why}]{flag}")
        print(f"{len(results.hits)} results in {results.elapsed_ms:.1f} ms")
        return 0
    finally:
        dated.close()
        index.close()


class _Dated:
    """The date of service a search answers for, read once per command (a batch asks it for every query)."""

    def __init__(self, args: argparse.Namespace, day: dt.date) -> None:
        self.day = day
        self._engine = open_read_only(database(args))
        with session_scope(self._engine) as session:
            self.answers = in_force_all(session, day)
            #: Word hits are codes in force on the date (or, when no release covers it, in the newest release).
            self.allowed: RowsInForce = rows_in_force(session, self.answers)

    def close(self) -> None:
        self._engine.dispose()

    def validity(self, pairs: list[tuple[str, str]]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """(valid on the date: in the answering release and that release covers the date; in the answering
        release at all)."""
        with session_scope(self._engine) as session:
            in_answer = valid_codes(session, self.answers, pairs, require_covered=False)
        covered = {system for system, answer in self.answers.items() if answer.covered}
        return {pair for pair in in_answer if pair[0] in covered}, in_answer

    def notices(self, pairs: list[tuple[str, str]]) -> list[str]:
        """One per code set of these hits that no loaded release covers on the date."""
        systems = {system for system, _code in pairs}
        return [a.notice() or "" for s, a in sorted(self.answers.items()) if s in systems and not a.covered]


def _search_batch(index: SearchIndex, batch: Path, args: argparse.Namespace, dated: _Dated) -> int:
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
        results = index.search(query, _systems(system), args.billable, args.limit, allowed_rows=dated.allowed)
        valid, _in_answer = dated.validity([(hit.system, hit.code) for hit in results.hits])
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
