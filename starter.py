"""The `kinerja` command: every user action from the command line.

Each sub-command lives in a module of `cli/`; this file only builds the parser and turns failures into one clear
line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from cli import (
    accounts,
    bulk,
    cycle,
    data,
    demo,
    integrity,
    notifications,
    offline,
    session,
    stack,
    steps,
    web,
    worklist,
    worklist_sync,
)
from cli.output import CommandError, fail
from domain.errors import DomainError
from importing.errors import ValidationFailed
from persistence.db import resolve_url
from settings import InvalidSettings, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kinerja",
        description="Kinerja: penilaian kinerja ASN (PermenPANRB 6/2022) di atas Temporal.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")
    offline.register(commands)
    data.register(commands)
    cycle.register(commands)
    session.register(commands)
    steps.register(commands)
    worklist.register(commands)
    worklist_sync.register(commands)
    bulk.register(commands)
    notifications.register(commands)
    stack.register(commands)
    web.register(commands)
    accounts.register(commands)
    integrity.register(commands)
    demo.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
    except OperationalError as error:
        return fail(f"basis data tidak dapat dipakai ({_shown_url()}): {error.orig or error}".splitlines()[0])
    except BrokenPipeError:  # `kinerja ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    return result


def _shown_url() -> str:
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
