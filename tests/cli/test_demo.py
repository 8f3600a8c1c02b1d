"""`kinerja demo`: the rules part on a fresh embedded database, twice (the second run shows what the first stored),
and the whole demo — a compressed cycle on its own Temporal dev server, worker and HTTP service, every person's step
taken through the API as that person — the way a newcomer runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from pypdf import PdfReader

from starter import main
from tests.dbs import libpq_url
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
        "Herman memberi umpan balik berkelanjutan",
        "Sri menjawab umpan balik",
        "Sri mencatat realisasi Triwulan I",  # the calendar ends the first quarter within the demo
        "Herman melakukan dialog kinerja Triwulan I",
        "Dokumen evaluasi Triwulan I (PDF)",
        "Sri mengisi realisasi",
        "Kalibrasi menetapkan",
        "Herman menetapkan hasil penilaian",
        "Kepala Dinas mengabulkan keberatan: Sangat Baik",
        "Dokumen evaluasi kinerja Sri (PDF)",
        "pengingat kepada",
        "TERLAMBAT: eskalasi tingkat 1",
        "Tim Pengawasan memperpanjang batas waktu",
        "Tim Pengawasan mengajukan SKP atas nama Budi",
        "Pengelola kinerja menarik Yakob (mutasi)",
        "layanan web (API): http://127.0.0.1:",
        "# masuk sebagai Herman Yoku (198009092005011001)",  # each step as the person whose step it is
        "# masuk sebagai Agustina Wenda (197807212003122001)",
        "ESKALASI",
        "timer berbunyi",
        "notifikasi menunggu dikirim (log ",
        "Selesai",
        "kata sandi semuanya: demo-kinerja-2026",
        "kinerja masuk --nip 198009092005011001",
    ):
        assert expected in out, out
    # The year's record to open: the evaluation document with the dialog of the year in it.
    documents = sorted((tmp_path / ".kinerja").glob("dokumen-evaluasi-*.pdf"), key=lambda file: "periode" in file.name)
    assert len(documents) == 2, out
    year, quarter = (" ".join(page.extract_text() for page in PdfReader(file).pages) for file in documents)
    assert "UMPAN BALIK BERKELANJUTAN" in year and "jemput bola ke tiga distrik" in year and "Sri Wahyuni" in year
    # ... and the first quarter's, with the dialog kinerja Herman held.
    assert "PERIODE: TRIWULAN I" in quarter and "jaga kecepatan verifikasi" in quarter, quarter
    # Nobody names an actor: each command runs as whoever signed in.
    commands = [line for line in out.splitlines() if "$ kinerja" in line]
    assert len(commands) >= 15 and not any("--oleh" in line or "--peran" in line for line in commands)
    logins = out[out.index("kata sandi semuanya") :]
    for role in ("pegawai", "pejabat penilai", "tim pengawasan", "pengelola kinerja", "pimpinan", "admin kepegawaian",
                 "operator"):  # fmt: skip
        assert role in logins, logins
    assert (tmp_path / ".kinerja" / "temporal.db").exists()
    assert "Traceback" not in done.stderr
    assert "notifier started" not in out + done.stderr
    assert "demo-kinerja-2026" not in done.stderr  # the password is shown to the reader, never logged


def test_the_cycle_part_gives_known_passwords_only_on_the_embedded_sqlite_database(
    capsys: pytest.CaptureFixture[str], postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_database_url)
    assert main(["demo", "--skala", "0.5"]) == 1
    said = capsys.readouterr().err
    assert said.startswith("kesalahan: kinerja demo membuat akun dengan kata sandi contoh, jadi hanya berjalan pada")
    with psycopg.connect(libpq_url(postgres_database_url)) as connection:
        assert connection.execute("SELECT count(*) FROM accounts").fetchone() == (0,)
