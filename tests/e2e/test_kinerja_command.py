"""The `kinerja` command the way HR, a supervisor, an employee and the supervision team use it, against a real
Temporal dev server, a real worker and the real HTTP service, on SQLite and on PostgreSQL.

The operator makes the first admin kepegawaian on the server (`kinerja akun admin`); HR imports the sample Dukcapil
office and starts a cycle whose SKP-drafting deadline is 25 seconds away. Every person then signs in
(`kinerja masuk`, each with their own session directory) and takes their own steps through the API: nobody names an
actor. Sri Wahyuni's appraisal goes through every stage; Budi Santoso drafts nothing, is reminded, becomes overdue,
is escalated to the supervision team, who extend the deadline and then take the step over.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from cli.operator import operator_actor
from cli.web import web_service
from domain.stages import Role
from identity import accounts
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from settings import AuthSettings, Settings, TemporalSettings
from tests.ports import free_port
from worker import run_worker
from workflows.cycle_contracts import WorklistUpkeep

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
INSTANSI = "E2E-DUKCAPIL"

SRI = "199212252019032001"  # Verifikator Data Kependudukan, bidang DAFDUK
HERMAN = "198009092005011001"  # Kepala Bidang DAFDUK: Sri's pejabat penilai
KEPALA = "197203151998031001"  # Kepala Dinas: atasan pejabat penilai
YAKOB = "199401312020011003"  # Pranata Komputer, bidang DAFDUK: moves to the province mid-year
BUDI = "198808082011021001"  # Analis Pencatatan Sipil, bidang CAPIL
MARIA = "197904122006022002"  # Kepala Bidang CAPIL: Budi's pejabat penilai
PENGAWAS = "197807212003122001"  # Sekretaris Dinas, in the tim pengawasan here
PENGELOLA = "198511022009031002"  # Kasubbag Umum dan Kepegawaian: pengelola kinerja
SEKDA = "196801011990031001"  # Sekretaris Daerah: sets the organisation predicate (not in the office's roster)

DRAFT_DUE_SECONDS = 25
PASSWORD = "kata-sandi-uji-e2e"
# Cheap argon2id: the parameters are the settings' business (docs/benchmarks.md); here the flow is tested.
AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=8 * 1024, argon2_parallelism=1)


@dataclass
class Kinerja:
    """Runs `python -m starter ...` (what the installed `kinerja` script runs) with this test's settings; `as_person`
    is the same shell of someone who signs in (their own session directory, KINERJA_CONFIG_DIR)."""

    env: dict[str, str]
    cwd: Path
    settings: Settings
    api: str

    async def __call__(self, *args: str, ok: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "starter", *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
            input=input,
        )
        if ok and done.returncode != 0:
            pytest.fail(f"kinerja {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    async def json(self, *args: str) -> Any:
        return json.loads((await self(*args, "--json")).stdout)

    def session_dir(self, nip: str) -> Path:
        return self.cwd / "sesi" / nip

    def as_person(self, nip: str) -> Kinerja:
        env = {**self.env, "KINERJA_CONFIG_DIR": str(self.session_dir(nip))}
        return Kinerja(env=env, cwd=self.cwd, settings=self.settings, api=self.api)

    async def signed_in(self, nip: str) -> Kinerja:
        """`kinerja masuk` as the person, with their password; their shell from then on."""
        person = self.as_person(nip)
        done = await person("masuk", "--nip", nip, "--kata-sandi-stdin", input=PASSWORD + "\n")
        assert f"({nip}) di {self.api}" in done.stdout, done.stdout
        return person


@pytest.fixture
async def kinerja(dev_env: WorkflowEnvironment, postgres_database_url: str, tmp_path: Path) -> AsyncIterator[Kinerja]:
    """A worker of this test's database on its own task queue, the HTTP service on a free port of this machine, and
    the command configured like a user's shell (the API's address in KINERJA_API; nobody signed in yet).

    On PostgreSQL only, as a BKD runs it: some eighty processes take two minutes, and a second run on SQLite would
    test the same commands against the same API again. SQLite's side is the API's and the pages' tests (both
    databases), `kinerja up` (tests/cli/test_stack.py), `make demo` (tests/cli/test_demo.py) and the browser's
    year (tests/browser)."""
    database_url = postgres_database_url
    address = dev_env.client.service_client.config.target_host
    task_queue = f"kinerja-e2e-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=database_url, temporal=TemporalSettings(address=address, task_queue=task_queue), auth=AUTH
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, client=dev_env.client, stop=stop, ready=ready))
    await asyncio.wait_for(ready.wait(), 60)
    environment = {k: v for k, v in os.environ.items() if k not in ("KINERJA_TOKEN", "KINERJA_API")}
    try:
        async with web_service(settings, port=free_port(), client=dev_env.client) as web:
            env = {
                **environment,
                "DATABASE_URL": database_url,
                "TEMPORAL__ADDRESS": address,
                "TEMPORAL__TASK_QUEUE": task_queue,
                "KINERJA_API": web.url,
                "KINERJA_CONFIG_DIR": str(tmp_path / "sesi" / "operator"),
                "PYTHONPATH": str(ROOT),
            }
            yield Kinerja(env=env, cwd=tmp_path, settings=settings, api=web.url)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 60)


async def _accounts(kinerja: Kinerja) -> Kinerja:
    """The operator makes the pengelola kinerja the instansi's first admin kepegawaian on the server; they set their
    password with the one-time link, sign in, and do the rest through the API as HR: the other people's accounts
    (each first password set through its own link) and the roles of the instansi. HR's shell is returned."""
    made = await kinerja("akun", "admin", "--instansi", INSTANSI, "--nip", PENGELOLA)
    assert "kini admin kepegawaian" in made.stdout and "dicatat sebagai operator" in made.stdout

    async def made_again() -> None:
        again = await kinerja("akun", "admin", "--instansi", INSTANSI, "--nip", PENGELOLA)
        assert "sudah admin kepegawaian" in again.stdout and "tautan=" not in again.stdout

    async def first_sign_in() -> Kinerja:
        await _set_password(kinerja, made.stdout)
        return await kinerja.signed_in(PENGELOLA)

    _, hr = await asyncio.gather(made_again(), first_sign_in())

    async def account(nip: str) -> None:
        created = await hr("akun", "buat", "--nip", nip)  # --instansi left out: HR of one instansi only
        assert "serahkan tautan" in created.stdout  # the sample roster has no e-mail addresses
        await _set_password(kinerja, created.stdout)

    async def grants_in_turn() -> None:
        # One after the other: the audit log's order of the grants is checked below.
        for nip, role in ((PENGAWAS, "pengawasan"), (PENGELOLA, "pengelola_kinerja"), (SEKDA, "pimpinan")):
            granted = await hr("peran", "beri", "--nip", nip, "--peran", role)
            assert f"Peran {role} diberikan" in granted.stdout and f"({nip})" in granted.stdout

    # Each account and the grants are independent writes (the audit chain takes its head's lock for each): at once.
    await asyncio.gather(*(account(nip) for nip in (SRI, HERMAN, KEPALA, MARIA, PENGAWAS)), grants_in_turn())
    twice = await hr("akun", "buat", "--nip", SRI, ok=False)
    assert twice.returncode == 1 and twice.stderr.startswith(f"kesalahan: ditolak: nip: akun NIP {SRI} sudah ada")
    listed = {(g["nip"], g["peran"]) for g in await hr.json("peran", "daftar")}
    assert listed == {
        (PENGELOLA, "admin_kepegawaian"), (PENGAWAS, "pengawasan"), (PENGELOLA, "pengelola_kinerja"),
        (SEKDA, "pimpinan"),
    }  # fmt: skip

    engine = make_engine(kinerja.settings.database_url)
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            grants = uow.audit.list(action="role.grant")
            created_by = {e.subject: e.actor for e in uow.audit.list(action="account.create")}
    finally:
        engine.dispose()
    # The bootstrap is the operator's, recorded as the operator on this machine; the rest is HR's, as signed in.
    assert [(g.actor, g.subject) for g in grants] == [
        (operator_actor(), PENGELOLA), (PENGELOLA, PENGAWAS), (PENGELOLA, PENGELOLA), (PENGELOLA, SEKDA)
    ]  # fmt: skip
    assert created_by == {
        PENGELOLA: operator_actor(),
        **dict.fromkeys((SRI, HERMAN, KEPALA, MARIA, PENGAWAS), PENGELOLA),
    }
    return hr


