"""What the appraisal's contracts put in Temporal's history (workflows/contracts.py): only what the appraisal reads,
and payloads written by the releases before still decode (issue 21: an appraisal year's history)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from temporalio.api.common.v1 import Payload

from domain.calendar import resolve
from domain.policy import AppraisalPolicy, CalibrationPolicy, SurveyPolicy
from domain.ratings import Predicate
from domain.stages import Role, Step
from domain.worklist import WorkItem
from payloads import DATA_CONVERTER
from tests.workflows import scenario
from workflows.contracts import POLICY_NOT_CARRIED, AppraisalInput, RecordStep, ReviewChange

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
START = datetime(2026, 1, 5, 1, tzinfo=UTC)


def _input(policy: AppraisalPolicy) -> AppraisalInput:
    return scenario.appraisal_input("2026-A", START, policy=policy)


def test_the_input_carries_the_policy_without_what_no_appraisal_reads() -> None:
    own = CalibrationPolicy(rounding="nearest")
    policy = AppraisalPolicy(
        version="instansi/2026.2",
        max_skp_returns=3,
        calibration=own,
        survey=SurveyPolicy(unsur_weight=Decimal("0.11")),
    )
    [payload] = DATA_CONVERTER.payload_converter.to_payloads([_input(policy)])
    assert b'"calibration"' not in payload.data and b'"bands"' not in payload.data
    [decoded] = DATA_CONVERTER.payload_converter.from_payloads([payload], [AppraisalInput])
    assert isinstance(decoded, AppraisalInput)
    kept = policy.model_dump(exclude=set(POLICY_NOT_CARRIED))
    assert decoded.policy.model_dump(exclude=set(POLICY_NOT_CARRIED)) == kept
    assert decoded.deadlines == resolve(scenario.compressed_calendar(START), scenario.PERIOD, policy)


def test_an_input_written_with_the_whole_policy_still_decodes_whole() -> None:
    policy = AppraisalPolicy(calibration=CalibrationPolicy(rounding="nearest"))
    written = _input(policy).model_dump(mode="json")
    written["policy"] = policy.model_dump(mode="json")  # as the releases before wrote it
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(written).encode())
    [decoded] = DATA_CONVERTER.payload_converter.from_payloads([payload], [AppraisalInput])
    assert isinstance(decoded, AppraisalInput) and decoded.policy == policy


def test_no_workflow_reads_a_part_of_the_policy_the_input_leaves_out() -> None:
    # Decoded, those parts are the defaults, not the instansi's: reading them would apply the wrong rules silently.
    parts = "|".join(POLICY_NOT_CARRIED)
    readers = [
        path.name for path in sorted(WORKFLOWS.glob("*.py")) if re.search(rf"policy\.({parts})\b", path.read_text())
    ]
    assert readers == []


def _step(**changes: object) -> RecordStep:
    at = datetime(2026, 3, 2, 3, tzinfo=UTC)
    workflow_id = f"appraisal-2026-A-{scenario.STAFF}"
    work = WorkItem(
        workflow_id=workflow_id,
        cycle_id="2026-A",
        instansi_code=scenario.INSTANSI,
        unit_code=scenario.UNIT,
        employee_nip=scenario.STAFF,
        penilai_nip=scenario.KASI,
        step=Step.SKP_APPROVAL,
        assignee=scenario.KASI,
        deadline=at + timedelta(days=5),
        recorded_at=at,
    )
    step = RecordStep(
        workflow_id=workflow_id,
        idempotency_key=f"{workflow_id}/run/update-submit_skp",
        instansi_code=scenario.INSTANSI,
        period=scenario.PERIOD,
        employee_nip=scenario.STAFF,
        employee_name="Sri Wahyuni",
        actor=scenario.STAFF,
        actor_role=Role.PEGAWAI,
        action="submit_skp",
        step_from=Step.SKP_DRAFTING,
        step_to=Step.SKP_APPROVAL,
        occurred_at=at,
        skp=scenario.skp(),
        notify=[scenario.KASI],
        work=work,
    )
    return step.model_copy(update=changes)


def _round_trip(step: RecordStep) -> tuple[bytes, RecordStep]:
    [payload] = DATA_CONVERTER.payload_converter.to_payloads([step])
    [decoded] = DATA_CONVERTER.payload_converter.from_payloads([payload], [RecordStep])
    assert isinstance(decoded, RecordStep)
    return payload.data, decoded


def test_a_step_is_given_to_its_activity_without_its_empty_fields_and_what_the_worklist_entry_repeats() -> None:
    step = _step()
    data, decoded = _round_trip(step)
    assert decoded == step
    assert None not in json.loads(data).values()
    assert json.loads(data)["work"].keys() == {"cycle_id", "unit_code", "penilai_nip", "assignee", "deadline",
                                               "overdue", "escalation_level", "atasan_nip"}  # fmt: skip
    # An entry that differs from the step keeps its own values (a step that leaves the worklist elsewhere).
    assert step.work is not None
    moved = step.model_copy(update={"work": step.work.model_copy(update={"step": Step.SELF_ASSESSMENT})})
    assert _round_trip(moved)[1] == moved


def test_a_step_written_whole_by_the_releases_before_still_decodes() -> None:
    step = _step(review_change=ReviewChange(final_predicate=Predicate.BAIK))
    assert step.work is not None
    written = json.loads(_round_trip(step)[0])
    written |= {"work": step.work.model_dump(mode="json"), "on_behalf_of": None, "reason": None, "review": None}
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(written).encode())
    assert DATA_CONVERTER.payload_converter.from_payloads([payload], [RecordStep]) == [step]
