"""What the appraisal's contracts put in Temporal's history (workflows/contracts.py): only what the appraisal reads,
and payloads written by the releases before still decode (issue 21: an appraisal year's history)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from temporalio.api.common.v1 import Payload

from domain.calendar import resolve
from domain.policy import AppraisalPolicy, CalibrationPolicy, SurveyPolicy
from payloads import DATA_CONVERTER
from tests.workflows import scenario
from workflows.contracts import POLICY_NOT_CARRIED, AppraisalInput

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
