"""Tindak lanjut: the development plan of an employee whose final predicate calls for one (issue 20).

PermenPANRB 6/2022 Pasal 5 puts pengembangan kinerja (bimbingan kinerja; the annex's formats B.1.8/B.1.9) in the
stage of pelaksanaan, pemantauan dan pembinaan, and tindak lanjut after the appraisal. Which predicates call for a
plan, and how many working days the penilai and the employee have, are the instansi's policy
(domain.policy.FollowUpPolicy) [U]: the regulation names the coaching, not its deadline.

The plan's steps: the pejabat penilai drafts it with the employee and sends it (DRAFTING), the employee agrees to it
(AGREEMENT → AGREED) or asks for a change with a reason (back to DRAFTING, at most MAX_CHANGE_REQUESTS times); the
penilai may correct a plan sent and not yet agreed. Plain data and functions, tested without Temporal; the plan's
workflow (workflows/development_plan.py) asks `transition` before it records anything.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.bounds import MAX_REASON_CHARS, check_text
from domain.errors import DomainError
from domain.ratings import Predicate
from domain.stages import Role

FOLLOW_UP_RULE = "tindak lanjut hasil penilaian: rencana pengembangan kinerja (PermenPANRB 6/2022 Pasal 5)"
MAX_COACHING_CHARS = MAX_REASON_CHARS  # the bimbingan: what, how and how often
MAX_SHORT_CHARS = 300  # a competency, a training
MIN_TEXT_CHARS = 3
MAX_TARGET_DAYS = 366  # the plan's date: within a year of its drafting
MAX_CHANGE_REQUESTS = 3  # [U] the employee may ask for a change this often; then only agreement moves it on


class PlanStep(StrEnum):
    DRAFTING = "drafting"
    AGREEMENT = "agreement"
    AGREED = "agreed"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def responsible(self) -> Role:
        return _RESPONSIBLE[self]


_LABELS = {
    PlanStep.DRAFTING: "Pejabat penilai menyusun rencana pengembangan",
    PlanStep.AGREEMENT: "Pegawai menyetujui rencana pengembangan",
    PlanStep.AGREED: "Rencana pengembangan disepakati",
}
_RESPONSIBLE = {PlanStep.DRAFTING: Role.PENILAI, PlanStep.AGREEMENT: Role.PEGAWAI, PlanStep.AGREED: Role.SYSTEM}


class PlanAction(StrEnum):
    SEND = "send_plan"  # the penilai sends the plan (again, corrected)
    AGREE = "agree_plan"
    ASK_CHANGE = "ask_plan_change"
    # The supervision team gives the plan another penilai (the one it names left, moved, or cannot act) [U]: the
    # regulation names no one; the team that follows what is overdue is who can unblock it, as for an appraisal.
    REASSIGN = "reassign_plan"


_TRANSITIONS = {
    (PlanStep.DRAFTING, PlanAction.SEND): PlanStep.AGREEMENT,
    (PlanStep.AGREEMENT, PlanAction.SEND): PlanStep.AGREEMENT,
    (PlanStep.AGREEMENT, PlanAction.AGREE): PlanStep.AGREED,
    (PlanStep.AGREEMENT, PlanAction.ASK_CHANGE): PlanStep.DRAFTING,
    (PlanStep.DRAFTING, PlanAction.REASSIGN): PlanStep.DRAFTING,
    (PlanStep.AGREEMENT, PlanAction.REASSIGN): PlanStep.AGREEMENT,
}
_ACTORS = {
    PlanAction.SEND: Role.PENILAI,
    PlanAction.AGREE: Role.PEGAWAI,
    PlanAction.ASK_CHANGE: Role.PEGAWAI,
    PlanAction.REASSIGN: Role.PENGAWASAN,
}


def transition(step: PlanStep, action: PlanAction, role: Role, *, change_requests: int = 0) -> PlanStep:
    """The step after `action` by `role` at `step`, or DomainError naming why not."""
    if role is not _ACTORS[action]:
        raise DomainError(
            f"rencana pengembangan: langkah ini dilakukan oleh {_ACTORS[action].label}",
            field="peran",
            rule=FOLLOW_UP_RULE,
        )
    to = _TRANSITIONS.get((step, action))
    if to is None:
        raise DomainError(f"rencana pengembangan sedang pada tahap '{step.label}'", field="tahap", rule=FOLLOW_UP_RULE)
    if action is PlanAction.ASK_CHANGE and change_requests >= MAX_CHANGE_REQUESTS:
        raise DomainError(
            f"perubahan rencana sudah diminta {MAX_CHANGE_REQUESTS} kali; rencana ini tinggal disetujui",
            field="alasan",
            rule=FOLLOW_UP_RULE,
        )
    return to


def check_reviewers(employee_nip: str, penilai_nip: str, atasan_nip: str | None) -> None:
    """A plan's penilai and atasan: neither the employee, and not the same person (DomainError naming the field)."""
    if penilai_nip == employee_nip:
        raise DomainError("pegawai tidak dapat menjadi pejabat penilai bagi dirinya sendiri", field="penilai_nip")
    if atasan_nip is not None and atasan_nip in (employee_nip, penilai_nip):
        raise DomainError(
            "atasan pejabat penilai bukan pegawai itu sendiri dan bukan pejabat penilainya", field="atasan_nip"
        )


