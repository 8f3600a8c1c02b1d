"""A whole cycle of a small instansi on the time-skipping server: enrolment in pages, the survey window with imported
responses, reviews, a calibration with violations that is adjusted and locked, sign-off, an objection, the closing
report; a pimpinan who lets the calibration deadline pass, reminded and escalated, then deciding late — and the bound
on the cycle's history with a lowered page size."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from temporalio import activity
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities import cycle as cycle_activities
from cli.cycle import show_state
from domain.audit import AuditEntry
from domain.calendar import CycleCalendar, resolve
from domain.organisation import Employee, Instansi, Unit
from domain.ratings import Expectation, OrgPredicate, Predicate
from domain.skp import Aspect, Indicator, Realisation, RencanaHasilKerja, RhkKind, Skp, Target
from domain.stages import Role, Step
from domain.withdrawal import WithdrawalCause
from domain.worklist import WorklistQuery
from persistence.db import make_engine, make_session_factory
from persistence.ports import OutboxMessage, SurveyResponseRecord
from persistence.uow import SqlAlchemyUnitOfWork
from services import audit_chain, calibration_store, consistency, cycles
from temporal_client import appraisal_handle
from tests.workflows import scenario
from tests.workflows.conftest import running_worker
from worker import build_cycle_activities
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Actor,
    ApproveSkp,
    DecideObjection,
    FileObjection,
    NoticeKind,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    Withdraw,
    appraisal_workflow_id,
)
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import (
    CalibrationNotice,
    CycleInput,
    CyclePhase,
    CycleRef,
    CycleState,
    DecideCalibration,
    EnrolBatch,
    EnrolBatchResult,
    SetOrgPredicate,
    Skipped,
    cycle_workflow_id,
)

INSTANSI = "PEMKOT-UJI"
PERIOD = 2026
UNITS = ("DAFDUK", "CAPIL", "PIAK")
STAFF_PER_UNIT = 8
KEPALA = "197001011995031001"
SEKDA = "196801011990031001"  # the leader one level up: sets the organisation predicate (not in the roster)
CycleHandle = WorkflowHandle[CycleWorkflow, CycleState]


def nip(unit: int, person: int) -> str:
    """A valid PNS NIP: born 1 Jan 1985+unit, appointed March 2010, male/female by parity, sequence per person."""
    return f"{1985 + unit}0101201003{1 + person % 2}{person + 1:03d}"


def kabid(unit: int) -> str:
    return f"{1975 + unit}0505200003{1}{900 + unit:03d}"


@dataclass
class Office:
    engine: Engine
    uow_factory: Callable[[], SqlAlchemyUnitOfWork]
    staff: dict[str, str]  # NIP → unit
    heads: dict[str, str]  # unit → kabid NIP


def seed(uow_factory: Callable[[], SqlAlchemyUnitOfWork]) -> tuple[dict[str, str], dict[str, str]]:
    staff: dict[str, str] = {}
    heads: dict[str, str] = {}
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code=INSTANSI, name="Pemerintah Kota Uji"))
        # Reminders 30 and 10 minutes before a deadline, one level up after 30 minutes (hours-long calendar).
        uow.instansi.set_policy_overrides(
            INSTANSI, {"escalation": {"reminders_before": ["PT30M", "PT10M"], "grace": "PT30M"}}
        )
        uow.units.add(Unit(code="DINAS", name="Dinas"), INSTANSI)
        uow.employees.add(
            Employee(nip=KEPALA, name="Kepala Dinas", jabatan="Kepala Dinas", unit_code="DINAS"), INSTANSI
        )
        auditor = Employee(
            nip=scenario.PENGAWAS, name="Auditor", jabatan="Auditor", unit_code="DINAS", superior_nip=KEPALA
        )
        uow.employees.add(auditor, INSTANSI)  # the tim pengawasan
        for u, code in enumerate(UNITS):
            uow.units.add(Unit(code=code, name=f"Bidang {code}", parent_code="DINAS"), INSTANSI)
            head = kabid(u)
            heads[code] = head
            uow.employees.add(
                Employee(nip=head, name=f"Kabid {code}", jabatan="Kepala Bidang", unit_code=code, superior_nip=KEPALA),
                INSTANSI,
            )
            for p in range(STAFF_PER_UNIT):
                person = nip(u, p)
                staff[person] = code
                uow.employees.add(
                    Employee(
                        nip=person, name=f"Staf {code} {p + 1}", jabatan="Pelaksana", unit_code=code, superior_nip=head
                    ),
                    INSTANSI,
                )
        # Paper surveys typed in: 30 per unit, mostly "baik" (3) with some "sangat baik" (4).
        uow.survey.add_many(
            [
                SurveyResponseRecord(
                    instansi_code=INSTANSI,
                    period=PERIOD,
                    unit_code=code,
                    respondent_token=f"{code}-{i:03d}",
                    answers=tuple(4 if (i + k) % 3 == 0 else 3 for k in range(9)),
                    source="csv",
                )
                for code in UNITS
                for i in range(30)
            ]
        )
        uow.commit()
    return staff, heads


@pytest.fixture
async def cycle_office(sqlite_database_url: str) -> AsyncIterator[Office]:
    engine = make_engine(sqlite_database_url)
    session_factory = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    staff, heads = seed(uow_factory)
    yield Office(engine=engine, uow_factory=uow_factory, staff=staff, heads=heads)
    engine.dispose()


@pytest.fixture
async def cycle_queue(time_skipping_env: WorkflowEnvironment, cycle_office: Office) -> AsyncIterator[str]:
    async for task_queue in running_worker(time_skipping_env.client, cycle_office.engine):
        yield task_queue


def cycle_input(cycle_id: str, start: datetime, **options: object) -> CycleInput:
    calendar = scenario.compressed_calendar(start)
    deadlines = resolve(calendar, PERIOD, scenario.POLICY)
    return CycleInput.model_validate(
        {
            "cycle_id": cycle_id,
            "instansi_code": INSTANSI,
            "period": PERIOD,
            "calendar": CycleCalendar.model_validate(calendar.model_dump()),
            "deadlines": deadlines,
            "supervision_team": [scenario.PENGAWAS],
            "pimpinan": [SEKDA],
            "escalation": scenario.ESCALATION,  # the instansi's policy as seeded: 30 and 10 minutes, grace 30
            # Krejcie-Morgan minimum samples: 30 → 28, 31 → 29, 200 → 132; every unit has 30 responses.
            "populations": {"DAFDUK": 30, "CAPIL": 31, "PIAK": 200},
            **options,
        }
    )


async def start_cycle(env: WorkflowEnvironment, task_queue: str, **options: object) -> CycleHandle:
    cycle_id = f"UJI-{uuid.uuid4().hex[:6]}"
    begin = await env.get_current_time()
    handle = await env.client.start_workflow(
        CycleWorkflow.run,
        cycle_input(cycle_id, begin, **options),
        id=cycle_workflow_id(cycle_id),
        task_queue=task_queue,
    )
    return handle


async def skip(env: WorkflowEnvironment, span: timedelta, step: timedelta = timedelta(minutes=30)) -> None:
    """Skip `span` of workflow time in steps: each step waits for the timers it fires (reminders, escalations of
    some thirty appraisals) to be handled, and one long step could outlast the RPC's own timeout on a busy machine."""
    left = span
    while left > timedelta():
        await scenario.skip_time(env, min(step, left))
        left -= step