async def _set_password(kinerja: Kinerja, said: str) -> None:
    """Use the one-time link printed in `said` to set the person's first password, as their browser would."""
    secret = said.split("tautan=", 1)[1].split()[0]
    async with httpx.AsyncClient(base_url=kinerja.api) as http:
        done = await http.post("/api/v1/auth/password", json={"tautan": secret, "kata_sandi": PASSWORD})
        assert done.status_code == 204, done.text


# The whole year by some eighty commands, each its own process as a user's shell runs it: minutes on a busy machine.
@pytest.mark.timeout(900)
async def test_a_cycle_by_command(kinerja: Kinerja, tmp_path: Path) -> None:
    cycle = f"E2E-{uuid.uuid4().hex[:6]}"
    await _set_up_office(kinerja, tmp_path)
    pengelola = await _accounts(kinerja)
    # Commands that do not depend on one another run at once (asyncio.gather), each still its own process: the
    # suite's time goes to starting Python, which the machine's second core can do meanwhile.
    nobody, wrong = await asyncio.gather(
        kinerja("skp", "setujui", "--siklus", cycle, "--nip", SRI, ok=False),
        kinerja.as_person(SRI)("masuk", "--nip", SRI, "--kata-sandi-stdin", input="salah-sekali-ini\n", ok=False),
    )
    assert (
        nobody.returncode == 1
        and nobody.stderr == "kesalahan: belum masuk: jalankan `kinerja masuk --nip NIP` (atau atur KINERJA_TOKEN)\n"
    )
    assert wrong.returncode == 1 and wrong.stderr == f"kesalahan: {accounts.wrong(AuthSettings())}\n"
    sri_cli, herman, kepala, maria, pengawas = await asyncio.gather(
        *(kinerja.signed_in(nip) for nip in (SRI, HERMAN, KEPALA, MARIA, PENGAWAS))
    )
    not_hr, me = await asyncio.gather(
        pengawas("peran", "daftar", "--instansi", INSTANSI, ok=False), sri_cli.json("saya")
    )
    assert not_hr.returncode == 1 and not_hr.stderr.startswith("kesalahan: ditolak: peran: hanya Admin Kepegawaian")
    session_file = kinerja.session_dir(SRI) / "sesi.json"
    assert session_file.stat().st_mode & 0o777 == 0o600  # the token is readable by its owner only
    assert "knj_" in session_file.read_text() and PASSWORD not in session_file.read_text()
    assert (me["nip"], me["nama"], me["instansi"], me["api"]) == (SRI, "Sri Wahyuni, S.H.", INSTANSI, kinerja.api)
    calendar = tmp_path / "kalender.json"
    calendar.write_text(
        json.dumps(
            {
                "start": _now_iso(),
                "skp_draft_due": f"PT{DRAFT_DUE_SECONDS}S",
                "skp_due": "PT20M",
                "survey_opens": "PT0S",
                "survey_closes": "PT40M",
                "self_assessment_due": "PT30M",
                "review_due": "PT40M",
                "calibration_due": "PT50M",
                "sign_off_due": "PT60M",
                "objection_window": "PT30M",
                "objection_decision_due": "PT30M",
            }
        )
    )
    started = time.monotonic()
    out = await kinerja(
        "siklus", "mulai", "--instansi", INSTANSI, "--periode", "2026", "--siklus", cycle,
        "--tim-pengawasan", PENGAWAS, "--pengelola", PENGELOLA, "--pimpinan", SEKDA, "--kalender", str(calendar),
        "--populasi", "DAFDUK=40", "--populasi", "CAPIL=30",
    )  # fmt: skip
    assert "11 penilaian kinerja berjalan" in out.stdout  # 12 people; the Kepala Dinas has no penilai here
    assert KEPALA in out.stdout and "tidak didaftarkan" in out.stdout
    sri = ("--siklus", cycle, "--nip", SRI)
    again, cycle_state, tasks, mine = await asyncio.gather(
        kinerja(
            "siklus", "mulai", "--instansi", INSTANSI, "--periode", "2026", "--siklus", cycle,
            "--tim-pengawasan", PENGAWAS, "--pengelola", PENGELOLA, "--pimpinan", SEKDA, "--kalender", str(calendar),
        ),
        kinerja.json("siklus", "status", "--siklus", cycle),
        kinerja.json("tugas", "--nip", SRI, "--siklus", cycle),  # the operator's view, from the database
        sri_cli.json("tugas", "--siklus", cycle),  # her own, through the API as herself
    )  # fmt: skip
    assert "11 penilaian kinerja berjalan" in again.stdout  # a second start finds the running appraisals
    assert (cycle_state["phase"], cycle_state["enrolled"], cycle_state["skipped_count"]) == ("running", 11, 1)

    # --- Sri Wahyuni, through every stage -------------------------------------------------------------------------
    assert [t["step"] for t in tasks] == ["skp_drafting"]
    assert tasks[0]["name"] == "Sri Wahyuni, S.H."  # from the roster, for the people listed only
    assert tasks[0]["unit_survey"]["status"] == "open"  # the SKM window of the cycle's calendar, from the database
    assert [(t["nip"], t["step"], t["assignee"]) for t in mine] == [(SRI, "skp_drafting", SRI)]
    await sri_cli("skp", "ajukan", *sri)
    refused, not_hers, hers_waiting = await asyncio.gather(
        maria("skp", "setujui", *sri, ok=False),  # not Sri's penilai: she is told it does not exist
        kepala("skp", "setujui", *sri, ok=False),  # sees it (atasan), but approving is the penilai's
        herman.json("tugas", "--siklus", cycle),
    )
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith(f"kesalahan: ditolak: penilaian kinerja NIP {SRI} siklus {cycle} tidak ditemukan")
    assert "Traceback" not in refused.stderr
    assert not_hers.returncode == 1 and not_hers.stderr.startswith("kesalahan: ditolak: peran: ")
    assert "Pejabat Penilai" in not_hers.stderr and len(not_hers.stderr.splitlines()) == 1
    assert SRI in [t["nip"] for t in hers_waiting]  # hers waits for him now
    returned = await herman("skp", "kembalikan", *sri, "--catatan", "Target akta terlalu rendah")
    assert "SKP dikembalikan" in returned.stdout
    await sri_cli("skp", "ajukan", *sri)
    await herman("skp", "setujui", *sri)

    status, status_text = await asyncio.gather(kinerja.json("status", *sri), kinerja("status", *sri))
    assert status["step"] == "self_assessment"
    assert (status["unit_survey"]["unit"], status["unit_survey"]["status"]) == ("DAFDUK", "open")
    assert "IKM unit         : survei masih dibuka sampai" in status_text.stdout
    indicators = [i["id"] for rhk in status["skp"]["rhk"] for i in rhk["indicators"]]
    realisations = tmp_path / "realisasi.csv"
    realisations.write_text(
        "indikator,realisasi,bukti\n"
        + "".join(f"{ident},{value},https://drive.example.go.id/{ident}\n" for ident, value in _values(status))
    )
    assert len(indicators) == 2
    await sri_cli("realisasi", "ajukan", *sri, "--file", str(realisations))
    review = await herman(
        "penilaian", "ajukan", *sri, "--hasil-kerja", "sesuai", "--perilaku", "di atas ekspektasi"
    )  # fmt: skip
    assert "Baik" in review.stdout
    calibrated = await pengelola("hasil-kalibrasi", *sri, "--predikat", "baik",
                                 "--alasan", "Hasil rapat kalibrasi instansi")  # fmt: skip
    assert "Hasil kalibrasi diterapkan" in calibrated.stdout
    signed = await _eventually(kinerja, sri, "sign_off")
    assert signed["predicate"] == "baik"
    await herman("tetapkan", *sri)
    await sri_cli("keberatan", "ajukan", *sri, "--alasan", "Realisasi layanan keliling belum dihitung")
    decided = await kepala(
        "keberatan", "putuskan", *sri, "--predikat", "sangat baik",
        "--alasan", "Bukti layanan keliling sah dan menambah capaian",
    )  # fmt: skip
    assert "Sangat Baik" in decided.stdout
    final, told = await asyncio.gather(kinerja.json("status", *sri), kinerja("riwayat", *sri))
    assert (final["step"], final["predicate"]) == ("final", "sangat_baik")
    history = told.stdout
    for expected in ("Ajukan SKP", "Kembalikan SKP", "Setujui SKP", "Kirim penilaian", "Ajukan keberatan"):
        assert expected in history
    # Each step is recorded as the person who signed in, in the role they hold on the appraisal.
    assert f"{HERMAN} ({Role.PENILAI.label})" in history and f"{KEPALA} ({Role.ATASAN_PENILAI.label})" in history

    # --- Budi Santoso: reminded, overdue, escalated, extended, taken over -----------------------------------------
    budi = ("--siklus", cycle, "--nip", BUDI)
    wait = DRAFT_DUE_SECONDS + 3 - (time.monotonic() - started)
    # Meanwhile HR imports the survey answers and reads the report so far (Sri's appraisal is final): nothing there
    # waits for Budi's deadline, so its commands run in what was an idle wait.
    await asyncio.gather(asyncio.sleep(max(wait, 0)), _survey_and_report(kinerja, cycle, tmp_path))
    overdue = await _overdue_listed(kinerja, cycle, BUDI)
    assert overdue["step"] == "skp_drafting" and overdue["escalation_level"] == 1
    late = ("terlambat", "--siklus", cycle, "--unit", "CAPIL", "--terlambat-sejak")
    listed, late_a_second, late_a_day, too_short = await asyncio.gather(
        kinerja("terlambat", "--siklus", cycle, "--unit", "CAPIL"),
        kinerja.json(*late, "PT1S"),
        kinerja.json(*late, "P1D"),
        pengawas("perpanjang", *budi, "--sampai", "2026-01-01", "--alasan", "Pegawai sedang cuti sakit", ok=False),
    )
    table = listed.stdout
    assert BUDI in table and "tingkat 1" in table
    assert BUDI in [row["nip"] for row in late_a_second]  # his deadline passed seconds ago
    assert BUDI not in [row["nip"] for row in late_a_day]
    assert too_short.returncode == 1 and "new_deadline" in too_short.stderr
    await pengawas("perpanjang", *budi, "--sampai", "2027-01-31", "--alasan",
                   "Pegawai sedang cuti sakit sampai akhir bulan")  # fmt: skip
    extended = await kinerja.json("status", *budi)
    assert extended["overdue"] is False and extended["deadline"].startswith("2027-01-31")
    taken = await pengawas(
        "skp", "ajukan", *budi, "--alasan", "Diajukan atas nama pegawai yang cuti sakit, sesuai draf di sistem",
    )  # fmt: skip
    assert "SKP diajukan" in taken.stdout
    marias, hers, budi_told = await asyncio.gather(
        kinerja("tugas", "--nip", MARIA, "--siklus", cycle),
        maria("tugas", "--siklus", cycle),
        kinerja("riwayat", *budi),
    )
    assert MARIA in marias.stdout
    assert BUDI in hers.stdout  # hers to approve, as she sees it
    budi_history = budi_told.stdout
    for expected in ("pengingat dikirim", "ESKALASI", "batas waktu diperpanjang", "timer berbunyi", "atas nama"):
        assert expected in budi_history, budi_history

    # --- the supervision team in bulk: extend every overdue step of a unit, move a penilai's appraisals ------------
    preview = await pengawas("massal", "perpanjang", "--siklus", cycle, "--unit", "DAFDUK", "--sampai", "2027-02-01",
                             "--alasan", "Gangguan jaringan SIMPEG seminggu", "--coba")  # fmt: skip
    assert "--coba" in preview.stdout and HERMAN in preview.stdout  # the kabid's own SKP is overdue too
    extended_all = await pengawas(
        "massal", "perpanjang", "--siklus", cycle, "--unit", "DAFDUK", "--sampai", "2027-02-01",
        "--alasan", "Gangguan jaringan SIMPEG seminggu",
    )  # fmt: skip
    assert " penilaian kinerja diperpanjang" in extended_all.stdout
    still_late, moved = await asyncio.gather(
        kinerja.json("terlambat", "--siklus", cycle),
        pengawas(
            "massal", "alihkan", "--siklus", cycle, "--dari", MARIA, "--penilai", HERMAN, "--unit", "CAPIL",
            "--alasan", "Kabid Capil mutasi ke BKPSDM per 1 Desember",
        ),  # CAPIL's penilai: the DAFDUK rows read meanwhile are not touched
    )  # fmt: skip
    assert not [r for r in still_late if r["unit"] == "DAFDUK"]
    assert "2 dari 2 penilaian kinerja dialihkan" in moved.stdout  # Budi and Nur Aisyah

    # --- HR: the working days changed (a new cuti bersama in the policy): the deadlines are counted again ---------
    recount = ("siklus", "hitung-ulang", "--siklus", cycle, "--alasan", "SKB cuti bersama tambahan")
    budi_moved, refused_recount, counted = await asyncio.gather(
        kinerja.json("status", *budi), pengawas(*recount, ok=False), pengelola(*recount)
    )  # the recount moves deadlines, not penilai
    assert budi_moved["penilai_nip"] == HERMAN
    assert refused_recount.returncode == 1 and "admin kepegawaian" in refused_recount.stderr.lower()
    assert f"Kalender siklus {cycle} dihitung ulang (perubahan ke-1)" in counted.stdout
    assert "penilaian berjalan mengikuti batas baru" in counted.stdout

    # --- HR: Yakob moves to the province; his appraisal ends and leaves every list and the predicates ------------
    yakob = ("--siklus", cycle, "--nip", YAKOB)
    by_supervision, bad_date = await asyncio.gather(
        pengawas("tarik", *yakob, "--sebab", "mutasi", "--alasan", "SK Gubernur Papua 821/77/2026", ok=False),
        pengelola("tarik", *yakob, "--sebab", "mutasi", "--tmt", "1 Juli",
                  "--alasan", "SK Gubernur Papua 821/77/2026", ok=False),
    )  # fmt: skip
    assert by_supervision.returncode == 1 and "peran" in by_supervision.stderr
    assert bad_date.returncode == 1 and "tmt" in bad_date.stderr and "Traceback" not in bad_date.stderr
    withdrawn = await pengelola("tarik", *yakob, "--sebab", "mutasi", "--tmt", "2026-07-01",
                                "--alasan", "SK Gubernur Papua 821/77/2026, pindah ke Pemprov Papua")  # fmt: skip
    assert "Ditarik dari siklus: Yakob Kaigere" in withdrawn.stdout
    assert "pindah ke instansi lain (mutasi), TMT 2026-07-01" in withdrawn.stdout
    await _yakob_is_gone(kinerja, cycle)

    # --- the leader's calibration is the pimpinan's alone; HR disables and enables an account -------------------
    async def no_leader() -> None:
        refused = await pengawas("siklus", "kalibrasi", "usul", "--siklus", cycle, "--predikat-organisasi", "baik",
                                 ok=False)  # fmt: skip
        assert refused.returncode == 1 and refused.stderr.startswith("kesalahan: ditolak: peran: hanya Pimpinan")

    async def disabled_and_enabled() -> None:
        await pengelola("akun", "nonaktifkan", "--nip", MARIA)
        disabled = await maria("tugas", ok=False)
        assert disabled.returncode == 1 and "token tidak berlaku" in disabled.stderr  # every token of hers ended
        await pengelola("akun", "aktifkan", "--nip", MARIA)
        assert BUDI not in (await (await kinerja.signed_in(MARIA))("tugas", "--siklus", cycle)).stdout  # to Herman

    # --- signing out revokes the token on the server: a copy of the file kept aside signs nobody in -------------
    async def signed_out() -> None:
        kept = session_file.read_text()
        out = await sri_cli("keluar")
        assert "dicabut" in out.stdout and not session_file.exists()
        session_file.write_text(kept)
        stale = await sri_cli("tugas", ok=False)
        assert stale.returncode == 1 and len(stale.stderr.splitlines()) == 1
        assert "token tidak berlaku" in stale.stderr and "`kinerja masuk`" in stale.stderr

    await asyncio.gather(no_leader(), disabled_and_enabled(), signed_out())  # other people's sessions: independent


