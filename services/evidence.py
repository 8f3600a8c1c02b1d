"""Evidence files of a self-assessment: uploaded by whoever may send it (the employee, or the supervision team / a
pengelola kinerja taking it over) while the appraisal is at the self-assessment, checked by content and size
(domain.evidence), stored in the database with their SHA-256 and audited; read back by whoever may see the appraisal;
deleted by an uploader until the self-assessment is sent (audited too).

The self-assessment then names a stored file by its reference (`kinerja://bukti/<sha256>`); services.evidence_refs
checks, before the step is sent, that each reference names a file of that appraisal. Someone who may not see the
appraisal is told it does not exist, as everywhere (services.steps.visible).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from domain.access import AppraisalParties, Principal, Scope, acting_role, roles_on
from domain.audit import AuditEntry
from domain.errors import DomainError, Forbidden, NotFound
from domain.evidence import check_file, check_quota, is_sha256, reference
from domain.stages import Role, Step
from persistence.evidence import EvidenceFile
from persistence.ports import AbstractUnitOfWork
from services.steps import STEP_BY_NAME, TAKE_OVER, visible
from workflows.contracts import appraisal_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
UPLOADERS = STEP_BY_NAME["self-assessment"].roles  # whoever may send the self-assessment brings its evidence
UPLOADED_ACTION = "evidence.uploaded"
REMOVED_ACTION = "evidence.removed"
STAGE_RULE = "bukti diunggah pada tahap penilaian diri (PermenPANRB 6/2022 Pasal 5)"


@dataclass(frozen=True)
class Stored:
    """A file as stored for the appraisal, the reference a realisation names it by, and whether this upload stored
    it (False: the same bytes were stored before, and nothing was written)."""

    file: EvidenceFile
    reference: str
    new: bool


def upload(
    uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str, data: bytes, name: str, *, now: datetime
) -> Stored:
    """Store an evidence file for the appraisal; DomainError (field `berkas`) for a file of another kind, too large,
    or past what the appraisal may store, and (field `tahap`) outside the self-assessment. Nothing is stored then."""
    parties, role = _uploader(uow_factory, principal, cycle_id, nip, "diunggah", "mengunggah")
    checked = check_file(data, name)
    workflow_id = appraisal_workflow_id(cycle_id, nip)
    with uow_factory() as uow:
        item = uow.worklist.get(workflow_id)
        if item is None:  # visible() found it a moment ago: only a removal by the operator gets here
            raise NotFound(f"penilaian kinerja NIP {nip} siklus {cycle_id} tidak ditemukan", field="penilaian")
        if item.step is not Step.SELF_ASSESSMENT:
            raise DomainError(
                f"bukti hanya dapat diunggah pada tahap penilaian diri; penilaian ini pada tahap '{item.step.label}'",
                field="tahap",
                rule=STAGE_RULE,
            )
        stored = uow.evidence.get(cycle_id, nip, checked.sha256)
        if stored is not None:
            return Stored(stored, reference(stored.sha256), new=False)
        check_quota(*uow.evidence.usage(cycle_id, nip), checked.size)
        file = EvidenceFile(
            cycle_id=cycle_id,
            employee_nip=nip,
            instansi_code=parties.instansi_code,
            sha256=checked.sha256,
            name=checked.name,
            media_type=checked.media_type,
            size=checked.size,
            uploaded_by=principal.nip,
            uploaded_at=now,
        )
        try:
            saved = uow.evidence.add(file, data)
            uow.audit.append(_entry(principal, role, UPLOADED_ACTION, saved, now=now, after=True))
            uow.commit()
        except IntegrityError:  # the same bytes, uploaded at the same moment from another tab
            saved = None
    if saved is None:
        return _stored_meanwhile(uow_factory, cycle_id, nip, checked.sha256)
    return Stored(saved, reference(saved.sha256), new=True)


def remove(
    uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str, sha256: str, *, now: datetime
) -> EvidenceFile:
    """Delete a stored file (a wrong one, or one that says more than it should) while the appraisal is at the
    self-assessment, by whoever may upload; audited. Nothing recorded names it yet: the self-assessment is sent once,
    and the reference is checked against the stored files just before (services.evidence_refs). NotFound for a file
    that is not this appraisal's, DomainError (field `tahap`) past the self-assessment, when files are evidence."""
    _parties, role = _uploader(uow_factory, principal, cycle_id, nip, "dihapus", "menghapus")
    workflow_id = appraisal_workflow_id(cycle_id, nip)
    with uow_factory() as uow:
        file = uow.evidence.get(cycle_id, nip, sha256) if is_sha256(sha256) else None
        if file is None:
            raise NotFound("berkas bukti tidak ditemukan pada penilaian ini", field="bukti")
        item = uow.worklist.get(workflow_id)
        if item is None or item.step is not Step.SELF_ASSESSMENT:
            at = f"; penilaian ini pada tahap '{item.step.label}'" if item is not None else ""
            raise DomainError(
                f"bukti hanya dapat dihapus pada tahap penilaian diri, sebelum realisasi dikirim{at}",
                field="tahap",
                rule=STAGE_RULE,
            )
        uow.evidence.remove(cycle_id, nip, sha256)
        uow.audit.append(_entry(principal, role, REMOVED_ACTION, file, now=now, after=False))
        uow.commit()
    return file


