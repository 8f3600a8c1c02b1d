"""Continuous feedback through the year (domain.feedback): the pejabat penilai writes a dated note to the employee at
any time while the appraisal runs, and the employee answers one; whoever may see the appraisal reads them. Each note
is stored with an audit entry (its id and length, never its text: it may say anything about anyone).

The API (`GET|POST /cycles/{c}/appraisals/{nip}/feedback`), the appraisal's page and the evaluation document all come
through here. Someone who may not see the appraisal is told it does not exist, as everywhere (services.steps.visible).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain.access import Principal, Scope, acting_role, roles_on
from domain.audit import AuditEntry
from domain.errors import DomainError, Forbidden, NotFound
from domain.feedback import FEEDBACK_RULE, FeedbackNote, Writer, check_room, checked_text
from domain.stages import Role
from persistence.ports import AbstractUnitOfWork
from services.steps import visible
from workflows.contracts import appraisal_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
GIVEN_ACTION, ANSWERED_ACTION = "feedback.given", "feedback.answered"
WRITERS: dict[Role, Writer] = {Role.PENILAI: "penilai", Role.PEGAWAI: "pegawai"}


def notes(uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str) -> list[FeedbackNote]:
    """The appraisal's notes, oldest first (NotFound for whoever may not see it)."""
    visible(uow_factory, principal, cycle_id, nip)
    return notes_of(uow_factory, cycle_id, nip)


def notes_of(uow_factory: UowFactory, cycle_id: str, nip: str) -> list[FeedbackNote]:
    """The same, for a page or document that has already checked who may see the appraisal."""
    with uow_factory() as uow:
        return uow.feedback.of_appraisal(cycle_id, nip)


def write(
    uow_factory: UowFactory,
    principal: Principal,
    cycle_id: str,
    nip: str,
    text: str,
    answers: int | None,
    *,
    now: datetime,
) -> FeedbackNote:
    """A note from the person: the penilai's feedback (or their answer to the employee), or the employee's answer to
    one of the penilai's (`answers` required). Refused (DomainError naming the field) once the appraisal is final or
    withdrawn, for a note to answer that is not this appraisal's, or past the appraisal's limit of notes."""
    if Scope.ACT not in principal.scopes:
        raise Forbidden("token ini hanya untuk membaca (cakupan 'baca'); umpan balik memerlukan cakupan 'langkah'")
    parties, _period = visible(uow_factory, principal, cycle_id, nip)
    role = acting_role(roles_on(principal, parties), tuple(WRITERS))
    if role is None:
        raise Forbidden(
            "umpan balik ditulis oleh pejabat penilai kinerja pegawai ini, dan dijawab oleh pegawai sendiri",
            field="peran",
            rule=FEEDBACK_RULE,
        )
    if role is Role.PEGAWAI and answers is None:
        raise DomainError("pegawai menjawab umpan balik pejabat penilai: pilih catatan yang dijawab", field="menjawab")
    cleaned = checked_text(text)
    workflow_id = appraisal_workflow_id(cycle_id, nip)
    with uow_factory() as uow:
        item = uow.worklist.get(workflow_id)
        if item is None:  # visible() found it a moment ago: only a removal by the operator gets here
            raise NotFound(f"penilaian kinerja NIP {nip} siklus {cycle_id} tidak ditemukan", field="penilaian")
        if item.step.closed:
            raise DomainError(
                f"penilaian ini sudah {item.step.label.lower()}; umpan balik ditulis selama penilaian berjalan",
                field="tahap",
                rule=FEEDBACK_RULE,
            )
        if answers is not None:
            answered = uow.feedback.get(cycle_id, nip, answers)
            if answered is None:
                raise DomainError(f"catatan umpan balik {answers} tidak ada pada penilaian ini", field="menjawab")
            if role is Role.PEGAWAI and answered.writer != "penilai":
                raise DomainError("pegawai menjawab catatan dari pejabat penilai", field="menjawab")
        check_room(uow.feedback.count(cycle_id, nip))
        note = uow.feedback.add(
            FeedbackNote(
                cycle_id=cycle_id,
                employee_nip=nip,
                author_nip=principal.nip,
                writer=WRITERS[role],
                text=cleaned,
                answers=answers,
                written_at=now,
            )
        )
        uow.audit.append(_entry(note, role))
        uow.commit()
    return note


def _entry(note: FeedbackNote, role: Role) -> AuditEntry:
    return AuditEntry(
        occurred_at=note.written_at,
        actor=note.author_nip,
        actor_role=role,
        action=ANSWERED_ACTION if note.answers is not None and role is Role.PEGAWAI else GIVEN_ACTION,
        subject=note.employee_nip,
        after={"catatan": note.id, "menjawab": note.answers, "panjang": len(note.text)},
        workflow_id=appraisal_workflow_id(note.cycle_id, note.employee_nip),
    )