async def _yakob_is_gone(kinerja: Kinerja, cycle: str) -> None:
    """Once withdrawn, Yakob's appraisal says so and has left every list and the report's predicates."""
    yakob = ("--siklus", cycle, "--nip", YAKOB)
    state, told, history, hermans, late, so_far = await asyncio.gather(
        kinerja.json("status", *yakob),
        kinerja("status", *yakob),
        kinerja("riwayat", *yakob),
        kinerja("tugas", "--nip", HERMAN, "--siklus", cycle),
        kinerja.json("terlambat", "--siklus", cycle),
        kinerja("siklus", "laporan", "--siklus", cycle, "--format", "json"),
    )
    assert state["step"] == "withdrawn"
    assert "ditarik          : pindah ke instansi lain (mutasi), TMT 2026-07-01" in told.stdout
    assert "Tarik dari siklus" in history.stdout
    assert YAKOB not in hermans.stdout
    assert YAKOB not in [row["nip"] for row in late]
    assert [(w["nip"], w["sebab"], w["tmt"]) for w in json.loads(so_far.stdout)["withdrawn"]] == [
        (YAKOB, "pindah ke instansi lain (mutasi)", "2026-07-01")
    ]


async def _survey_and_report(kinerja: Kinerja, cycle: str, tmp_path: Path) -> None:
    """HR: survey answers into the database (a second import and an early answer refused), the report so far as CSV."""
    imported = await kinerja("impor", "survei", str(EXAMPLES / "survey_dukcapil.csv"), "--instansi", INSTANSI,
                             "--periode", "2026")  # fmt: skip
    assert f"40 jawaban survei periode 2026 disimpan untuk siklus {cycle}" in imported.stdout
    early = tmp_path / "survei-awal.csv"
    early.write_text("unit,token,u1,u2,u3,u4,u5,u6,u7,u8,u9,waktu\nCAPIL,AWAL-1,4,4,4,4,4,4,4,4,4,2026-01-02 08:00\n")
    refused_survey, again_survey, report = await asyncio.gather(
        kinerja("impor", "survei", str(early), "--instansi", INSTANSI, "--periode", "2026", "--zona", "WIT", ok=False),
        kinerja("impor", "survei", str(EXAMPLES / "survey_dukcapil.csv"), "--instansi", INSTANSI,
                "--periode", "2026", ok=False),
        kinerja("siklus", "laporan", "--siklus", cycle, "--format", "csv"),
    )  # fmt: skip
    assert refused_survey.returncode == 1 and "baris 2, kolom waktu" in refused_survey.stderr
    assert "sebelum survei dibuka" in refused_survey.stderr
    assert again_survey.returncode == 1 and "token" in again_survey.stderr  # one respondent, one answer
    lines = report.stdout.splitlines()
    assert lines[0].startswith("nip,nama,unit,predikat") and any(
        SRI in line and "Sangat Baik" in line for line in lines
    )


