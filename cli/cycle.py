"""An appraisal cycle of an instansi from the command line: HR starts it, the leader calibrates, HR reads the report.

kinerja siklus mulai --instansi DUKCAPIL-JPR --periode 2026 [--kalender kalender.json] [--populasi DAFDUK=1200 ...] \
    [--siklus ID] [--tim-pengawasan NIP[,NIP] --pimpinan NIP_SEKDA [--pengelola NIP[,NIP]]]
kinerja siklus tambah  --siklus ID --nip NIP[,NIP] ...        # a late joiner, into the running cycle
kinerja siklus status  --siklus ID
kinerja siklus kalibrasi usul     --siklus ID --predikat-organisasi baik           # the pimpinan, signed in
kinerja siklus kalibrasi putuskan --siklus ID (--terima | --tolak) [--ubah NIP=predikat] [--justifikasi "..."]
kinerja siklus hitung-ulang --siklus ID --alasan "SKB ..."   # working days changed: the admin kepegawaian, signed in
kinerja siklus laporan --siklus ID [--format tabel|json|csv|xlsx] [--file BERKAS]
kinerja siklus dokumen --siklus ID [--unit KODE] --file dokumen.zip   # the evaluation documents, one PDF each

`siklus mulai` starts one cycle workflow (id `cycle-<siklus>`) that enrols every active employee page by page into
their own appraisal workflow; starting again is safe and only shows the progress. Its officials are the roles granted
in the instansi (`POST /api/v1/instansi/{kode}/roles`), as when the API starts it (services.cycle_start), unless the
operator on the server names them; the start is audited as the operator's.

Calibration is the pimpinan's: `siklus kalibrasi` goes through the HTTP API as whoever signed in (`kinerja masuk`),
who must hold the pimpinan role in the cycle's instansi; the cycle's validators check the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import WorkflowAlreadyStartedError

import temporal_client
from cli import report
from cli.api import Api, segment
from cli.database import open_database
from cli.output import CommandError, emit_json, local_time, paused_line, table
from cli.session import call_api
from cli.temporal import run
from domain.calendar import FIELD_LABELS, PERIOD_ENDS_LABEL, CycleCalendar
from domain.errors import DomainError
from domain.officials import Officials
from domain.ratings import OrgPredicate, Predicate, parse_enum
from services import cycle_start, worklist
from services.actors import OPERATOR
from services.appraisals import CycleRequest, plan_cycle
from services.cycle_start import StartOrder
from settings import Settings, load_settings
from workflows.calendar_contracts import CalendarChanged
from workflows.contracts import AppraisalInput
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import (
    CycleInput,
    CyclePhase,
    CycleState,
    CycleTemplate,
)

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
CONCURRENCY = 20  # workflow starts in flight at once (late joiners)
POLL_SECONDS = 0.5


def register(commands: Parsers) -> None:
    cycle = commands.add_parser("siklus", aliases=["cycle"], help="siklus penilaian kinerja satu instansi")
    steps = cycle.add_subparsers(dest="cycle_command", required=True)
    start = steps.add_parser(
        "mulai",
        aliases=["start"],
        help="mulai siklus: setiap pegawai aktif mendapat penilaian kinerjanya (aman diulang)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    start.add_argument("--instansi", required=True)
    start.add_argument("--periode", "--period", dest="period", type=int, required=True)
    start.add_argument("--siklus", "--cycle", dest="cycle", help="id siklus (bawaan: PERIODE-INSTANSI)")
    start.add_argument(
        "--tim-pengawasan", dest="supervision", help="NIP tim pengawasan, pisahkan ',' (bawaan: peran yang diberikan)"
    )
    start.add_argument("--pengelola", default="", help="NIP pengelola kinerja (BKD/BKPSDM), pisahkan ','")
    start.add_argument(
        "--pimpinan",
        help="NIP pimpinan yang menetapkan predikat organisasi (mis. Sekda), pisahkan ',' (bawaan: peran yang"
        " diberikan)",
    )
    start.add_argument(
        "--kalender",
        type=Path,
        metavar="BERKAS_JSON",
        help="batas waktu siklus (tanggal, atau durasi ISO-8601 dari mulai, mis. 'PT10M'); bawaan: kalender kebijakan",
    )
    start.add_argument(
        "--populasi", action="append", default=[], metavar="UNIT=N", help="jumlah penerima layanan unit (sampel SKM)"
    )
    start.add_argument("--halaman", dest="batch_size", type=int, default=500, help="pegawai per langkah pendaftaran")
    start.add_argument("--tanpa-tunggu", dest="no_wait", action="store_true", help="jangan tunggu pendaftaran selesai")
    start.add_argument("--json", action="store_true")
    start.set_defaults(handler=_start)

    schedule = steps.add_parser(
        "jadwal", help="mulai siklus otomatis setiap tahun (Temporal Schedule), mis. setiap 2 Januari pukul 08.00"
    )
    schedule.add_argument("--instansi", required=True)
    schedule.add_argument("--tim-pengawasan", dest="supervision", required=True)
    schedule.add_argument("--pengelola", default="")
    schedule.add_argument("--pimpinan", required=True)
    schedule.add_argument("--kalender", type=Path, metavar="BERKAS_JSON", help="tanpa 'start': 1 Januari periode itu")
    schedule.add_argument("--populasi", action="append", default=[], metavar="UNIT=N")
    schedule.add_argument("--bulan", type=int, default=1, choices=range(1, 13), metavar="1-12")
    schedule.add_argument("--tanggal", type=int, default=2, choices=range(1, 29), metavar="1-28")
    schedule.add_argument("--jam", type=int, default=8, choices=range(24), metavar="0-23")
    schedule.add_argument("--sekarang", dest="trigger", action="store_true", help="jalankan sekali sekarang juga")
    schedule.set_defaults(handler=_schedule)

    late = steps.add_parser("tambah", help="daftarkan pegawai yang baru bergabung ke siklus berjalan")
    late.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    late.add_argument("--nip", required=True, help="NIP pegawai, pisahkan ','")
    late.set_defaults(handler=_add)

    status = steps.add_parser("status", help="tahap siklus, pendaftaran, IKM, predikat per unit, kalibrasi")
    status.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)

    calibration = steps.add_parser("kalibrasi", help="kalibrasi predikat (SE MenPAN-RB 3/2023)")
    calibration_steps = calibration.add_subparsers(dest="calibration_command", required=True)
    propose = calibration_steps.add_parser("usul", help="tetapkan predikat organisasi: periksa pola dan usulan")
    propose.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    propose.add_argument("--predikat-organisasi", dest="org_predicate", required=True)
    propose.add_argument("--rekomendasi-pengelola", dest="rec_hr", help="rekomendasi BKD/BKPSDM")
    propose.add_argument("--rekomendasi-pengawasan", dest="rec_audit", help="rekomendasi tim pengawasan")
    propose.add_argument("--json", action="store_true")
    propose.set_defaults(handler=_propose)
    decide = calibration_steps.add_parser("putuskan", help="terima atau tolak usulan; hasilnya dikunci dan dikirim")
    decide.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    choice = decide.add_mutually_exclusive_group(required=True)
    choice.add_argument("--terima", dest="accept", action="store_true", help="terima usulan")
    choice.add_argument("--tolak", dest="reject", action="store_true", help="predikat tetap seperti hasil penilaian")
    decide.add_argument("--ubah", action="append", default=[], metavar="NIP=PREDIKAT", help="predikat lain oleh komite")
    decide.add_argument("--justifikasi", help="wajib bila menyimpang dari usulan atau dari pola, atau dengan --ubah")
    decide.add_argument("--usulan", help="id usulan yang diputuskan (lihat `siklus status`); bawaan: usulan terakhir")
    decide.add_argument("--json", action="store_true")
    decide.set_defaults(handler=_decide)

    recount = steps.add_parser(
        "hitung-ulang",
        help="hitung ulang batas waktu dalam hari kerja setelah hari kerja instansi berubah (libur atau cuti bersama"
        " baru di kebijakan); setiap penilaian berjalan mengikuti",
    )
    recount.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    recount.add_argument("--alasan", default="", help="mis. nomor SKB tentang cuti bersama baru")
    recount.add_argument("--json", action="store_true")
    recount.set_defaults(handler=_count_again)

    report = steps.add_parser("laporan", help="laporan siklus: predikat dan IKM per unit, keterlambatan")
    report.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    report.add_argument("--format", choices=["tabel", "json", "csv", "xlsx"], default="tabel")
    report.add_argument("--file", type=Path, help="tulis ke berkas (csv/xlsx)")
    report.set_defaults(handler=_report)

    documents = steps.add_parser("dokumen", help="dokumen evaluasi kinerja (PDF) yang sudah ditetapkan, dalam satu ZIP")
    documents.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    documents.add_argument("--unit", help="hanya satu unit kerja (kode)")
    documents.add_argument("--file", type=Path, required=True, help="berkas ZIP yang ditulis, mis. dokumen-2026.zip")
    documents.set_defaults(handler=_documents)


def _nips(text: str) -> list[str]:
    return ["".join(part.split()) for part in text.split(",") if part.strip()]


def _populations(items: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items:
        unit, _, number = item.partition("=")
        if not unit.strip() or not number.strip().isdigit():
            raise DomainError(f"'{item}' harus berbentuk UNIT=JUMLAH, mis. DAFDUK=1200", field="populasi")
        found[unit.strip()] = int(number)
    return found


# --- start -----------------------------------------------------------------------------------------------------------


def _start(args: argparse.Namespace) -> int:
    settings = load_settings()
    calendar = CycleCalendar.model_validate_json(args.kalender.read_text()) if args.kalender else CycleCalendar()
    uow_factory = open_database(settings)
    order = StartOrder(
        instansi_code=args.instansi,
        period=args.period,
        cycle_id=args.cycle,
        calendar=calendar,
        populations=_populations(args.populasi),
        batch_size=args.batch_size,
    )
    if args.supervision and args.pimpinan:  # named by the operator on the server
        officials = Officials(
            supervision_team=_nips(args.supervision),
            pengelola_kinerja=_nips(args.pengelola),
            pimpinan=_nips(args.pimpinan),
        )
    elif args.supervision or args.pimpinan or args.pengelola:
        raise CommandError(
            "--tim-pengawasan dan --pimpinan disebut bersama (dengan --pengelola bila ada), atau tidak sama sekali:"
            " tanpa keduanya dipakai peran yang diberikan di instansi"
        )
    else:  # the officials granted in the instansi, as when the API starts a cycle
        officials = cycle_start.officials_from_grants(uow_factory, args.instansi, cycle_start.cycle_id_of(order))
    # Refuses unknown people or instansi here, before anything starts; the calendar is recorded once it has started.
    prepared = cycle_start.prepare(uow_factory, order, officials)
    input = prepared.input
    policy = prepared.policy
    progress = sys.stderr.isatty() and not args.json

    async def body(client: Client) -> CycleState:
        await cycle_start.start(
            client, uow_factory, prepared, task_queue=settings.temporal.task_queue, by=OPERATOR, now=datetime.now(UTC)
        )
        handle = temporal_client.cycle_handle(client, input.cycle_id)
        while True:
            status = (await handle.describe()).status
            if status is not WorkflowExecutionStatus.RUNNING and status is not WorkflowExecutionStatus.COMPLETED:
                name = status.name.lower() if status else "tidak diketahui"
                raise CommandError(
                    f"siklus {input.cycle_id} berhenti ({name}); lihat riwayatnya di Web UI Temporal, perbaiki datanya"
                    " lalu jalankan `siklus mulai` lagi"
                )
            state: CycleState = await handle.query(CycleWorkflow.state)
            if progress and state.total:
                _bar(state.offset, state.total)
            if args.no_wait or state.phase is not CyclePhase.ENROLLING:
                return state
            await asyncio.sleep(POLL_SECONDS)

    state = run(settings, body, subject=f"siklus {input.cycle_id}")
    if progress and state.total:
        print(file=sys.stderr)
    if args.json:
        emit_json(state)
        return 0
    print(
        f"Siklus {state.cycle_id}: {state.enrolled} penilaian kinerja berjalan"
        + (f" dari {state.total}" if state.phase is CyclePhase.ENROLLING else "")
        + f" (kebijakan {policy.version})"
    )
    print(f"  SKP disusun paling lambat {input.deadlines.skp_draft_due.astimezone():%Y-%m-%d %H:%M %z}")
    if state.already_closed:
        print(f"  {state.already_closed} sudah selesai sebelumnya")
    _print_skipped(state)
    return 0


def _print_skipped(state: CycleState) -> None:
    if state.skipped_count:
        print(f"  {state.skipped_count} pegawai tidak didaftarkan:")
        table(["NIP", "Nama", "Alasan"], [[s.nip, s.name, s.reason] for s in state.skipped])


def _bar(done: int, total: int, width: int = 30) -> None:
    filled = width * done // max(total, 1)
    print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)


# --- a yearly schedule ---------------------------------------------------------------------------------------------


def _schedule(args: argparse.Namespace) -> int:
    settings = load_settings()
    calendar = CycleCalendar.model_validate_json(args.kalender.read_text()) if args.kalender else CycleCalendar()
    if calendar.start is not None:
        raise CommandError(
            "--kalender: jadwal tahunan tidak memakai 'start'; tanggal mulai adalah 1 Januari periodenya"
        )
    template = CycleTemplate(
        instansi_code=args.instansi,
        calendar=calendar,
        supervision_team=_nips(args.supervision),
        pengelola_kinerja=_nips(args.pengelola),
        pimpinan=_nips(args.pimpinan),
        populations=_populations(args.populasi),
    )
    with open_database(settings)() as uow:
        if uow.instansi.get(args.instansi) is None:
            raise CommandError(f"instansi: {args.instansi} belum terdaftar; impor rosternya dahulu")

    async def body(client: Client) -> tuple[str, str | None]:
        handle = await temporal_client.schedule_cycles(
            client, template, task_queue=settings.temporal.task_queue, month=args.bulan, day=args.tanggal, hour=args.jam
        )
        if args.trigger:
            await handle.trigger()  # a paused schedule runs it all the same: Temporal always allows a manual run
        return handle.id, await temporal_client.paused_note(handle)

    schedule_id, paused = run(settings, body, subject=f"jadwal {args.instansi}")
    zone = temporal_client.zone_name(calendar.utc_offset_hours)
    print(
        f"Jadwal {schedule_id}: siklus {args.instansi} dimulai setiap tanggal {args.tanggal}/{args.bulan}"
        f" pukul {args.jam:02d}.00 ({zone}); id siklus PERIODE-{args.instansi}"
        + ("; dijalankan sekali sekarang" if args.trigger else "")
    )
    if paused is not None:
        print(paused_line(schedule_id, paused))
    return 0


# --- late joiners ----------------------------------------------------------------------------------------------------


@dataclass
class Enrolment:
    started: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)  # an appraisal of this cycle already finished


async def enrol(client: Client, inputs: list[AppraisalInput], *, task_queue: str) -> Enrolment:
    """Start (or find running) the appraisal of every input, at most CONCURRENCY at a time."""
    result = Enrolment()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(input: AppraisalInput) -> None:
        async with gate:
            try:
                await temporal_client.start_appraisal(client, input, task_queue=task_queue)
                result.started.append(input.employee_nip)
            except WorkflowAlreadyStartedError:
                result.closed.append(input.employee_nip)

    await asyncio.gather(*(one(input) for input in inputs))
    return result


def _add(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def read(client: Client) -> tuple[CycleState, CycleInput]:
        handle = temporal_client.cycle_handle(client, args.cycle)
        state: CycleState = await handle.query(CycleWorkflow.state)
        return state, await cycle_start.input_of(client, args.cycle)

    state, input = run(settings, read, subject=f"siklus {args.cycle}")
    uow_factory = open_database(settings)
    # A late joiner gets the cycle's officials and deadlines as they stand now (a change of officials, a recount of
    # the calendar), not as the cycle started.
    officials = state.officials
    plan = plan_cycle(
        uow_factory,
        CycleRequest(
            cycle_id=input.cycle_id,
            instansi_code=input.instansi_code,
            period=input.period,
            deadlines=state.deadlines or input.deadlines,
            supervision_team=officials.supervision_team if officials else input.supervision_team,
            pengelola_kinerja=officials.pengelola_kinerja if officials else input.pengelola_kinerja,
            only_nips=_nips(args.nip),
        ),
    )

    async def body(client: Client) -> Enrolment:
        return await enrol(client, plan.inputs, task_queue=settings.temporal.task_queue)

    result = run(settings, body, subject=f"siklus {args.cycle}")
    running = set(result.started)
    worklist.enrol(uow_factory, [input for input in plan.inputs if input.employee_nip in running])
    print(f"Siklus {state.cycle_id}: {len(result.started)} pegawai didaftarkan ({', '.join(result.started) or '-'})")
    for nip in result.closed:
        print(f"  tidak didaftarkan: {nip} — penilaiannya dalam siklus ini sudah selesai atau ditarik")
    for skipped in plan.skipped:
        print(f"  tidak didaftarkan: {skipped.nip} {skipped.name} — {skipped.reason}")
    return 0


# --- status ----------------------------------------------------------------------------------------------------------


def _status(args: argparse.Namespace) -> int:
    state = _query(load_settings(), args.cycle)
    if args.json:
        emit_json(state)
        return 0
    show_state(state)
    return 0


def _query(settings: Settings, cycle_id: str) -> CycleState:
    async def body(client: Client) -> CycleState:
        state: CycleState = await temporal_client.cycle_handle(client, cycle_id).query(CycleWorkflow.state)
        return state

    return run(settings, body, subject=f"siklus {cycle_id}")


def show_state(s: CycleState) -> None:
    print(f"Siklus {s.cycle_id} — instansi {s.instansi_code}, periode {s.period}: {s.phase.label}")
    print(f"  terdaftar: {s.enrolled}" + (f" dari {s.total}" if s.total is not None else ""))
    _print_skipped(s)
    if s.survey is not None:
        print("\nIndeks Kepuasan Masyarakat per unit (PermenPANRB 14/2017):")
        table(
            ["Unit", "Responden", "IKM", "Mutu", "Sampel minimal", "Memadai"],
            [[u.unit, u.responses, u.ikm, u.grade, u.required_sample, u.adequate] for u in s.survey],
        )
    if s.predicates is not None:
        print("\nPredikat per unit (hasil penilaian):")
        _predicate_table(s)
    if s.calibration_due is not None:
        _print_calibration_due(s)
    if s.calibration is not None:
        c = s.calibration
        print(
            f"\nKalibrasi (usulan {c.proposal_id}): predikat organisasi {c.org_predicate.label}"
            f" (ditetapkan {c.set_by}), {c.total} pegawai"
        )
        for role, text in c.recommendations.items():
            print(f"  rekomendasi {role}: {text}")
        for violation in c.violations:
            print(f"  pelanggaran: {violation}")
        print(f"  usulan: {c.changes} perubahan" + ("" if c.feasible else " (pola tidak dapat dipenuhi seluruhnya)"))
        for line in c.changes_shown:
            print(f"    {line}")
    if s.outcome is not None:
        o = s.outcome
        verdict = "diterima" if o.accepted else "ditolak"
        print(f"\nKeputusan kalibrasi oleh {o.decided_by}: usulan {verdict}, {o.overrides} diubah komite,")
        print(f"  {'sesuai pola' if o.compliant else 'menyimpang dari pola: ' + '; '.join(o.violations)}")
        print(
            f"  dikirim ke {o.pushed} penilaian kinerja"
            + (f"; justifikasi: {o.justification}" if o.justification else "")
        )
    if s.report is not None:
        r = s.report
        print(f"\nLaporan penutupan: {report.closing_counts(r)}")
        print(
            f"  pengingat {r.reminders}, eskalasi {r.escalations}"
            + (f", terlambat kini {r.overdue_now}" if r.overdue_now is not None else "")
        )
        if r.calibration_reminders or r.calibration_escalations:
            print(f"  kalibrasi: pengingat {r.calibration_reminders}, eskalasi {r.calibration_escalations}")


def _print_calibration_due(s: CycleState) -> None:
    assert s.calibration_due is not None
    late = s.outcome is None and s.calibration_escalations > 0
    print(
        f"\nBatas kalibrasi: {s.calibration_due.astimezone():%Y-%m-%d %H:%M %z}"
        + (" — TERLAMBAT, sudah dieskalasi" if late else "")
    )
    print(
        f"  pengingat ke pimpinan: {s.calibration_reminders},"
        f" eskalasi ke tim pengawasan dan pengelola kinerja: {s.calibration_escalations}"
    )


def _predicate_table(s: CycleState) -> None:
    predicates = s.report.predicates if s.report else (s.predicates or [])
    table(
        ["Unit", *[p.label for p in Predicate]],
        [[u.unit, *[u.counts.get(p, 0) for p in Predicate]] for u in predicates],
    )


# --- calibration -----------------------------------------------------------------------------------------------------


def _propose(args: argparse.Namespace) -> int:
    body = {
        "predikat_organisasi": parse_enum(OrgPredicate, args.org_predicate, "predikat_organisasi").value,
        "rekomendasi_pengelola": args.rec_hr,
        "rekomendasi_pengawasan": args.rec_audit,
    }
    state = _calibration_step(args.cycle, "proposal", {k: v for k, v in body.items() if v is not None})
    if args.json:
        emit_json(state.calibration)
    else:
        show_state(state)
    return 0


def _count_again(args: argparse.Namespace) -> int:
    """The admin kepegawaian's recount through the API, as the signed-in person; a refusal is one line."""

    async def send(api: Api) -> CalendarChanged:
        answer = await api.post(
            f"/cycles/{segment(args.cycle)}/calendar", {"alasan": args.alasan}, key=str(uuid.uuid4())
        )
        return CalendarChanged.model_validate(answer)

    changed = call_api(send)
    if args.json:
        emit_json(changed)
        return 0
    print(f"Kalender siklus {args.cycle} dihitung ulang (perubahan ke-{changed.version}):")
    if changed.moved:
        table(
            ["Batas", "Sebelumnya", "Menjadi"],
            [[_deadline_label(m.field), local_time(m.before), local_time(m.after)] for m in changed.moved],
        )
    else:
        print("  tidak ada batas waktu yang berpindah")
    if changed.kept:
        print("  tetap (sudah lewat): " + ", ".join(_deadline_label(name) for name in changed.kept))
    print(f"  {changed.appraisals} penilaian berjalan mengikuti batas baru")
    return 0


