"""Reminders before a deadline, escalation at it and one level up after every grace, and who hears of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.escalation import (
    CheckpointKind,
    calibration_recipients,
    checkpoints,
    escalation_recipients,
    last_due,
    superiors_of,
)
from domain.policy import EscalationPolicy
from domain.stages import Role

DEADLINE = datetime(2027, 1, 5, 16, 59, 59, tzinfo=UTC)
POLICY = EscalationPolicy()  # reminders 7, 3 and 1 day before; grace 3 days; 2 levels
DAY = timedelta(days=1)


def test_reminders_at_the_policy_offsets_then_escalation_at_the_deadline_and_after_the_grace() -> None:
    points = checkpoints(DEADLINE, DEADLINE - 30 * DAY, POLICY)
    assert [(p.kind, p.level, DEADLINE - p.at) for p in points] == [
        (CheckpointKind.REMINDER, 0, 7 * DAY),
        (CheckpointKind.REMINDER, 0, 3 * DAY),
        (CheckpointKind.REMINDER, 0, 1 * DAY),
        (CheckpointKind.ESCALATION, 1, timedelta()),
        (CheckpointKind.ESCALATION, 2, -3 * DAY),
    ]


def test_reminders_already_past_when_the_deadline_is_set_are_skipped() -> None:
    points = checkpoints(DEADLINE, DEADLINE - 2 * DAY, POLICY)
    assert [p.kind for p in points] == [CheckpointKind.REMINDER, CheckpointKind.ESCALATION, CheckpointKind.ESCALATION]


def test_a_late_wake_up_sends_one_notice_at_the_level_reached() -> None:
    points = checkpoints(DEADLINE, DEADLINE - 30 * DAY, POLICY)
    assert last_due(points, 0, DEADLINE - 8 * DAY) is None
    assert last_due(points, 0, DEADLINE - 3 * DAY) == 1  # the 7-day reminder is not sent as well
    assert last_due(points, 2, DEADLINE + 4 * DAY) == 4  # straight to level 2
    assert last_due(points, 5, DEADLINE + 40 * DAY) is None  # nothing after the top level


def test_the_ladder_is_the_line_of_superiors_above_whoever_must_act() -> None:
    penilai, atasan, kepala, sekda = "P", "A", "K", "S"
    chain = [penilai, atasan, kepala, sekda]
    assert superiors_of(Role.PEGAWAI, penilai, atasan, chain) == [penilai, atasan, kepala, sekda]
    assert superiors_of(Role.PENILAI, penilai, atasan, chain) == [atasan, kepala, sekda]
    assert superiors_of(Role.ATASAN_PENILAI, penilai, atasan, chain) == [kepala, sekda]
    # After a reassignment the new atasan may not be on the employee's line: the ladder stops there.
    assert superiors_of(Role.PENILAI, "P2", "A2", chain) == ["A2"]
    assert superiors_of(Role.SYSTEM, penilai, atasan, chain) == []


def test_the_supervision_team_always_hears_and_each_level_adds_the_next_superior() -> None:
    team, ladder = ["T1", "T2"], ["P", "A"]
    assert escalation_recipients(1, team, ladder) == ["T1", "T2", "P"]
    assert escalation_recipients(2, team, ladder) == ["T1", "T2", "A"]
    assert escalation_recipients(3, team, ladder) == ["T1", "T2", "A"]  # the top of a short ladder
    assert escalation_recipients(1, team, []) == ["T1", "T2"]


def test_the_pimpinan_is_reminded_of_calibration_and_its_escalation_goes_to_supervision_and_hr() -> None:
    pimpinan, team, pengelola = ["SEKDA"], ["T1", "T2"], ["HR"]
    reminder, level_1, level_2 = checkpoints(DEADLINE, DEADLINE - 2 * DAY, POLICY)
    assert reminder.kind is CheckpointKind.REMINDER
    assert calibration_recipients(reminder, pimpinan, team, pengelola) == ["SEKDA"]
    # The first level tells the pimpinan too, as an overdue step's actor hears of it; nobody stands above them.
    assert calibration_recipients(level_1, pimpinan, team, pengelola) == ["SEKDA", "T1", "T2", "HR"]
    assert calibration_recipients(level_2, pimpinan, team, pengelola) == ["T1", "T2", "HR"]


def test_calibration_recipients_are_named_once_in_order() -> None:
    level_1 = checkpoints(DEADLINE, DEADLINE, POLICY)[0]
    # A committee of two, one of whom also sits on the supervision team; no pengelola kinerja named.
    assert calibration_recipients(level_1, ["S1", "T1"], ["T1", "T2"], []) == ["S1", "T1", "T2"]
    reminder = checkpoints(DEADLINE, DEADLINE - 30 * DAY, POLICY)[0]
    assert calibration_recipients(reminder, ["S1", "S1"], ["T1"], ["HR"]) == ["S1"]
