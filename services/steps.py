"""The human steps of an appraisal as the signed-in person takes them: who they are comes from their session or
token, never from the request; which role they act in follows from who they are on this appraisal.

The order of checks is the order of what a person may learn:
1. the appraisal exists and the person may see it (domain.access.may_see), else NotFound: someone of another
   instansi, or with no part in it, is told it does not exist;
2. the person holds a role this step allows (else Forbidden);
3. the request's own bounds (domain.bounds), then the workflow's Update validator: the NIP holds that role on this
   appraisal, the stage, the payload. A refusal at any point records nothing.

A step carries the sender's idempotency key as the Update's id, so a retry with the same key is the same Update:
Temporal answers it with the first result and the workflow records it once.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError

from domain.access import AppraisalParties, Principal, Scope, acting_role, may_see, roles_on
from domain.bounds import MAX_EVIDENCE_ITEMS, MAX_LIST_ITEMS, MAX_URL_CHARS, Feedback, Reason
from domain.errors import DomainError, Forbidden, NotFound
from domain.ratings import Expectation, Predicate
from domain.skp import Realisation
from domain.stages import Role
from domain.withdrawal import WithdrawalCause
from persistence.ports import AbstractUnitOfWork
from services.appraisals import check_reassignment, stored_skp
from services.evidence_refs import check_references
from services.skp_change import new_version
from services.skp_edit import SkpDraft
from temporal_client import appraisal_handle
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Acknowledge,
    Actor,
    ApplyCalibration,
    AppraisalState,
    AppraisalSummary,
    ApproveSkp,
    ChangeSkp,
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
    appraisal_workflow_id,
)

UowFactory = Callable[[], AbstractUnitOfWork]
TAKE_OVER = (Role.PENGAWASAN, Role.PENGELOLA_KINERJA)
MAX_IDEMPOTENCY_KEY = 200
# How long a request waits for its step: a step takes well under a second; this is for a database that is away.
# Below the command line's read timeout (cli.api.TIMEOUT), so it hears the API's answer, not its own give-up.
STEP_WAIT = timedelta(seconds=60)


# --- request bodies (the API's contracts; no actor anywhere) --------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubmitSkpBody(_Body):
    """Submit the SKP draft stored for the employee (imported, or edited on its page)."""

    alasan: Reason | None = Field(default=None, description="wajib bila diambil alih atas nama pegawai")


class ChangeSkpBody(_Body):
    """A new version of the SKP from a given day (a new position, a reorganisation), approved by the pejabat penilai
    like the first; the version in force stays until then and is kept (domain.skp_versions)."""

    berlaku_sejak: date = Field(description="hari pertama versi baru berlaku, dalam tahun penilaian")
    alasan: Reason = Field(description="dasar perubahan, mis. SK mutasi jabatan atau SOTK baru (wajib)")
    skp: SkpDraft = Field(description="SKP versi baru seperti disusun pada halaman SKP; id RHK dan indikator baru")


class ApproveSkpBody(_Body):
    catatan: Reason = ""


class ReturnSkpBody(_Body):
    catatan: Reason = Field(description="apa yang harus diperbaiki (wajib)")


# A link to elsewhere, or a file stored for this appraisal (services.evidence: `kinerja://bukti/<sha256>`).
Url = Annotated[
    str,
    Field(min_length=1, max_length=MAX_URL_CHARS, pattern=r"^(https?://[^\s]+|kinerja://bukti/[0-9a-f]{64})$"),
]


class RealisationBody(_Body):
    indikator: str = Field(min_length=1, max_length=64)
    realisasi: Decimal = Field(ge=0, le=Decimal("1e12"), max_digits=18, decimal_places=4)
    bukti: list[Url] = Field(default_factory=list, max_length=MAX_EVIDENCE_ITEMS)
    catatan: Reason = ""


class SelfAssessmentBody(_Body):
    realisasi: list[RealisationBody] = Field(min_length=1, max_length=MAX_LIST_ITEMS)
    alasan: Reason | None = Field(default=None, description="wajib bila diambil alih atas nama pegawai")


class ReviewBody(_Body):
    hasil_kerja: Expectation
    perilaku: Expectation
    alasan: Reason | None = Field(default=None, description="wajib bila rating hasil kerja berbeda dari saran")
    umpan_balik: Feedback = ""


class SignBody(_Body):
    catatan: Reason = ""


class AcknowledgeBody(_Body):
    alasan: Reason | None = Field(default=None, description="wajib bila diambil alih atas nama pegawai")


class ObjectionBody(_Body):
    alasan: Reason


class DecideObjectionBody(_Body):
    predikat: Predicate | None = Field(default=None, description="kosong: keberatan ditolak, hasil tetap")
    alasan: Reason


class ExtendBody(_Body):
    sampai: AwareDatetime
    alasan: Reason


class ReassignBody(_Body):
    penilai: str = Field(pattern=r"^\d{18}$")
    atasan: str | None = Field(default=None, pattern=r"^\d{18}$")
    alasan: Reason


class CalibrationBody(_Body):
    """The pengelola kinerja sets this employee's calibration result by hand, with a written reason; the cycle's
    locked decision reaches every appraisal by itself."""

    predikat: Predicate
    alasan: Reason = Field(description="wajib: dasar penetapan hasil kalibrasi (SE MenPAN-RB 3/2023)")


class WithdrawBody(_Body):
    sebab: WithdrawalCause
    tmt: date | None = None
    alasan: Reason


# --- the catalogue -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepKind:
    name: str  # the path segment: /api/v1/cycles/{cycle}/appraisals/{nip}/steps/{name}
    summary: str
    body: type[_Body]
    update: Any  # the AppraisalWorkflow Update it sends
    roles: tuple[Role, ...]  # who may take it, the step's own role first
    build: Callable[[Any, Actor, Context], BaseModel]


@dataclass(frozen=True)
class Context:
    uow_factory: UowFactory
    parties: AppraisalParties
    period: int


def _skp(body: SubmitSkpBody, actor: Actor, ctx: Context) -> SubmitSkp:
    return SubmitSkp(
        actor=actor, skp=stored_skp(ctx.uow_factory, ctx.parties.employee_nip, ctx.period), reason=body.alasan
    )


def _change_skp(body: ChangeSkpBody, actor: Actor, ctx: Context) -> ChangeSkp:
    skp = new_version(ctx.uow_factory, ctx.parties, ctx.period, body.skp)
    return ChangeSkp(actor=actor, skp=skp, effective_from=body.berlaku_sejak, reason=body.alasan)


def _reassign(body: ReassignBody, actor: Actor, ctx: Context) -> Reassign:
    parties = ctx.parties
    # The roster decides who can appraise: an active employee of the instansi, not the appraisee, not withdrawn.
    check_reassignment(
        ctx.uow_factory,
        parties.instansi_code,
        parties.employee_nip,
        body.penilai,
        body.atasan,
        cycle_id=parties.cycle_id,
    )
    return Reassign(actor=actor, penilai_nip=body.penilai, atasan_nip=body.atasan, reason=body.alasan)


def _realisations(body: SelfAssessmentBody, actor: Actor, ctx: Context) -> SubmitSelfAssessment:
    check_references(ctx.uow_factory, ctx.parties, ((r.indikator, r.bukti) for r in body.realisasi))
    return SubmitSelfAssessment(
        actor=actor,
        realisations=[
            Realisation(indicator_id=r.indikator, value=r.realisasi, evidence=list(r.bukti), note=r.catatan)
            for r in body.realisasi
        ],
        reason=body.alasan,
    )


STEPS: tuple[StepKind, ...] = (
    StepKind("skp-submit", "Ajukan SKP", SubmitSkpBody, AppraisalWorkflow.submit_skp, (Role.PEGAWAI, *TAKE_OVER), _skp),
    StepKind(
        "skp-approve",
        "Setujui SKP",
        ApproveSkpBody,
        AppraisalWorkflow.approve_skp,
        (Role.PENILAI,),
        lambda b, a, _c: ApproveSkp(actor=a, note=b.catatan),
    ),
    StepKind(
        "skp-return",
        "Kembalikan SKP",
        ReturnSkpBody,
        AppraisalWorkflow.return_skp,
        (Role.PENILAI,),
        lambda b, a, _c: ReturnSkp(actor=a, comments=b.catatan),
    ),
    StepKind(
        "skp-change",
        "Ajukan perubahan SKP",
        ChangeSkpBody,
        AppraisalWorkflow.change_skp,
        (Role.PEGAWAI, *TAKE_OVER),
        _change_skp,
    ),
    StepKind(
        "self-assessment",
        "Kirim realisasi (penilaian diri)",
        SelfAssessmentBody,
        AppraisalWorkflow.submit_self_assessment,
        (Role.PEGAWAI, *TAKE_OVER),
        _realisations,
    ),
    StepKind(
        "review",
        "Kirim penilaian",
        ReviewBody,
        AppraisalWorkflow.submit_review,
        (Role.PENILAI,),
        lambda b, a, _c: SubmitReview(
            actor=a, hasil_kerja=b.hasil_kerja, perilaku=b.perilaku, override_reason=b.alasan, feedback=b.umpan_balik
        ),
    ),
    StepKind(
        "sign",
        "Tetapkan hasil penilaian",
        SignBody,
        AppraisalWorkflow.sign,
        (Role.PENILAI,),
        lambda b, a, _c: Sign(actor=a, note=b.catatan),
    ),
    StepKind(
        "acknowledge",
        "Terima hasil penilaian",
        AcknowledgeBody,
        AppraisalWorkflow.acknowledge,
        (Role.PEGAWAI, *TAKE_OVER),
        lambda b, a, _c: Acknowledge(actor=a, reason=b.alasan),
    ),
    StepKind(
        "objection",
        "Ajukan keberatan",
        ObjectionBody,
        AppraisalWorkflow.file_objection,
        (Role.PEGAWAI,),
        lambda b, a, _c: FileObjection(actor=a, reason=b.alasan),
    ),
    StepKind(
        "objection-decision",
        "Putuskan keberatan",
        DecideObjectionBody,
        AppraisalWorkflow.decide_objection,
        (Role.ATASAN_PENILAI,),
        lambda b, a, _c: DecideObjection(actor=a, predicate=b.predikat, reason=b.alasan),
    ),
    StepKind(
        "deadline",
        "Perpanjang batas waktu",
        ExtendBody,
        AppraisalWorkflow.extend_deadline,
        TAKE_OVER,
        lambda b, a, _c: ExtendDeadline(actor=a, new_deadline=b.sampai, reason=b.alasan),
    ),
    StepKind(
        "reviewer",
        "Alihkan pejabat penilai",
        ReassignBody,
        AppraisalWorkflow.reassign,
        TAKE_OVER,
        _reassign,
    ),
    StepKind(
        "calibration",
        "Tetapkan hasil kalibrasi pegawai ini",
        CalibrationBody,
        AppraisalWorkflow.apply_calibration,
        (Role.PENGELOLA_KINERJA,),
        lambda b, a, _c: ApplyCalibration(actor=a, predicate=b.predikat, reason=b.alasan),
    ),
    StepKind(
        "withdrawal",
        "Tarik pegawai dari siklus",
        WithdrawBody,
        AppraisalWorkflow.withdraw,
        (Role.PENGELOLA_KINERJA,),
        lambda b, a, _c: Withdraw(actor=a, cause=b.sebab, reason=b.alasan, effective_on=b.tmt),
    ),
)
STEP_BY_NAME = {kind.name: kind for kind in STEPS}


# --- the service ---------------------------------------------------------------------------------------------------


def parties(uow_factory: UowFactory, cycle_id: str, nip: str) -> tuple[AppraisalParties, int] | None:
    """Who is who on the appraisal, and its period, from the worklist and the cycle (None: no such appraisal)."""
    with uow_factory() as uow:
        item = uow.worklist.get(appraisal_workflow_id(cycle_id, nip))
        if item is None:
            return None
        cycle = uow.cycles.get(cycle_id)
    if cycle is None:
        return None
    found = AppraisalParties(
        cycle_id=item.cycle_id,
        instansi_code=item.instansi_code,
        employee_nip=item.employee_nip,
        penilai_nip=item.penilai_nip,
        atasan_nip=item.atasan_nip,
    )
    return found, cycle.period


def visible(uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str) -> tuple[AppraisalParties, int]:
    """The appraisal if the person may see it; NotFound otherwise, whether it exists or not."""
    found = parties(uow_factory, cycle_id, nip) if _plausible(cycle_id, nip) else None
    if found is None or not may_see(roles_on(principal, found[0])):
        raise NotFound(f"penilaian kinerja NIP {nip} siklus {cycle_id} tidak ditemukan", field="penilaian")
    return found


def update_id(principal: Principal, kind: StepKind, cycle_id: str, nip: str, key: str) -> str:
    """The Update's id for the sender's idempotency key: the same key from the same person for the same step is the
    same Update; nobody else's key can collide with it."""
    return keyed_update_id(principal, kind.name, cycle_id, nip, key)


