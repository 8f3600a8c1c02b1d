"""The SKP draft of one appraisal, edited on its page before it is submitted (step `skp-submit`, which sends the
stored draft: services.steps), and again after the pejabat penilai returned it.

Who may edit is who may submit it: the employee, or the supervision team / a pengelola kinerja taking the step over
with a written reason (PermenPANRB 8/2021 annex: HR drafts the SKP when the employee has not); only while the
appraisal is at SKP drafting, as the worklist records it in the step's own transaction. Someone who may not see the
appraisal is told it does not exist (services.steps.visible).

A save is checked by the import's rules (services.skp_edit), compared with the version the editor read (two tabs,
or a step recorded meanwhile, refuse the later save instead of overwriting), and audited in the same transaction:
who, in which role, on whose behalf, and what changed in counts (the SKP's text stays in the SKP table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from domain.access import AppraisalParties, Principal, Scope, acting_role, roles_on
from domain.audit import AuditEntry
from domain.bounds import check_text
from domain.errors import ConcurrencyConflict, DomainError, Forbidden, NotFound
from domain.skp import Iku, RencanaHasilKerja, Skp
from domain.skp_versions import SkpVersion
from domain.stages import Role, Step
from persistence.ports import AbstractUnitOfWork, SkpRecord
from services.skp_change import references
from services.skp_edit import SkpDraft, build_skp
from services.steps import STEP_BY_NAME, TAKE_OVER, visible
from workflows.contracts import MIN_REASON_CHARS, appraisal_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
EDITORS = STEP_BY_NAME["skp-submit"].roles  # whoever may submit the SKP drafts it: the employee first
DRAFT_STATUS = "draft"
SAVED_ACTION = "skp.draft_saved"
STAGE_RULE = "SKP disusun pada tahap penyusunan SKP (PermenPANRB 6/2022 Pasal 5)"


@dataclass(frozen=True)
class DraftView:
    """What the SKP page shows and offers: the stored draft, where the appraisal stands, the role this person edits
    in (None: they may only read), and what an RHK may cascade from."""

    parties: AppraisalParties
    period: int
    step: Step
    record: SkpRecord | None
    editor: Role | None
    iku: list[Iku]
    superior_rhk: list[RencanaHasilKerja]  # the pejabat penilai's RHKs of the period (intervensi)
    names: dict[str, str]
    utc_offset_hours: int | None = None  # the cycle's zone (None: its calendar is not recorded)
    # This SKP's RHKs that intervene an RHK the pejabat penilai's SKP no longer has, since a change of it during the
    # year (domain.skp_versions): for the owner to follow, as an IKU correction lists what cascades from the IKU.
    stale_cascades: list[RencanaHasilKerja] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        return self.editor is not None and self.step is Step.SKP_DRAFTING

    @property
    def on_behalf(self) -> bool:
        return self.editor in TAKE_OVER


def draft_view(uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str) -> DraftView:
    parties, period = visible(uow_factory, principal, cycle_id, nip)
    editor = acting_role(roles_on(principal, parties), EDITORS) if Scope.ACT in principal.scopes else None
    with uow_factory() as uow:
        step = _step(uow, cycle_id, nip)
        record = uow.skp.get(nip, period)
        superior = uow.skp.get(parties.penilai_nip, period)
        # Read only where this SKP intervenes a superior's RHK: most SKP pages then cost no more than before.
        cascading = record.skp.rhk if record is not None else []
        intervenes = any(r.cascaded_from is not None and r.cascaded_from.superior_rhk_id for r in cascading)
        replaced = uow.skp.versions(appraisal_workflow_id(cycle_id, parties.penilai_nip)) if intervenes else []
        iku = uow.iku.for_period(parties.instansi_code, period)
        people = [nip, parties.penilai_nip, *([parties.atasan_nip] if parties.atasan_nip else [])]
        found = uow.employees.by_nips(parties.instansi_code, people)
        cycle = uow.cycles.get(cycle_id)
    return DraftView(
        parties=parties,
        period=period,
        step=step,
        record=record,
        editor=editor,
        iku=iku,
        superior_rhk=list(superior.skp.rhk) if superior is not None else [],
        names={person.nip: person.name for person in found.values()},
        utc_offset_hours=cycle.deadlines.utc_offset_hours if cycle is not None else None,
        stale_cascades=stale_cascades(record.skp if record else None, superior.skp if superior else None, replaced),
    )


def stale_cascades(skp: Skp | None, superior: Skp | None, replaced: list[SkpVersion]) -> list[RencanaHasilKerja]:
    """The RHKs of `skp` that intervene an RHK of a version of the superior's SKP that a change replaced, and that
    the superior's SKP in force no longer has."""
    if skp is None or not replaced:
        return []
    in_force = {rhk.id for rhk in superior.rhk} if superior is not None else set()
    gone = {rhk.id for version in replaced for rhk in version.skp.rhk} - in_force
    return [rhk for rhk in skp.rhk if rhk.cascaded_from is not None and rhk.cascaded_from.superior_rhk_id in gone]


