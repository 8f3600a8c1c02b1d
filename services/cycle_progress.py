"""How far a cycle's enrolment has gone (`siklus status`, the kepegawaian page's progress bar): the active employees
read so far of those to read, page by page (workflows.cycle), and what became of them."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.cycle_contracts import CyclePhase, CycleState


@dataclass(frozen=True)
class Enrolment:
    read: int  # active employees read so far, in NIP order
    total: int | None  # to read (None until the first page counted them)
    enrolled: int  # appraisals started
    skipped: int  # could not be enrolled (no superior, say): listed with the reason
    already_closed: int  # had an appraisal of this cycle that had already ended
    finished: bool

    @property
    def percent(self) -> int:
        """0–100; 100 only once the cycle has left enrolment (the last page may still be under way at 99)."""
        if self.finished:
            return 100
        if not self.total:
            return 0
        return min(99, self.read * 100 // self.total)


def enrolment(state: CycleState) -> Enrolment:
    return Enrolment(
        read=state.offset,
        total=state.total,
        enrolled=state.enrolled,
        skipped=state.skipped_count,
        already_closed=state.already_closed,
        finished=state.phase is not CyclePhase.ENROLLING,
    )
