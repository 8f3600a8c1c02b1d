"""`kinerja notifikasi` as an operator runs it, against a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.organisation import Employee, Instansi, Unit
from persistence.db import make_engine, make_session_factory
from persistence.ports import OutboxMessage
from persistence.uow import SqlAlchemyUnitOfWork
from services import notices
from tests.integration.commands import kinerja
from tests.ports import free_port
from tests.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
SRI, BUDI = "199212252019032001", "198808082011021001"


def _queue(database_url: str, *recipients: str) -> list[int]:
    engine = make_engine(database_url)
    ids = []
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        for recipient in recipients:
            message_id, _ = uow.outbox.enqueue(
                OutboxMessage(
                    created_at=datetime(2026, 3, 2, tzinfo=UTC),
                    channel="email" if "@" in recipient else "log",
                    recipient=recipient,
                    subject="Pengingat: SKP menunggu persetujuan",
                    body="Yth. Bapak/Ibu, SKP menunggu persetujuan Anda.",
                    idempotency_key=f"test/{recipient}",
                )
            )
            ids.append(message_id)
        uow.commit()
    engine.dispose()
    return ids


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """`kinerja notifikasi kirim` sets up the process's JSON log on the (captured) stderr; undo it after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _use(monkeypatch: pytest.MonkeyPatch, server: SmtpServer) -> None:
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("cli_database")
def test_an_operator_sees_the_outbox_sends_it_and_queues_a_refused_message_again(
    capsys: pytest.CaptureFixture[str], database_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok, refused, log = _queue(database_url, "sri@example.go.id", "ditolak@example.go.id", "199001012015032004")
    assert kinerja(capsys, "notifikasi")[:2] == (0, "Menunggu: 3 (email 2, log 1) · gagal: 0 · terkirim: 0\n")
    status, _, err = kinerja(capsys, "notifikasi", "kirim")
    assert status == 1 and err.splitlines()[-1] == (
        "kesalahan: SMTP__HOST belum diatur untuk perintah ini; e-mail dikirim oleh worker yang SMTP__HOST-nya diatur"
    )

    _use(monkeypatch, smtp_server)
    assert kinerja(capsys, "notifikasi", "kirim")[:2] == (0, "Terkirim: 1 · dicoba lagi nanti: 0 · gagal: 1\n")
    assert [m["To"] for m in smtp_server.inbox.messages] == ["sri@example.go.id"]

    status, out, _ = kinerja(capsys, "notifikasi")
    # The log channel's notice waits for a worker (or `kirim --terus`): it belongs in a service's log.
    assert status == 0 and out.startswith("Menunggu: 1 (log 1) · gagal: 1 · terkirim: 1\n")
    assert "ditolak@example.go.id" in out and "alamat ditolak: 550" in out
    assert "kinerja notifikasi ulangi --id ID" in out
    # The log announces that notice by its number; the operator who delivers it by hand reads it whole here.
    status, out, _ = kinerja(capsys, "notifikasi", "tampil", "--id", str(log))
    assert status == 0 and out.splitlines()[:2] == [
        f"Pesan {log} (log, menunggu) untuk 199001012015032004",
        "Judul: Pengingat: SKP menunggu persetujuan",
    ]
    assert out.rstrip().endswith("Yth. Bapak/Ibu, SKP menunggu persetujuan Anda.")
    assert json.loads(kinerja(capsys, "notifikasi", "tampil", "--id", str(log), "--json")[1])["recipient"] == (
        "199001012015032004"
    )
    status, _, err = kinerja(capsys, "notifikasi", "tampil", "--id", "999999")
    assert status == 1 and err.splitlines()[-1] == "kesalahan: pesan 999999 tidak ada di outbox"
    shown = json.loads(kinerja(capsys, "notifikasi", "--json")[1])
    assert shown["counts"] == {"waiting": 1, "failed": 1, "sent": 1, "waiting_by_channel": {"log": 1}}
    [failed] = shown["failed"]
    assert (
        failed["id"] == refused and failed["attempts"] == 1 and failed["last_error"].startswith("alamat ditolak: 550")
    )

    assert kinerja(capsys, "notifikasi", "ulangi", "--id", str(refused), str(ok), "999999")[:2] == (
        0,
        "Diantrekan lagi: 1 dari 3 (yang lain tidak ada atau tidak gagal)\n",
    )
    assert json.loads(kinerja(capsys, "notifikasi", "--json")[1])["counts"]["waiting_by_channel"] == {
        "email": 1,
        "log": 1,
    }
    assert log not in {refused, ok}


@pytest.mark.usefixtures("cli_database")
def test_a_notice_queued_again_goes_to_the_address_the_roster_has_now(
    capsys: pytest.CaptureFixture[str], database_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo in the roster: the e-mail is refused (550) and given up; HR corrects the address, then `ulangi`."""
    engine = make_engine(database_url)
    session_factory = make_session_factory(engine)
    sri = Employee(
        nip=SRI, name="Sri Wahyuni", jabatan="Verifikator", unit_code="DAFDUK", email="ditolak@example.go.id"
    )
    budi = Employee(nip=BUDI, name="Budi Santoso", jabatan="Analis", unit_code="DAFDUK")  # no address: the log
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.instansi.add(Instansi(code="DUKCAPIL-JPR", name="Dinas Dukcapil Kota Jayapura"))
        uow.units.add(Unit(code="DAFDUK", name="Bidang Dafduk"), "DUKCAPIL-JPR")
        for person in (sri, budi):
            uow.employees.add(person, "DUKCAPIL-JPR")
        [refused, logged] = notices.enqueue(
            uow, "appraisal-2026-X/3-submit_skp", "appraisal-2026-X", [SRI, BUDI], subject="SKP diajukan", body="..."
        )
        uow.commit()
    _use(monkeypatch, smtp_server)
    assert kinerja(capsys, "notifikasi", "kirim")[:2] == (0, "Terkirim: 0 · dicoba lagi nanti: 0 · gagal: 1\n")
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.employees.save(sri.model_copy(update={"email": "sri.wahyuni@example.go.id"}), "DUKCAPIL-JPR")
        uow.employees.save(budi.model_copy(update={"email": "budi@example.go.id"}), "DUKCAPIL-JPR")
        uow.outbox.give_up(created_before=datetime.now(UTC), reason="uji", at=datetime.now(UTC))  # Budi's too
        uow.commit()
    engine.dispose()

    status, out, _ = kinerja(capsys, "notifikasi", "ulangi", "--semua")
    assert status == 0 and out.splitlines() == [
        "Diantrekan lagi: 2",
        f"  #{refused} ke alamat dari data pegawai sekarang: ditolak@example.go.id → sri.wahyuni@example.go.id",
        f"  #{logged} ke alamat dari data pegawai sekarang: {BUDI} → budi@example.go.id",
    ]
    assert kinerja(capsys, "notifikasi", "kirim")[:2] == (0, "Terkirim: 2 · dicoba lagi nanti: 0 · gagal: 0\n")
    assert sorted(m["To"] for m in smtp_server.inbox.messages) == ["budi@example.go.id", "sri.wahyuni@example.go.id"]


@pytest.mark.usefixtures("cli_database")
def test_an_operator_gives_up_notices_that_waited_too_long_and_can_take_them_back(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    _queue(database_url, "sri@example.go.id", "199001012015032004")  # queued 2026-03-02 00:00 UTC
    assert kinerja(capsys, "notifikasi", "batalkan", "--sampai", "2026-03-01")[1] == (
        "Dibatalkan: 0 (tampil sebagai gagal; kinerja notifikasi ulangi mengantrekannya lagi)\n"
    )
    assert kinerja(capsys, "notifikasi", "batalkan", "--sampai", "2026-03-02")[1].startswith("Dibatalkan: 2 ")
    shown = json.loads(kinerja(capsys, "notifikasi", "--json")[1])
    assert shown["counts"]["failed"] == 2
    assert {m["last_error"] for m in shown["failed"]} == {
        "dibatalkan operator: dibuat sampai 2026-03-02, tidak dikirim"
    }
    assert kinerja(capsys, "notifikasi", "ulangi", "--semua")[1] == "Diantrekan lagi: 2\n"
    status, _, err = kinerja(capsys, "notifikasi", "batalkan", "--sampai", "kemarin")
    assert status == 1 and err == "kesalahan: sampai: 'kemarin' bukan tanggal (2027-01-31) atau waktu ISO-8601\n"


@pytest.mark.usefixtures("cli_database")
def test_sending_to_a_server_that_does_not_answer_is_one_clear_error_and_costs_no_attempt(
    capsys: pytest.CaptureFixture[str], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _queue(database_url, "sri@example.go.id")
    monkeypatch.setenv("SMTP__HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP__PORT", str(free_port()))
    monkeypatch.setenv("SMTP__SECURITY", "none")
    status, out, err = kinerja(capsys, "notifikasi", "kirim")
    assert status == 1 and out.startswith("Terkirim: 0 ")
    # The log says it too (a JSON line, as the worker's relay writes it); the last line is the one for people.
    *logged, last = err.splitlines()
    assert last.startswith("kesalahan: server SMTP 127.0.0.1:") and "tidak dapat dipakai" in last
    assert last.endswith("; yang belum terkirim dicoba lagi mulai semenit lagi oleh worker (atau `kirim` lagi)")
    assert [json.loads(line)["event"] for line in logged] == ["smtp server unavailable"]
    shown = json.loads(kinerja(capsys, "notifikasi", "--json")[1])
    assert shown["counts"]["waiting"] == 1 and shown["failed"] == []


@pytest.mark.usefixtures("cli_database")
def test_a_bad_smtp_setting_is_refused_with_its_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP__SENDER", "BKD Jayapura")
    status, _, err = kinerja(capsys, "notifikasi", "kirim")
    assert status == 1 and err.startswith("kesalahan: SMTP__SENDER: ") and "bukan alamat pengirim e-mail" in err


def test_kinerja_notifikasi_kirim_terus_delivers_until_sigterm(database_url: str, smtp_server: SmtpServer) -> None:
    """The relay on its own, as a deployment runs it where only one host may send e-mail."""
    [message] = _queue(database_url, "sri@example.go.id")
    env = {**os.environ, "DATABASE_URL": database_url, "OUTBOX__POLL_SECONDS": "0.2", **smtp_server.env()}
    process = subprocess.Popen(
        [sys.executable, "-m", "starter", "notifikasi", "kirim", "--terus"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        mail = smtp_server.inbox.wait_for("sri@example.go.id", timeout=60)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert mail["Subject"] == "Pengingat: SKP menunggu persetujuan" and f"kinerja.{message}." in mail["Message-ID"]
    events = [json.loads(line)["event"] for line in err.splitlines()]
    assert events[0] == "notifier started" and "notices dispatched" in events and events[-1] == "notifier stopped"
