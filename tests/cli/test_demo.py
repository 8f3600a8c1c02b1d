"""`kinerja demo`: the rules part on a fresh embedded database, twice (the second run shows what the first stored),
and the whole demo — a compressed cycle on its own Temporal dev server and worker — the way a newcomer runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from starter import main
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_rules_part_runs_on_a_fresh_sqlite_file_and_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'kinerja.db'}")
    assert main(["demo", "--tanpa-siklus"]) == 0
    first = capsys.readouterr().out
    assert "12 pegawai baru" in first and "5 rancangan SKP" in first
    assert "IKM" in first and "Butuh Perbaikan" in first
    assert main(["demo", "--tanpa-siklus"]) == 0
    second = capsys.readouterr().out
    assert "0 pegawai baru, 12 diperbarui" in second
    assert (tmp_path / "kinerja.db").exists()


def test_whole_demo_shows_every_stage_an_overdue_step_and_its_escalation(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kinerja.db'}",
        "TEMPORAL__ADDRESS": f"127.0.0.1:{free_port()}",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "starter", "demo", "--skala", "0.5", "--ui-port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for expected in (
        "penilaian kinerja berjalan",
        "Herman mengembalikan SKP",
        "Herman menyetujui SKP",
        "Sri mengisi realisasi",
        "Kalibrasi menetapkan",
        "Herman menetapkan hasil penilaian",
        "Kepala Dinas mengabulkan keberatan: Sangat Baik",
        "pengingat kepada",
        "TERLAMBAT: eskalasi tingkat 1",
        "Tim Pengawasan memperpanjang batas waktu",
        "Tim Pengawasan mengajukan SKP atas nama Budi",
        "Pengelola kinerja menarik Yakob (mutasi)",
        "ESKALASI",
        "timer berbunyi",
        "notifikasi menunggu dikirim (log ",
        "Selesai",
    ):
        assert expected in out, out
    assert (tmp_path / ".kinerja" / "temporal.db").exists()
    assert "Traceback" not in done.stderr
    assert "notifier started" not in out + done.stderr