def _uploader(
    uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str, done: str, doing: str
) -> tuple[AppraisalParties, Role]:
    """The appraisal, and the role in which the person brings or removes its evidence (who may send the
    self-assessment); NotFound for whoever may not see it, Forbidden for a reader or a read-only token."""
    if Scope.ACT not in principal.scopes:
        raise Forbidden(f"token ini hanya untuk membaca (cakupan 'baca'); {doing} bukti memerlukan cakupan 'langkah'")
    parties, _period = visible(uow_factory, principal, cycle_id, nip)
    role = acting_role(roles_on(principal, parties), UPLOADERS)
    if role is None:
        allowed = ", ".join(r.label for r in UPLOADERS)
        raise Forbidden(f"bukti realisasi hanya dapat {done} oleh {allowed}", field="peran")
    return parties, role


def _entry(
    principal: Principal, role: Role, action: str, file: EvidenceFile, *, now: datetime, after: bool
) -> AuditEntry:
    """The audit entry of a file stored (`after`) or removed: the file's name may say anything about anyone, so the
    audit keeps what identifies the bytes."""
    described = {"sha256": file.sha256, "jenis": file.media_type.value, "ukuran": file.size}
    return AuditEntry(
        occurred_at=now,
        actor=principal.nip,
        actor_role=role,
        on_behalf_of=file.employee_nip if role in TAKE_OVER else None,
        action=action,
        subject=file.employee_nip,
        before=None if after else described,
        after=described if after else None,
        workflow_id=appraisal_workflow_id(file.cycle_id, file.employee_nip),
    )


def files(uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str) -> list[EvidenceFile]:
    """The evidence files stored for the appraisal, oldest first (NotFound for whoever may not see it)."""
    visible(uow_factory, principal, cycle_id, nip)
    return files_of(uow_factory, cycle_id, nip)


def files_of(uow_factory: UowFactory, cycle_id: str, nip: str) -> list[EvidenceFile]:
    """The same, for a page that has already checked who may see the appraisal."""
    with uow_factory() as uow:
        return uow.evidence.list(cycle_id, nip)


def download(
    uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str, sha256: str
) -> tuple[EvidenceFile, bytes]:
    """A stored file and its bytes, for whoever may see the appraisal; NotFound otherwise, and for a file that is not
    this appraisal's (another's hash in this appraisal's path included)."""
    parties, _period = visible(uow_factory, principal, cycle_id, nip)
    found = _read(uow_factory, parties, sha256) if is_sha256(sha256) else None
    if found is None:
        raise NotFound("berkas bukti tidak ditemukan pada penilaian ini", field="bukti")
    return found


def _read(uow_factory: UowFactory, parties: AppraisalParties, sha256: str) -> tuple[EvidenceFile, bytes] | None:
    with uow_factory() as uow:
        file = uow.evidence.get(parties.cycle_id, parties.employee_nip, sha256)
        content = uow.evidence.content(parties.cycle_id, parties.employee_nip, sha256) if file else None
    return (file, content) if file is not None and content is not None else None


def _stored_meanwhile(uow_factory: UowFactory, cycle_id: str, nip: str, sha256: str) -> Stored:
    with uow_factory() as uow:
        stored = uow.evidence.get(cycle_id, nip, sha256)
    if stored is None:
        raise DomainError("berkas bukti tidak dapat disimpan; kirim lagi", field="berkas")
    return Stored(stored, reference(stored.sha256), new=False)
