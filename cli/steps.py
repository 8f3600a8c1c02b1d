"""The human steps of an appraisal from the command line, taken as the signed-in person through the HTTP API.

kinerja masuk --nip NIP                                        # once: who you are (cli/session.py)
kinerja skp ajukan       --siklus 2026 --nip NIP               # the SKP draft stored for the employee
kinerja skp setujui      --siklus 2026 --nip NIP
kinerja skp kembalikan   --siklus 2026 --nip NIP --catatan "..."
kinerja skp ubah         --siklus 2026 --nip NIP --berkas skp-baru.csv --berlaku-sejak 2026-07-01 --alasan "SK ..."
kinerja realisasi ajukan --siklus 2026 --nip NIP --file realisasi.csv
kinerja penilaian ajukan --siklus 2026 --nip NIP --hasil-kerja sesuai --perilaku "di atas"
kinerja hasil-kalibrasi  --siklus 2026 --nip NIP --predikat baik --alasan "..."   # pengelola kinerja
kinerja tetapkan         --siklus 2026 --nip NIP
kinerja terima           --siklus 2026 --nip NIP
kinerja keberatan ajukan   --siklus 2026 --nip NIP --alasan "..."
kinerja keberatan putuskan --siklus 2026 --nip NIP (--predikat baik | --tetap) --alasan "..."
kinerja perpanjang --siklus 2026 --nip NIP --sampai 2027-01-31 --alasan "..."
kinerja alihkan    --siklus 2026 --nip NIP --penilai NIP_BARU --alasan "..."
kinerja tarik      --siklus 2026 --nip NIP --sebab mutasi --tmt 2026-07-01 --alasan "SK ..."

`--nip` is the employee whose appraisal it is. Who acts is whoever signed in, in the role they hold on that
appraisal: the employee for their own steps, their pejabat penilai, the atasan; the supervision team or pengelola
kinerja take an employee's step over by giving `--alasan`. The API checks the role, the workflow's validator the
stage and the payload; a refusal is one line and exit code 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, TypeAlias

from cli.api import Api
from cli.output import emit_json, local_time, tmt
from cli.session import call_api
from domain.errors import DomainError
from domain.ratings import Expectation, Predicate, parse_enum
from domain.stages import Step
from domain.withdrawal import WithdrawalCause
from importing.realisations import parse_realisations
from importing.skp import parse_skp
from importing.tables import read_table
from services.skp_edit import draft_of, fresh_rows
from workflows.contracts import AppraisalState, AppraisalSummary

Body = Callable[[argparse.Namespace], dict[str, Any]]
Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: Parsers) -> None:
    skp = commands.add_parser("skp", help="ajukan, setujui atau kembalikan SKP dalam siklus berjalan")
    skp_steps = skp.add_subparsers(dest="skp_command", required=True)
    submit = _step(skp_steps, "ajukan", "pegawai mengajukan SKP yang tersimpan (diimpor)", "skp-submit", _submit_skp)
    submit.add_argument("--alasan", help="wajib bila Tim Pengawasan / pengelola kinerja mengajukan atas nama pegawai")
    approve = _step(skp_steps, "setujui", "pejabat penilai menyetujui SKP", "skp-approve", _note)
    approve.add_argument("--catatan", default="")
    back = _step(skp_steps, "kembalikan", "pejabat penilai mengembalikan SKP untuk diperbaiki", "skp-return", _note)
    back.add_argument("--catatan", required=True, help="apa yang harus diperbaiki (wajib)")
    change = _step(
        skp_steps,
        "ubah",
        "ajukan perubahan SKP di tengah tahun (mutasi jabatan, reorganisasi): versi baru dari berkas berformat impor"
        " SKP, disetujui pejabat penilai seperti SKP pertama",
        "skp-change",
        _change_skp,
    )
    change.add_argument("--file", "--berkas", dest="file", type=Path, required=True, metavar="BERKAS")
    change.add_argument("--berlaku-sejak", dest="since", required=True, help="hari pertama versi baru, mis. 2026-07-01")
    change.add_argument("--alasan", required=True, help="dasar perubahan, mis. nomor SK mutasi jabatan; wajib")

    realisation = commands.add_parser("realisasi", help="penilaian diri: realisasi per indikator")
    realisation_steps = realisation.add_subparsers(dest="realisation_command", required=True)
    self_assess = _step(
        realisation_steps,
        "ajukan",
        "kirim realisasi dari berkas (kolom indikator, realisasi, bukti, catatan)",
        "self-assessment",
        _self_assessment,
    )
    self_assess.add_argument("--file", "--berkas", dest="file", type=Path, required=True, metavar="BERKAS")
    self_assess.add_argument("--alasan", help="wajib bila diambil alih atas nama pegawai")

    review = commands.add_parser("penilaian", help="penilaian oleh pejabat penilai kinerja")
    review_steps = review.add_subparsers(dest="review_command", required=True)
    rate = _step(review_steps, "ajukan", "kirim rating hasil kerja dan perilaku kerja", "review", _review)
    rate.add_argument("--hasil-kerja", dest="hasil_kerja", required=True, help="di atas / sesuai / di bawah ekspektasi")
    rate.add_argument("--perilaku", required=True, help="rating perilaku kerja (BerAKHLAK)")
    rate.add_argument("--alasan", help="wajib bila rating hasil kerja berbeda dari saran sistem")
    rate.add_argument("--umpan-balik", dest="feedback", default="", help="umpan balik untuk pegawai")

    calibration = _step(
        commands,
        "hasil-kalibrasi",
        "pengelola kinerja menetapkan hasil kalibrasi satu pegawai dengan alasan tertulis (keputusan kalibrasi siklus"
        " yang dikunci sampai ke setiap penilaian dengan sendirinya)",
        "calibration",
        _calibration,
    )
    calibration.add_argument("--predikat", required=True, help="predikat hasil kalibrasi, mis. baik")
    calibration.add_argument("--alasan", required=True, help="dasar penetapan (SE MenPAN-RB 3/2023); wajib")
    calibration.set_defaults(shown=_calibrated)

    _step(commands, "tetapkan", "pejabat penilai menetapkan hasil penilaian", "sign", _note).add_argument(
        "--catatan", default=""
    )
    _step(
        commands, "terima", "pegawai menerima hasil penilaian (tanpa keberatan)", "acknowledge", _reason
    ).add_argument("--alasan", help="wajib bila diambil alih atas nama pegawai")
    objection = commands.add_parser("keberatan", help="keberatan atas hasil penilaian (PP 30/2019 Pasal 59)")
    objection_steps = objection.add_subparsers(dest="objection_command", required=True)
    _step(objection_steps, "ajukan", "pegawai mengajukan keberatan", "objection", _reason).add_argument(
        "--alasan", required=True
    )
    decide = _step(
        objection_steps, "putuskan", "atasan pejabat penilai memutus keberatan", "objection-decision", _decide
    )
    outcome = decide.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--predikat", help="predikat setelah keberatan dikabulkan")
    outcome.add_argument("--tetap", action="store_true", help="keberatan ditolak: hasil tetap")
    decide.add_argument("--alasan", required=True)

    extend = _step(commands, "perpanjang", "perpanjang batas waktu langkah saat ini", "deadline", _extend)
    extend.add_argument(
        "--sampai",
        required=True,
        help="batas baru: tanggal (akhir hari) atau waktu ISO-8601; tanpa zona dibaca WIB, tulis +08:00 (WITA) atau"
        " +09:00 (WIT) bila perlu",
    )
    extend.add_argument("--alasan", required=True)
    reassign = _step(commands, "alihkan", "alihkan pejabat penilai (reorganisasi, berhalangan)", "reviewer", _move)
    reassign.add_argument("--penilai", required=True, help="NIP pejabat penilai baru")
    reassign.add_argument("--atasan", help="NIP atasan pejabat penilai baru (bawaan: tetap)")
    reassign.add_argument("--alasan", required=True)
    withdraw = _step(
        commands,
        "tarik",
        "tarik pegawai dari siklus berjalan (mutasi, pensiun, meninggal dunia, ...): penilaiannya berakhir dan tidak"
        " ikut kalibrasi maupun laporan predikat",
        "withdrawal",
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


def _step(commands: Parsers, name: str, helptext: str, step: str, body: Body) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name, help=helptext, description=f"{helptext}. Dikirim atas nama yang masuk (`kinerja masuk`)."
    )
    parser.add_argument("--siklus", "--cycle", dest="cycle", required=True, help="id siklus, mis. 2026-DUKCAPIL")
    parser.add_argument("--nip", required=True, help="NIP pegawai yang dinilai")
    parser.add_argument("--json", action="store_true", help="cetak status baru sebagai JSON")
    parser.set_defaults(handler=_send, step=step, body=body, shown=show)
    return parser


def _send(args: argparse.Namespace) -> int:
    body = args.body(args)  # a file or a date that cannot be read fails here, before anything is sent
    nip = "".join(args.nip.split())

    async def take(api: Api) -> AppraisalSummary | AppraisalState:
        answer = await api.step(args.cycle, nip, args.step, body)
        if args.json:  # the answer says where the appraisal stands and the step just recorded; print the whole state
            return await api.appraisal(args.cycle, nip)
        return answer

    args.shown(call_api(take), as_json=args.json)
    return 0


def show(state: AppraisalSummary | AppraisalState, *, as_json: bool = False) -> None:
    if as_json:
        emit_json(state)
        return
    done = state.timeline[-1].action if state.timeline else ""
    print(f"{DONE.get(done, 'tercatat')}: {state.employee_name} ({state.employee_nip})")
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


def _calibrated(state: AppraisalSummary | AppraisalState, *, as_json: bool = False) -> None:
    """A result sent before the review is done waits for it; the reply's last step need not be the calibration."""
    if as_json or state.step is Step.SIGN_OFF:
        show(state, as_json=as_json)
        return
    print(f"Hasil kalibrasi tercatat: {state.employee_name} ({state.employee_nip})")
    print(f"  sekarang : {state.step.label} (diterapkan saat penilaian menunggu kalibrasi)")