async def phase(handle: CycleHandle, wanted: CyclePhase) -> CycleState:
    async def probe() -> CycleState | None:
        try:
            state = await handle.query(CycleWorkflow.state)
        except RPCError as error:  # a query waits for the worker; on a loaded machine it may time out: ask again
            if error.status is not RPCStatusCode.DEADLINE_EXCEEDED and "Timeout" not in error.message:
                raise
            return None
        return state if state.phase is wanted else None

    return await scenario.eventually(probe, timeout=60, what=f"cycle phase {wanted.value}")


def skp_of(employee: str) -> Skp:
    return Skp(
        employee_nip=employee,
        period=PERIOD,
        rhk=[
            RencanaHasilKerja(
                id="R1",
                kind=RhkKind.UTAMA,
                text="Layanan dokumen kependudukan tepat waktu",
                indicators=[
                    Indicator(
                        id="I1",
                        aspect=Aspect.KUANTITAS,
                        text="Dokumen yang diterbitkan",
                        target=Target(value=Decimal("100")),
                        unit_of_measure="dokumen",
                    )
                ],
            )
        ],
    )


async def review_everyone(client: Client, cycle_id: str, office: Office) -> None:
    """Every staff member drafts, gets approved, self-assesses at 100 % and is reviewed; the penilai are generous:
    all but the last two of every unit are rated above expectations on both axes (Sangat Baik)."""
    for index, employee in enumerate(sorted(office.staff)):
        await review(client, cycle_id, office, employee, generous=index % STAFF_PER_UNIT < STAFF_PER_UNIT - 2)


