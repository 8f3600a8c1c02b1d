"""The development plan's rules (domain.development): who takes which step when, and the bounds of what a plan holds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.development import (
    MAX_CHANGE_REQUESTS,
    MAX_SHORT_CHARS,
    DevelopmentPlan,
    PlanAction,
    PlanRecord,
    PlanStep,
    checked_plan,
    checked_reason,
    transition,
)
from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY
from domain.ratings import Predicate
from domain.stages import Role
from services.development_plans import training_needs

TODAY = date(2027, 2, 1)


def test_the_penilai_sends_the_employee_agrees_or_asks_a_change() -> None:
    assert transition(PlanStep.DRAFTING, PlanAction.SEND, Role.PENILAI) is PlanStep.AGREEMENT
    assert transition(PlanStep.AGREEMENT, PlanAction.SEND, Role.PENILAI) is PlanStep.AGREEMENT  # corrected
    assert transition(PlanStep.AGREEMENT, PlanAction.AGREE, Role.PEGAWAI) is PlanStep.AGREED
    assert transition(PlanStep.AGREEMENT, PlanAction.ASK_CHANGE, Role.PEGAWAI) is PlanStep.DRAFTING


@pytest.mark.parametrize(
    ("step", "action", "role", "field"),
    [
        (PlanStep.DRAFTING, PlanAction.SEND, Role.PEGAWAI, "peran"),
        (PlanStep.AGREEMENT, PlanAction.AGREE, Role.PENILAI, "peran"),
        (PlanStep.DRAFTING, PlanAction.AGREE, Role.PEGAWAI, "tahap"),
        (PlanStep.AGREED, PlanAction.SEND, Role.PENILAI, "tahap"),
        (PlanStep.AGREED, PlanAction.ASK_CHANGE, Role.PEGAWAI, "tahap"),
    ],
)
def test_a_step_out_of_turn_is_refused_naming_why(step: PlanStep, action: PlanAction, role: Role, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        transition(step, action, role)
    assert refused.value.field == field


def test_changes_may_be_asked_a_bounded_number_of_times() -> None:
    last = MAX_CHANGE_REQUESTS - 1
    assert (
        transition(PlanStep.AGREEMENT, PlanAction.ASK_CHANGE, Role.PEGAWAI, change_requests=last) is PlanStep.DRAFTING
    )
    with pytest.raises(DomainError, match="tinggal disetujui"):
        transition(PlanStep.AGREEMENT, PlanAction.ASK_CHANGE, Role.PEGAWAI, change_requests=MAX_CHANGE_REQUESTS)


def test_a_plan_is_trimmed_and_an_empty_training_is_none() -> None:
    plan = checked_plan("  Bimbingan mingguan \n", " Pelayanan ", "  ", date(2027, 6, 30), today=TODAY)
    assert (plan.coaching, plan.competency, plan.training) == ("Bimbingan mingguan", "Pelayanan", None)


@pytest.mark.parametrize(
    ("coaching", "competency", "training", "target", "field"),
    [
        ("ok", "Pelayanan", None, date(2027, 6, 30), "bimbingan"),
        ("Bimbingan", "x" * (MAX_SHORT_CHARS + 1), None, date(2027, 6, 30), "kompetensi"),
        ("Bimbingan", "Pelayanan\x00", None, date(2027, 6, 30), "kompetensi"),
        ("Bimbingan", "Pelayanan", "Diklat\nbaris", date(2027, 6, 30), "pelatihan"),
        ("Bimbingan", "Pelayanan", "ab", date(2027, 6, 30), "pelatihan"),
        ("Bimbingan", "Pelayanan", None, TODAY, "tanggal_target"),
        ("Bimbingan", "Pelayanan", None, date(2028, 2, 3), "tanggal_target"),
    ],
)
def test_what_a_plan_may_hold_is_bounded(
    coaching: str, competency: str, training: str | None, target: date, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        checked_plan(coaching, competency, training, target, today=TODAY)
    assert refused.value.field == field


def test_a_reason_for_a_change_is_required_and_bounded() -> None:
    assert checked_reason("  Jadwal bentrok  ") == "Jadwal bentrok"
    for bad in ("  ", "x" * 2_001, "alasan\x07"):
        with pytest.raises(DomainError) as refused:
            checked_reason(bad)
        assert refused.value.field == "alasan"


def test_by_default_the_three_predicates_below_baik_call_for_a_plan() -> None:
    assert DEFAULT_POLICY.follow_up.predicates == [Predicate.BUTUH_PERBAIKAN, Predicate.KURANG, Predicate.SANGAT_KURANG]
    assert (DEFAULT_POLICY.follow_up.plan_working_days, DEFAULT_POLICY.follow_up.agreement_working_days) == (10, 5)


def test_hr_sees_the_training_asked_for_per_unit_whatever_its_case() -> None:
    def plan(nip: str, unit: str, training: str | None) -> PlanRecord:
        return PlanRecord(
            workflow_id=f"tindak-lanjut-C-{nip}",
            cycle_id="C",
            instansi_code="I",
            period=2026,
            unit_code=unit,
            employee_nip=nip,
            employee_name=f"Pegawai {nip[-1]}",
            penilai_nip="197001011995031001",
            predicate=Predicate.KURANG,
            plan=DevelopmentPlan(coaching="Bimbingan", competency="Pelayanan", training=training, target_date=TODAY),
            opened_at=datetime(2027, 1, 5, tzinfo=UTC),
        )

    first, second, third, none = (f"19900101201503200{n}" for n in range(1, 5))
    plans = [plan(first, "B", "Diklat Pelayanan"), plan(second, "A", "Diklat"), plan(third, "B", "diklat pelayanan")]
    needs = training_needs([*plans, plan(none, "A", None)])
    assert [(n.unit_code, n.training, [p.employee_nip for p in n.people]) for n in needs] == [
        ("A", "Diklat", [second]),
        ("B", "Diklat Pelayanan", [first, third]),
    ]