async def _set_up_office(kinerja: Kinerja, tmp_path: Path) -> None:
    await kinerja("impor", "roster", str(EXAMPLES / "roster_dukcapil.csv"), "--instansi", INSTANSI,
                  "--nama-instansi", "Dinas Dukcapil Kota Jayapura (uji)")  # fmt: skip

    async def plans() -> None:  # the SKP cascade from the IKU: one after the other
        await kinerja("impor", "iku", str(EXAMPLES / "iku_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2026")
        await kinerja("impor", "skp", str(EXAMPLES / "skp_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2026")

    # Reminders 15 and 5 seconds before a deadline, one level further up after 10 minutes.
    policy = tmp_path / "kebijakan.json"
    policy.write_text(json.dumps({"escalation": {"reminders_before": ["PT15S", "PT5S"], "grace": "PT10M"}}))
    await asyncio.gather(plans(), kinerja("kebijakan", "atur", str(policy), "--instansi", INSTANSI))


def _values(status: dict[str, Any]) -> list[tuple[str, str]]:
    """A realisation at the target of every indicator (range targets: their lower bound)."""
    return [(i["id"], i["target"]["value"]) for rhk in status["skp"]["rhk"] for i in rhk["indicators"]]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


async def _eventually(kinerja: Kinerja, who: tuple[str, ...], step: str) -> Any:
    """The state once the workflow has reached `step` (a signal is applied by the workflow after it returns)."""
    for _ in range(50):
        state = await kinerja.json("status", *who)
        if state["step"] == step:
            return state
        await asyncio.sleep(0.2)
    pytest.fail(f"{who} never reached {step}")


async def _overdue_listed(kinerja: Kinerja, cycle: str, nip: str) -> Any:
    """Budi's row in `kinerja terlambat`, once his escalation (a timer, then an activity) has written it."""
    for _ in range(50):
        rows = await kinerja.json("terlambat", "--siklus", cycle)
        for row in rows:
            if row["nip"] == nip:
                return row
        await asyncio.sleep(0.5)
    pytest.fail(f"{nip} never listed as overdue")


async def test_the_nightly_worklist_upkeep_is_scheduled_by_command(
    kinerja: Kinerja, dev_env: WorkflowEnvironment
) -> None:
    refused = await kinerja("sinkron-worklist", "--jadwal", "--siklus", "2026-X", ok=False)
    assert refused.returncode != 0 and "tanpa --siklus" in refused.stderr
    refused = await kinerja("sinkron-worklist", "--batas-menit", "5", ok=False)  # it would run now, with no budget
    assert refused.returncode != 0 and "--batas-menit hanya berlaku dengan --jadwal" in refused.stderr

    schedule = dev_env.client.get_schedule_handle("worklist-upkeep")
    try:
        done = await kinerja("sinkron-worklist", "--jadwal", "--jam", "3", "--zona", "8")
        assert "worklist-upkeep" in done.stdout and "03.00 (Asia/Makassar)" in done.stdout
        await schedule.pause(note="libur: pemeliharaan basis data")  # an operator pauses it
        # Again, as a whole new setting (the zone back to WIB): the schedule is updated, not refused, and stays paused.
        again = await kinerja("sinkron-worklist", "--jadwal", "--jam", "4", "--batas-menit", "45")
        assert "sedang dijeda (libur: pemeliharaan basis data) dan tetap dijeda" in again.stdout
        described = (await schedule.describe()).schedule
        assert described.spec.time_zone_name == "Asia/Jakarta"
        assert [(r.start, r.end) for r in described.spec.calendars[0].hour] == [(4, 4)]  # the cron line, as calendar
        assert described.state.paused and described.state.note == "libur: pemeliharaan basis data"
        action = described.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.execution_timeout == timedelta(hours=23)  # a run nobody works on does not block later nights
        [request] = await dev_env.client.data_converter.decode(action.args, [WorklistUpkeep])
        assert request == WorklistUpkeep(budget_minutes=45)
    finally:
        with contextlib.suppress(RPCError):  # not there if the first command failed
            await schedule.delete()