async def review(client: Client, cycle_id: str, office: Office, employee: str, *, generous: bool) -> None:
    """One employee's SKP, self-assessment at 100 % and review: Sangat Baik if `generous`, else Baik."""
    handle = appraisal_handle(client, cycle_id, employee)
    me, penilai = (
        Actor(nip=employee, role=Role.PEGAWAI),
        Actor(nip=office.heads[office.staff[employee]], role=Role.PENILAI),
    )
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=me, skp=skp_of(employee)))
    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=penilai))
    realised = [Realisation(indicator_id="I1", value=Decimal("100"), evidence=["https://arsip.example.go.id/1"])]
    await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment, SubmitSelfAssessment(actor=me, realisations=realised)
    )
    await handle.execute_update(
        AppraisalWorkflow.submit_review,
        SubmitReview(
            actor=penilai,
            hasil_kerja=Expectation.ABOVE if generous else Expectation.MEETS,
            perilaku=Expectation.ABOVE if generous else Expectation.MEETS,
            override_reason="Capaian layanan melampaui target dengan kualitas tinggi" if generous else None,
        ),
    )


async def test_a_whole_cycle_from_enrolment_to_the_closing_report(
    time_skipping_env: WorkflowEnvironment, cycle_queue: str, cycle_office: Office
) -> None:
    env, client = time_skipping_env, time_skipping_env.client
    handle = await start_cycle(env, cycle_queue, batch_size=10)
    running = await phase(handle, CyclePhase.RUNNING)
    cycle_id = running.cycle_id
    # Staff, kabid and the auditor; the kepala dinas has no penilai in the roster: read, skipped and reported.
    enrolled = len(cycle_office.staff) + len(UNITS) + 1
    assert (running.total, running.enrolled, running.offset) == (enrolled + 1, enrolled, enrolled + 1)
    assert [s.nip for s in running.skipped] == [KEPALA] and running.skipped_count == 1

    await review_everyone(client, cycle_id, cycle_office)
    with pytest.raises(WorkflowUpdateFailedError):  # calibration only after the review deadline
        await handle.execute_update(
            CycleWorkflow.set_org_predicate, SetOrgPredicate(actor=SEKDA, org_predicate=OrgPredicate.BAIK)
        )

    await skip(env, timedelta(hours=6, minutes=5))  # past the survey's close and the review deadline
    calibrating = await phase(handle, CyclePhase.CALIBRATING)
    assert calibrating.survey is not None and [u.unit for u in calibrating.survey] == sorted(UNITS)
    assert all(u.responses == 30 and u.ikm is not None for u in calibrating.survey)
    assert [(u.unit, u.adequate) for u in calibrating.survey] == [("CAPIL", True), ("DAFDUK", True), ("PIAK", False)]
    assert calibrating.predicates is not None
    assert sum(u.counts.get(Predicate.SANGAT_BAIK, 0) for u in calibrating.predicates) == 18

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            CycleWorkflow.set_org_predicate, SetOrgPredicate(actor=KEPALA, org_predicate=OrgPredicate.BAIK)
        )
    assert "bukan pimpinan" in str(refused.value.cause)
    proposed = await handle.execute_update(
        CycleWorkflow.set_org_predicate,
        SetOrgPredicate(  # 18 of 24 Sangat Baik (75 %) breaks Istimewa's "Sangat Baik paling banyak 70%"
            actor=SEKDA,
            org_predicate=OrgPredicate.ISTIMEWA,
            recommendations={"pengelola_kinerja": "istimewa", "pengawasan": "baik"},
        ),
    )
    view = proposed.calibration
    assert view is not None and view.violations and view.changes > 0 and view.feasible
    assert view.counts_before[Predicate.SANGAT_BAIK] == 18
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            CycleWorkflow.decide_calibration,
            DecideCalibration(actor=SEKDA, accept=False),  # rejecting the proposal needs a justification
        )
    assert "justifikasi" in str(refused.value.cause)
    locked = await handle.execute_update(CycleWorkflow.decide_calibration, DecideCalibration(actor=SEKDA, accept=True))
    assert locked.outcome is not None and locked.outcome.compliant
    signing = await phase(handle, CyclePhase.SIGNING_OFF)
    assert signing.outcome is not None and signing.outcome.pushed == len(cycle_office.staff)

    # Every reviewed appraisal now waits for penetapan with the calibrated predicate.
    finals = {}
    for employee in sorted(cycle_office.staff):
        state = await scenario.at_step(appraisal_handle(client, cycle_id, employee), Step.SIGN_OFF)
        finals[employee] = state.predicate
    assert sum(1 for p in finals.values() if p is Predicate.SANGAT_BAIK) == view.counts_after[Predicate.SANGAT_BAIK]
    assert sum(1 for p in finals.values() if p is Predicate.SANGAT_BAIK) < 18

    # Sign-off in DAFDUK; one employee objects and the atasan (the kepala dinas) changes the predicate.
    dafduk = sorted(n for n, u in cycle_office.staff.items() if u == "DAFDUK")
    for employee in dafduk:
        penilai = Actor(nip=cycle_office.heads["DAFDUK"], role=Role.PENILAI)
        await appraisal_handle(client, cycle_id, employee).execute_update(AppraisalWorkflow.sign, Sign(actor=penilai))
    objector = next(n for n in dafduk if finals[n] is not Predicate.SANGAT_BAIK)
    objecting = appraisal_handle(client, cycle_id, objector)
    await objecting.execute_update(
        AppraisalWorkflow.file_objection,
        FileObjection(actor=Actor(nip=objector, role=Role.PEGAWAI), reason="Capaian saya diturunkan tanpa penjelasan"),
    )
    decided = await objecting.execute_update(
        AppraisalWorkflow.decide_objection,
        DecideObjection(
            actor=Actor(nip=KEPALA, role=Role.ATASAN_PENILAI),
            predicate=Predicate.SANGAT_BAIK,
            reason="Bukti kinerja lengkap; penurunan saat kalibrasi tidak berdasar",
        ),
    )
    assert decided.step is Step.FINAL and decided.predicate is Predicate.SANGAT_BAIK

    closed = await handle.result()  # time skips to the end of the objection windows
    report = closed.report
    assert closed.phase is CyclePhase.CLOSED and report is not None
    assert report.enrolled == enrolled
    assert report.final >= len(dafduk)  # signed ones closed on their own window or by objection; others are open
    assert report.open_steps == enrolled - report.final and report.open_steps > 0
    # From the worklist, which the time-skipping server's missing visibility no longer leaves uncounted.
    assert report.overdue_now is not None and 0 < report.overdue_now <= report.open_steps
    assert report.objections == 1
    assert report.escalations > 0 and report.reminders > 0  # unsigned penetapan, the kabid's own SKPs
    assert [u.unit for u in report.survey] == sorted(UNITS)
    per_unit = {u.unit: u for u in report.predicates}
    assert sum(per_unit["DAFDUK"].counts.values()) == STAFF_PER_UNIT
    # The audit chains' heads kept in the history at each phase and in the report (issue 19): found again by
    # `kinerja audit verifikasi`, and matching what the database holds.
    assert [anchor.label for anchor in closed.anchors] == [
        "pendaftaran selesai",
        "survei ditutup",
        "penilaian selesai",
        "kalibrasi dikunci",
        "siklus ditutup",
    ]
    seqs = [sum(head.seq for head in anchor.heads) for anchor in closed.anchors]
    assert seqs == sorted(seqs) and seqs[-1] > seqs[0]  # the steps recorded through the year, sealed
    assert report.audit_seal is not None and report.audit_seal.heads
    assert await audit_chain.cycle_anchors(client, cycle_id) == closed.anchors
    assert audit_chain.check_anchors(cycle_office.uow_factory, [*closed.anchors, report.audit_seal]) == []
    assert audit_chain.verify(cycle_office.uow_factory).intact
    # And the database holds exactly the steps each appraisal took, through reminders, escalations, calibration,
    # sign-off and an objection (`kinerja periksa`; the time-skipping server has no visibility: by NIP).
    everyone = [*cycle_office.staff, *cycle_office.heads.values()]
    checked = await consistency.check_cycle(client, cycle_office.uow_factory, cycle_id, everyone)
    assert (checked.appraisals, checked.disagreements) == (len(everyone), [])
    await scenario.replay_and_record(client, handle, "cycle")


