"""`codebook`: the composition root. Finds or builds the data, opens the window, logs errors, runs --self-test."""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

START = time.perf_counter()


def _process_age_ms() -> float:
    """Milliseconds since this process started (Linux: from /proc; elsewhere from module import)."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return (uptime - start_ticks / ticks) * 1000
    except (OSError, ValueError, IndexError, AttributeError):
        return (time.perf_counter() - START) * 1000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="codebook", description="Codebook: offline US medical code reference")
    parser.add_argument(
        "--data", metavar="DIR", help="folder of built data (default: $CODEBOOK_DATA_DIR or the bundled data)"
    )
    parser.add_argument(
        "--self-test", action="store_true", help="open the window offscreen, search, open a detail, exit"
    )
    parser.add_argument("--self-test-query", default="copd exac", help=argparse.SUPPRESS)
    parser.add_argument("--theme", choices=("system", "light", "dark"), default="system")
    parser.add_argument("--screenshot", metavar="PNG", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def setup_logging() -> Path:
    from db.paths import user_dir

    folder = user_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(folder / "codebook.log", maxBytes=1_000_000, backupCount=3)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return folder / "codebook.log"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        log_file = setup_logging()
    except OSError as error:
        print(f"codebook: cannot write logs: {error}", file=sys.stderr)
        log_file = None
    from desktop.runner import run

    return run(args, log_file, _process_age_ms)


def install_excepthook(show: object) -> None:
    """Unexpected errors go to the log and a plain message, never a traceback on screen."""

    def hook(kind: type[BaseException], value: BaseException, trace: TracebackType | None) -> None:
        logging.getLogger("codebook").error("unexpected error", exc_info=(kind, value, trace))
        if callable(show):
            show(f"Something went wrong: {value}. Details were written to the log file.")

    sys.excepthook = hook
    threading.excepthook = lambda info: hook(info.exc_type, info.exc_value or Exception(), info.exc_traceback)


def print_json(values: dict[str, object]) -> None:
    print(json.dumps(values), flush=True)


if __name__ == "__main__":
    sys.exit(main())
