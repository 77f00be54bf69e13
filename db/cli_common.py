"""What every `codebook-cli` command shares: errors with exit codes, the data folder, the --data option."""

from __future__ import annotations

import argparse
from pathlib import Path

from db.layout import DATABASE_FILE, current_dir
from db.paths import DATA_DIR_ENV, default_data_dir

EXIT_BAD_INPUT = 2
EXIT_NO_DATA = 3
SYSTEM_CHOICES = ("icd10cm", "icd10pcs", "hcpcs", "cpt")


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data).expanduser().resolve() if args.data else default_data_dir()


def database(args: argparse.Namespace) -> Path:
    database = current_dir(data_dir(args)) / DATABASE_FILE
    if not database.is_file():
        raise CliError(
            f"no built data in {data_dir(args)}: run `codebook-cli build` first "
            f"(or pass --data DIR / set {DATA_DIR_ENV})",
            EXIT_NO_DATA,
        )
    return database


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        help=f"folder where built data is read and written (default: ${DATA_DIR_ENV}, else {default_data_dir()})",
    )
