"""A running cycle as people reach it through the API: its state, and the pimpinan's calibration (SE MenPAN-RB 3/2023)
— setting the organisation predicate, which stores the proposal, then deciding on it, which locks it and sends it to
every appraisal. The actor of both Updates is the signed-in person; the cycle's validator checks that they are a
pimpinan of this cycle, and its activities write the audit entries (services.calibration_store.propose / decide).

An `Idempotency-Key` from the sender makes the Update's id: a retry with the same key is the same Update, answered
with its first result, never a second proposal or decision.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import Client

from domain.bounds import MAX_LIST_ITEMS, Reason
from domain.errors import DomainError
from domain.ratings import OrgPredicate, Predicate
from domain.stages import Role
from services.steps import MAX_IDEMPOTENCY_KEY
from temporal_client import cycle_handle
from workflows.contracts import Nip
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CalibrationState, CycleState, DecideCalibration, SetOrgPredicate


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProposalBody(_Body):
    predikat_organisasi: OrgPredicate
    rekomendasi_pengelola: Reason | None = Field(default=None, description="rekomendasi BKD/BKPSDM")
    rekomendasi_pengawasan: Reason | None = Field(default=None, description="rekomendasi tim pengawasan")


class DecisionBody(_Body):
    terima: bool = Field(description="true: terima usulan; false: predikat tetap seperti hasil penilaian")
    usulan: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{12}$", description="id usulan yang diputuskan (bawaan: usulan terakhir)"
    )
    ubah: dict[Nip, Predicate] = Field(
        default_factory=dict, max_length=MAX_LIST_ITEMS, description="predikat lain oleh komite, per NIP"
    )
    justifikasi: Reason | None = Field(
        default=None, description="wajib bila menyimpang dari usulan atau dari pola, atau dengan 'ubah'"
    )


async def state(client: Client, cycle_id: str) -> CycleState:
    found: CycleState = await cycle_handle(client, cycle_id).query(CycleWorkflow.state)
    return found


async def calibration_state(client: Client, cycle_id: str) -> CalibrationState:
    """The cycle's calibration as its page shows it, without the rest of its state."""
    found: CalibrationState = await cycle_handle(client, cycle_id).query(CycleWorkflow.calibration_state)
    return found


async def propose(client: Client, cycle_id: str, actor: str, body: ProposalBody, key: str | None) -> CycleState:
    recommendations = {
        role.value: text
        for role, text in (
            (Role.PENGELOLA_KINERJA, body.rekomendasi_pengelola),
            (Role.PENGAWASAN, body.rekomendasi_pengawasan),
        )
        if text
    }
    request = SetOrgPredicate(actor=actor, org_predicate=body.predikat_organisasi, recommendations=recommendations)
    found: CycleState = await cycle_handle(client, cycle_id).execute_update(
        CycleWorkflow.set_org_predicate, request, id=_update_id(actor, "propose", cycle_id, key)
    )
    return found


async def decide(client: Client, cycle_id: str, actor: str, body: DecisionBody, key: str | None) -> CycleState:
    decision = DecideCalibration(
        actor=actor,
        proposal_id=body.usulan,
        accept=body.terima,
        overrides=dict(body.ubah),
        justification=body.justifikasi,
    )
    found: CycleState = await cycle_handle(client, cycle_id).execute_update(
        CycleWorkflow.decide_calibration, decision, id=_update_id(actor, "decide", cycle_id, key)
    )
    return found


def _update_id(actor: str, what: str, cycle_id: str, key: str | None) -> str | None:
    """The Update's id for the sender's key: the same key from the same person for the same action is the same
    Update; nobody else's key can collide with it. None without a key (Temporal picks one)."""
    if key is None:
        return None
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or any(ord(ch) < 33 or ord(ch) > 126 for ch in key):
        raise DomainError(
            f"Idempotency-Key: 1 sampai {MAX_IDEMPOTENCY_KEY} karakter ASCII tanpa spasi", field="Idempotency-Key"
        )
    material = "\x1f".join((actor, what, cycle_id, key))
    return f"api-cycle-{what}-" + hashlib.sha256(material.encode()).hexdigest()[:40]
