"""A small Dukcapil office, a compressed calendar and the commands of one appraisal, shared by the workflow tests.

Hours instead of months: every deadline is an ISO-8601 duration from the cycle start, and the escalation policy
reminds 30 and 10 minutes before a deadline with a 30-minute grace, so the time-skipping server runs a whole year in
well under a second of wall time.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.calendar import CycleCalendar, Deadlines, resolve
from domain.organisation import Employee, Instansi, Unit
from domain.policy import AppraisalPolicy, EscalationPolicy
from domain.ratings import Expectation, OrgPredicate, Predicate
from domain.skp import Aspect, Indicator, Realisation, RencanaHasilKerja, RhkKind, Skp, Target
from domain.stages import Role, Step
from domain.worklist import WorkItem
from payloads import COMPRESSED, COMPRESSION
from persistence.ports import AbstractUnitOfWork
from services import calibration_store
from temporal_client import DATA_CONVERTER
from worker import WORKFLOWS
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import Actor, AppraisalInput, AppraisalState, AppraisalSummary
from workflows.cycle_contracts import CycleRef, DecideCalibration, SetOrgPredicate

T = TypeVar("T")
Handle = WorkflowHandle[AppraisalWorkflow, AppraisalSummary]

PERIOD = 2026
INSTANSI = "DUKCAPIL-KOTA"
UNIT = "PDU"

KEPALA = "197001011995031001"  # Kepala Dinas: top of the line
KABID = "197505052000031002"  # Kepala Bidang: atasan pejabat penilai
KASI = "198003032005011003"  # Kepala Seksi: pejabat penilai
STAFF = "199001012015032004"  # the appraised employee
STAFF_EMAIL = "sri.wahyuni@dukcapil.example.go.id"  # the only one with an address: the others' notices go to the log
KASI_BARU = "198206062008011005"  # the reviewer after a reorganisation
PENGAWAS = "197808082003121006"  # tim pengawasan (inspektorat)
PENGELOLA = "198509092010012007"  # pengelola kinerja (BKPSDM)

HISTORIES = Path(__file__).resolve().parent / "histories"
RECORD_HISTORIES = os.environ.get("KINERJA_RECORD_HISTORIES") == "1"

ESCALATION = EscalationPolicy(
    reminders_before=[timedelta(minutes=30), timedelta(minutes=10)], grace=timedelta(minutes=30), max_levels=2
)
POLICY = AppraisalPolicy(escalation=ESCALATION)


def seed(uow: AbstractUnitOfWork) -> None:
    uow.instansi.add(Instansi(code=INSTANSI, name="Dinas Kependudukan dan Pencatatan Sipil Kota"))
    uow.units.add(Unit(code="DUK", name="Dinas"), INSTANSI)
    uow.units.add(Unit(code=UNIT, name="Bidang Pelayanan Pendaftaran Penduduk", parent_code="DUK"), INSTANSI)
    people = [
        Employee(nip=KEPALA, name="Kepala Dinas", jabatan="Kepala Dinas", unit_code="DUK"),
        Employee(nip=KABID, name="Kabid PDU", jabatan="Kepala Bidang", unit_code=UNIT, superior_nip=KEPALA),
        Employee(nip=KASI, name="Kasi Identitas", jabatan="Kepala Seksi", unit_code=UNIT, superior_nip=KABID),
        Employee(nip=KASI_BARU, name="Kasi Pindah Datang", jabatan="Kepala Seksi", unit_code=UNIT, superior_nip=KABID),
        Employee(
            nip=STAFF,
            name="Sri Wahyuni",
            jabatan="Pengadministrasi Kependudukan",
            unit_code=UNIT,
            superior_nip=KASI,
            email=STAFF_EMAIL,
        ),
        Employee(nip=PENGAWAS, name="Auditor Inspektorat", jabatan="Auditor", unit_code="DUK", superior_nip=KEPALA),
        Employee(nip=PENGELOLA, name="Analis SDM", jabatan="Analis SDM Aparatur", unit_code="DUK", superior_nip=KEPALA),
    ]
    for person in people:
        uow.employees.add(person, INSTANSI)


def compressed_calendar(start: datetime, **overrides: str) -> CycleCalendar:
    spec: dict[str, str] = {
        "start": start.isoformat(),
        "skp_draft_due": "PT1H",
        "skp_due": "PT2H",
        "survey_opens": "PT1H",
        "survey_closes": "PT5H",
        "self_assessment_due": "PT4H",
        "review_due": "PT6H",
        "calibration_due": "PT8H",
        "sign_off_due": "PT10H",
        "objection_window": "PT2H",
        "objection_decision_due": "PT2H",
    }
    spec.update(overrides)
    return CycleCalendar.model_validate(spec)


def appraisal_input(
    cycle_id: str,
    start: datetime,
    *,
    policy: AppraisalPolicy = POLICY,
    history_limit: int | None = None,
    **calendar: str,
) -> AppraisalInput:
    deadlines: Deadlines = resolve(compressed_calendar(start, **calendar), PERIOD, policy)
    return AppraisalInput(
        cycle_id=cycle_id,
        instansi_code=INSTANSI,
        period=PERIOD,
        employee_nip=STAFF,
        employee_name="Sri Wahyuni",
        unit_code=UNIT,
        penilai_nip=KASI,
        atasan_nip=KABID,
        superiors=[KASI, KABID, KEPALA],
        supervision_team=[PENGAWAS],
        pengelola_kinerja=[PENGELOLA],
        deadlines=deadlines,
        policy=policy,
        history_limit=history_limit,
    )


def skp() -> Skp:
    def indicator(id: str, aspect: Aspect, text: str, target: str, unit: str) -> Indicator:
        return Indicator(id=id, aspect=aspect, text=text, target=Target(value=Decimal(target)), unit_of_measure=unit)

    return Skp(
        employee_nip=STAFF,
        period=PERIOD,
        rhk=[
            RencanaHasilKerja(
                id="R1",
                kind=RhkKind.UTAMA,
                text="Dokumen KTP-el diterbitkan tepat waktu",
                indicators=[
                    indicator("I1", Aspect.KUANTITAS, "KTP-el yang diterbitkan", "1200", "dokumen"),
                    indicator("I2", Aspect.KUALITAS, "Dokumen tanpa kesalahan data", "98", "persen"),
                ],
            ),
            RencanaHasilKerja(
                id="R2",
                kind=RhkKind.TAMBAHAN,
                text="Layanan jemput bola di kelurahan",
                indicators=[indicator("I3", Aspect.KUANTITAS, "Kegiatan jemput bola", "12", "kegiatan")],
            ),
        ],
    )


def realisations() -> list[Realisation]:
    """About 100 %: the suggested hasil-kerja rating is Sesuai Ekspektasi."""
    evidence = ["https://drive.example.go.id/kinerja/2026/laporan-tahunan.pdf"]
    return [
        Realisation(indicator_id="I1", value=Decimal("1230"), evidence=evidence),
        Realisation(indicator_id="I2", value=Decimal("98.5"), evidence=evidence),
        Realisation(indicator_id="I3", value=Decimal("12"), evidence=evidence),
    ]


def lock_calibration(
    uow_factory: Callable[[], AbstractUnitOfWork], cycle_id: str, results: dict[str, Predicate]
) -> None:
    """The cycle's calibration, proposed over the reviews recorded so far and locked by the Kepala Dinas with
    `results` as the committee's predicates, as the cycle workflow's Updates do it (services.calibration_store): the
    decision every appraisal of the cycle reads its result from."""
    ref = CycleRef(cycle_id=cycle_id, instansi_code=INSTANSI, period=PERIOD)
    calibration_store.propose(uow_factory, ref, SetOrgPredicate(actor=KEPALA, org_predicate=OrgPredicate.BAIK))
    decision = DecideCalibration(
        actor=KEPALA,
        accept=False,
        overrides=results,
        justification="unit terlalu kecil untuk pola distribusi; predikat ditetapkan komite",
    )
    calibration_store.decide(uow_factory, ref, decision, key=f"test-lock-{cycle_id}")


EMPLOYEE = Actor(nip=STAFF, role=Role.PEGAWAI)
PENILAI = Actor(nip=KASI, role=Role.PENILAI)
PENILAI_BARU = Actor(nip=KASI_BARU, role=Role.PENILAI)
ATASAN = Actor(nip=KABID, role=Role.ATASAN_PENILAI)
TIM_PENGAWASAN = Actor(nip=PENGAWAS, role=Role.PENGAWASAN)
HR = Actor(nip=PENGELOLA, role=Role.PENGELOLA_KINERJA)

MEETS = Expectation.MEETS


QUERY_TIMEOUT = timedelta(seconds=5)
# How long one skip of the time-skipping server may take in real time: it answers once the timers it fired have been
# handled (reminders and escalations of a whole office), which on a loaded machine outlasts the SDK's default RPC
# timeout ("Timeout expired", issue 19; reproduced with the workflow tests beside two CPU-bound processes).
SKIP_TIMEOUT = timedelta(minutes=3)


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 15.0, what: str = "") -> T:
    """Poll `probe` until it returns something other than None or False, within `timeout` seconds of real time."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await probe()
        if found is not None and found is not False:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or probe}")
        await asyncio.sleep(0.05)