class DevelopmentPlan(BaseModel):
    """What the penilai and the employee agree on: the coaching, the competency to build, the training asked for
    (none where coaching is enough) and the date it should be done by."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    coaching: str = Field(min_length=MIN_TEXT_CHARS, max_length=MAX_COACHING_CHARS)
    competency: str = Field(min_length=MIN_TEXT_CHARS, max_length=MAX_SHORT_CHARS)
    training: str | None = Field(default=None, min_length=MIN_TEXT_CHARS, max_length=MAX_SHORT_CHARS)
    target_date: date


def checked_plan(
    coaching: str, competency: str, training: str | None, target_date: date, *, today: date
) -> DevelopmentPlan:
    """The plan with its texts trimmed, or DomainError naming the field: texts bounded and free of control characters,
    the date after `today` and within MAX_TARGET_DAYS of it."""
    texts = {}
    for field, value, limit, multiline in (
        ("bimbingan", coaching, MAX_COACHING_CHARS, True),
        ("kompetensi", competency, MAX_SHORT_CHARS, False),
        ("pelatihan", training or "", MAX_SHORT_CHARS, False),
    ):
        cleaned = check_text(value, field, limit=limit, multiline=multiline).strip()
        if (cleaned or field != "pelatihan") and len(cleaned) < MIN_TEXT_CHARS:
            raise DomainError(f"diisi, paling sedikit {MIN_TEXT_CHARS} karakter", field=field)
        texts[field] = cleaned
    latest = today + timedelta(days=MAX_TARGET_DAYS)
    if not today < target_date <= latest:
        raise DomainError(
            f"tanggal target setelah hari ini dan paling lambat {latest:%d-%m-%Y}", field="tanggal_target"
        )
    return DevelopmentPlan(
        coaching=texts["bimbingan"],
        competency=texts["kompetensi"],
        training=texts["pelatihan"] or None,
        target_date=target_date,
    )


def checked_reason(reason: str) -> str:
    """The employee's reason for asking a change, trimmed; DomainError (field `alasan`) when short or unbounded."""
    cleaned = check_text(reason, "alasan").strip()
    if len(cleaned) < MIN_TEXT_CHARS:
        raise DomainError(f"alasan diisi, paling sedikit {MIN_TEXT_CHARS} karakter", field="alasan")
    return cleaned


class PlanRecord(BaseModel):
    """Where one employee's development plan stands, as the database keeps it (written with each of its steps)."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str = Field(max_length=200)
    cycle_id: str = Field(max_length=64)
    instansi_code: str = Field(max_length=64)
    period: int
    unit_code: str = Field(max_length=64)
    employee_nip: str = Field(pattern=r"^\d{18}$")
    employee_name: str = Field(max_length=200)
    penilai_nip: str
    atasan_nip: str | None = None
    predicate: Predicate
    step: PlanStep = PlanStep.DRAFTING
    assignee_nip: str | None = None  # who must act now (None once agreed)
    deadline: AwareDatetime | None = None
    overdue: bool = False
    escalation_level: int = 0
    plan: DevelopmentPlan | None = None
    change_requests: int = 0
    change_reason: str | None = None  # the employee's last
    opened_at: AwareDatetime
    agreed_at: AwareDatetime | None = None


def needs_plan(predicate: Predicate, predicates: list[Predicate]) -> bool:
    """Whether a final `predicate` calls for a development plan under the policy's list."""
    return predicate in predicates


def is_overdue(record: PlanRecord, now: datetime) -> bool:
    return record.step is not PlanStep.AGREED and record.deadline is not None and record.deadline < now
