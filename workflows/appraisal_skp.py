"""Target setting: the SKP submitted, approved or returned, and changed during the year as a new version (a base of
workflows/appraisal.py, on workflows/appraisal_changes.py).

A change of SKP (issue 20, domain.skp_versions) is proposed at the self-assessment, by the employee or, with a
reason, by the pengelola kinerja or the supervision team; it waits at SKP_CHANGE_APPROVAL, due within the policy's
days (CalendarPolicy.skp_change_approval_days) but never after the self-assessment's own deadline, while the version in
force stays in force. Approved, the version it replaces is kept with the days it was in force (the step's record stores
it in `skp_versions`) and the new one is the SKP; returned, nothing changes but the comments. Either way the year goes
on at the self-assessment, at the deadline it had (an extension's, maybe) plus the time the decision took, whose
realisations then cover every version's indicators and whose suggestion weighs each version by its days
(`_year_skp`). The periodic evaluation hears of the new indicators (workflows.appraisal_children).

Workflow code: imported through the sandbox's passthrough; no I/O, wall clock or randomness here. No `from __future__
import annotations`: workflow.defn reads the Updates' type hints for every appraisal the sandbox creates (see
workflows/appraisal.py).
"""

from datetime import datetime

from temporalio import workflow

from domain.errors import DomainError
from domain.skp import Skp
from domain.skp_versions import SkpChange, check_change, closed_version
from domain.stages import Action, Step
from workflows.appraisal_base import required_text
from workflows.appraisal_changes import AppraisalChanges
from workflows.changes import Change
from workflows.contracts import AppraisalSummary, ApproveSkp, ChangeSkp, ReturnSkp, SubmitSkp


