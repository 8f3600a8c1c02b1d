"""Generated bad input (issue 19): 10,000 Update payloads, across every person's step, each wrong in at least one way
the types allow (a step not due at this stage, the wrong person or role, text too long or with control characters or
blank where a reason is required, a date outside the appraisal's years, a negative or oversized realisation, too many
items), sent to eight real appraisals on the dev server with their real worker, 100 at a time. Each is refused by the
Update's validator with a message and the field it names; no appraisal's history gains an event (so no Update is
accepted and no workflow task fails), and the database records nothing. (On the dev server a rejected Update leaves
nothing in history; the time-skipping server keeps three bookkeeping events per rejection, which 10,000 would push
past its history limit.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

import temporal_client
from domain.bounds import MAX_FEEDBACK_CHARS, MAX_LIST_ITEMS, MAX_REALISATION, MAX_REASON_CHARS
from domain.ratings import Expectation, Predicate
from domain.skp import Realisation
from domain.stages import Role
from domain.withdrawal import WithdrawalCause
from services import worklist
from tests.workflows import scenario
from tests.workflows.conftest import Office
from tests.workflows.scenario import EMPLOYEE, KABID, KASI, KASI_BARU, KEPALA, PENGAWAS, PENGELOLA, STAFF, Handle
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Acknowledge,
    Actor,
    ApproveSkp,
    DecideObjection,
    ExtendDeadline,
    FileObjection,
    Reassign,
    ReturnSkp,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    Withdraw,
)

BATCHES = 100
PER_BATCH = 100  # sent at once: 10,000 payloads in all
APPRAISALS = 8
IN_FLIGHT = 5  # Updates in flight per appraisal
PEOPLE = [STAFF, KASI, KABID, KEPALA, KASI_BARU, PENGAWAS, PENGELOLA]
# Who may take each step that is due while the SKP waits for approval (scenario: submitted, not yet approved).
MAY_ACT = {
    "approve_skp": {(KASI, Role.PENILAI)},
    "return_skp": {(KASI, Role.PENILAI)},
    "extend_deadline": {(PENGAWAS, Role.PENGAWASAN), (PENGELOLA, Role.PENGELOLA_KINERJA)},
    "reassign": {(PENGAWAS, Role.PENGAWASAN), (PENGELOLA, Role.PENGELOLA_KINERJA)},
    "withdraw": {(PENGELOLA, Role.PENGELOLA_KINERJA)},
}
ZONES = [UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=9)), timezone(timedelta(hours=-12))]

# Any 18 digits: the strings st.from_regex(r"\A[0-9]{18}\Z") makes, drawn in one step instead of a regex's eighteen
# (which took a sixth of the test's time).
nips = st.one_of(st.sampled_from(PEOPLE), st.text(alphabet="0123456789", min_size=18, max_size=18))
actors = st.builds(Actor, nip=nips, role=st.sampled_from(list(Role)))
any_text = st.text(max_size=80)  # any characters, control characters among them
long_text = st.integers(MAX_REASON_CHARS + 1, MAX_FEEDBACK_CHARS + 100).map(lambda n: "ab " * (n // 3 + 1))
controlled = st.tuples(
    st.text(min_size=12, max_size=40), st.characters(codec="ascii", categories=["Cc"], exclude_characters="\n\r\t")
).map(lambda parts: parts[0] + parts[1] + "akhir")
blank = st.sampled_from(["", " ", "\n\t", "ok"])
bad_text = st.one_of(long_text, controlled)
texts = st.one_of(any_text, bad_text, blank)
far_dates = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.sampled_from(ZONES)
).filter(lambda moment: not 2025 <= moment.year <= 2028)
dates = st.one_of(far_dates, st.datetimes(timezones=st.sampled_from(ZONES)))
amounts = st.one_of(
    st.decimals(max_value=Decimal("-0.0001"), allow_nan=False, allow_infinity=False, places=4),
    st.decimals(min_value=MAX_REALISATION + 1, allow_nan=False, allow_infinity=False, places=2),
    st.decimals(allow_nan=False, allow_infinity=False),
)
realisations = st.builds(
    Realisation,
    indicator_id=st.one_of(st.sampled_from(["1.1", "1.2", "2.1"]), st.text(max_size=100)),
    value=amounts,
    evidence=st.lists(texts, max_size=25),
    note=texts,
)


@st.composite
def wrong_updates(draw: st.DrawFn) -> tuple[str, Callable[..., Any], Any]:
    """(step, the Update, a payload it must refuse at this stage)."""
    step = draw(st.sampled_from(STEPS))
    actor = draw(actors)
    if step in MAY_ACT:  # due now: make sure something else is wrong
        flaw = draw(
            st.sampled_from(["actor", "text", "date"] if step in {"extend_deadline", "withdraw"} else ["actor", "text"])
        )
        if flaw == "actor":
            actor = draw(actors.filter(lambda a: (a.nip, a.role) not in MAY_ACT[step]))
        else:
            nip, role = draw(st.sampled_from(sorted(MAY_ACT[step])))
            actor = Actor(nip=nip, role=role)
    else:
        flaw = "stage"
    text = draw(bad_text) if flaw == "text" else draw(texts)
    when = draw(far_dates) if flaw == "date" else draw(dates)
    return step, *BUILD[step](draw, actor, text, when)


def _skp(draw: st.DrawFn, actor: Actor, text: str, when: datetime) -> tuple[Any, Any]:
    return AppraisalWorkflow.submit_skp, SubmitSkp(actor=actor, skp=scenario.skp(), reason=text)


BUILD: dict[str, Callable[[st.DrawFn, Actor, str, datetime], tuple[Any, Any]]] = {
    "submit_skp": _skp,
    "approve_skp": lambda d, a, t, w: (AppraisalWorkflow.approve_skp, ApproveSkp(actor=a, note=t)),
    "return_skp": lambda d, a, t, w: (AppraisalWorkflow.return_skp, ReturnSkp(actor=a, comments=t)),
    "submit_self_assessment": lambda d, a, t, w: (
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(
            actor=a,
            realisations=d(st.lists(realisations, max_size=5))
            + d(st.sampled_from([[], [Realisation(indicator_id="1.1", value=Decimal(1))] * (MAX_LIST_ITEMS + 1)])),
            reason=t,
        ),
    ),
    "submit_review": lambda d, a, t, w: (
        AppraisalWorkflow.submit_review,
        SubmitReview(
            actor=a,
            perilaku=d(st.sampled_from(list(Expectation))),
            hasil_kerja=d(st.sampled_from(list(Expectation))),
            override_reason=t,
            feedback=d(texts),
        ),
    ),
    "sign": lambda d, a, t, w: (AppraisalWorkflow.sign, Sign(actor=a, note=t)),
    "acknowledge": lambda d, a, t, w: (AppraisalWorkflow.acknowledge, Acknowledge(actor=a, reason=t)),
    "file_objection": lambda d, a, t, w: (AppraisalWorkflow.file_objection, FileObjection(actor=a, reason=t)),
    "decide_objection": lambda d, a, t, w: (
        AppraisalWorkflow.decide_objection,
        DecideObjection(actor=a, predicate=d(st.one_of(st.none(), st.sampled_from(list(Predicate)))), reason=t),
    ),
    "extend_deadline": lambda d, a, t, w: (
        AppraisalWorkflow.extend_deadline,
        ExtendDeadline(actor=a, new_deadline=w, reason=t),
    ),
    "reassign": lambda d, a, t, w: (
        AppraisalWorkflow.reassign,
        Reassign(actor=a, penilai_nip=d(nips), atasan_nip=d(st.one_of(st.none(), nips)), reason=t),
    ),
    "withdraw": lambda d, a, t, w: (
        AppraisalWorkflow.withdraw,
        Withdraw(actor=a, cause=d(st.sampled_from(list(WithdrawalCause))), reason=t, effective_on=_day(w)),
    ),
}
STEPS = sorted(BUILD)


def _day(moment: datetime) -> date:
    return moment.date()


async def _refusal(handle: Handle, update: Callable[..., Any], payload: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, payload)  # type: ignore[call-overload]
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause


@dataclass
class Target:
    """Appraisals whose SKP waits for approval, to send to at once (a workflow takes Updates one workflow task at a
    time, and the server keeps at most 10 in flight per workflow)."""

    handles: list[Handle]
    office: Office
    events: list[int]  # each appraisal's history length once its SKP was submitted
    sent: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)


@pytest.fixture
async def target(dev_env: WorkflowEnvironment, dev_task_queue: str, office: Office) -> AsyncIterator[Target]:
    begin = await dev_env.get_current_time()
    inputs = [scenario.appraisal_input(f"2026-gen-{uuid.uuid4().hex[:8]}", begin) for _ in range(APPRAISALS)]
    worklist.enrol(office.uow_factory, inputs)
    handles = [
        await temporal_client.start_appraisal(dev_env.client, input, task_queue=dev_task_queue) for input in inputs
    ]
    for handle in handles:
        await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    found = Target(handles, office, [len((await handle.fetch_history()).events) for handle in handles])
    yield found
    for handle in handles:
        await handle.terminate("test finished")
    # After the last batch: every step was tried, 10,000 payloads in all.
    assert sum(found.sent.values()) >= BATCHES * PER_BATCH and set(found.sent) == set(STEPS), found.sent


@settings(
    max_examples=BATCHES,
    deadline=None,
    derandomize=True,  # the same 10,000 on every run: a failure here is a bug, not bad luck
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(wrong_updates(), min_size=PER_BATCH, max_size=PER_BATCH))
async def test_ten_thousand_wrong_updates_are_refused_before_anything_is_recorded(
    target: Target, batch: list[tuple[str, Callable[..., Any], Any]]
) -> None:
    gates = [asyncio.Semaphore(IN_FLIGHT) for _ in target.handles]

    async def send(index: int, update: Callable[..., Any], payload: Any) -> ApplicationError:
        slot = index % len(target.handles)
        async with gates[slot]:
            return await _refusal(target.handles[slot], update, payload)

    refusals = await asyncio.gather(*(send(i, update, payload) for i, (_, update, payload) in enumerate(batch)))
    for (step, _, _payload), refused in zip(batch, refusals, strict=True):
        target.sent[step] += 1
        named = refused.details[0]["field"] if refused.details else None
        assert refused.message and named, (step, refused.type, refused.message)
        target.fields[named] += 1
    for handle, events in zip(target.handles, target.events, strict=True):
        history = await handle.fetch_history()
        # Not one event more: no Update accepted, no workflow task failed, nothing scheduled.
        assert len(history.events) == events, [event.event_type for event in history.events[events:]]
    with target.office.uow_factory() as uow:
        for handle in target.handles:
            assert [entry.action for entry in uow.audit.list(workflow_id=handle.id)] == ["submit_skp"]
