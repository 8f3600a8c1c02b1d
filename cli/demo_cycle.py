"""The second half of `kinerja demo`: a whole appraisal cycle compressed into about a minute, on the real stack.

The sample office's cycle workflow starts with every deadline seconds or minutes away (ISO-8601 durations from
the start) and reminders 20 and 10 seconds before a deadline; it enrols the office and goes on after the demo
(survey close, calibration, closing report) whenever a worker runs. Sri Wahyuni's appraisal goes through every
stage: her SKP is returned once, approved, evaluated for the first quarter (the calendar ends the year's quarters
within the first minutes: she records her realisation so far and Herman holds the dialog kinerja), self-assessed,
reviewed, calibrated, signed, objected to and decided.
Budi Santoso does nothing: he is reminded, becomes overdue and is escalated to the supervision team, who extend his
deadline and take the step over. Yakob Kaigere moves to the province and HR withdraws him from the cycle.

The HTTP service runs in this process beside the worker, and every person's step goes through it: each demo person
signs in with their demo account (cli/demo_people.py) and takes their own step with their own token, exactly as
`kinerja masuk` and the command printed beside it do.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import Client

import temporal_client
from cli.api import Api, segment
from cli.demo_people import BUDI, DEMO_PASSWORD, HERMAN, KEPALA, PENGAWAS, PENGELOLA, SEKDA, SRI, YAKOB, print_logins
from cli.notifications import by_channel
from cli.output import CommandError, local_time, table
from cli.stack import LocalStack, local_stack
from cli.temporal import translate
from cli.web import web_service
from cli.worklist import OpenStep, list_open
from domain.calendar import CycleCalendar, resolve
from domain.ratings import Expectation, Predicate
from domain.withdrawal import WithdrawalCause
from domain.worklist import WorklistQuery
from persistence.ports import AbstractUnitOfWork
from services import history
from settings import Settings
from worker import run_worker
from workflows.contracts import AppraisalState
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CycleInput, CyclePhase

UowFactory = Callable[[], AbstractUnitOfWork]
T = TypeVar("T")
WIB = timezone(timedelta(hours=7))

DRAFT_DUE = 40  # seconds from the cycle start; every other duration of the demo is scaled with it
PERIOD_ENDS = (30, 200, 220)  # the three quarters before the annual evaluation end then (domain.periods)


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
            "period_ends": [demo.duration(end) for end in PERIOD_ENDS],
        }
    )


def run_cycle(
    demo: Demo,
    *,
    data_dir: Path = Path(".kinerja"),
    ui_port: int = 8233,
    web_port: int | None = None,
    keep_running: bool = False,
) -> None:
    """The story on a local stack with the worker and the HTTP service (on `web_port`, or any free port); with
    `keep_running` the service stays up afterwards, until Ctrl-C, for the reader to sign in and try it."""
    asyncio.run(_run(demo, data_dir, ui_port, web_port or _free_port(), keep_running))


async def _run(demo: Demo, data_dir: Path, ui_port: int, web_port: int, keep_running: bool) -> None:
    # Payloads are compressed: the Web UI asks the demo's web service to open them (an operator signed in there).
    codec = f"http://127.0.0.1:{web_port}/codec"
    async with local_stack(demo.settings, data_dir=data_dir, ui_port=ui_port, codec_endpoint=codec) as stack:
        stop, ready = asyncio.Event(), asyncio.Event()
        worker = asyncio.create_task(run_worker(demo.settings, client=stack.client, stop=stop, ready=ready))
        try:
            await _ready(ready, worker)
            async with web_service(stack.web_settings(demo.settings), port=web_port, client=stack.client) as web:
                await translate(_cycle(demo, stack, web.url, data_dir), subject="demo")
                print_logins(demo.uow_factory, web.url if keep_running else None)
                if keep_running:
                    print(f"\nLayanan web demo berjalan di {web.url} — tekan Ctrl-C untuk berhenti.", flush=True)
                    await asyncio.Event().wait()
        finally:
            stop.set()
            await worker


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


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


async def _cycle(demo: Demo, stack: LocalStack, api_url: str, data_dir: Path) -> None:
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

    print(f"  layanan web (API): {api_url} — setiap orang masuk dengan akunnya dan bertindak lewat API")

    steps = _Steps(client, cycle_id, api_url)
    try:
        print(f"\n--- Sri Wahyuni ({SRI}): setiap tahap ---")
        await _sri(demo, steps, data_dir)
        await _document(steps, data_dir)
        print(f"\n--- Budi Santoso ({BUDI}): langkah yang terlambat ---")
        await _budi(demo, steps, start)
        print(f"\n--- Yakob Kaigere ({YAKOB}): pindah ke instansi lain ---")
        await _yakob(demo, steps)
    finally:
        await steps.sign_out()

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
        f" `kinerja up` lalu coba `kinerja siklus status --siklus {cycle_id}` atau `kinerja terlambat --siklus"
        f" {cycle_id}`; sebagai orang demo: `kinerja masuk --nip {HERMAN}` lalu `kinerja tugas`."
    )


class _Steps:
    """Each demo person signs in through the API (a personal access token, as `kinerja masuk` gets one) and takes
    their own steps with it; every step prints the command that does the same once signed in."""

    def __init__(self, client: Client, cycle_id: str, api_url: str) -> None:
        self.client, self.cycle_id, self.api_url = client, cycle_id, api_url
        self.signed_in: dict[str, Api] = {}
        self.names: dict[str, str] = {}

    async def as_person(self, nip: str) -> Api:
        if nip not in self.signed_in:
            token = {"nama": "kinerja demo", "cakupan": ["baca", "langkah"], "hari": 1}
            async with Api(self.api_url) as anonymous:
                answer = await anonymous.post("/auth/login", {"nip": nip, "kata_sandi": DEMO_PASSWORD, "token": token})
            self.signed_in[nip] = Api(self.api_url, answer["token"])
            self.names[nip] = answer["nama"]
        return self.signed_in[nip]

    async def state(self, nip: str, *, reader: str = PENGELOLA) -> AppraisalState:
        return await (await self.as_person(reader)).appraisal(self.cycle_id, nip)

    async def send(self, actor: str, nip: str, step: str, body: dict[str, Any], command: str, what: str) -> None:
        state = await (await self.as_person(actor)).step(self.cycle_id, nip, step, body)
        print(f"  ✓ {what:<48} → {state.step.label}")
        who = self.names[actor].split(",")[0]
        print(f"      $ kinerja {command} --siklus {self.cycle_id} --nip {nip}   # masuk sebagai {who} ({actor})")

    async def sign_out(self) -> None:
        """Revoke the demo's tokens: whoever tries the service afterwards signs in themselves."""
        for api in self.signed_in.values():
            with contextlib.suppress(CommandError):
                await api.post("/auth/logout")
            await api.aclose()


