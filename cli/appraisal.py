"""The calibration result of one employee from the command line (pengelola kinerja).

kinerja hasil-kalibrasi --siklus 2026 --nip NIP --predikat baik --oleh NIP_PENGELOLA --alasan "..."

The human steps of an appraisal are in cli/steps.py and go through the HTTP API as the signed-in person. This one is
still a Signal sent with the Temporal client and names its actor with `--oleh`: the workflow's Update for it (with a
validator) replaces it, and the command then goes through the API as well.
"""

from __future__ import annotations

import argparse
from typing import Any, TypeAlias

from cli.output import CommandError, emit_json
from cli.temporal import run, translate
from domain.ratings import Predicate, parse_enum
from domain.stages import Role, Step
from settings import load_settings
from temporal_client import appraisal_handle
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import MIN_REASON_CHARS, Actor, ApplyCalibration, AppraisalState

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: Parsers) -> None:
    calibration = commands.add_parser(
        "hasil-kalibrasi", help="kirim hasil kalibrasi satu pegawai ke penilaiannya (pengelola kinerja)"
    )
    calibration.add_argument("--siklus", "--cycle", dest="cycle", required=True, help="id siklus, mis. 2026-DUKCAPIL")
    calibration.add_argument("--nip", required=True, help="NIP pegawai yang dinilai")
    calibration.add_argument("--oleh", dest="actor", help="NIP pengelola kinerja yang bertindak")
    calibration.add_argument("--json", action="store_true", help="cetak keputusan sebagai JSON")
    calibration.add_argument("--predikat", required=True, help="predikat hasil kalibrasi, mis. baik")
    calibration.add_argument("--alasan", default="", help="wajib bila predikat berubah dari hasil penilaian")
    calibration.add_argument("--kalibrasi", dest="calibration_id", help="id keputusan kalibrasi (bawaan: siklus)")
    calibration.set_defaults(handler=_calibration, default_role=Role.PENGELOLA_KINERJA)


def _actor(args: argparse.Namespace) -> Actor:
    role = Role(getattr(args, "role", None) or args.default_role.value)
    nip = args.actor or (args.nip if role is Role.PEGAWAI else None)
    if nip is None:
        raise CommandError(f"--oleh: NIP {role.label} yang bertindak wajib diisi")
    return Actor(nip="".join(nip.split()), role=role)


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
