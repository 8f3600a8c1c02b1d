"""Starting an instansi's appraisal cycle (`kinerja siklus mulai`, `POST /instansi/{code}/cycles`): one cycle workflow
that enrols every active employee into their own appraisal, page by page. Starting again is safe: the cycle already
running is found, and its own input is what is reported.

Who the cycle's officials are — the supervision team, the pengelola kinerja and the pimpinan who sets the
organisation predicate — comes from the roles granted in the instansi (services.roles), never from whoever asks to
start it; a cycle needs a pimpinan and a supervision team, and is refused, naming the missing role, without them.
The start is an audit entry with the person who made it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import Client

import temporal_client
from domain.calendar import MAX_PERIOD_ENDS, CycleCalendar, Deadlines, resolve_for_period
from domain.errors import DomainError, NotFound
from domain.officials import Officials
from domain.policy import AppraisalPolicy
from domain.stages import Role
from persistence.ports import AbstractUnitOfWork
from services.actors import Acting, audit
from services.appraisals import CycleRequest, check_cycle, record_calendar
from workflows.cycle_contracts import CycleInput, cycle_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]


Spec = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z:.,+-]+$")]


class CalendarBody(BaseModel):
    """The cycle's deadlines as the API takes them (domain.calendar.CycleCalendar, in bounded text): each a date,
    a time with its offset, an ISO-8601 duration from the start ('P30D', 'PT10M') or working days from its day
    ('10HK', domain.workdays); absent: the policy's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: Spec | None = None
    utc_offset_hours: int = Field(default=7, ge=7, le=9, description="7 WIB, 8 WITA, 9 WIT")
    skp_draft_due: Spec | None = None
    skp_due: Spec | None = None
    survey_opens: Spec | None = None
    survey_closes: Spec | None = None
    self_assessment_due: Spec | None = None
    review_due: Spec | None = None
    calibration_due: Spec | None = None
    sign_off_due: Spec | None = None
    objection_window: Spec | None = None
    objection_decision_due: Spec | None = None
    period_ends: list[Spec] | None = Field(
        default=None,
        max_length=MAX_PERIOD_ENDS,
        description="akhir tiap periode evaluasi sebelum penilaian tahunan (bawaan: triwulan/semester/bulan kalender)",
    )

    def calendar(self) -> CycleCalendar:
        return CycleCalendar.model_validate(self.model_dump(exclude_none=True))