class AppraisalSkp(AppraisalChanges):
    @workflow.update
    async def submit_skp(self, cmd: SubmitSkp) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_submit_skp(cmd))

    @submit_skp.validator
    def _check_submit_skp(self, cmd: SubmitSkp) -> None:
        self._check(lambda: self._plan_submit_skp(cmd), cmd)

    def _plan_submit_skp(self, cmd: SubmitSkp) -> Change:
        change = self._authorise(cmd.actor, Action.SUBMIT_SKP, cmd.reason)
        skp = cmd.skp
        self._check_owner(skp)

        def apply() -> None:
            self._s.skp = skp

        change.after = _counts(skp)
        change.apply, change.skp, change.skp_status = apply, skp, "submitted"
        return change

    @workflow.update
    async def approve_skp(self, cmd: ApproveSkp) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_approve_skp(cmd))

    @approve_skp.validator
    def _check_approve_skp(self, cmd: ApproveSkp) -> None:
        self._check(lambda: self._plan_approve_skp(cmd), cmd)

    def _plan_approve_skp(self, cmd: ApproveSkp) -> Change:
        change = self._authorise(cmd.actor, Action.APPROVE_SKP, None)
        change.reason = cmd.note.strip() or None
        proposal = self._s.skp_change
        if self._s.step is Step.SKP_CHANGE_APPROVAL and proposal is not None:
            return self._approving_change(change, proposal)
        change.skp, change.skp_status = self._skp(), "approved"
        return change

    @workflow.update
    async def return_skp(self, cmd: ReturnSkp) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_return_skp(cmd))

    @return_skp.validator
    def _check_return_skp(self, cmd: ReturnSkp) -> None:
        self._check(lambda: self._plan_return_skp(cmd), cmd)

    def _plan_return_skp(self, cmd: ReturnSkp) -> Change:
        change = self._authorise(cmd.actor, Action.RETURN_SKP, None)
        if self._s.step is Step.SKP_CHANGE_APPROVAL:
            return self._returning_change(change, cmd)
        limit = self._input.policy.max_skp_returns
        if self._s.skp_returns >= limit:
            raise DomainError(
                f"SKP sudah dikembalikan {self._s.skp_returns} kali, batas kebijakan {limit} kali; setujui SKP atau"
                " minta Tim Pengawasan menyelesaikannya",
                field="pengembalian",
                rule="jumlah pengembalian SKP dibatasi kebijakan instansi",
            )
        comments = required_text(cmd.comments, "catatan", "catatan pengembalian SKP")
        change.reason = comments

        def apply() -> None:
            self._s.skp_returns += 1
            self._s.skp_return_comments = comments

        change.after = {"returns": self._s.skp_returns + 1}
        change.apply, change.skp, change.skp_status = apply, self._skp(), "returned"
        return change

    # --- a change of SKP during the year (domain.skp_versions) ----------------------------------------------------

    @workflow.update
    async def change_skp(self, cmd: ChangeSkp) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_change_skp(cmd))

    @change_skp.validator
    def _check_change_skp(self, cmd: ChangeSkp) -> None:
        self._check(lambda: self._plan_change_skp(cmd), cmd)

    def _plan_change_skp(self, cmd: ChangeSkp) -> Change:
        change = self._authorise(cmd.actor, Action.CHANGE_SKP, cmd.reason)
        reason = required_text(cmd.reason, "alasan", "alasan perubahan SKP")
        s, skp, now = self._s, cmd.skp, workflow.now()
        self._check_owner(skp)
        if s.deadline is not None and now >= s.deadline:
            raise DomainError(
                "batas waktu penilaian diri sudah lewat; SKP tidak diubah lagi: kirim realisasi SKP yang berlaku,"
                " atau minta Tim Pengawasan memperpanjang batas waktu lebih dulu",
                field="tahap",
            )
        check_change(s.period, self._skp(), s.skp_from, s.skp_versions, skp, cmd.effective_from)
        proposal = SkpChange(
            skp=skp,
            effective_from=cmd.effective_from,
            reason=reason,
            proposed_by=cmd.actor.nip,
            proposed_at=now,
            resume_deadline=s.deadline,
        )

        def apply() -> None:
            s.skp_change, s.skp_change_returned = proposal, False

        # Due within the policy's days, never after the self-assessment's own deadline (an extension's, maybe).
        due = self._deadline_for(Step.SKP_CHANGE_APPROVAL, now, s.skp_returns)
        change.entered_deadline = min(due, s.deadline) if due is not None and s.deadline is not None else None
        change.reason, change.apply = reason, apply
        change.after = {
            "version": len(s.skp_versions) + 2,
            "effective_from": cmd.effective_from.isoformat(),
            **_counts(skp),
        }
        return change

    def _approving_change(self, change: Change, proposal: SkpChange) -> Change:
        """The approval of a change: the version in force kept with its days, the new one in force from its day."""
        s = self._s
        number = len(s.skp_versions) + 1
        closed = closed_version(number, self._skp(), s.skp_from, s.period, proposal)

        def apply() -> None:
            s.skp_versions = [*s.skp_versions, closed]
            s.skp, s.skp_from, s.skp_change = proposal.skp, proposal.effective_from, None

        change.apply, change.skp, change.skp_status, change.closed_skp = apply, proposal.skp, "approved", closed
        change.entered_deadline = self._resumed(proposal)
        change.after = {
            "version": number + 1,
            "effective_from": proposal.effective_from.isoformat(),
            "replaced_version_until": closed.effective_until.isoformat(),
        }
        return change

    def _returning_change(self, change: Change, cmd: ReturnSkp) -> Change:
        """A change returned: the version in force stays, the proposal is dropped (its step and comments recorded)."""
        comments = required_text(cmd.comments, "catatan", "catatan pengembalian perubahan SKP")
        proposal = self._s.skp_change

        def apply() -> None:
            self._s.skp_change, self._s.skp_return_comments, self._s.skp_change_returned = None, comments, True

        change.reason, change.apply = comments, apply
        change.entered_deadline = self._resumed(proposal) if proposal is not None else None
        change.after = {"change_returned": True}
        if proposal is not None:
            change.after["effective_from"] = proposal.effective_from.isoformat()
        return change

    def _resumed(self, proposal: SkpChange) -> datetime | None:
        """The self-assessment's deadline once the change is decided: as it stood when the change was proposed (an
        extension's, maybe), later by the time the decision took, so nobody is late for the penilai's delay [U]; never
        past the review's deadline (the cycle then takes every predicate for calibration) unless it already was."""
        before = proposal.resume_deadline
        if before is None:
            return None
        later = before + (workflow.now() - proposal.proposed_at)
        return min(later, max(before, self._deadlines().review_due))

    # --- shared ----------------------------------------------------------------------------------------------------

    def _check_owner(self, skp: Skp) -> None:
        if skp.employee_nip != self._s.employee_nip or skp.period != self._s.period:
            raise DomainError(
                f"SKP ini milik pegawai {skp.employee_nip} periode {skp.period}, bukan pegawai"
                f" {self._s.employee_nip} periode {self._s.period}",
                field="skp",
            )


def _counts(skp: Skp) -> dict[str, object]:
    return {"rhk": len(skp.rhk), "indicators": sum(len(r.indicators) for r in skp.rhk)}
