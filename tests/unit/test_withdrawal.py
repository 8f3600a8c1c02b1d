from datetime import date

import pytest

from domain.errors import DomainError
from domain.stages import IllegalTransition, Role, Stage, Step
from domain.withdrawal import WithdrawalCause, check_effective_on, told_of_withdrawal, withdrawal_step

EMPLOYEE, PENILAI, ATASAN = "199001012015032004", "198003032005011003", "197505052000031002"


@pytest.mark.parametrize("step", [step for step in Step if not step.closed])
def test_the_pengelola_kinerja_withdraws_from_every_open_step(step: Step) -> None:
    withdrawn = withdrawal_step(step, Role.PENGELOLA_KINERJA)
    assert withdrawn is Step.WITHDRAWN and withdrawn.closed
    assert (withdrawn.stage, withdrawn.stage.label) == (Stage.WITHDRAWN, "Ditarik dari Siklus")
    assert withdrawn.responsible is Role.SYSTEM  # nobody's list shows it


@pytest.mark.parametrize("role", [role for role in Role if role is not Role.PENGELOLA_KINERJA])
def test_nobody_else_withdraws_an_employee(role: Role) -> None:
    with pytest.raises(IllegalTransition, match="hanya dapat dilakukan oleh Pengelola Kinerja") as refused:
        withdrawal_step(Step.SUPERVISOR_REVIEW, role)
    assert refused.value.field == "peran" and refused.value.rule


def test_a_closed_appraisal_is_not_withdrawn() -> None:
    with pytest.raises(IllegalTransition, match="sudah selesai dan hasilnya tetap") as final:
        withdrawal_step(Step.FINAL, Role.PENGELOLA_KINERJA)
    with pytest.raises(IllegalTransition, match="sudah ditarik") as again:
        withdrawal_step(Step.WITHDRAWN, Role.PENGELOLA_KINERJA)
    assert final.value.field == again.value.field == "tahap"


def test_the_penilai_and_whoever_must_act_now_are_told_and_the_employee_unless_they_died() -> None:
    assert told_of_withdrawal(WithdrawalCause.MUTASI, EMPLOYEE, PENILAI, [EMPLOYEE]) == [EMPLOYEE, PENILAI]
    assert told_of_withdrawal(WithdrawalCause.MENINGGAL, EMPLOYEE, PENILAI, [EMPLOYEE]) == [PENILAI]
    # Deciding an objection, the atasan's list loses it too.
    assert told_of_withdrawal(WithdrawalCause.PENSIUN, EMPLOYEE, PENILAI, [ATASAN]) == [EMPLOYEE, PENILAI, ATASAN]


def test_a_tmt_is_in_the_appraisal_year_or_the_next() -> None:
    check_effective_on(None, 2026)
    check_effective_on(date(2026, 7, 1), 2026)
    check_effective_on(date(2027, 1, 1), 2026)  # retired from the first day of the next year
    with pytest.raises(DomainError, match="TMT 2062-07-01 tidak di tahun penilaian 2026") as typo:
        check_effective_on(date(2062, 7, 1), 2026)
    assert typo.value.field == "tmt"


def test_every_cause_has_an_indonesian_label() -> None:
    assert WithdrawalCause("cltn").label == "cuti di luar tanggungan negara"
    assert all(cause.label for cause in WithdrawalCause)