async def _sri(demo: Demo, steps: _Steps, data_dir: Path) -> None:
    await steps.send(SRI, SRI, "skp-submit", {}, "skp ajukan", "Sri mengajukan SKP")
    note = "Tambahkan target layanan jemput bola di distrik"
    await steps.send(
        HERMAN,
        SRI,
        "skp-return",
        {"catatan": note},
        f"skp kembalikan --catatan '{note}'",
        "Herman mengembalikan SKP dengan catatan",
    )
    await steps.send(SRI, SRI, "skp-submit", {}, "skp ajukan", "Sri mengajukan SKP perbaikan")
    await steps.send(HERMAN, SRI, "skp-approve", {}, "skp setujui", "Herman menyetujui SKP")
    await _dialog(steps)
    await _period(demo, steps, data_dir)
    approved = await steps.state(SRI, reader=SRI)
    assert approved.skp is not None
    realisations = [
        {
            "indikator": indicator.id,
            "realisasi": str((indicator.target.value * Decimal("1.04")).quantize(Decimal("0.01"))),
            "bukti": [f"https://arsip.dukcapil.example.go.id/{indicator.id}"],
        }
        for rhk in approved.skp.rhk
        for indicator in rhk.indicators
    ]
    await steps.send(
        SRI,
        SRI,
        "self-assessment",
        {"realisasi": realisations},
        "realisasi ajukan --file realisasi.csv",
        "Sri mengisi realisasi (penilaian diri)",
    )
    state = await steps.state(SRI, reader=HERMAN)
    if state.suggestion is not None:
        print(f"      saran rating hasil kerja dari capaian: {state.suggestion.rating.label}")
    rating = state.suggestion.rating if state.suggestion else Expectation.MEETS
    await steps.send(
        HERMAN,
        SRI,
        "review",
        {
            "hasil_kerja": rating.value,
            "perilaku": Expectation.ABOVE.value,
            "umpan_balik": "Pertahankan kecepatan verifikasi",
        },
        f"penilaian ajukan --hasil-kerja '{rating.label}' --perilaku 'di atas'",
        f"Herman menilai: hasil kerja {rating.label.removesuffix(' Ekspektasi')}, perilaku Di Atas",
    )
    reviewed = await steps.state(SRI)
    predicate = reviewed.predicate or Predicate.BAIK
    print(f"      predikat dari matriks PermenPANRB 6/2022: {predicate.label}")
    # The pengelola kinerja's result for one employee; the cycle's locked decision reaches every appraisal by itself.
    await steps.send(
        PENGELOLA,
        SRI,
        "calibration",
        {"predikat": predicate.value, "alasan": "Hasil rapat kalibrasi instansi (SE MenPAN-RB 3/2023)"},
        f"hasil-kalibrasi --predikat {predicate.value} --alasan '...'",
        f"Kalibrasi menetapkan {predicate.label}",
    )
    await steps.send(HERMAN, SRI, "sign", {}, "tetapkan", "Herman menetapkan hasil penilaian")
    reason = "Layanan jemput bola di 3 distrik belum dihitung sebagai realisasi"
    await steps.send(
        SRI, SRI, "objection", {"alasan": reason}, "keberatan ajukan --alasan '...'", "Sri mengajukan keberatan"
    )
    decided = Predicate.SANGAT_BAIK
    await steps.send(
        KEPALA,
        SRI,
        "objection-decision",
        {"predikat": decided.value, "alasan": "Bukti layanan jemput bola sah dan menambah capaian"},
        f"keberatan putuskan --predikat '{decided.label}' --alasan '...'",
        f"Kepala Dinas mengabulkan keberatan: {decided.label}",
    )