async def test_employees_withdrawn_from_the_cycle_leave_calibration_and_the_predicates(
    time_skipping_env: WorkflowEnvironment,
    cycle_queue: str,
    cycle_office: Office,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env, client = time_skipping_env, time_skipping_env.client
    with cycle_office.uow_factory() as uow:  # the pengelola kinerja, who withdraws, is on the roster (and enrolled)
        hr_officer = Employee(
            nip=scenario.PENGELOLA,
            name="Analis SDM",
            jabatan="Analis SDM Aparatur",
            unit_code="DINAS",
            superior_nip=KEPALA,
        )
        uow.employees.add(hr_officer, INSTANSI)
        uow.commit()
    handle = await start_cycle(env, cycle_queue, batch_size=10, pengelola_kinerja=[scenario.PENGELOLA])
    cycle_id = (await phase(handle, CyclePhase.RUNNING)).cycle_id
    enrolled = len(cycle_office.staff) + len(UNITS) + 2
    await review_everyone(client, cycle_id, cycle_office)
    capil = sorted(n for n, u in cycle_office.staff.items() if u == "CAPIL")
    hr = Actor(nip=scenario.PENGELOLA, role=Role.PENGELOLA_KINERJA)

    async def withdraw(employee: str, cause: WithdrawalCause, reason: str) -> None:
        state = await appraisal_handle(client, cycle_id, employee).execute_update(
            AppraisalWorkflow.withdraw, Withdraw(actor=hr, cause=cause, reason=reason)
        )
        assert state.step is Step.WITHDRAWN

    # Reviewed, then moved to another instansi before the review deadline: not in the predicates per unit.
    await withdraw(capil[0], WithdrawalCause.MUTASI, "SK Wali Kota 800/12/2026, pindah ke Pemprov")
    await skip(env, timedelta(hours=6, minutes=5))
    calibrating = await phase(handle, CyclePhase.CALIBRATING)
    assert calibrating.predicates is not None
    assert sum(sum(u.counts.values()) for u in calibrating.predicates) == len(cycle_office.staff) - 1
    proposed = await handle.execute_update(
        CycleWorkflow.set_org_predicate, SetOrgPredicate(actor=SEKDA, org_predicate=OrgPredicate.BAIK)
    )
    assert proposed.calibration is not None and proposed.calibration.total == len(cycle_office.staff) - 1

    # Died after the proposal was made: the committee must decide on a proposal without her.
    await withdraw(capil[1], WithdrawalCause.MENINGGAL, "Meninggal dunia 3 Februari, surat keterangan kelurahan")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CycleWorkflow.decide_calibration, DecideCalibration(actor=SEKDA, accept=True))
    assert "1 pegawai ditarik dari siklus setelah usulan dibuat" in str(refused.value.cause)
    proposed = await handle.execute_update(
        CycleWorkflow.set_org_predicate, SetOrgPredicate(actor=SEKDA, org_predicate=OrgPredicate.BAIK)
    )
    assert proposed.calibration is not None and proposed.calibration.total == len(cycle_office.staff) - 2
    await handle.execute_update(CycleWorkflow.decide_calibration, DecideCalibration(actor=SEKDA, accept=True))
    signing = await phase(handle, CyclePhase.SIGNING_OFF)
    assert signing.outcome is not None and signing.outcome.pushed == len(cycle_office.staff) - 2

    closed = await handle.result()
    report = closed.report
    assert report is not None
    assert (report.withdrawn, report.withdrawn_by_cause) == (2, {"mutasi": 1, "meninggal": 1})
    show_state(closed)  # kinerja siklus status
    assert f"masih terbuka, 2 ditarik dari {enrolled}" in capsys.readouterr().out
    assert report.open_steps == enrolled - report.final - 2  # withdrawn is neither open nor final
    # rated, and not rated by the end (belum dinilai): each unit's head, the auditor and the analyst in DINAS
    per_unit = {u.unit: (sum(u.counts.values()), u.missing) for u in report.predicates}
    assert per_unit == {
        "CAPIL": (STAFF_PER_UNIT - 2, 1),
        "DAFDUK": (STAFF_PER_UNIT, 1),
        "PIAK": (STAFF_PER_UNIT, 1),
        "DINAS": (0, 2),
    }
    gone = cycles.withdrawn(
        cycle_office.uow_factory, CycleRef(cycle_id=cycle_id, instansi_code=INSTANSI, period=PERIOD)
    )
    assert [(w.nip, w.cause, w.unit) for w in gone] == [
        (capil[0], WithdrawalCause.MUTASI, "CAPIL"),
        (capil[1], WithdrawalCause.MENINGGAL, "CAPIL"),
    ]
    assert (
        gone[0].reason == "SK Wali Kota 800/12/2026, pindah ke Pemprov" and gone[0].withdrawn_by == scenario.PENGELOLA
    )


