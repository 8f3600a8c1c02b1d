"""The human steps of an appraisal from the command line: each one is a Workflow Update, checked by the workflow's
validator before anything is recorded.

kinerja skp ajukan       --siklus 2026 --nip NIP                    # the SKP imported with `kinerja impor skp`
kinerja skp setujui      --siklus 2026 --nip NIP --oleh NIP_PENILAI
kinerja skp kembalikan   --siklus 2026 --nip NIP --oleh NIP_PENILAI --catatan "..."
kinerja realisasi ajukan --siklus 2026 --nip NIP --file realisasi.csv
kinerja penilaian ajukan --siklus 2026 --nip NIP --oleh NIP_PENILAI --hasil-kerja sesuai --perilaku "di atas"
kinerja hasil-kalibrasi  --siklus 2026 --nip NIP --predikat baik --oleh NIP_PENGELOLA --alasan "..."
kinerja tetapkan         --siklus 2026 --nip NIP --oleh NIP_PENILAI
kinerja terima           --siklus 2026 --nip NIP
kinerja keberatan ajukan   --siklus 2026 --nip NIP --alasan "..."
kinerja keberatan putuskan --siklus 2026 --nip NIP --oleh NIP_ATASAN (--predikat baik | --tetap) --alasan "..."
kinerja perpanjang --siklus 2026 --nip NIP --oleh NIP_PENGAWAS --sampai 2027-01-31 --alasan "..."
kinerja alihkan    --siklus 2026 --nip NIP --oleh NIP_PENGAWAS --penilai NIP_BARU --alasan "..."
kinerja tarik      --siklus 2026 --nip NIP --oleh NIP_PENGELOLA --sebab mutasi --tmt 2026-07-01 --alasan "SK ..."

The person acting is `--oleh` (default: the employee, for the employee's own steps) in the role `--peran` (default:
the role the step belongs to). The supervision team or pengelola kinerja take a step over for the employee with
`--peran pengawasan|pengelola_kinerja --alasan "..."`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, TypeAlias

from cli.database import open_database
from cli.output import CommandError, emit_json, tmt
from cli.temporal import local_time, run, translate
from domain.errors import DomainError
from domain.ratings import Expectation, Predicate, parse_enum
from domain.stages import Role, Step
from domain.withdrawal import WithdrawalCause
from importing.realisations import parse_realisations
from importing.tables import read_table
from services.appraisals import stored_skp
from settings import Settings, load_settings
from temporal_client import appraisal_handle
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    MIN_REASON_CHARS,
    Acknowledge,
    Actor,
    ApplyCalibration,
    AppraisalState,
    ApproveSkp,
    DecideObjection,
    ExtendDeadline,
    FileObjection,
    Reassign,
    ReturnSkp,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    Withdraw,
)

Build = Callable[[argparse.Namespace, Actor, Settings], Any]
Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
HUMAN_ROLES = [role.value for role in Role if role is not Role.SYSTEM]


def register(commands: Parsers) -> None:
    skp = commands.add_parser("skp", help="ajukan, setujui atau kembalikan SKP dalam siklus berjalan")
    skp_steps = skp.add_subparsers(dest="skp_command", required=True)
    submit = _step(skp_steps, "ajukan", "pegawai mengajukan SKP yang sudah diimpor", Role.PEGAWAI, _submit_skp)
    submit.add_argument("--alasan", help="wajib bila Tim Pengawasan / pengelola kinerja mengajukan atas nama pegawai")
    approve = _step(skp_steps, "setujui", "pejabat penilai menyetujui SKP", Role.PENILAI, _approve_skp)
    approve.add_argument("--catatan", default="")
    back = _step(skp_steps, "kembalikan", "pejabat penilai mengembalikan SKP untuk diperbaiki", Role.PENILAI, _return)
    back.add_argument("--catatan", required=True, help="apa yang harus diperbaiki (wajib)")

    realisation = commands.add_parser("realisasi", help="penilaian diri: realisasi per indikator")
    realisation_steps = realisation.add_subparsers(dest="realisation_command", required=True)
    self_assess = _step(
        realisation_steps,
        "ajukan",
        "kirim realisasi dari berkas (kolom indikator, realisasi, bukti, catatan)",
        Role.PEGAWAI,
        _self_assessment,
    )
    self_assess.add_argument("--file", "--berkas", dest="file", type=Path, required=True, metavar="BERKAS")
    self_assess.add_argument("--alasan", help="wajib bila diambil alih atas nama pegawai")

    review = commands.add_parser("penilaian", help="penilaian oleh pejabat penilai kinerja")
    review_steps = review.add_subparsers(dest="review_command", required=True)
    rate = _step(review_steps, "ajukan", "kirim rating hasil kerja dan perilaku kerja", Role.PENILAI, _review)
    rate.add_argument("--hasil-kerja", dest="hasil_kerja", required=True, help="di atas / sesuai / di bawah ekspektasi")
    rate.add_argument("--perilaku", required=True, help="rating perilaku kerja (BerAKHLAK)")
    rate.add_argument("--alasan", help="wajib bila rating hasil kerja berbeda dari saran sistem")
    rate.add_argument("--umpan-balik", dest="feedback", default="", help="umpan balik untuk pegawai")

    calibration = commands.add_parser(
        "hasil-kalibrasi", help="kirim hasil kalibrasi satu pegawai ke penilaiannya (pengelola kinerja)"
    )
    _common(calibration, Role.PENGELOLA_KINERJA, with_role=False)
    calibration.add_argument("--predikat", required=True, help="predikat hasil kalibrasi, mis. baik")
    calibration.add_argument("--alasan", default="", help="wajib bila predikat berubah dari hasil penilaian")
    calibration.add_argument("--kalibrasi", dest="calibration_id", help="id keputusan kalibrasi (bawaan: siklus)")
    calibration.set_defaults(handler=_calibration)

    _step(commands, "tetapkan", "pejabat penilai menetapkan hasil penilaian", Role.PENILAI, _sign).add_argument(
        "--catatan", default=""
    )
    _step(commands, "terima", "pegawai menerima hasil penilaian (tanpa keberatan)", Role.PEGAWAI, _acknowledge)
    objection = commands.add_parser("keberatan", help="keberatan atas hasil penilaian (PP 30/2019 Pasal 59)")
    objection_steps = objection.add_subparsers(dest="objection_command", required=True)
    _step(objection_steps, "ajukan", "pegawai mengajukan keberatan", Role.PEGAWAI, _object).add_argument(
        "--alasan", required=True
    )
    decide = _step(
        objection_steps, "putuskan", "atasan pejabat penilai memutus keberatan", Role.ATASAN_PENILAI, _decide
    )
    outcome = decide.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--predikat", help="predikat setelah keberatan dikabulkan")
    outcome.add_argument("--tetap", action="store_true", help="keberatan ditolak: hasil tetap")
    decide.add_argument("--alasan", required=True)

    extend = _step(commands, "perpanjang", "perpanjang batas waktu langkah saat ini", Role.PENGAWASAN, _extend)
    extend.add_argument(
        "--sampai",
        required=True,
        help="batas baru: tanggal (akhir hari) atau waktu ISO-8601; tanpa zona dibaca WIB, tulis +08:00 (WITA) atau"
        " +09:00 (WIT) bila perlu",
    )
    extend.add_argument("--alasan", required=True)
    reassign = _step(commands, "alihkan", "alihkan pejabat penilai (reorganisasi, berhalangan)", Role.PENGAWASAN, _move)
    reassign.add_argument("--penilai", required=True, help="NIP pejabat penilai baru")
    reassign.add_argument("--atasan", help="NIP atasan pejabat penilai baru (bawaan: tetap)")
    reassign.add_argument("--alasan", required=True)
    withdraw = _step(
        commands,
        "tarik",
        "tarik pegawai dari siklus berjalan (mutasi, pensiun, meninggal dunia, ...): penilaiannya berakhir dan tidak"
        " ikut kalibrasi maupun laporan predikat",
        Role.PENGELOLA_KINERJA,
        _withdraw,
    )
    withdraw.add_argument(
        "--sebab",
        required=True,
        choices=[cause.value for cause in WithdrawalCause],
        help=", ".join(f"{cause.value}: {cause.label}" for cause in WithdrawalCause),
    )
    withdraw.add_argument("--tmt", help="terhitung mulai tanggal, mis. 2026-07-01 (bila diketahui)")
    withdraw.add_argument("--alasan", required=True, help="dasarnya, mis. nomor SK; wajib")


def _common(parser: argparse.ArgumentParser, role: Role, *, with_role: bool = True) -> None:
    parser.add_argument("--siklus", "--cycle", dest="cycle", required=True, help="id siklus, mis. 2026-DUKCAPIL")
    parser.add_argument("--nip", required=True, help="NIP pegawai yang dinilai")
    parser.add_argument(
        "--oleh",
        dest="actor",
        help="NIP yang bertindak" + (" (bawaan: pegawai itu sendiri)" if role is Role.PEGAWAI else ""),
    )
    if with_role:
        parser.add_argument(
            "--peran", dest="role", choices=HUMAN_ROLES, default=role.value, help=f"bawaan: {role.value}"
        )
    parser.add_argument("--json", action="store_true", help="cetak status baru sebagai JSON")
    parser.set_defaults(default_role=role)


def _step(commands: Parsers, name: str, helptext: str, role: Role, build: Build) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=helptext, description=helptext)
    _common(parser, role)
    parser.set_defaults(handler=_send, build=build)
    return parser


def _actor(args: argparse.Namespace) -> Actor:
    role = Role(getattr(args, "role", None) or args.default_role.value)
    nip = args.actor or (args.nip if role is Role.PEGAWAI else None)
    if nip is None:
        raise CommandError(f"--oleh: NIP {role.label} yang bertindak wajib diisi")
    return Actor(nip="".join(nip.split()), role=role)


def _send(args: argparse.Namespace) -> int:
    settings = load_settings()
    actor = _actor(args)
    payload = args.build(args, actor, settings)
    update = _UPDATES[type(payload)]
    subject = f"penilaian kinerja NIP {args.nip} siklus {args.cycle}"

    async def body(client: Any) -> AppraisalState:
        handle = appraisal_handle(client, args.cycle, args.nip)
        state: AppraisalState = await handle.execute_update(update, payload)
        if args.json:  # the reply carries only the step just recorded; print the whole state
            state = await handle.query(AppraisalWorkflow.state)
        return state

    state = run(settings, body, subject=subject)
    _show(state, args)
    return 0


def _show(state: AppraisalState, args: argparse.Namespace) -> None:
    if args.json:
        emit_json(state)
        return
    done = state.timeline[-1].action if state.timeline else ""
    print(f"{_DONE.get(done, 'tercatat')}: {state.employee_name} ({state.employee_nip})")
    print(f"  sekarang : {state.step.label}")
    if state.assignees:
        print(f"  menunggu : {', '.join(state.assignees)}")
    if state.deadline is not None:
        print(f"  batas    : {local_time(state.deadline)}")
    if state.predicate is not None:
        print(f"  predikat : {state.predicate.label}")
    if state.withdrawal is not None:
        w = state.withdrawal
        print(f"  sebab    : {w.cause.label}{tmt(w.effective_on)}")
        print(f"  alasan   : {w.reason}")


_DONE = {
    "submit_skp": "SKP diajukan",
    "approve_skp": "SKP disetujui",
    "return_skp": "SKP dikembalikan",
    "submit_self_assessment": "Penilaian diri terkirim",
    "submit_review": "Penilaian terkirim",
    "sign": "Hasil penilaian ditetapkan",
    "acknowledge": "Hasil penilaian diterima",
    "file_objection": "Keberatan diajukan",
    "decide_objection": "Keberatan diputus",
    "extend_deadline": "Batas waktu diperpanjang",
    "reassign": "Pejabat penilai dialihkan",
    "withdraw": "Ditarik dari siklus",
}


# --- payloads ------------------------------------------------------------------------------------------------------


def _submit_skp(args: argparse.Namespace, actor: Actor, settings: Settings) -> SubmitSkp:
    period = _period_of(args.cycle, args.nip, settings)
    return SubmitSkp(actor=actor, skp=stored_skp(open_database(settings), args.nip, period), reason=args.alasan)


def _approve_skp(args: argparse.Namespace, actor: Actor, _settings: Settings) -> ApproveSkp:
    return ApproveSkp(actor=actor, note=args.catatan)


def _return(args: argparse.Namespace, actor: Actor, _settings: Settings) -> ReturnSkp:
    return ReturnSkp(actor=actor, comments=args.catatan)


def _self_assessment(args: argparse.Namespace, actor: Actor, _settings: Settings) -> SubmitSelfAssessment:
    return SubmitSelfAssessment(actor=actor, realisations=parse_realisations(read_table(args.file)), reason=args.alasan)


def _review(args: argparse.Namespace, actor: Actor, _settings: Settings) -> SubmitReview:
    return SubmitReview(
        actor=actor,
        hasil_kerja=parse_enum(Expectation, args.hasil_kerja, "hasil_kerja"),
        perilaku=parse_enum(Expectation, args.perilaku, "perilaku"),
        override_reason=args.alasan,
        feedback=args.feedback,
    )


def _sign(args: argparse.Namespace, actor: Actor, _settings: Settings) -> Sign:
    return Sign(actor=actor, note=args.catatan)


def _acknowledge(args: argparse.Namespace, actor: Actor, _settings: Settings) -> Acknowledge:
    return Acknowledge(actor=actor, reason=getattr(args, "alasan", None))


def _object(args: argparse.Namespace, actor: Actor, _settings: Settings) -> FileObjection:
    return FileObjection(actor=actor, reason=args.alasan)


def _decide(args: argparse.Namespace, actor: Actor, _settings: Settings) -> DecideObjection:
    predicate = None if args.tetap else parse_enum(Predicate, args.predikat, "predikat")
    return DecideObjection(actor=actor, predicate=predicate, reason=args.alasan)


def _extend(args: argparse.Namespace, actor: Actor, _settings: Settings) -> ExtendDeadline:
    return ExtendDeadline(actor=actor, new_deadline=parse_instant(args.sampai, "sampai"), reason=args.alasan)


def _move(args: argparse.Namespace, actor: Actor, _settings: Settings) -> Reassign:
    return Reassign(actor=actor, penilai_nip=args.penilai, atasan_nip=args.atasan, reason=args.alasan)


def _withdraw(args: argparse.Namespace, actor: Actor, _settings: Settings) -> Withdraw:
    effective_on = None
    if args.tmt:
        try:
            effective_on = date.fromisoformat(args.tmt.strip())
        except ValueError:
            raise DomainError(f"'{args.tmt}' bukan tanggal (2026-07-01)", field="tmt") from None
    return Withdraw(actor=actor, cause=WithdrawalCause(args.sebab), reason=args.alasan, effective_on=effective_on)


_UPDATES: dict[type, Any] = {
    SubmitSkp: AppraisalWorkflow.submit_skp,
    ApproveSkp: AppraisalWorkflow.approve_skp,
    ReturnSkp: AppraisalWorkflow.return_skp,
    SubmitSelfAssessment: AppraisalWorkflow.submit_self_assessment,
    SubmitReview: AppraisalWorkflow.submit_review,
    Sign: AppraisalWorkflow.sign,
    Acknowledge: AppraisalWorkflow.acknowledge,
    FileObjection: AppraisalWorkflow.file_objection,
    DecideObjection: AppraisalWorkflow.decide_objection,
    ExtendDeadline: AppraisalWorkflow.extend_deadline,
    Reassign: AppraisalWorkflow.reassign,
    Withdraw: AppraisalWorkflow.withdraw,
}


# --- the calibration result of one employee (a signal: the cycle's decision, not a person's step) --------------------


_SIGNED = (Step.SIGN_OFF, Step.OBJECTION_WINDOW, Step.OBJECTION_REVIEW, Step.FINAL)


def _calibration(args: argparse.Namespace) -> int:
    settings = load_settings()
    actor = _actor(args)
    if actor.role is not Role.PENGELOLA_KINERJA:
        raise CommandError("hasil kalibrasi dikirim oleh pengelola kinerja")
    predicate = parse_enum(Predicate, args.predikat, "predikat")
    # The pengelola kinerja's result, checked and recorded by the workflow's apply_calibration Update.
    decision = ApplyCalibration(actor=actor, predicate=predicate, reason=args.alasan)
    subject = f"penilaian kinerja NIP {args.nip} siklus {args.cycle}"

    async def body(client: Any) -> AppraisalState:
        handle = appraisal_handle(client, args.cycle, args.nip)
        state: AppraisalState = await handle.query(AppraisalWorkflow.state)
        if state.step is Step.WITHDRAWN:
            raise CommandError("pegawai ini sudah ditarik dari siklus; kalibrasi tidak berlaku")
        changed = state.predicate is not None and predicate is not state.predicate
        if changed and len("".join(decision.reason.split())) < MIN_REASON_CHARS:
            raise CommandError(
                f"--alasan: predikat berubah dari {state.predicate.label if state.predicate else '-'} menjadi"
                f" {predicate.label}; alasan kalibrasi wajib diisi (SE MenPAN-RB 3/2023)"
            )
        if state.step in _SIGNED:
            # The workflow would only log and ignore it: a signed result is changed through keberatan, not calibration.
            raise CommandError(
                f"hasil penilaian sudah ditetapkan (tahap: {state.step.label}); kalibrasi tidak berlaku lagi"
            )
        updated: AppraisalState = await translate(
            handle.execute_update(AppraisalWorkflow.apply_calibration, decision), subject=subject
        )
        return updated

    state = run(settings, body, subject=subject)
    if args.json:
        emit_json(decision)
    else:
        print(
            f"Hasil kalibrasi terkirim: {state.employee_name} ({state.employee_nip}) → {predicate.label}"
            f" (tahap sekarang: {state.step.label}; diterapkan saat penilaian menunggu kalibrasi)"
        )
    return 0


# --- helpers -------------------------------------------------------------------------------------------------------


def _period_of(cycle_id: str, nip: str, settings: Settings) -> int:
    """The appraisal's period, from the workflow itself (a cycle id need not contain the year)."""

    async def body(client: Any) -> int:
        state: AppraisalState = await appraisal_handle(client, cycle_id, nip).query(AppraisalWorkflow.state)
        return state.period

    return run(settings, body, subject=f"penilaian kinerja NIP {nip} siklus {cycle_id}")


def parse_instant(text: str, field: str, *, utc_offset_hours: int = 7) -> datetime:
    """A date (the end of that day, local time) or an ISO-8601 date-time; without an offset, local time (WIB)."""
    zone = timezone(timedelta(hours=utc_offset_hours))
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime.combine(day, time(23, 59, 59), zone)
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(f"'{text}' bukan tanggal (2027-01-31) atau waktu ISO-8601", field=field) from None
    return value if value.tzinfo else value.replace(tzinfo=zone)
