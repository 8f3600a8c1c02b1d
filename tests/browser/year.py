"""A whole appraisal year of the sample Dukcapil office (examples/), compressed into about two minutes, for the journey
tests to click through.

What the operator does on the server is done here before the pages are opened: the instansi registered, its first
admin kepegawaian and its operator granted, the instansi's escalation policy set to seconds, and an account with a
password for each official who signs in. Everything else — the imports, the roles, Sri's account, the cycle and
every step of the year — is done in the browser by the journeys (tests/browser/test_journey_year.py), in the order
the year runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from playwright.async_api import Browser
from sqlalchemy import Engine, select
from temporalio.client import Client
from temporalio.service import RPCError

from domain.access import Grant
from domain.audit import SYSTEM_ACTOR
from domain.organisation import Instansi
from domain.stages import Role
from identity.records import Account
from persistence.db import make_engine, make_session_factory
from persistence.orm import WorklistRow
from persistence.uow import SqlAlchemyUnitOfWork
from services import policy
from settings import Settings, TemporalSettings
from temporal_client import appraisal_handle, cycle_handle
from tests.browser.serving import serve
from tests.browser.site import Site
from tests.browser.story import PageChecks
from tests.dbs import Databases
from tests.web.office import TEST_AUTH, test_hasher
from web.app import create_app
from worker import build_activities, build_cycle_activities, build_worker
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import AppraisalState, appraisal_workflow_id
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CyclePhase, CycleState, cycle_workflow_id

T = TypeVar("T")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INSTANSI = "DUKCAPIL-JPR"
INSTANSI_NAME = "Dinas Kependudukan dan Pencatatan Sipil Kota Jayapura"
WIT = 9  # Jayapura
PASSWORD = "Kata-Sandi-Dinas-2026"  # every account's here
SRI_PASSWORD = "Verifikasi-Dafduk-2026"  # the one Sri chooses with her one-time link

KEPALA = "197203151998031001"  # Kepala Dinas: Herman's superior, the atasan who decides Sri's objection
PENGAWAS = "197807212003122001"  # Sekretaris Dinas: tim pengawasan
PENGELOLA = "198511022009031002"  # Kasubbag Umum dan Kepegawaian: pengelola kinerja
ADMIN = "199005302014032001"  # Fransiska Mirino: admin kepegawaian
HERMAN = "198009092005011001"  # Kepala Bidang DAFDUK: Sri's pejabat penilai
SRI = "199212252019032001"  # Verifikator Data Kependudukan, DAFDUK
BUDI = "198808082011021001"  # Analis Pencatatan Sipil, CAPIL: misses his deadline
SEKDA = "196801011990031001"  # Sekretaris Daerah: pimpinan, on no roster
OPERATOR = "199012122014011014"  # the server's operator for the instansi, on no roster
SIGNS_IN = (KEPALA, PENGAWAS, PENGELOLA, ADMIN, HERMAN, SEKDA, OPERATOR)  # accounts the operator made; Sri's is HR's

# The year, in seconds from the moment HR starts the cycle. Sri's target setting, self-assessment and review, a
# citizen's answer and the supervision team's take-over all happen before REVIEW_DUE; calibration, sign-off and the
# objection after it; the cycle closes (and its report is final) at CLOSES.
# Before REVIEW_DUE: about 35 s of clicking on a quiet machine (CI), twice that on one shared with other work.
SKP_DRAFT_DUE = 25  # Budi's draft goes overdue: escalated to the supervision team at once
SKP_DUE = 45
SURVEY_CLOSES = 69
SELF_ASSESSMENT_DUE = 69
REVIEW_DUE = 70
CALIBRATION_DUE = 71
SIGN_OFF_DUE = 72
OBJECTION_WINDOW = 20  # from sign-off, for each appraisal
OBJECTION_DECISION_DUE = 10  # from the objection: late is allowed, the report is read when HR opens it
CLOSES = SIGN_OFF_DUE + OBJECTION_WINDOW + OBJECTION_DECISION_DUE
# Reminders a few seconds before a deadline; one level further up only after the year is over.
ESCALATION = {"escalation": {"reminders_before": ["PT5S"], "grace": "PT10M", "max_levels": 2}}
WAIT_SECONDS = 60.0


@dataclass
class Year:
    """The office's app served for the browser, and what the journeys learn as the year goes on."""

    site: Site
    uow_factory: Callable[[], SqlAlchemyUnitOfWork]
    client: Client
    period: int
    cycle_id: str
    started_at: datetime | None = None  # when HR started the cycle: the calendar counts from here
    notes: dict[str, str] = field(default_factory=dict, repr=False)  # e.g. Sri's one-time link, the survey's address
    checks: PageChecks = field(default_factory=PageChecks)  # check_page of every page state, reported at the end

    def at(self, seconds: float) -> datetime:
        assert self.started_at is not None, "the cycle has not been started"
        return self.started_at + timedelta(seconds=seconds)

    async def cycle(self) -> CycleState:
        state: CycleState = await cycle_handle(self.client, self.cycle_id).query(CycleWorkflow.state)
        return state

    async def appraisal(self, nip: str) -> AppraisalState:
        state: AppraisalState = await appraisal_handle(self.client, self.cycle_id, nip).query(AppraisalWorkflow.state)
        return state

    async def phase(self, phase: CyclePhase, timeout: float = WAIT_SECONDS) -> CycleState:
        return await until(self.cycle, lambda s: s.phase is phase, f"cycle {self.cycle_id} at {phase}", timeout)

    async def sleep_until(self, seconds: float) -> None:
        """Until `seconds` after the cycle's start (the calendar's own time, which the workflow's timers follow)."""
        left = (self.at(seconds) - datetime.now(UTC)).total_seconds()
        if left > 0:
            await asyncio.sleep(left)


