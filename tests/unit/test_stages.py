import pytest

from domain.stages import (
    TAKE_OVER_ACTIONS,
    TRANSITIONS,
    Action,
    IllegalTransition,
    Role,
    Stage,
    Step,
    allowed_actions,
    transition,
)
from domain.withdrawal import withdrawal_step


def test_happy_path_walks_every_stage_in_order() -> None:
    path = [
        (Action.SUBMIT_SKP, Role.PEGAWAI),
        (Action.APPROVE_SKP, Role.PENILAI),
        (Action.SUBMIT_SELF_ASSESSMENT, Role.PEGAWAI),
        (Action.SUBMIT_REVIEW, Role.PENILAI),
        (Action.APPLY_CALIBRATION, Role.SYSTEM),
        (Action.SIGN, Role.PENILAI),
        (Action.ACKNOWLEDGE, Role.PEGAWAI),
    ]
    step = Step.SKP_DRAFTING
    stages = [step.stage]
    for action, role in path:
        step = transition(step, action, role)
        if step.stage != stages[-1]:
            stages.append(step.stage)
    assert stages == [stage for stage in Stage if stage is not Stage.WITHDRAWN]  # a way out, not on the path


def test_returned_skp_goes_back_to_the_employee() -> None:
    assert transition(Step.SKP_APPROVAL, Action.RETURN_SKP, Role.PENILAI) is Step.SKP_DRAFTING


def test_objection_goes_to_the_atasan_whose_decision_is_final() -> None:
    step = transition(Step.OBJECTION_WINDOW, Action.FILE_OBJECTION, Role.PEGAWAI)
    assert step is Step.OBJECTION_REVIEW
    assert step.responsible is Role.ATASAN_PENILAI
    assert transition(step, Action.DECIDE_OBJECTION, Role.ATASAN_PENILAI) is Step.FINAL
    assert allowed_actions(Step.FINAL) == []


def test_objection_window_is_closed_by_the_timer_not_by_people() -> None:
    assert transition(Step.OBJECTION_WINDOW, Action.CLOSE_OBJECTION_WINDOW, Role.SYSTEM) is Step.FINAL
    with pytest.raises(IllegalTransition, match="hanya dapat dilakukan oleh Sistem"):
        transition(Step.OBJECTION_WINDOW, Action.CLOSE_OBJECTION_WINDOW, Role.PEGAWAI)


def test_wrong_stage_names_the_stage_and_what_is_allowed() -> None:
    with pytest.raises(IllegalTransition) as error:
        transition(Step.SELF_ASSESSMENT, Action.APPROVE_SKP, Role.PENILAI)
    assert "Penilaian Diri" in str(error.value)
    assert "Kirim penilaian diri" in str(error.value)
    assert error.value.field == "tahap"


@pytest.mark.parametrize("transition_", TRANSITIONS, ids=lambda t: f"{t.step}-{t.action}")
def test_every_other_role_is_refused(transition_) -> None:  # type: ignore[no-untyped-def]
    for role in Role:
        if role is transition_.actor:
            continue
        with pytest.raises(IllegalTransition) as error:
            transition(transition_.step, transition_.action, role)
        assert error.value.field == "peran"


def test_take_over_only_for_employee_steps_by_hr_or_supervision() -> None:
    assert (
        transition(Step.SELF_ASSESSMENT, Action.SUBMIT_SELF_ASSESSMENT, Role.PENGAWASAN, on_behalf=True)
        is Step.SUPERVISOR_REVIEW
    )
    assert transition(Step.SKP_DRAFTING, Action.SUBMIT_SKP, Role.PENGELOLA_KINERJA, on_behalf=True) is Step.SKP_APPROVAL
    with pytest.raises(IllegalTransition, match="tidak dapat diambil alih"):
        transition(Step.SUPERVISOR_REVIEW, Action.SUBMIT_REVIEW, Role.PENGAWASAN, on_behalf=True)
    with pytest.raises(IllegalTransition, match="tidak dapat diambil alih"):
        transition(Step.SKP_DRAFTING, Action.SUBMIT_SKP, Role.PENILAI, on_behalf=True)
    assert all(next(t for t in TRANSITIONS if t.action is a).actor is Role.PEGAWAI for a in TAKE_OVER_ACTIONS)


def test_every_step_but_final_can_move_and_every_step_is_reachable() -> None:
    reachable = {Step.SKP_DRAFTING}
    frontier = [Step.SKP_DRAFTING]
    while frontier:
        step = frontier.pop()
        for t in TRANSITIONS:
            if t.step is step and t.to not in reachable:
                reachable.add(t.to)
                frontier.append(t.to)
    assert reachable | {withdrawal_step(Step.SKP_DRAFTING, Role.PENGELOLA_KINERJA)} == set(Step)
    assert all(allowed_actions(s) for s in Step if not s.closed)