DONE = {
    "submit_skp": "SKP diajukan",
    "approve_skp": "SKP disetujui",
    "return_skp": "SKP dikembalikan",
    "change_skp": "Perubahan SKP diajukan",
    "submit_self_assessment": "Penilaian diri terkirim",
    "submit_review": "Penilaian terkirim",
    "sign": "Hasil penilaian ditetapkan",
    "acknowledge": "Hasil penilaian diterima",
    "file_objection": "Keberatan diajukan",
    "decide_objection": "Keberatan diputus",
    "extend_deadline": "Batas waktu diperpanjang",
    "reassign": "Pejabat penilai dialihkan",
    "withdraw": "Ditarik dari siklus",
    "apply_calibration": "Hasil kalibrasi diterapkan",
}


# --- request bodies (services/steps.py defines them; no actor anywhere) -------------------------------------------


def _present(**fields: Any) -> dict[str, Any]:
    """The fields given: what was left out takes the API's default."""
    return {name: value for name, value in fields.items() if value is not None}


def _submit_skp(args: argparse.Namespace) -> dict[str, Any]:
    return _present(alasan=args.alasan)


def _change_skp(args: argparse.Namespace) -> dict[str, Any]:
    """The new version as the SKP page's editor sends it: the file's rows (the SKP import's columns, this employee's
    only), without ids (the API numbers them after every earlier version's)."""
    since = _day(args.since, "berlaku_sejak")
    nip = "".join(args.nip.split())
    found = parse_skp(read_table(args.file), since.year)
    others = sorted({skp.employee_nip for skp in found} - {nip})
    if others or not found:
        also = f"; ada juga NIP {', '.join(others[:3])}" if others else ""
        raise DomainError(f"berkas harus memuat SKP pegawai {nip} saja{also}", field="berkas")
    draft = fresh_rows(draft_of(found[0]))
    return {"berlaku_sejak": since.isoformat(), "alasan": args.alasan, "skp": draft.model_dump()}


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(f"'{text}' bukan tanggal (2026-07-01)", field=field) from None