async def state_when(handle: Handle, check: Callable[[AppraisalState], bool], what: str) -> AppraisalState:
    async def probe() -> AppraisalState | None:
        try:
            state = await handle.query(AppraisalWorkflow.state, rpc_timeout=QUERY_TIMEOUT)
        except RPCError as error:
            # A query can go unanswered: the time-skipping server loses one that races a continue-as-new (the answer
            # is for the run that just closed: "Task not found when completing"), and a loaded machine is slow.
            if error.status is not RPCStatusCode.DEADLINE_EXCEEDED and "Timeout" not in error.message:
                raise
            return None
        return state if check(state) else None

    return await eventually(probe, what=what)


async def final_state(client: Client, handle: Handle) -> AppraisalState:
    """The whole state of the appraisal's latest run, once it has ended: its result says only where it ended and
    its last step, and a handle from the start queries the first run, which a continue-as-new closed."""
    latest = client.get_workflow_handle_for(AppraisalWorkflow.run, handle.id)
    await latest.result()
    return await latest.query(AppraisalWorkflow.state, rpc_timeout=QUERY_TIMEOUT)


async def at_step(handle: Handle, step: Step) -> AppraisalState:
    return await state_when(handle, lambda s: s.step is step, f"step {step.value}")


_TASK_BOOKKEEPING = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


