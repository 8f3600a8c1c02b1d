"""The second half of `kinerja demo`: a whole appraisal cycle compressed into about a minute, on the real stack.

The sample office's cycle workflow starts with every deadline seconds or minutes away (ISO-8601 durations from
the start) and reminders 20 and 10 seconds before a deadline; it enrols the office and goes on after the demo
(survey close, calibration, closing report) whenever a worker runs. Sri Wahyuni's appraisal goes through every
stage: her SKP is returned once, approved, self-assessed, reviewed, calibrated, signed, objected to and decided.
Budi Santoso does nothing: he is reminded, becomes overdue and is escalated to the supervision team, who extend his
deadline and take the step over. Yakob Kaigere moves to the province and HR withdraws him from the cycle. Every
step goes through the same Workflow Updates as the `kinerja` commands printed beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

import temporal_client
from cli.notifications import by_channel
from cli.output import CommandError, table
from cli.stack import LocalStack, local_stack
from cli.temporal import local_time, translate
from cli.worklist import OpenStep, list_open, timeline
from domain.calendar import CycleCalendar, resolve
from domain.ratings import Expectation, Predicate
from domain.skp import Realisation
from domain.stages import Role, Step
from domain.withdrawal import WithdrawalCause
from domain.worklist import WorklistQuery
from persistence.ports import AbstractUnitOfWork
from services.appraisals import stored_skp
from settings import Settings
from temporal_client import appraisal_handle
from worker import run_worker
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Actor,
    ApplyCalibration,
    AppraisalState,
    ApproveSkp,
    DecideObjection,
    ExtendDeadline,
    FileObjection,
    ReturnSkp,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    Withdraw,
)
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CycleInput, CyclePhase

UowFactory = Callable[[], AbstractUnitOfWork]
T = TypeVar("T")
WIB = timezone(timedelta(hours=7))

SRI = "199212252019032001"  # Verifikator Data Kependudukan
HERMAN = "198009092005011001"  # Kepala Bidang Pendaftaran Penduduk: Sri's pejabat penilai
KEPALA = "197203151998031001"  # Kepala Dinas: atasan pejabat penilai, decides the keberatan
BUDI = "198808082011021001"  # Analis Pencatatan Sipil: the one who misses his deadline
YAKOB = "199401312020011003"  # Pranata Komputer: moves to the province mid-year, withdrawn by HR
PENGAWAS = "197807212003122001"  # Sekretaris Dinas, in the tim pengawasan for the demo
PENGELOLA = "198511022009031002"  # Kasubbag Umum dan Kepegawaian: pengelola kinerja
SEKDA = "196801011990031001"  # Sekretaris Daerah: sets the organisation predicate at calibration

DRAFT_DUE = 40  # seconds from the cycle start; every other duration of the demo is scaled with it


@dataclass(frozen=True)
class Demo:
    settings: Settings
    uow_factory: UowFactory
    instansi: str
    period: int
    scale: float = 1.0  # 0.5 runs the demo twice as fast (the tests do)

    def seconds(self, value: float) -> timedelta:
        return timedelta(seconds=max(1.0, value * self.scale))

    def duration(self, value: float) -> str:
        return f"PT{self.seconds(value).total_seconds():g}S"


def escalation_overrides(demo: Demo) -> dict[str, object]:
    """The instansi policy for the demo: reminders 20 and 10 s before a deadline, one level up after 30 s."""
    return {
        "escalation": {
            "reminders_before": [demo.duration(20), demo.duration(10)],
            "grace": demo.duration(30),
            "max_levels": 2,
        }
    }


def calendar(demo: Demo, start: datetime) -> CycleCalendar:
    return CycleCalendar.model_validate(
        {
            "start": start.isoformat(),
            "skp_draft_due": demo.duration(DRAFT_DUE),
            "skp_due": demo.duration(180),
            "survey_opens": "PT0S",
            "survey_closes": demo.duration(240),
            "self_assessment_due": demo.duration(240),
            "review_due": demo.duration(300),
            "calibration_due": demo.duration(360),
            "sign_off_due": demo.duration(420),
            "objection_window": demo.duration(120),
            "objection_decision_due": demo.duration(120),
        }
    )


def run_cycle(demo: Demo, *, data_dir: Path = Path(".kinerja"), ui_port: int = 8233) -> None:
    asyncio.run(_run(demo, data_dir, ui_port))


async def _run(demo: Demo, data_dir: Path, ui_port: int) -> None:
    async with local_stack(demo.settings, data_dir=data_dir, ui_port=ui_port) as stack:
        stop, ready = asyncio.Event(), asyncio.Event()
        worker = asyncio.create_task(run_worker(demo.settings, client=stack.client, stop=stop, ready=ready))
        try:
            await _ready(ready, worker)
            await translate(_cycle(demo, stack), subject="demo")
        finally:
            stop.set()
            await worker


async def _ready(ready: asyncio.Event, worker: asyncio.Task[None]) -> None:
    """Until the worker polls; a worker that fails or never gets there is one clear error, not a traceback."""
    waiting = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({waiting, worker}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if waiting in done:
        return
    waiting.cancel()
    if worker in done and worker.exception() is not None:
        raise CommandError(f"worker demo tidak dapat berjalan: {worker.exception()}")
    raise CommandError("worker demo tidak siap dalam 60 detik")


async def _cycle(demo: Demo, stack: LocalStack) -> None:
    client = stack.client
    start = datetime.now(UTC)
    cycle_id = f"DEMO-{start:%Y%m%d-%H%M%S}"
    with demo.uow_factory() as uow:
        policy = uow.instansi.policy(demo.instansi)
    spec = calendar(demo, start)
    input = CycleInput(
        cycle_id=cycle_id,
        instansi_code=demo.instansi,
        period=demo.period,
        calendar=spec,
        deadlines=resolve(spec, demo.period, policy),
        supervision_team=[PENGAWAS],
        pengelola_kinerja=[PENGELOLA],
        pimpinan=[SEKDA],
        populations={"DAFDUK": 25, "CAPIL": 18},
        escalation=policy.escalation,
    )
    handle = await temporal_client.start_cycle(client, input, task_queue=demo.settings.temporal.task_queue)
    state = await _until(
        lambda: handle.query(CycleWorkflow.state), lambda s: s.phase is not CyclePhase.ENROLLING, demo.seconds(60)
    )
    print(
        f"Siklus {cycle_id} (workflow {handle.id}): {state.enrolled} penilaian kinerja berjalan di Temporal"
        f" ({stack.address})."
    )
    for skipped in state.skipped:
        print(f"  tidak didaftarkan: {skipped.name} — {skipped.reason}")
    draft_due = input.deadlines.skp_draft_due
    print(f"  batas penyusunan SKP: {local_time(draft_due)} ({demo.duration(DRAFT_DUE)} dari mulai)")
    if stack.ui_url:
        print(f"  Web UI: {stack.ui_url}/namespaces/{client.namespace}/workflows?query=KinerjaCycle%3D%27{cycle_id}%27")

    steps = _Steps(client, cycle_id)
    print(f"\n--- Sri Wahyuni ({SRI}): setiap tahap ---")
    await _sri(demo, steps)
    print(f"\n--- Budi Santoso ({BUDI}): langkah yang terlambat ---")
    await _budi(demo, steps, start)
    print(f"\n--- Yakob Kaigere ({YAKOB}): pindah ke instansi lain ---")
    await _yakob(demo, steps)

    print("\n--- Riwayat (kinerja riwayat) ---")
    for nip in (SRI, BUDI):
        await _history(client, cycle_id, nip)
    with demo.uow_factory() as uow:
        counts = uow.outbox.counts()
    print(
        f"\nOutbox: {counts.waiting} notifikasi menunggu dikirim ({by_channel(counts) or '-'}): pengingat, eskalasi dan"
        " pemberitahuan langkah; worker `kinerja up` mengirimnya (e-mail lewat SMTP__HOST, selainnya ke log)."
        " Lihat `kinerja notifikasi`."
    )
    print(
        f"\nSelesai. Siklus {cycle_id} berjalan terus (survei, kalibrasi, penutupan menurut kalender); jalankan"
        f" `kinerja up` lalu coba `kinerja siklus status --siklus {cycle_id}`, `kinerja terlambat --siklus {cycle_id}`"
        f" atau `kinerja tugas --nip {HERMAN}`."
    )


class _Steps:
    """Sends one step and prints what happened with the equivalent command."""

    def __init__(self, client: Client, cycle_id: str) -> None:
        self.client, self.cycle_id = client, cycle_id

    async def state(self, nip: str) -> AppraisalState:
        state: AppraisalState = await appraisal_handle(self.client, self.cycle_id, nip).query(AppraisalWorkflow.state)
        return state

    async def send(self, nip: str, command: str, what: str, call: Callable[..., Awaitable[AppraisalState]]) -> None:
        state = await call(appraisal_handle(self.client, self.cycle_id, nip))
        print(f"  ✓ {what:<48} → {state.step.label}")
        print(f"      $ kinerja {command} --siklus {self.cycle_id} --nip {nip}")


async def _sri(demo: Demo, steps: _Steps) -> None:
    skp = stored_skp(demo.uow_factory, SRI, demo.period)
    sri, herman = Actor(nip=SRI, role=Role.PEGAWAI), Actor(nip=HERMAN, role=Role.PENILAI)
    await steps.send(
        SRI,
        "skp ajukan",
        "Sri mengajukan SKP",
        lambda h: h.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=sri, skp=skp)),
    )
    note = "Tambahkan target layanan jemput bola di distrik"
    await steps.send(
        SRI,
        f"skp kembalikan --oleh {HERMAN} --catatan '{note}'",
        "Herman mengembalikan SKP dengan catatan",
        lambda h: h.execute_update(AppraisalWorkflow.return_skp, ReturnSkp(actor=herman, comments=note)),
    )
    await steps.send(
        SRI,
        "skp ajukan",
        "Sri mengajukan SKP perbaikan",
        lambda h: h.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=sri, skp=skp)),
    )
    await steps.send(
        SRI,
        f"skp setujui --oleh {HERMAN}",
        "Herman menyetujui SKP",
        lambda h: h.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=herman)),
    )
    realisations = [
        Realisation(
            indicator_id=indicator.id,
            value=indicator.target.value * Decimal("1.04"),
            evidence=[f"https://arsip.dukcapil.example.go.id/{indicator.id}"],
        )
        for rhk in skp.rhk
        for indicator in rhk.indicators
    ]
    await steps.send(
        SRI,
        "realisasi ajukan --file realisasi.csv",
        "Sri mengisi realisasi (penilaian diri)",
        lambda h: h.execute_update(
            AppraisalWorkflow.submit_self_assessment, SubmitSelfAssessment(actor=sri, realisations=realisations)
        ),
    )
    state = await steps.state(SRI)
    if state.suggestion is not None:
        print(f"      saran rating hasil kerja dari capaian: {state.suggestion.rating.label}")
    await steps.send(
        SRI,
        f"penilaian ajukan --oleh {HERMAN} --hasil-kerja sesuai --perilaku 'di atas'",
        "Herman menilai: hasil kerja Sesuai, perilaku Di Atas",
        lambda h: h.execute_update(
            AppraisalWorkflow.submit_review,
            SubmitReview(
                actor=herman,
                hasil_kerja=state.suggestion.rating if state.suggestion else Expectation.MEETS,
                perilaku=Expectation.ABOVE,
                feedback="Pertahankan kecepatan verifikasi",
            ),
        ),
    )
    reviewed = await steps.state(SRI)
    predicate = reviewed.predicate or Predicate.BAIK
    print(f"      predikat dari matriks PermenPANRB 6/2022: {predicate.label}")
    await appraisal_handle(steps.client, steps.cycle_id, SRI).execute_update(
        AppraisalWorkflow.apply_calibration,
        ApplyCalibration(
            actor=Actor(nip=PENGELOLA, role=Role.PENGELOLA_KINERJA),
            predicate=predicate,
            reason="hasil rapat kalibrasi instansi (SE MenPAN-RB 3/2023)",
        ),
    )
    signed_off = await _until(lambda: steps.state(SRI), lambda s: s.step is Step.SIGN_OFF, demo.seconds(30))
    print(f"  ✓ {'Kalibrasi menetapkan ' + predicate.label:<48} → {signed_off.step.label}")
    print(
        f"      $ kinerja hasil-kalibrasi --siklus {steps.cycle_id} --nip {SRI} --predikat {predicate.value}"
        f" --oleh {PENGELOLA}"
    )
    await steps.send(
        SRI,
        f"tetapkan --oleh {HERMAN}",
        "Herman menetapkan hasil penilaian",
        lambda h: h.execute_update(AppraisalWorkflow.sign, Sign(actor=herman)),
    )
    reason = "Layanan jemput bola di 3 distrik belum dihitung sebagai realisasi"
    await steps.send(
        SRI,
        "keberatan ajukan --alasan '...'",
        "Sri mengajukan keberatan",
        lambda h: h.execute_update(AppraisalWorkflow.file_objection, FileObjection(actor=sri, reason=reason)),
    )
    decided = Predicate.SANGAT_BAIK
    await steps.send(
        SRI,
        f"keberatan putuskan --oleh {KEPALA} --predikat '{decided.label}' --alasan '...'",
        f"Kepala Dinas mengabulkan keberatan: {decided.label}",
        lambda h: h.execute_update(
            AppraisalWorkflow.decide_objection,
            DecideObjection(
                actor=Actor(nip=KEPALA, role=Role.ATASAN_PENILAI),
                predicate=decided,
                reason="Bukti layanan jemput bola sah dan menambah capaian",
            ),
        ),
    )


async def _budi(demo: Demo, steps: _Steps, start: datetime) -> None:
    due = start + demo.seconds(DRAFT_DUE)
    left = (due - datetime.now(UTC)).total_seconds()
    if left > 0:
        print(
            f"  Budi belum mengajukan SKP; batas {local_time(due)} (±{left:.0f} detik lagi). Menunggu timer Temporal..."
        )
    state = await _until(lambda: steps.state(BUDI), lambda s: s.overdue, demo.seconds(DRAFT_DUE + 60))
    reminders = [e for e in state.timeline if e.action == "notice.reminder"]
    for reminder in reminders:
        to = (reminder.note or BUDI).split(": ", 1)[-1]
        print(f"  • {local_time(reminder.at)} pengingat kepada {to}")
    print(
        f"  ! {local_time(state.deadline)} TERLAMBAT: eskalasi tingkat {state.escalation_level}"
        " ke Tim Pengawasan dan atasan"
    )

    async def overdue_now() -> tuple[list[OpenStep], int]:
        return list_open(WorklistQuery(overdue=True, cycle_id=steps.cycle_id), uow_factory=demo.uow_factory)

    overdue = await _until(
        overdue_now,
        lambda found: any(s.nip == BUDI for s in found[0]),
        demo.seconds(30),
    )
    print(f"\n  $ kinerja terlambat --siklus {steps.cycle_id}")
    table(
        ["NIP", "Unit", "Langkah", "Batas", "Eskalasi"],
        [[s.nip, s.unit, s.step.label, local_time(s.deadline), s.escalation_level] for s in overdue[0]],
    )
    pengawas = Actor(nip=PENGAWAS, role=Role.PENGAWASAN)
    new_deadline = datetime.now(UTC) + demo.seconds(120)
    await steps.send(
        BUDI,
        f"perpanjang --oleh {PENGAWAS} --sampai {new_deadline.astimezone(WIB).isoformat(timespec='seconds')}"
        " --alasan '...'",
        "Tim Pengawasan memperpanjang batas waktu",
        lambda h: h.execute_update(
            AppraisalWorkflow.extend_deadline,
            ExtendDeadline(
                actor=pengawas, new_deadline=new_deadline, reason="Pegawai sakit, surat keterangan dokter ada"
            ),
        ),
    )
    skp = stored_skp(demo.uow_factory, BUDI, demo.period)
    await steps.send(
        BUDI,
        f"skp ajukan --oleh {PENGAWAS} --peran pengawasan --alasan '...'",
        "Tim Pengawasan mengajukan SKP atas nama Budi",
        lambda h: h.execute_update(
            AppraisalWorkflow.submit_skp,
            SubmitSkp(actor=pengawas, skp=skp, reason="Diambil alih: pegawai sakit, draf SKP sudah ada di sistem"),
        ),
    )


async def _yakob(demo: Demo, steps: _Steps) -> None:
    """HR withdraws him from the cycle: his appraisal ends, and leaves the lists, the calibration and the report."""
    reason = "SK Gubernur Papua 821/77/2026, pindah ke Pemerintah Provinsi Papua"
    await steps.send(
        YAKOB,
        f"tarik --oleh {PENGELOLA} --sebab mutasi --tmt {demo.period}-07-01 --alasan '...'",
        "Pengelola kinerja menarik Yakob (mutasi)",
        lambda handle: handle.execute_update(
            AppraisalWorkflow.withdraw,
            Withdraw(
                actor=Actor(nip=PENGELOLA, role=Role.PENGELOLA_KINERJA),
                cause=WithdrawalCause.MUTASI,
                reason=reason,
                effective_on=date(demo.period, 7, 1),
            ),
        ),
    )


async def _history(client: Client, cycle_id: str, nip: str) -> None:
    handle = appraisal_handle(client, cycle_id, nip)
    state: AppraisalState = await handle.query(AppraisalWorkflow.state)
    fired = [
        event.event_time.ToDatetime().replace(tzinfo=UTC)
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_TIMER_FIRED
    ]
    print(f"\n{state.employee_name} ({nip}) — $ kinerja riwayat --siklus {cycle_id} --nip {nip}")
    table(
        ["Waktu", "Pelaku", "Kejadian", "Keterangan"],
        [[local_time(e.at), e.who, e.what, e.detail] for e in timeline(state, fired)],
    )


async def _until(read: Callable[[], Awaitable[T]], done: Callable[[T], bool], limit: timedelta) -> T:
    """Poll until `done` (the workflow applies signals and timers on its own schedule); a CommandError after `limit`."""
    deadline = asyncio.get_running_loop().time() + limit.total_seconds()
    while True:
        value = await read()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise CommandError(f"demo: keadaan yang ditunggu tidak tercapai dalam {limit}; apakah worker berjalan?")
        await asyncio.sleep(0.5)