def save_draft(
    uow_factory: UowFactory,
    principal: Principal,
    cycle_id: str,
    nip: str,
    draft: SkpDraft,
    *,
    version: int | None,
    reason: str | None,
    now: datetime,
) -> int:
    """Store the edited draft (status `draft`); returns the version it now has. `version` is the one the editor
    read (None: there was none stored). DraftRefused names every field that breaks a rule; nothing is stored then."""
    if Scope.ACT not in principal.scopes:
        raise Forbidden("token ini hanya untuk membaca (cakupan 'baca'); mengubah SKP memerlukan cakupan 'langkah'")
    parties, period = visible(uow_factory, principal, cycle_id, nip)
    role = acting_role(roles_on(principal, parties), EDITORS)
    if role is None:
        allowed = ", ".join(r.label for r in EDITORS)
        raise Forbidden(f"SKP hanya dapat disusun oleh {allowed}", field="peran")
    on_behalf = role in TAKE_OVER
    why = _reason(reason) if on_behalf else None
    with uow_factory() as uow:
        step = _step(uow, cycle_id, nip)
        if step is not Step.SKP_DRAFTING:
            raise DomainError(
                f"SKP hanya dapat diubah pada tahap penyusunan SKP; penilaian ini pada tahap '{step.label}'",
                field="tahap",
                rule=STAGE_RULE,
            )
        stored = uow.skp.get(nip, period)
        _check_version(stored, version, nip, period)
        previous = stored.skp if stored is not None else None
        skp = build_skp(
            draft, nip=nip, period=period, previous=previous, references=references(uow, parties, period, previous)
        )
        cycle = uow.cycles.get(cycle_id)
        policy_version = stored.policy_version if stored is not None else cycle.policy_version if cycle else ""
        saved = uow.skp.save(
            SkpRecord(
                skp=skp,
                status=DRAFT_STATUS,
                policy_version=policy_version or "-",
                version=stored.version if stored is not None else None,
            )
        )
        uow.audit.append(
            AuditEntry(
                occurred_at=now,
                actor=principal.nip,
                actor_role=role,
                on_behalf_of=nip if on_behalf else None,
                action=SAVED_ACTION,
                subject=nip,
                reason=why,
                before=_counts(previous, stored.version if stored else None, stored.status if stored else None),
                after=_counts(skp, saved, DRAFT_STATUS),
                workflow_id=appraisal_workflow_id(cycle_id, nip),
            )
        )
        uow.commit()
    return saved


def _step(uow: AbstractUnitOfWork, cycle_id: str, nip: str) -> Step:
    item = uow.worklist.get(appraisal_workflow_id(cycle_id, nip))
    if item is None:  # visible() found it a moment ago: only a removal by the operator gets here
        raise NotFound(f"penilaian kinerja NIP {nip} siklus {cycle_id} tidak ditemukan", field="penilaian")
    return item.step


def _check_version(stored: SkpRecord | None, version: int | None, nip: str, period: int) -> None:
    current = stored.version if stored is not None else None
    if current != version:
        raise ConcurrencyConflict(
            f"SKP pegawai {nip} periode {period} sudah diubah sejak halaman ini dibuka (versi {current or 'baru'},"
            f" bukan {version or 'baru'}); muat ulang halaman dan ulangi perubahan Anda",
            field="versi",
            rule="optimistic concurrency",
        )


def _reason(reason: str | None) -> str:
    cleaned = (reason or "").strip()
    if len("".join(cleaned.split())) < MIN_REASON_CHARS:
        raise DomainError(
            f"alasan pengambilalihan penyusunan SKP wajib diisi, paling sedikit {MIN_REASON_CHARS} karakter selain"
            " spasi",
            field="alasan",
        )
    return check_text(cleaned, "alasan")


def _counts(skp: Skp | None, version: int | None, status: str | None) -> dict[str, object] | None:
    if skp is None:
        return None
    indicators = sum(len(r.indicators) for r in skp.rhk)
    return {"version": version, "status": status, "rhk": len(skp.rhk), "indicators": indicators}