def calibration_notices(office: Office, cycle_id: str) -> tuple[list[AuditEntry], list[OutboxMessage]]:
    """The cycle's own notices (not its appraisals'): audit entries in the order written, and outbox messages."""
    workflow_id = cycle_workflow_id(cycle_id)
    with office.uow_factory() as uow:
        # The cycle's propose and decide have audit entries of their own (services.actors): not notices.
        audit = [e for e in uow.audit.list(workflow_id=workflow_id) if e.action.startswith("notice.")]
        outbox = [m for m in uow.outbox.pending(limit=10_000) if m.workflow_id == workflow_id]
    return audit, outbox


async def cycle_state_when(handle: CycleHandle, check: Callable[[CycleState], bool], what: str) -> CycleState:
    async def probe() -> CycleState | None:
        state = await handle.query(CycleWorkflow.state)
        return state if check(state) else None

    return await scenario.eventually(probe, timeout=60, what=what)


async def test_a_pimpinan_who_does_not_calibrate_is_reminded_then_escalated_and_may_still_decide_late(
    time_skipping_env: WorkflowEnvironment,
    cycle_queue: str,
    cycle_office: Office,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Calendar: review due at 6 h, calibration due at 8 h. The Sekda is reminded 30 and 10 minutes before; at 8 h the
    supervision team and the pengelola kinerja hear of it (with the Sekda), and again one grace later; the Sekda then
    decides, the result goes out, and the third level due at 9 h is never sent."""
    env, client = time_skipping_env, time_skipping_env.client
    pengelola = scenario.PENGELOLA
    with cycle_office.uow_factory() as uow:
        uow.employees.add(
            Employee(
                nip=pengelola, name="Analis SDM", jabatan="Analis SDM Aparatur", unit_code="DINAS", superior_nip=KEPALA
            ),
            INSTANSI,
        )
        uow.commit()
    three_levels = scenario.ESCALATION.model_copy(update={"max_levels": 3})
    handle = await start_cycle(env, cycle_queue, pengelola_kinerja=[pengelola], escalation=three_levels)
    running = await phase(handle, CyclePhase.RUNNING)
    cycle_id = running.cycle_id
    reviewed = [min(n for n, u in cycle_office.staff.items() if u == unit) for unit in UNITS]
    for employee in reviewed:  # one Baik per unit: enough for a proposal
        await review(client, cycle_id, cycle_office, employee, generous=False)

    await skip(env, timedelta(hours=6, minutes=5))  # past the review deadline: calibration, nothing sent yet
    calibrating = await phase(handle, CyclePhase.CALIBRATING)
    started_with = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
    [input] = await client.data_converter.decode(started_with.input.payloads, [CycleInput])
    assert isinstance(input, CycleInput) and calibrating.calibration_due == input.deadlines.calibration_due
    assert (calibrating.calibration_reminders, calibrating.calibration_escalations) == (0, 0)
    assert calibration_notices(cycle_office, cycle_id) == ([], [])

    await skip(env, timedelta(hours=1, minutes=50))  # 7 h 55: both reminders, no escalation yet
    reminded = await cycle_state_when(handle, lambda s: s.calibration_reminders == 2, "two calibration reminders")
    assert reminded.calibration_escalations == 0 and reminded.outcome is None
    audit, outbox = calibration_notices(cycle_office, cycle_id)
    assert [(e.action, e.subject, e.after and e.after["recipients"]) for e in audit] == [
        ("notice.reminder", cycle_id, [SEKDA]),
        ("notice.reminder", cycle_id, [SEKDA]),
    ]
    assert [m.recipient for m in outbox] == [SEKDA, SEKDA]
    assert all(m.subject.startswith("Pengingat: kalibrasi") for m in outbox)
    assert all(" WIB (SE MenPAN-RB 3/2023)" in m.body and "WITA" not in m.body for m in outbox)  # the cycle's zone

    await skip(env, timedelta(minutes=40))  # 8 h 35: the deadline (level 1) and one grace later (level 2)
    escalated = await cycle_state_when(handle, lambda s: s.calibration_escalations == 2, "two calibration escalations")
    assert escalated.calibration_reminders == 2 and escalated.phase is CyclePhase.CALIBRATING
    audit, outbox = calibration_notices(cycle_office, cycle_id)
    assert [(e.action, e.after and e.after["level"], e.after and e.after["recipients"]) for e in audit[2:]] == [
        ("notice.escalation", 1, [SEKDA, scenario.PENGAWAS, pengelola]),
        ("notice.escalation", 2, [scenario.PENGAWAS, pengelola]),
    ]
    assert Counter(m.recipient for m in outbox) == {SEKDA: 3, scenario.PENGAWAS: 2, pengelola: 2}
    assert len({m.idempotency_key for m in outbox}) == len(outbox) == 7
    assert len({e.idempotency_key for e in audit}) == len(audit) == 4
    assert [m.subject.split(":")[0] for m in outbox[2:]] == ["Eskalasi tingkat 1"] * 3 + ["Eskalasi tingkat 2"] * 2
    show_state(escalated)  # `kinerja siklus status`
    shown = capsys.readouterr().out
    assert "Batas kalibrasi:" in shown and "TERLAMBAT" in shown
    assert "pengingat ke pimpinan: 2, eskalasi ke tim pengawasan dan pengelola kinerja: 2" in shown

    proposed = await handle.execute_update(
        CycleWorkflow.set_org_predicate, SetOrgPredicate(actor=SEKDA, org_predicate=OrgPredicate.BAIK)
    )
    assert proposed.calibration is not None and proposed.calibration.feasible and proposed.calibration.changes == 1
    locked = await handle.execute_update(CycleWorkflow.decide_calibration, DecideCalibration(actor=SEKDA, accept=True))
    assert locked.outcome is not None and locked.outcome.compliant
    signing = await phase(handle, CyclePhase.SIGNING_OFF)
    assert signing.outcome is not None and signing.outcome.pushed == len(reviewed)

    await skip(env, timedelta(minutes=30))  # 9 h 05: the third level would have been due at 9 h
    after = await handle.query(CycleWorkflow.state)
    assert (after.calibration_reminders, after.calibration_escalations) == (2, 2)
    assert calibration_notices(cycle_office, cycle_id) == (audit, outbox)
    show_state(after)
    assert "TERLAMBAT" not in capsys.readouterr().out

    closed = await handle.result()  # time skips to the end of the objection windows
    assert closed.report is not None
    assert (closed.report.calibration_reminders, closed.report.calibration_escalations) == (2, 2)
    await scenario.replay_and_record(client, handle, "cycle_calibration_overdue")


async def test_a_retried_calibration_notice_is_written_once(
    time_skipping_env: WorkflowEnvironment, cycle_office: Office
) -> None:
    activities = build_cycle_activities(cycle_office.engine, time_skipping_env.client)
    ref = CycleRef(cycle_id="UJI-ULANG", instansi_code=INSTANSI, period=PERIOD)
    workflow_id = cycle_workflow_id(ref.cycle_id)
    due = datetime(2027, 1, 20, 16, 59, 59, tzinfo=UTC)
    notice = CalibrationNotice(
        **ref.model_dump(),
        workflow_id=workflow_id,
        idempotency_key=f"{workflow_id}/calibration-escalation-level-1",
        kind=NoticeKind.ESCALATION,
        level=1,
        deadline=due,
        recipients=[SEKDA, scenario.PENGAWAS],
        pimpinan=[SEKDA],
        occurred_at=due,
    )
    env = ActivityEnvironment()
    first = await env.run(activities.send_notice, notice)
    retried = await env.run(activities.send_notice, notice)
    assert (first.newly_recorded, retried.newly_recorded) == (True, False)
    assert retried.outbox_ids == first.outbox_ids and len(first.outbox_ids) == 2
    audit, outbox = calibration_notices(cycle_office, ref.cycle_id)
    assert [e.action for e in audit] == ["notice.escalation"] and len(outbox) == 2
    assert (
        "20-01-2027 23.59 WIB / 21-01-2027 00.59 WITA / 21-01-2027 01.59 WIT" in outbox[0].body
        and "predikat kinerja organisasi belum ditetapkan" in outbox[0].body.lower()
    )
    assert calibration_store.calibration_notice_counts(cycle_office.uow_factory, ref) == (0, 1)


async def test_history_stays_bounded_with_a_small_page_size(
    time_skipping_env: WorkflowEnvironment, cycle_queue: str, cycle_office: Office
) -> None:
    """A page of 2 employees and a history limit of 60 events: reading 29 employees (15 pages, ~6 events a page)
    continues as new at least once, and no run's history goes past the limit by more than the page in flight. Those
    who cannot be enrolled, on any page of any run, are all counted."""
    gone = cycle_office.heads["CAPIL"]  # left before the cycle: the unit's staff have no active pejabat penilai
    with cycle_office.uow_factory() as uow:
        head = uow.employees.get(gone)
        assert head is not None
        uow.employees.save(head.model_copy(update={"active": False}), INSTANSI)
        uow.commit()
    handle = await start_cycle(time_skipping_env, cycle_queue, batch_size=2, history_limit=60)
    running = await phase(handle, CyclePhase.RUNNING)
    capil = sorted(n for n, unit in cycle_office.staff.items() if unit == "CAPIL")
    enrolled = len(cycle_office.staff) + len(UNITS) + 1 - len(capil) - 1
    assert running.enrolled == enrolled and running.runs > 1
    assert running.skipped_count == 1 + len(capil) and [s.nip for s in running.skipped] == [KEPALA, *capil]
    assert running.total == running.offset == enrolled + running.skipped_count

    # A run goes past the limit by at most the page in flight (~6 events), plus a few events if a workflow task
    # times out and is retried on a loaded machine (CI saw 72); never by the pages still to come.
    slack = 15
    assert 60 <= running.max_history <= 60 + slack
    current = (await handle.describe()).raw_description.workflow_execution_info.history_length
    assert current <= 60 + slack
    # The saved histories of such a run (cycle_continued_as_new-run*.json) are replayed by test_replay.py.


async def test_enrolment_puts_each_appraisal_in_the_worklist_and_not_one_that_had_closed(
    time_skipping_env: WorkflowEnvironment, cycle_queue: str, cycle_office: Office
) -> None:
    """An employee whose appraisal of this cycle closed already (ended by an operator) is not started again, nor
    listed again: an entry written for it would stay open in their list for good."""
    client = time_skipping_env.client
    cycle_id = f"UJI-{uuid.uuid4().hex[:6]}"
    closed = sorted(cycle_office.staff)[0]
    ended = await client.start_workflow(
        "Appraisal", id=appraisal_workflow_id(cycle_id, closed), task_queue=f"nobody-{uuid.uuid4().hex[:6]}"
    )
    await ended.terminate("pegawai pindah; penilaian dihentikan operator")
    handle = await client.start_workflow(
        CycleWorkflow.run,
        cycle_input(cycle_id, await time_skipping_env.get_current_time()),
        id=cycle_workflow_id(cycle_id),
        task_queue=cycle_queue,
    )
    running = await phase(handle, CyclePhase.RUNNING)
    assert running.already_closed == 1
    with cycle_office.uow_factory() as uow:
        assert uow.worklist.get(appraisal_workflow_id(cycle_id, closed)) is None
        listed = uow.worklist.open(WorklistQuery(cycle_id=cycle_id))
    assert len(listed) == running.enrolled
    assert {item.step for item in listed} == {Step.SKP_DRAFTING}
    assert all(item.assignee == item.employee_nip for item in listed)


async def test_a_cycle_enrolling_across_the_upgrade_to_nip_cursors_counts_its_skipped_employees_once(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Its first page ran on the old code: the offset counted the planned employees only, and the page reported the
    whole cycle's skipped employees. The next pages run on the new code and must neither count those again nor lose
    the old page's offset. The enrolment activity stands in for both versions (what each returned)."""
    batches: list[EnrolBatch] = []

    @activity.defn(name="cycle.enrol_batch")
    async def enrol_batch(batch: EnrolBatch) -> EnrolBatchResult:
        batches.append(batch)
        kepala = Skipped(nip=KEPALA, name="Kepala Dinas", reason="tidak memiliki atasan langsung")
        if batch.offset == 0:  # the old code: no cursor, the whole cycle's skipped employees, offsets among planned
            return EnrolBatchResult(
                total=5, next_offset=2, started=2, already_closed=0, skipped=[kepala], skipped_count=1
            )
        # The new code: a short last page, whose own skipped employee was counted by the old first page already.
        return EnrolBatchResult(
            total=6,
            next_offset=6,
            started=3,
            already_closed=0,
            skipped=[kepala],
            skipped_count=1,
            last_nip=nip(2, 3),
            paged=True,
        )

    client, task_queue = time_skipping_env.client, f"kinerja-upgrade-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[CycleWorkflow], activities=[enrol_batch]):
        cycle_id = f"UJI-{uuid.uuid4().hex[:6]}"
        handle = await client.start_workflow(
            CycleWorkflow.run,
            cycle_input(cycle_id, await time_skipping_env.get_current_time(), batch_size=3),
            id=cycle_workflow_id(cycle_id),
            task_queue=task_queue,
        )
        try:
            running = await phase(handle, CyclePhase.RUNNING)
        finally:
            await handle.terminate("test finished")
    assert [(b.offset, b.after_nip) for b in batches] == [(0, None), (2, None)]  # the activity finds the NIP
    assert (running.enrolled, running.skipped_count, running.cursor) == (5, 1, nip(2, 3))
    assert [s.nip for s in running.skipped] == [KEPALA] and running.skipped_whole


async def test_planning_a_page_heartbeats_while_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning a page may read every page before it (a cycle that began enrolling before pages had a cursor); the
    enrolment activity heartbeats meanwhile, so a long plan is not mistaken for a dead worker."""
    monkeypatch.setattr(cycle_activities, "HEARTBEAT_EVERY", 0.01)
    env = ActivityEnvironment()
    beats: list[object] = []
    env.on_heartbeat = lambda *details: beats.append(details)

    async def planning() -> int:
        return await cycle_activities._heartbeating(asyncio.sleep(0.1, result=7))

    assert await env.run(planning) == 7
    assert len(beats) >= 3