async def _dialog(steps: _Steps) -> None:
    """Umpan balik berkelanjutan: Herman's dated note during the year and Sri's answer (not steps: the appraisal stays
    where it is; both are printed in the evaluation document)."""
    path = f"/cycles/{segment(steps.cycle_id)}/appraisals/{SRI}/feedback"
    note = "Verifikasi berkas triwulan I tepat waktu; percepat layanan jemput bola di distrik"
    given = await (await steps.as_person(HERMAN)).post(path, {"teks": note})
    print(f"  ✓ {'Herman memberi umpan balik berkelanjutan':<48} → catatan {given['id']}")
    answer = "Jadwal jemput bola ke tiga distrik sudah disusun untuk triwulan II"
    await (await steps.as_person(SRI)).post(path, {"teks": answer, "menjawab": given["id"]})
    print(f"  ✓ {'Sri menjawab umpan balik':<48} → dicatat pada penilaian")
    print("      di halaman penilaian (Umpan balik berkelanjutan), atau POST .../feedback lewat API")


async def _period(demo: Demo, steps: _Steps, data_dir: Path) -> None:
    """The periodic evaluation (PermenPANRB 6/2022 Pasal 5): once the quarter has ended, Sri records her realisation
    so far and Herman holds the dialog kinerja; its own evaluation document follows."""
    path = f"/cycles/{segment(steps.cycle_id)}/appraisals/{SRI}/periods"
    sri = await steps.as_person(SRI)
    print(f"  Triwulan I berakhir {demo.duration(PERIOD_ENDS[0])} dari mulai siklus (kalender demo); menunggu...")
    found = await _until(lambda: sri.get(path), lambda periods: bool(periods), demo.seconds(PERIOD_ENDS[-1] + 30))
    period = found[0]
    number, label = period["nomor"], period["periode"]
    approved = await steps.state(SRI, reader=SRI)
    assert approved.skp is not None
    first = approved.skp.rhk[0].indicators[0]
    so_far = (first.target.value * Decimal("0.3")).quantize(Decimal("0.01"))
    await sri.post(
        f"{path}/{number}/realisation",
        {"realisasi": [{"indikator": first.id, "realisasi": str(so_far), "bukti": []}]},
    )
    print(f"  ✓ {f'Sri mencatat realisasi {label}':<48} → {first.id}: {so_far} dari target {first.target.value}")
    feedback = "Capaian triwulan sesuai rencana; jaga kecepatan verifikasi dan mulai jemput bola"
    await (await steps.as_person(HERMAN)).post(f"{path}/{number}/dialog", {"umpan_balik": feedback})
    print(f"  ✓ {f'Herman melakukan dialog kinerja {label}':<48} → evaluasi periode selesai")
    print(f"      di halaman penilaian (Evaluasi periodik), atau POST .../periods/{number}/... lewat API")
    pdf = await sri.download(f"{path}/{number}/evaluation-document")
    file = data_dir / f"dokumen-evaluasi-{steps.cycle_id}-{SRI}-periode-{number}.pdf"
    file.write_bytes(pdf)
    print(f"  ✓ {f'Dokumen evaluasi {label} (PDF)':<48} → {file.resolve()}")


