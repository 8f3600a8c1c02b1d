"""An appraisal year's history stays small (issue 21): Temporal keeps every appraisal's history, a province's tens of
thousands of them, and what an Update answers, what an activity is given and what the workflow returns are all in it.

The happy path of tests/workflows/test_appraisal.py (the SKP submitted and approved, the self-assessment, the review,
the calibration, the sign-off and its acceptance) on the time-skipping server, measured as Temporal stores it: with
its payloads compressed (payloads.CompressionCodec), as every worker and client of Kinerja sends them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment

from domain.ratings import Expectation, Predicate
from domain.stages import Step
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from tests.workflows.scenario import EMPLOYEE, MEETS, PENILAI, STAFF
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Acknowledge,
    ApplyCalibration,
    ApproveSkp,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
)

KIB = 1024
# The whole history of a happy-path year, payloads and Temporal's own fields (every_stage.json was 65 KiB, of
# which 58 KiB payloads, before issue 21; 31 KiB, of which 24 KiB payloads, before payloads were compressed).
HISTORY_BOUND = 23 * KIB
PAYLOAD_BOUND = 16 * KIB
# One Update's answer (where the appraisal stands and the step just recorded): the whole state was 4 KiB and more.
ANSWER_BOUND = 1 * KIB
# The workflow's result: the same summary; the whole state at the end was 6.6 KiB.
RESULT_BOUND = 1 * KIB
# The input: the instansi's policy without the parts no appraisal reads, compressed; whole, it was 4.2 KiB.
INPUT_BOUND = 2 * KIB


def payload_bytes(message: Message) -> int:
    """The bytes of every payload in `message` (data and metadata), however deep."""
    if isinstance(message, Payload):
        return message.ByteSize()
    total = 0
    for _, value in message.ListFields():
        if isinstance(value, Message):
            total += payload_bytes(value)
        elif isinstance(value, Mapping):  # e.g. a header's fields, a memo
            total += sum(payload_bytes(v) for v in value.values() if isinstance(v, Message))
        elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
            total += sum(payload_bytes(v) for v in value if isinstance(v, Message))
    return total


def by_type(events: list[HistoryEvent]) -> Counter[str]:
    sizes: Counter[str] = Counter()
    for event in events:
        sizes[EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")] += payload_bytes(event)
    return sizes


async def test_a_happy_path_year_keeps_its_history_small(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office, cycle_id: str
) -> None:
    handle = await start()
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI, note="Sesuai IKU"))
    await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
    )
    await handle.execute_update(
        AppraisalWorkflow.submit_review, SubmitReview(actor=PENILAI, perilaku=Expectation.ABOVE, hasil_kerja=MEETS)
    )
    scenario.lock_calibration(office.uow_factory, cycle_id, {STAFF: Predicate.BAIK})
    await handle.execute_update(AppraisalWorkflow.apply_calibration, ApplyCalibration())
    await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=PENILAI))
    await handle.execute_update(AppraisalWorkflow.acknowledge, Acknowledge(actor=EMPLOYEE))
    assert (await handle.result()).step is Step.FINAL

    events = list((await handle.fetch_history()).events)
    sizes = by_type(events)
    told = ", ".join(f"{name} {size} B" for name, size in sizes.most_common() if size)
    answers = [payload_bytes(e) for e in events if e.HasField("workflow_execution_update_completed_event_attributes")]
    assert len(answers) == 7 and max(answers) <= ANSWER_BOUND, answers
    assert sizes["WORKFLOW_EXECUTION_COMPLETED"] <= RESULT_BOUND, told
    assert sizes["WORKFLOW_EXECUTION_STARTED"] <= INPUT_BOUND, told
    assert sum(sizes.values()) <= PAYLOAD_BOUND, told
    stored = sum(event.ByteSize() for event in events)
    assert stored <= HISTORY_BOUND, f"{stored} B in {len(events)} events; payloads: {told}"
