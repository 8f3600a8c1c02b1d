"""How the calibration result reaches an appraisal (SE MenPAN-RB 3/2023): what the `apply_calibration` Update
accepts, and the step that applies a decision (workflows/appraisal.py).

Until 0.5 the result came as the `calibration_decided` signal. A signal has no validator: anyone who reached Temporal
could send any predicate with any `decided_by`, and the committee's later, legitimate decision was then ignored,
because the appraisal had moved on to sign-off. Now it comes only through the Update, from one of two sources:
- the cycle's locked decision: the cycle's push sends the Update without a predicate, and the workflow reads this
  employee's result from the locked decision in the database (AppraisalActivities.locked_calibration). Anyone may
  send that Update; it can do no more than apply the real decision, and nothing at all before the lock;
- a pengelola kinerja of the appraisal, with the predicate and a written reason (the validator checks both).
A result arriving before the appraisal waits for calibration is kept and applied when it does (the latest wins); one
arriving after the result was applied is refused (CalibrationClosed): a signed result changes through keberatan.

The retired signal is still handled as before in histories recorded before the change (CALIBRATION_BY_UPDATE, a
`workflow.patched` id): they replay and complete. Everywhere else it is logged and changes nothing.

Imported through the sandbox's passthrough, like the workflow's other helpers.
"""

from __future__ import annotations

from domain.errors import DomainError
from domain.stages import Action, Role, Step, transition
from workflows.changes import Change
from workflows.contracts import (
    ApplyCalibration,
    AppraisalState,
    CalibrationDecision,
    CalibrationSource,
    ReviewChange,
)

CALIBRATION_BY_UPDATE = "calibration-by-update"  # workflow.patched id (0.5): the signal no longer sets anything
RULE = "kalibrasi predikat kinerja pegawai (SE MenPAN-RB 3/2023)"
_APPLIED = (Step.SIGN_OFF, Step.OBJECTION_WINDOW, Step.OBJECTION_REVIEW)


class CalibrationClosed(DomainError):
    """The result was applied already, or the appraisal has ended: a calibration no longer changes it."""


def check_open(step: Step) -> None:
    """CalibrationClosed once the result is applied (from sign-off on) or the appraisal has ended."""
    if step is Step.WITHDRAWN:
        raise CalibrationClosed("pegawai ini sudah ditarik dari siklus; hasil kalibrasi tidak berlaku", field="tahap")
    if step.closed or step in _APPLIED:
        raise CalibrationClosed(
            f"hasil kalibrasi sudah diterapkan dan penilaian berada pada tahap '{step.label}'; predikat yang sudah"
            " ditetapkan hanya dapat diubah melalui keberatan (PP 30/2019 Pasal 59)",
            field="tahap",
            rule=RULE,
        )


def check_source(cmd: ApplyCalibration) -> None:
    """The payload's own rules: the cycle's result names no predicate (the database holds it); a person's must be a
    pengelola kinerja's and name one. Who that person is, and the reason, the workflow checks against the appraisal."""
    if cmd.actor is None:
        if cmd.predicate is not None:
            raise DomainError(
                "hasil kalibrasi siklus dibaca dari keputusan kalibrasi yang dikunci; predikat tidak dikirim",
                field="predikat",
                rule=RULE,
            )
        return
    if cmd.actor.role is not Role.PENGELOLA_KINERJA:
        raise DomainError(
            f"hasil kalibrasi diterapkan dari keputusan kalibrasi siklus yang dikunci atau oleh"
            f" {Role.PENGELOLA_KINERJA.label} dengan alasan tertulis, bukan oleh {cmd.actor.role.label}",
            field="peran",
            rule=RULE,
        )
    if cmd.predicate is None:
        raise DomainError("predikat hasil kalibrasi wajib diisi", field="predikat", rule=RULE)


def by_pengelola(cmd: ApplyCalibration, cycle_id: str, reason: str) -> CalibrationDecision:
    """The decision a pengelola kinerja sent (checked by the validator: `check_source` and the appraisal's people)."""
    assert cmd.actor is not None and cmd.predicate is not None
    return CalibrationDecision(
        calibration_id=f"{cycle_id}/{CalibrationSource.PENGELOLA.value}",
        predicate=cmd.predicate,
        reason=reason,
        decided_by=cmd.actor.nip,
        source=CalibrationSource.PENGELOLA,
    )


def applying(state: AppraisalState, decision: CalibrationDecision) -> Change:
    """The step that applies `decision` to an appraisal waiting for calibration (IllegalTransition otherwise)."""
    to = transition(state.step, Action.APPLY_CALIBRATION, Role.SYSTEM)
    review = state.review
    if review is not None:
        review = review.model_copy(update={"calibration": decision, "final_predicate": decision.predicate})

    def apply() -> None:
        state.pending_calibration, state.calibration = None, decision
        state.predicate, state.review = decision.predicate, review

    before = state.predicate
    pengelola = decision.source is CalibrationSource.PENGELOLA
    return Change(
        action=Action.APPLY_CALIBRATION.value,
        to=to,
        actor=decision.decided_by,
        role=Role.PENGELOLA_KINERJA if pengelola else Role.SYSTEM,
        reason=decision.reason or None,
        after={
            "predicate_before": before.value if before else None,
            "predicate": decision.predicate.value,
            "source": decision.source.value,
        },
        apply=apply,
        # The review step stored the review; the database takes only what this changes in it.
        review_change=ReviewChange(final_predicate=decision.predicate, calibration=decision) if review else None,
    )