class StartBody(BaseModel):
    """`POST /instansi/{code}/cycles`: no person in it; the officials are the instansi's grants."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    periode: int = Field(ge=2000, le=2100)
    siklus: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="id siklus (bawaan: PERIODE-INSTANSI)",
    )
    kalender: CalendarBody | None = None
    populasi: dict[
        Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[^\x00-\x1f\x7f]+$")],
        Annotated[int, Field(ge=0, le=100_000_000)],
    ] = Field(default_factory=dict, max_length=1000, description="jumlah penerima layanan per unit (sampel SKM)")
    halaman: int = Field(default=500, ge=1, le=2000, description="pegawai per langkah pendaftaran")

    def order(self, instansi_code: str) -> StartOrder:
        return StartOrder(
            instansi_code=instansi_code,
            period=self.periode,
            cycle_id=self.siklus,
            calendar=self.kalender.calendar() if self.kalender else CycleCalendar(),
            populations=dict(self.populasi),
            batch_size=self.halaman,
        )


class StartOrder(BaseModel):
    """What the admin kepegawaian decides when starting a cycle; everything about people comes from elsewhere."""

    instansi_code: str
    period: int
    cycle_id: str | None = None  # None: PERIODE-INSTANSI
    calendar: CycleCalendar = CycleCalendar()
    populations: dict[str, int] = {}  # served population per unit, for the SKM sample size
    batch_size: int = 500


@dataclass(frozen=True)
class Prepared:
    input: CycleInput
    request: CycleRequest
    policy: AppraisalPolicy


class Started(BaseModel):
    cycle_id: str
    instansi_code: str
    period: int
    run_id: str | None
    new: bool  # False: this run was started before (by this or an earlier request); nothing changed
    policy_version: str
    officials: Officials  # as the running cycle holds them
    deadlines: Deadlines


def _taken(cycle_id: str) -> DomainError:
    """A cycle id is one namespace for every instansi (the workflow's id): one of another instansi's is refused
    without a word about that instansi or its cycle."""
    return DomainError(f"id siklus {cycle_id} sudah dipakai; pilih id lain", field="siklus")


def cycle_id_of(order: StartOrder) -> str:
    return order.cycle_id or f"{order.period}-{order.instansi_code}"


def officials_from_grants(uow_factory: UowFactory, instansi_code: str, cycle_id: str | None = None) -> Officials:
    """The officials granted in the instansi (for every cycle, or this one); DomainError naming a missing role."""
    with uow_factory() as uow:
        supervision_team, pengelola_kinerja, pimpinan = (
            uow.identity.holders(instansi_code, role, cycle_id)
            for role in (Role.PENGAWASAN, Role.PENGELOLA_KINERJA, Role.PIMPINAN)
        )
    for role, holders, field in (
        (Role.PIMPINAN, pimpinan, "pimpinan"),
        (Role.PENGAWASAN, supervision_team, "tim_pengawasan"),
    ):
        if not holders:
            raise DomainError(
                f"instansi {instansi_code} belum punya {role.label}: admin kepegawaian memberikan peran"
                f" '{role.value}' lebih dahulu (POST /api/v1/instansi/{instansi_code}/roles), lalu mulai siklus lagi",
                field=field,
                rule="siklus memerlukan pimpinan dan tim pengawasan",
            )
    return Officials(supervision_team=supervision_team, pengelola_kinerja=pengelola_kinerja, pimpinan=pimpinan)


def prepare(uow_factory: UowFactory, order: StartOrder, officials: Officials) -> Prepared:
    """The cycle's input under the instansi's policy: its deadlines resolved and its people checked against the
    roster (services.appraisals.check_cycle), before anything starts."""
    cycle_id = cycle_id_of(order)
    with uow_factory() as uow:
        known = uow.instansi.get(order.instansi_code) is not None
        policy = uow.instansi.policy(order.instansi_code) if known else None
        recorded = uow.cycles.get(cycle_id)
    if policy is None:
        raise NotFound(f"instansi {order.instansi_code} belum terdaftar; impor rosternya dahulu", field="instansi")
    if recorded is not None and recorded.instansi_code != order.instansi_code:
        raise _taken(cycle_id)
    request = CycleRequest(
        cycle_id=cycle_id,
        instansi_code=order.instansi_code,
        period=order.period,
        calendar=order.calendar,
        deadlines=resolve_for_period(order.calendar, order.period, policy),
        supervision_team=officials.supervision_team,
        pengelola_kinerja=officials.pengelola_kinerja,
    )
    check_cycle(uow_factory, request)
    assert request.deadlines is not None
    input = CycleInput(
        cycle_id=cycle_id,
        instansi_code=order.instansi_code,
        period=order.period,
        calendar=order.calendar,
        deadlines=request.deadlines,
        supervision_team=officials.supervision_team,
        pengelola_kinerja=officials.pengelola_kinerja,
        pimpinan=officials.pimpinan,
        populations=order.populations,
        batch_size=order.batch_size,
        escalation=policy.escalation,
    )
    return Prepared(input=input, request=request, policy=policy)


async def start(
    client: Client, uow_factory: UowFactory, prepared: Prepared, *, task_queue: str, by: Acting, now: datetime
) -> Started:
    """Start the cycle (or find it running), record its calendar from the running workflow's own input, and the
    audit entry of the start: once per run, so asking again for a running cycle records nothing new."""
    handle = await temporal_client.start_cycle(client, prepared.input, task_queue=task_queue)
    running = await input_of(client, prepared.input.cycle_id)
    if running.instansi_code != prepared.input.instansi_code:
        raise _taken(running.cycle_id)  # another instansi's cycle runs under this id: nothing of it is told
    # The deadlines of the workflow now running (a cycle already running keeps its own): its SKM window.
    await asyncio.to_thread(record_calendar, uow_factory, prepared.request, running.deadlines, prepared.policy)
    officials = Officials(
        supervision_team=running.supervision_team,
        pengelola_kinerja=running.pengelola_kinerja,
        pimpinan=running.pimpinan,
    )
    new = await asyncio.to_thread(_audit, uow_factory, running, officials, handle.result_run_id, prepared, by, now)
    return Started(
        cycle_id=running.cycle_id,
        instansi_code=running.instansi_code,
        period=running.period,
        run_id=handle.result_run_id,
        new=new,
        policy_version=prepared.policy.version,
        officials=officials,
        deadlines=running.deadlines,
    )


def _audit(
    uow_factory: UowFactory,
    running: CycleInput,
    officials: Officials,
    run_id: str | None,
    prepared: Prepared,
    by: Acting,
    now: datetime,
) -> bool:
    with uow_factory() as uow:
        written = audit(
            uow,
            by,
            "cycle.start",
            subject=running.cycle_id,
            after={
                "instansi": running.instansi_code,
                "period": running.period,
                "run_id": run_id,
                "policy_version": prepared.policy.version,
                **officials.model_dump(),
            },
            workflow_id=cycle_workflow_id(running.cycle_id),
            key=f"cycle.start:{running.cycle_id}:{run_id}",
            now=now,
        )
        uow.commit()
    return written


async def input_of(client: Client, cycle_id: str) -> CycleInput:
    """The cycle's input, from the first event of its current run's history."""
    handle = temporal_client.cycle_handle(client, cycle_id)
    async for event in handle.fetch_history_events():
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        values = await client.data_converter.decode(payloads, [CycleInput])
        found = values[0]
        if not isinstance(found, CycleInput):
            raise DomainError(f"siklus {cycle_id}: masukan siklus tidak terbaca", field="siklus")
        return found
    raise NotFound(f"siklus {cycle_id} tidak ditemukan", field="siklus")


async def start_from_grants(
    client: Client, uow_factory: UowFactory, order: StartOrder, *, task_queue: str, by: Acting, now: datetime
) -> Started:
    """`POST /instansi/{code}/cycles`: the officials from the instansi's grants, then `prepare` and `start`."""

    def prepared() -> Prepared:
        officials = officials_from_grants(uow_factory, order.instansi_code, cycle_id_of(order))
        return prepare(uow_factory, order, officials)

    return await start(client, uow_factory, await asyncio.to_thread(prepared), task_queue=task_queue, by=by, now=now)
