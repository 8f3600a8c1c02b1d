"""What the supervision team and the pengelola kinerja do to a running appraisal, beside its people's steps (a base of
workflows/appraisal.py, on workflows/appraisal_skp.py): extend the current step's deadline (moving the later ones by
as many working days where the policy says so), reassign the pejabat penilai and their atasan, and withdraw the
employee from the cycle (domain.withdrawal). Each is an Update checked by its validator and recorded as a step.

Workflow code: imported through the sandbox's passthrough; no I/O, wall clock or randomness here. No `from __future__
import annotations`: workflow.defn reads the Updates' type hints for every appraisal the sandbox creates (see
workflows/appraisal.py).
"""

from temporalio import workflow

from domain.errors import DomainError
from domain.stages import Action, Step
from domain.withdrawal import check_effective_on, told_of_withdrawal, withdrawal_step
from domain.workdays import days_between, zone_of
from workflows.appraisal_base import EXTEND_DEADLINE, REASSIGN, SHIFTED_BY_EXTENSIONS, required_text
from workflows.appraisal_skp import AppraisalSkp
from workflows.changes import Change
from workflows.contracts import AppraisalSummary, ExtendDeadline, Reassign, Withdraw, Withdrawal


class AppraisalManagement(AppraisalSkp):
    # --- updates: the supervision team -----------------------------------------------------------------------------

    @workflow.update
    async def extend_deadline(self, cmd: ExtendDeadline) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_extend(cmd))

    @extend_deadline.validator
    def _check_extend(self, cmd: ExtendDeadline) -> None:
        self._check(lambda: self._plan_extend(cmd), cmd)

    def _plan_extend(self, cmd: ExtendDeadline) -> Change:
        change = self._manage(cmd.actor, EXTEND_DEADLINE, cmd.reason)
        s = self._s
        if s.step.closed or s.step is Step.OBJECTION_WINDOW or s.deadline is None:
            raise DomainError(
                f"batas waktu tahap '{s.step.label}' tidak dapat diperpanjang"
                + (" (masa keberatan 14 hari, PP 30/2019 Pasal 59)" if s.step is Step.OBJECTION_WINDOW else ""),
                field="tahap",
            )
        new = cmd.new_deadline
        if new <= s.deadline or new <= workflow.now():
            raise DomainError(
                f"batas waktu baru {new.isoformat()} harus setelah batas waktu sekarang {s.deadline.isoformat()}"
                " dan setelah saat ini",
                field="new_deadline",
            )
        old = s.deadline
        deadlines = self._deadlines()
        shifts = self._input.policy.calendar.extension_shifts_later and s.step in SHIFTED_BY_EXTENSIONS
        shift = days_between(deadlines.workdays, old, new, zone_of(deadlines.utc_offset_hours)) if shifts else 0

        def apply() -> None:
            self._set_deadline(new, workflow.now())
            s.deadline_extended = True  # a person's decision: a recount of the calendar leaves it
            s.deadline_shift += shift  # the later deadlines move with it (CalendarPolicy.extension_shifts_later)

        change.apply, change.notify, change.notice_deadline = apply, list(s.assignees), new
        change.after = {"step": s.step.value, "deadline_before": old.isoformat(), "deadline": new.isoformat()}
        if shift:  # recorded, so the worklist's and the audit's readers see why the later deadlines moved
            change.after["later_deadlines_moved_by"] = s.deadline_shift + shift
        return change

    @workflow.update
    async def reassign(self, cmd: Reassign) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_reassign(cmd))

    @reassign.validator
    def _check_reassign(self, cmd: Reassign) -> None:
        self._check(lambda: self._plan_reassign(cmd), cmd)

    def _plan_reassign(self, cmd: Reassign) -> Change:
        change = self._manage(cmd.actor, REASSIGN, cmd.reason)
        s = self._s
        if s.step.closed:
            raise DomainError(
                f"penilaian sudah {s.step.stage.label.lower()}; pejabat penilai tidak dapat dialihkan", field="tahap"
            )
        penilai, atasan = cmd.penilai_nip, cmd.atasan_nip or s.atasan_nip
        if penilai == s.employee_nip:
            raise DomainError("pegawai tidak dapat menilai dirinya sendiri", field="penilai_nip")
        if atasan is not None and atasan in (penilai, s.employee_nip):
            raise DomainError(
                f"atasan pejabat penilai {atasan} harus orang lain dari pejabat penilai dan pegawai",
                field="atasan_nip",
            )
        if (penilai, atasan) == (s.penilai_nip, s.atasan_nip):
            raise DomainError(
                "pejabat penilai dan atasannya sudah seperti itu; tidak ada yang dialihkan", field="penilai_nip"
            )
        before = {"penilai_nip": s.penilai_nip, "atasan_nip": s.atasan_nip}

        def apply() -> None:
            self._s.penilai_nip, self._s.atasan_nip = penilai, atasan
            self._s.assignees = self._assignees_for(self._s.step)
            self._sync_search_attributes()

        change.apply, change.notify, change.notice_deadline = apply, [penilai], s.deadline
        change.penilai_nip, change.atasan_nip = penilai, atasan
        change.after = {"before": before, "penilai_nip": penilai, "atasan_nip": atasan}
        return change

    # --- updates: the pengelola kinerja -----------------------------------------------------------------------------

    @workflow.update
    async def withdraw(self, cmd: Withdraw) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_withdraw(cmd))

    @withdraw.validator
    def _check_withdraw(self, cmd: Withdraw) -> None:
        self._check(lambda: self._plan_withdraw(cmd), cmd)

    def _plan_withdraw(self, cmd: Withdraw) -> Change:
        """Out of the cycle (domain.withdrawal): the step, the worklist entry and the notices in one recording, and
        then the workflow ends. A review already recorded stays in the database but no longer counts anywhere."""
        s = self._s
        self._check_identity(cmd.actor)
        to = withdrawal_step(s.step, cmd.actor.role)
        reason = required_text(cmd.reason, "alasan", "alasan penarikan")
        check_effective_on(cmd.effective_on, s.period)
        withdrawal = Withdrawal(
            cause=cmd.cause,
            reason=reason,
            effective_on=cmd.effective_on,
            withdrawn_by=cmd.actor.nip,
            withdrawn_at=workflow.now(),
            from_step=s.step,
        )

        def apply() -> None:
            self._s.withdrawal = withdrawal

        return Change(
            action=Action.WITHDRAW.value,
            to=to,
            actor=cmd.actor.nip,
            role=cmd.actor.role,
            reason=f"{cmd.cause.label}: {reason}",
            after={
                "cause": cmd.cause.value,
                "reason": reason,  # as written; the entry's reason starts with the cause's label, for people to read
                "effective_on": cmd.effective_on.isoformat() if cmd.effective_on else None,
                "from_step": s.step.value,
            },
            apply=apply,
            notify=told_of_withdrawal(cmd.cause, s.employee_nip, s.penilai_nip, s.assignees),
        )
