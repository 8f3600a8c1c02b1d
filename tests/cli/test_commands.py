"""`kinerja`'s command map (starter.COMMANDS): each command loads only its own module, and the map says exactly which
commands each module registers, so a command added to a module without its line here fails this test, not a user."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from collections import defaultdict

import pytest

import starter


def _registered(module: str) -> set[str]:
    commands = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(f"cli.{module}").register(commands)
    return set(commands.choices)


@pytest.mark.parametrize("module", starter.MODULES)
def test_the_map_names_every_command_of_each_module(module: str) -> None:
    mapped: defaultdict[str, set[str]] = defaultdict(set)
    for command, owner in starter.COMMANDS.items():
        mapped[owner].add(command)
    assert set(mapped) == set(starter.MODULES)
    assert mapped[module] == _registered(module)


def test_a_command_that_only_calls_the_api_loads_neither_the_database_nor_temporal() -> None:
    """Checked in a fresh interpreter: `kinerja saya` (who is signed in) starts without SQLAlchemy, Temporal's SDK or
    the other commands' modules, about a fifth of the time every command used to take."""
    heavy = ("sqlalchemy", "temporalio", "alembic", "cli.cycle", "cli.worklist")
    probe = f"import sys, starter; starter.build_parser('saya'); print([m for m in {heavy} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_without_a_known_command_every_command_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        starter.main(["tidak-ada"])
    err = capsys.readouterr().err
    assert "invalid choice" in err and "periksa" in err and "siklus" in err and "saya" in err
