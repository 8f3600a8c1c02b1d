"""Bulk actions of the supervision team over many appraisals of one cycle (`kinerja massal`, `POST /cycles/{id}/
bulk/...`): extend the deadlines of overdue steps, move every appraisal of one pejabat penilai to another, or move
those whose reviewers the roster no longer names to whom it names now (after a roster import: a mutasi).

The appraisals are chosen from the worklist table, at most MAX_LIST_ITEMS at once; each then goes through the same
path a single step takes (services.steps.prepare_step and send_step: may the person see it, do they hold a role the
step allows, then the workflow's validator), so every one is checked on its own. Refusals are listed one per
employee and the rest go through. A trial (`coba`) lists what would change and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.access import Principal
from domain.bounds import MAX_LIST_ITEMS, Reason
from domain.errors import DomainError
from domain.roster_changes import Moved
from domain.stages import Stage
from domain.worklist import WorklistQuery
from persistence.ports import AbstractUnitOfWork
from services import steps
from services.overdue import named_steps, overdue_query
from services.roster_moves import roster_moves
from workflows.contracts import MIN_REASON_CHARS, Nip

UowFactory = Callable[[], AbstractUnitOfWork]
CONCURRENCY = 20  # Updates in flight at once
MAX_BULK_KEY = steps.MAX_IDEMPOTENCY_KEY - 20  # room for ":<NIP>" on each appraisal's own key


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExtendManyBody(_Body):
    unit: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[^\x00-\x1f\x7f]+$")
    tahap: Stage | None = None
    terlambat_sejak: str | None = Field(
        default=None, max_length=40, pattern=r"^P[0-9A-Z.,]*$", description="mis. P3D: lewat batas 3 hari atau lebih"
    )
    sampai: AwareDatetime = Field(description="batas waktu baru")
    alasan: Reason
    coba: bool = Field(default=False, description="tampilkan saja, tanpa mengubah")


class ReassignManyBody(_Body):
    dari: Nip = Field(description="NIP pejabat penilai lama")
    penilai: Nip = Field(description="NIP pejabat penilai baru")
    atasan: Nip | None = Field(default=None, description="NIP atasan pejabat penilai baru (bawaan: tetap)")
    unit: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[^\x00-\x1f\x7f]+$")
    alasan: Reason
    coba: bool = False


class FollowRosterBody(_Body):
    unit: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[^\x00-\x1f\x7f]+$")
    alasan: Reason = Field(description="dicatat pada setiap penilaian, mis. impor roster tanggal berapa")
    coba: bool = False


class BulkOutcome(BaseModel):
    nip: str
    nama: str
    berhasil: bool | None  # None: a trial, nothing was sent
    pesan: str  # the step it now stands at, or why it was refused


class BulkResult(BaseModel):
    coba: bool
    jumlah: int  # appraisals chosen
    berhasil: int
    hasil: list[BulkOutcome]


async def extend(
    client: Client,
    uow_factory: UowFactory,
    principal: Principal,
    cycle_id: str,
    body: ExtendManyBody,
    *,
    key: str | None,
    now: datetime,
) -> BulkResult:
    _check_reason(body.alasan)
    query = overdue_query(age=body.terlambat_sejak, now=now, cycle=cycle_id, unit=body.unit, stage=body.tahap)
    step = steps.ExtendBody(sampai=body.sampai, alasan=body.alasan)
    return await _apply(client, uow_factory, principal, cycle_id, query, "deadline", step, body.coba, key)


async def reassign(
    client: Client,
    uow_factory: UowFactory,
    principal: Principal,
    cycle_id: str,
    body: ReassignManyBody,
    *,
    key: str | None,
) -> BulkResult:
    _check_reason(body.alasan)
    query = WorklistQuery(cycle_id=cycle_id, unit_code=body.unit, penilai_nip=body.dari)
    step = steps.ReassignBody(penilai=body.penilai, atasan=body.atasan, alasan=body.alasan)
    return await _apply(client, uow_factory, principal, cycle_id, query, "reviewer", step, body.coba, key)


async def follow_roster(
    client: Client,
    uow_factory: UowFactory,
    principal: Principal,
    cycle_id: str,
    body: FollowRosterBody,
    *,
    key: str | None,
    today: date,
) -> BulkResult:
    """Move each running appraisal of the cycle whose pejabat penilai or atasan the roster no longer names (a mutasi
    from a roster import, a penilai who left: domain.roster_changes) to whom it names now, each as its own
    reassignment. Those the roster cannot place are listed with why and not sent."""
    _check_reason(body.alasan)
    _check_key(key)
    found = await asyncio.to_thread(roster_moves, uow_factory, cycle_id, body.unit, today)
    moved, names = found.moved, found.names
    if len(moved) > MAX_LIST_ITEMS:
        raise DomainError(
            f"{len(moved)} penilaian berbeda dari roster; paling banyak {MAX_LIST_ITEMS} sekaligus. Persempit dengan"
            " unit, lalu kirim lagi untuk sisanya",
            field="jumlah",
            rule="daftar tindakan massal dibatasi",
        )

    def who(nip: str | None) -> str:
        return f"{names.get(nip, '')} ({nip})".lstrip() if nip is not None else "-"

    def change(m: Moved) -> str:
        text = f"pejabat penilai {who(m.penilai_was)} → {who(m.penilai_now)}"
        if m.atasan_now is not None and m.atasan_now != m.atasan_was:
            text += f"; atasan {who(m.atasan_was)} → {who(m.atasan_now)}"
        return text

    if body.coba:
        listed = [
            BulkOutcome(
                nip=m.employee_nip,
                nama=names.get(m.employee_nip, ""),
                berhasil=None,
                pesan=change(m) if m.follows else f"tidak dapat mengikuti roster: {m.problem}",
            )
            for m in moved
        ]
        return BulkResult(coba=True, jumlah=len(listed), berhasil=0, hasil=listed)
    sends: list[tuple[str, str, BaseModel]] = [
        (
            m.employee_nip,
            names.get(m.employee_nip, ""),
            steps.ReassignBody(
                penilai=m.penilai_now,
                atasan=m.atasan_now if m.atasan_now != m.atasan_was else None,
                alasan=body.alasan,
            ),
        )
        for m in moved
        if m.follows and m.penilai_now is not None
    ]
    sent = await _send_each(client, uow_factory, principal, cycle_id, steps.STEP_BY_NAME["reviewer"], sends, key)
    unsent = [
        BulkOutcome(nip=m.employee_nip, nama=names.get(m.employee_nip, ""), berhasil=False, pesan=m.problem or "")
        for m in moved
        if not m.follows
    ]
    outcomes = sent.hasil + unsent
    return BulkResult(coba=False, jumlah=len(outcomes), berhasil=sent.berhasil, hasil=outcomes)


def _check_key(key: str | None) -> None:
    if key is not None and len(key) > MAX_BULK_KEY:
        raise DomainError(f"Idempotency-Key: paling panjang {MAX_BULK_KEY} karakter", field="Idempotency-Key")


async def _apply(
    client: Client,
    uow_factory: UowFactory,
    principal: Principal,
    cycle_id: str,
    query: WorklistQuery,
    step_name: str,
    body: BaseModel,
    trial: bool,
    key: str | None,
) -> BulkResult:
    _check_key(key)
    chosen = await asyncio.to_thread(named_steps, uow_factory, query, limit=MAX_LIST_ITEMS)
    if chosen.jumlah > MAX_LIST_ITEMS:
        raise DomainError(
            f"{chosen.jumlah} penilaian cocok; paling banyak {MAX_LIST_ITEMS} sekaligus. Persempit dengan unit,"
            " tahap atau terlambat_sejak, lalu kirim lagi untuk sisanya",
            field="jumlah",
            rule="daftar tindakan massal dibatasi",
        )
    if trial:
        outcomes = [BulkOutcome(nip=s.nip, nama=s.nama, berhasil=None, pesan=s.label) for s in chosen.langkah]
        return BulkResult(coba=True, jumlah=len(outcomes), berhasil=0, hasil=outcomes)
    kind = steps.STEP_BY_NAME[step_name]
    sends = [(item.nip, item.nama, body) for item in chosen.langkah]
    return await _send_each(client, uow_factory, principal, cycle_id, kind, sends, key)


async def _send_each(
    client: Client,
    uow_factory: UowFactory,
    principal: Principal,
    cycle_id: str,
    kind: steps.StepKind,
    sends: list[tuple[str, str, BaseModel]],
    key: str | None,
) -> BulkResult:
    """Send step `kind` to each (NIP, name, body) of `sends`, CONCURRENCY at once, each as a single step goes; a
    refusal is that appraisal's outcome, not the others'."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(nip: str, name: str, body: BaseModel) -> BulkOutcome:
        async with gate:
            try:
                prepared = await asyncio.to_thread(
                    steps.prepare_step,
                    uow_factory,
                    principal,
                    cycle_id=cycle_id,
                    nip=nip,
                    kind=kind,
                    body=body,
                    idempotency_key=f"{key}:{nip}" if key is not None else None,
                )
                state = await steps.send_step(client, prepared)
            except DomainError as error:
                return BulkOutcome(nip=nip, nama=name, berhasil=False, pesan=str(error))
            except WorkflowUpdateFailedError as error:
                return BulkOutcome(nip=nip, nama=name, berhasil=False, pesan=_refusal(error.cause))
            except WorkflowUpdateRPCTimeoutOrCancelledError:
                message = "Temporal tidak menjawab tepat waktu; kirim lagi dengan Idempotency-Key yang sama"
                return BulkOutcome(nip=nip, nama=name, berhasil=False, pesan=message)
            except RPCError as error:
                return BulkOutcome(nip=nip, nama=name, berhasil=False, pesan=_unreachable(error))
            return BulkOutcome(nip=nip, nama=name, berhasil=True, pesan=state.step.label)

    outcomes = list(await asyncio.gather(*(one(*send) for send in sends)))
    return BulkResult(coba=False, jumlah=len(outcomes), berhasil=sum(1 for o in outcomes if o.berhasil), hasil=outcomes)


def _check_reason(reason: str) -> None:
    """A reason each appraisal's validator would refuse is refused once, before the trial lists anything."""
    if len("".join(reason.split())) < MIN_REASON_CHARS:
        raise DomainError(
            f"alasan wajib diisi, paling sedikit {MIN_REASON_CHARS} karakter selain spasi", field="alasan"
        )


def _refusal(cause: BaseException | None) -> str:
    """The validator's own words; they name the field and the rule."""
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        rule = details.get("rule")
        return f"{cause.message} (aturan: {rule})" if rule and rule not in cause.message else cause.message
    return str(cause) if cause else "ditolak"


def _unreachable(error: RPCError) -> str:
    if error.status == RPCStatusCode.NOT_FOUND:
        return "penilaian ini sudah selesai (final, atau ditarik); tidak ada langkah lagi"
    return "Temporal tidak dapat dihubungi; langkah belum tercatat, coba lagi sebentar lagi"