async def until(read: Callable[[], Awaitable[T]], done: Callable[[T], bool], what: str, timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = await read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"never reached: {what} (last: {value!r:.500})"
        await asyncio.sleep(0.25)


def _seed(uow_factory: Callable[[], SqlAlchemyUnitOfWork], now: datetime) -> None:
    """What the operator does on the server before anyone opens a page (`kinerja akun admin`, `kebijakan atur`)."""
    digest = test_hasher().hash(PASSWORD)
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code=INSTANSI, name=INSTANSI_NAME))
        uow.identity.add_grant(ADMIN, Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code=INSTANSI), SYSTEM_ACTOR, now)
        uow.identity.add_grant(OPERATOR, Grant(role=Role.OPERATOR, instansi_code=INSTANSI), SYSTEM_ACTOR, now)
        for nip in SIGNS_IN:
            uow.identity.add_account(Account(nip=nip, created_at=now, created_by=SYSTEM_ACTOR))
            uow.identity.set_password(nip, digest, now)
        uow.commit()
    policy.set_overrides(uow_factory, INSTANSI, ESCALATION, now=now)


@asynccontextmanager
async def open_year(databases: Databases, client: Client, browser: Browser) -> AsyncIterator[Year]:
    """The office in a database of its own, a worker on its own task queue of the session's dev server, and the app
    served on 127.0.0.1."""
    url = databases.fresh()
    engine: Engine = make_engine(url)
    session_factory = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    now = datetime.now(UTC)
    _seed(uow_factory, now)
    task_queue = f"kinerja-tahun-{uuid.uuid4().hex[:8]}"
    address = client.service_client.config.target_host
    settings = Settings(
        database_url=url, temporal=TemporalSettings(address=address, task_queue=task_queue), auth=TEST_AUTH
    )
    worker = build_worker(
        client,
        TemporalSettings(task_queue=task_queue),
        build_activities(engine),
        build_cycle_activities(engine, client),
    )
    app = create_app(settings, uow_factory=uow_factory, client=client)
    # The appraisal year: the one 40 days ago, as tests.web.office chooses it, so the cycle lies in its years.
    period = (now - timedelta(days=40)).year
    cycle_id = f"{period}-DUKCAPIL-{uuid.uuid4().hex[:4].upper()}"
    try:
        async with worker, app.router.lifespan_context(app), serve(app) as served:
            try:
                yield Year(Site(served, browser), uow_factory, client, period, cycle_id)
            finally:
                await _end(client, engine, cycle_id)
    finally:
        engine.dispose()
        databases.drop(url)


async def _end(client: Client, engine: Engine, cycle_id: str) -> None:
    """Terminate what still runs of the cycle: its timers would otherwise wait on the shared dev server for a worker
    that is gone."""

    def enrolled() -> list[str]:
        with engine.connect() as connection:
            rows = connection.execute(select(WorklistRow.employee_nip).where(WorklistRow.cycle_id == cycle_id))
            return [str(nip) for nip in rows.scalars()]

    async def end(workflow_id: str) -> None:
        with contextlib.suppress(RPCError):
            await client.get_workflow_handle(workflow_id).terminate("browser journey finished")

    ids = [cycle_workflow_id(cycle_id)]
    ids += [appraisal_workflow_id(cycle_id, nip) for nip in await asyncio.to_thread(enrolled)]
    await asyncio.gather(*(end(workflow_id) for workflow_id in ids))