def without_task_bookkeeping(history: WorkflowHistory) -> list[HistoryEvent]:
    """The events that say what the workflow did, without workflow-task bookkeeping (compare them with ==: protobuf
    equality ignores the order of map entries, which differs between two fetches of the same history)."""
    return [event for event in history.events if event.event_type not in _TASK_BOOKKEEPING]


async def history_length(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    return len(history.events)


async def runs_of(client: Client, handle: WorkflowHandle[Any, Any]) -> list[WorkflowHistory]:
    """The history of every run of the workflow, first to last, following continue-as-new."""
    histories: list[WorkflowHistory] = []
    run_id = handle.first_execution_run_id or handle.run_id
    while True:
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        if not last.HasField("workflow_execution_continued_as_new_event_attributes"):
            return histories
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id


async def replay_and_record(client: Client, handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Replay every run just made with the current code (catches nondeterminism now, not in production); with
    KINERJA_RECORD_HISTORIES=1 also save each run as a fixture for the replay test."""
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    histories = await runs_of(client, handle)
    for history in histories:
        await replayer.replay_workflow(history)
    if RECORD_HISTORIES:
        HISTORIES.mkdir(exist_ok=True)
        for index, history in enumerate(histories):
            suffix = f"-run{index + 1}" if len(histories) > 1 else ""
            # One event per line, payloads opened: small, and a diff shows which events changed and how.
            for event in history.events:
                decompress_payloads(event)
            events = json.loads(history.to_json())["events"]
            lines = ",\n".join(json.dumps(event, separators=(",", ":"), sort_keys=True) for event in events)
            (HISTORIES / f"{name}{suffix}.json").write_text('{"events":[\n' + lines + "\n]}\n")


def decompress_payloads(message: Message) -> None:
    """Open, in place, every compressed payload in `message` (payloads.CompressionCodec): a saved history is read in
    review, and it replays all the same, as today's converter takes an uncompressed payload as it is."""
    if isinstance(message, Payload):
        if message.metadata.get("encoding") == COMPRESSED:
            message.CopyFrom(COMPRESSION.decompress(message))
        return
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            items = [item for item in value.values() if isinstance(item, Message)]
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            decompress_payloads(item)


def entries_of_gone_appraisals(uow_factory: Callable[[], AbstractUnitOfWork], count: int) -> list[str]:
    """`count` open worklist entries, in workflow id order, of appraisals Temporal has no record of (ended, and past
    the namespace's retention): what `kinerja sinkron-worklist` and the nightly upkeep remove. Returns their ids."""
    prefix = f"appraisal-gone-{uuid.uuid4().hex[:8]}"
    ids = [f"{prefix}-{n}" for n in range(count)]
    with uow_factory() as uow:
        uow.worklist.enrol(
            [
                WorkItem(
                    workflow_id=workflow_id,
                    cycle_id="2026-gone",
                    instansi_code=INSTANSI,
                    unit_code=UNIT,
                    employee_nip=STAFF,
                    penilai_nip=KASI,
                    step=Step.SKP_DRAFTING,
                    assignee=STAFF,
                )
                for workflow_id in ids
            ]
        )
        uow.commit()
    return ids


async def skip_time(env: WorkflowEnvironment, duration: timedelta) -> None:
    """`env.sleep(duration)`, waiting up to SKIP_TIMEOUT for the server instead of the SDK's default."""
    request = SleepRequest()
    request.duration.FromTimedelta(duration)
    await env.client.test_service.unlock_time_skipping_with_sleep(request, timeout=SKIP_TIMEOUT)
