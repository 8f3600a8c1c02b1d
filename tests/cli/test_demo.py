"""`kinerja demo` on a fresh embedded database, twice: the second run shows what the first stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from starter import main


def test_demo_runs_on_a_fresh_sqlite_file_and_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'kinerja.db'}")
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    assert "12 pegawai baru" in first and "5 rancangan SKP" in first
    assert "IKM" in first and "Butuh Perbaikan" in first
    assert main(["demo"]) == 0
    second = capsys.readouterr().out
    assert "0 pegawai baru, 12 diperbarui" in second
    assert (tmp_path / "kinerja.db").exists()