async def _document(steps: _Steps, data_dir: Path) -> None:
    """Sri's dokumen evaluasi kinerja, as she downloads it from her appraisal's page."""
    path = f"/cycles/{segment(steps.cycle_id)}/appraisals/{SRI}/evaluation-document"
    pdf = await (await steps.as_person(SRI)).download(path)
    file = data_dir / f"dokumen-evaluasi-{steps.cycle_id}-{SRI}.pdf"
    file.write_bytes(pdf)
    print(f"  ✓ {'Dokumen evaluasi kinerja Sri (PDF)':<48} → {file.resolve()}")


async def _budi(demo: Demo, steps: _Steps, start: datetime) -> None:
    due = start + demo.seconds(DRAFT_DUE)
    left = (due - datetime.now(UTC)).total_seconds()
    if left > 0:
        print(
            f"  Budi belum mengajukan SKP; batas {local_time(due)} (±{left:.0f} detik lagi). Menunggu timer Temporal..."
        )
    state = await _until(lambda: steps.state(BUDI, reader=PENGAWAS), lambda s: s.overdue, demo.seconds(DRAFT_DUE + 60))
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
    new_deadline = (datetime.now(UTC) + demo.seconds(120)).astimezone(WIB).isoformat(timespec="seconds")
    await steps.send(
        PENGAWAS,
        BUDI,
        "deadline",
        {"sampai": new_deadline, "alasan": "Pegawai sakit, surat keterangan dokter ada"},
        f"perpanjang --sampai {new_deadline} --alasan '...'",
        "Tim Pengawasan memperpanjang batas waktu",
    )
    await steps.send(
        PENGAWAS,
        BUDI,
        "skp-submit",
        {"alasan": "Diambil alih: pegawai sakit, draf SKP sudah ada di sistem"},
        "skp ajukan --alasan '...'",
        "Tim Pengawasan mengajukan SKP atas nama Budi",
    )


async def _yakob(demo: Demo, steps: _Steps) -> None:
    """HR withdraws him from the cycle: his appraisal ends, and leaves the lists, the calibration and the report."""
    await steps.send(
        PENGELOLA,
        YAKOB,
        "withdrawal",
        {
            "sebab": WithdrawalCause.MUTASI.value,
            "tmt": date(demo.period, 7, 1).isoformat(),
            "alasan": "SK Gubernur Papua 821/77/2026, pindah ke Pemerintah Provinsi Papua",
        },
        f"tarik --sebab mutasi --tmt {demo.period}-07-01 --alasan '...'",
        "Pengelola kinerja menarik Yakob (mutasi)",
    )


async def _history(client: Client, cycle_id: str, nip: str) -> None:
    state, fired = await history.of_appraisal(client, cycle_id, nip)
    print(f"\n{state.employee_name} ({nip}) — $ kinerja riwayat --siklus {cycle_id} --nip {nip}")
    table(
        ["Waktu", "Pelaku", "Kejadian", "Keterangan"],
        [[local_time(e.at), e.who, e.what, e.detail] for e in history.timeline(state, fired)],
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