def _note(args: argparse.Namespace) -> dict[str, Any]:
    return {"catatan": args.catatan}


def _reason(args: argparse.Namespace) -> dict[str, Any]:
    return _present(alasan=args.alasan)


def _self_assessment(args: argparse.Namespace) -> dict[str, Any]:
    realisations = parse_realisations(read_table(args.file))
    rows = [
        {"indikator": r.indicator_id, "realisasi": str(r.value), "bukti": list(r.evidence), "catatan": r.note}
        for r in realisations
    ]
    return _present(realisasi=rows, alasan=args.alasan)


def _review(args: argparse.Namespace) -> dict[str, Any]:
    return _present(
        hasil_kerja=parse_enum(Expectation, args.hasil_kerja, "hasil_kerja").value,
        perilaku=parse_enum(Expectation, args.perilaku, "perilaku").value,
        alasan=args.alasan,
        umpan_balik=args.feedback,
    )


def _decide(args: argparse.Namespace) -> dict[str, Any]:
    predicate = None if args.tetap else parse_enum(Predicate, args.predikat, "predikat").value
    return {"predikat": predicate, "alasan": args.alasan}


def _calibration(args: argparse.Namespace) -> dict[str, Any]:
    return {"predikat": parse_enum(Predicate, args.predikat, "predikat").value, "alasan": args.alasan}


def _extend(args: argparse.Namespace) -> dict[str, Any]:
    return {"sampai": parse_instant(args.sampai, "sampai").isoformat(), "alasan": args.alasan}


def _move(args: argparse.Namespace) -> dict[str, Any]:
    atasan = "".join(args.atasan.split()) if args.atasan else None
    return _present(penilai="".join(args.penilai.split()), atasan=atasan, alasan=args.alasan)


def _withdraw(args: argparse.Namespace) -> dict[str, Any]:
    effective_on = _day(args.tmt, "tmt") if args.tmt else None
    return _present(
        sebab=WithdrawalCause(args.sebab).value,
        tmt=effective_on.isoformat() if effective_on else None,
        alasan=args.alasan,
    )


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
