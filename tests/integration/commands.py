"""Running a `kinerja` command in-process, as the integration tests do (with the `cli_database` fixture)."""

from __future__ import annotations

import pytest

from starter import main


def kinerja(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command's exit status, standard output and standard error."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err