def _deadline_label(field: str) -> str:
    name = field.split("[", 1)[0]
    return FIELD_LABELS.get(name, PERIOD_ENDS_LABEL) + (field[len(name) :] if name != field else "")


def _calibration_step(cycle_id: str, what: str, body: dict[str, Any]) -> CycleState:
    """The pimpinan's calibration step through the API, as the signed-in person; a refusal is one line."""

    async def send(api: Api) -> CycleState:
        answer = await api.post(f"/cycles/{segment(cycle_id)}/calibration/{what}", body, key=str(uuid.uuid4()))
        return CycleState.model_validate(answer)

    return call_api(send)


def _decide(args: argparse.Namespace) -> int:
    overrides: dict[str, str] = {}
    for item in args.ubah:
        nip, _, predicate = item.partition("=")
        overrides["".join(nip.split())] = parse_enum(Predicate, predicate, f"ubah {nip}").value
    body: dict[str, Any] = {"terima": bool(args.accept), "ubah": overrides}
    if args.usulan:
        body["usulan"] = args.usulan
    if args.justifikasi:
        body["justifikasi"] = args.justifikasi
    state = _calibration_step(args.cycle, "decision", body)
    if args.json:
        emit_json(state.outcome)
    else:
        show_state(state)
        print("\nHasil kalibrasi dikunci; dikirim ke setiap penilaian kinerja (lihat `kinerja siklus status`).")
    return 0


# --- report ----------------------------------------------------------------------------------------------------------


def _report(args: argparse.Namespace) -> int:
    settings = load_settings()
    return report.write(settings, _query(settings, args.cycle), args.format, args.file)


def _documents(args: argparse.Namespace) -> int:
    return report.write_documents(load_settings(), args.cycle, args.unit, args.file)
