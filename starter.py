"""The `kinerja` command: every user action from the command line.

Each sub-command lives in a module of `cli/`; this file only builds the parser and turns failures into one clear
line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeGuard

from pydantic import ValidationError

from cli.output import CommandError, fail
from domain.errors import DomainError
from importing.errors import ValidationFailed
from settings import InvalidSettings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.exc import OperationalError

# The cli module of each command. A command imports only its own module (each pulls in its services, SQLAlchemy or
# Temporal's SDK: about a second), so that `kinerja saya` or `kinerja skp ajukan`, which only call the API, start in a
# fraction of that; `kinerja` alone, `--help` or an unknown command loads them all, in this order, for the full list.
# tests/cli/test_commands.py checks that this map and the modules agree.
MODULES = (
    "offline",
    "data",
    "cycle",
    "session",
    "steps",
    "worklist",
    "worklist_sync",
    "bulk",
    "notifications",
    "stack",
    "web",
    "accounts",
    "integrity",
    "demo",
)
COMMANDS = {
    **dict.fromkeys(("calibration", "ikm", "kalibrasi", "nip", "validasi", "validate"), "offline"),
    **dict.fromkeys(("db", "impor", "import", "kebijakan", "policy"), "data"),
    **dict.fromkeys(("cycle", "siklus"), "cycle"),
    **dict.fromkeys(("keluar", "login", "logout", "masuk", "saya", "whoami"), "session"),
    **dict.fromkeys(
        (
            *("alihkan", "hasil-kalibrasi", "keberatan", "penilaian", "perpanjang"),
            *("realisasi", "skp", "tarik", "terima", "tetapkan"),
        ),
        "steps",
    ),
    **dict.fromkeys(("overdue", "riwayat", "status", "tasks", "terlambat", "tugas"), "worklist"),
    "sinkron-worklist": "worklist_sync",
    "massal": "bulk",
    "notifikasi": "notifications",
    "up": "stack",
    "web": "web",
    **dict.fromkeys(("akun", "peran"), "accounts"),
    **dict.fromkeys(("audit", "periksa"), "integrity"),
    "demo": "demo",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of `command` alone when it is known, else of every command."""
    parser = argparse.ArgumentParser(
        prog="kinerja",
        description="Kinerja: penilaian kinerja ASN (PermenPANRB 6/2022) di atas Temporal.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")
    for name in (COMMANDS[command],) if command in COMMANDS else MODULES:
        importlib.import_module(f"cli.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(next((word for word in arguments if not word.startswith("-")), None))
    args = parser.parse_args(arguments)
    try:
        result: int = args.handler(args)
    except ValidationFailed as error:  # a bad file: every problem, each with its line
        status = fail(error.message)
        for line in error.lines()[1:]:
            print(f"  {line}", file=sys.stderr)
        return status
    except (DomainError, CommandError) as error:
        return fail(str(error))
    except InvalidSettings as error:
        return fail("; ".join(error.problems))
    except ValidationError as error:
        return fail("; ".join(_validation_lines(error)))
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        return fail(f"{error.strerror}: {error.filename}")
    except BrokenPipeError:  # `kinerja ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if _database_unusable(error):
            return fail(f"basis data tidak dapat dipakai ({_shown_url()}): {error.orig or error}".splitlines()[0])
        raise
    return result


def _database_unusable(error: Exception) -> TypeGuard[OperationalError]:
    # Only a command that opened the database imported SQLAlchemy; any other cannot have failed on it.
    exceptions = sys.modules.get("sqlalchemy.exc")
    return exceptions is not None and isinstance(error, exceptions.OperationalError)


def _shown_url() -> str:
    from sqlalchemy.engine import make_url

    from persistence.db import resolve_url

    return make_url(resolve_url(load_settings().database_url)).render_as_string(hide_password=True)


def _validation_lines(error: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in item['loc']) or 'data'}: {item['msg']}" for item in error.errors()]


def entry() -> None:
    """The `kinerja` script. The process ends without interpreter finalization, once its output is flushed: a
    Temporal client's Rust threads can otherwise abort it at exit ("PyGILState_Release", temporalio/sdk-python#300).
    Nothing of Kinerja's runs at exit; databases commit inside their unit of work."""
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
