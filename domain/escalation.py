"""Reminders before a deadline and escalation after it, as plain data the workflow's timers follow.

Before the deadline the actor is reminded at the policy's offsets; at the deadline the step is overdue and escalates
(level 1) to the supervision team and the actor's superior; every further `grace` without action escalates one level
up, to `max_levels`. The offsets and the grace are durations, or hari kerja where the policy says so. Offsets
already past when a deadline is set are skipped: a reminder "7 days before" means nothing for a deadline three days
away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.policy import EscalationPolicy
from domain.stages import Role
from domain.workdays import WorkdayTable, moved, zone_of


class CheckpointKind(StrEnum):
    REMINDER = "reminder"
    ESCALATION = "escalation"


class Checkpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    kind: CheckpointKind
    level: int = 0  # escalation level; 0 for a reminder


def checkpoints(
    deadline: datetime,
    planned_at: datetime,
    policy: EscalationPolicy,
    workdays: WorkdayTable | None = None,
    utc_offset_hours: int | None = None,
) -> list[Checkpoint]:
    """Every reminder and escalation for a deadline set at `planned_at`, in time order.

    Where the policy counts them in hari kerja and the cycle carries its working days (`workdays`), a reminder
    "3 working days before" falls at the deadline's time of day in the cycle's zone, the weekend and the days off
    skipped; so does each further level of escalation. Into a year whose holidays are not listed, calendar days.
    """
    shift = _shifter(workdays, utc_offset_hours)
    if policy.reminders_before_working_days and shift is not None:
        befores = sorted({shift(deadline, -n) for n in policy.reminders_before_working_days})
    else:
        befores = [deadline - offset for offset in sorted(set(policy.reminders_before), reverse=True)]
    reminders = [Checkpoint(at=at, kind=CheckpointKind.REMINDER) for at in befores if at > planned_at]
    escalations, at = [], deadline
    for level in range(1, policy.max_levels + 1):
        if level > 1:  # each level counted from the one before: a fallback to calendar days keeps them in order
            if policy.grace_working_days is not None and shift is not None:
                at = shift(at, policy.grace_working_days)
            else:
                at = deadline + policy.grace * (level - 1)
        escalations.append(Checkpoint(at=at, kind=CheckpointKind.ESCALATION, level=level))
    return reminders + escalations


def _shifter(workdays: WorkdayTable | None, utc_offset_hours: int | None) -> Callable[[datetime, int], datetime] | None:
    if workdays is None:
        return None
    zone = zone_of(utc_offset_hours)
    return lambda instant, count: moved(workdays, instant, count, zone)


def last_due(points: Sequence[Checkpoint], done: int, now: datetime) -> int | None:
    """The index of the latest checkpoint due at `now` among those not done yet, or None.

    Only the latest counts: a workflow that wakes late (a worker outage, a step entered after its deadline) sends
    one notice at the level reached, not a burst of stale reminders.
    """
    found = None
    for index in range(done, len(points)):
        if points[index].at > now:
            break
        found = index
    return found


def superiors_of(role: Role, penilai: str, atasan: str | None, chain: Sequence[str]) -> list[str]:
    """Who stands above the person acting in `role`, nearest first: the escalation ladder of their step.

    `chain` is the employee's line of superiors (nearest first); above the atasan it continues with the atasan's
    own superiors when the atasan is on that line. After a reassignment it may not be, and the ladder then stops
    at the atasan (the supervision team is always notified anyway).
    """
    beyond = list(chain[chain.index(atasan) + 1 :]) if atasan in chain else []
    if role is Role.PEGAWAI:
        ladder = [penilai, *([atasan] if atasan else []), *beyond]
    elif role is Role.PENILAI:
        ladder = [*([atasan] if atasan else []), *beyond]
    elif role is Role.ATASAN_PENILAI:
        ladder = beyond
    else:
        ladder = []
    return list(dict.fromkeys(ladder))


def escalation_recipients(level: int, team: Sequence[str], ladder: Sequence[str]) -> list[str]:
    """The supervision team plus the superior `level` steps above the actor (the top of the ladder if shorter)."""
    superior = [ladder[min(level, len(ladder)) - 1]] if ladder and level >= 1 else []
    return list(dict.fromkeys([*team, *superior]))


def calibration_recipients(
    point: Checkpoint, pimpinan: Sequence[str], team: Sequence[str], pengelola: Sequence[str]
) -> list[str]:
    """Who hears of a checkpoint of the cycle's calibration deadline (`calibration_due`).

    The leader who sets the organisation predicate and decides the calibration (SE MenPAN-RB 3/2023 step 1) is
    reminded. At the deadline and after every grace it escalates to the supervision team and the pengelola kinerja,
    who prepare the calibration and answer for the cycle's calendar; the leader hears of the first level too, as the
    actor of an overdue appraisal step does. There is no ladder above the leader within the instansi.
    """
    if point.kind is CheckpointKind.REMINDER:
        return list(dict.fromkeys(pimpinan))
    actor = list(pimpinan) if point.level == 1 else []
    return list(dict.fromkeys([*actor, *team, *pengelola]))