def keyed_update_id(principal: Principal, step: str, cycle_id: str, nip: str, key: str) -> str:
    """`update_id` for a step named `step` (an appraisal's, or one of a workflow beside it: a plan's, a period's)."""
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or any(ord(ch) < 33 or ord(ch) > 126 for ch in key):
        raise DomainError(
            f"Idempotency-Key: 1 sampai {MAX_IDEMPOTENCY_KEY} karakter ASCII tanpa spasi", field="Idempotency-Key"
        )
    material = "\x1f".join((principal.nip, step, cycle_id, nip, key))
    return "api-" + hashlib.sha256(material.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class PreparedStep:
    """A step checked against everything the database knows, ready to send: the Update, its command and its id."""

    cycle_id: str
    nip: str
    kind: StepKind
    command: BaseModel
    update_id: str | None


def prepare_step(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    cycle_id: str,
    nip: str,
    kind: StepKind,
    body: BaseModel,
    idempotency_key: str | None,
) -> PreparedStep:
    """Who may take the step and as whom, and the command to send (blocking: reads the database)."""
    if Scope.ACT not in principal.scopes:
        raise Forbidden("token ini hanya untuk membaca (cakupan 'baca'); langkah memerlukan cakupan 'langkah'")
    appraisal, period = visible(uow_factory, principal, cycle_id, nip)
    role = acting_role(roles_on(principal, appraisal), kind.roles)
    if role is None:
        allowed = ", ".join(r.label for r in kind.roles)
        raise Forbidden(f"'{kind.summary}' hanya dapat dilakukan oleh {allowed}", field="peran")
    update = update_id(principal, kind, cycle_id, nip, idempotency_key) if idempotency_key is not None else None
    command = kind.build(body, Actor(nip=principal.nip, role=role), Context(uow_factory, appraisal, period))
    return PreparedStep(cycle_id=cycle_id, nip=nip, kind=kind, command=command, update_id=update)


async def send_step(client: Client, step: PreparedStep) -> AppraisalSummary:
    """Send the prepared step as its Update; the workflow's validator has the last word. It answers where the
    appraisal stands and the step just recorded (`appraisal_state` has the rest).

    Waits STEP_WAIT at most: an Update Temporal has accepted is written however long the database is away
    (workflows.appraisal_base.RECORD_ACCEPTED_RETRY), and the person is told so (504: send again with the same
    Idempotency-Key, which is the same Update and answers with its result once it is written) instead of waiting
    with no end. The Update goes on; only this wait for it ends."""
    handle = appraisal_handle(client, step.cycle_id, step.nip)
    try:
        async with asyncio.timeout(STEP_WAIT.total_seconds()):
            state: AppraisalSummary = await handle.execute_update(step.kind.update, step.command, id=step.update_id)
    except TimeoutError:
        raise WorkflowUpdateRPCTimeoutOrCancelledError() from None
    return state


async def appraisal_state(client: Client, cycle_id: str, nip: str) -> AppraisalState:
    """The appraisal's whole state from its workflow (call `visible` first)."""
    state: AppraisalState = await appraisal_handle(client, cycle_id, nip).query(AppraisalWorkflow.state)
    return state


def _plausible(cycle_id: str, nip: str) -> bool:
    return len(nip) == 18 and nip.isdigit() and 0 < len(cycle_id) <= 64
