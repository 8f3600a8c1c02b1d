"""Custom search attributes, so operators find an appraisal through Temporal visibility and its Web UI, e.g.

    KinerjaCycle = 'DISDIK-2027' AND KinerjaUnit = 'SMA1'
    KinerjaNip = '199001012015011001' OR KinerjaPenilai = '198001012005011002'

Who an appraisal waits on, its deadline and whether it is overdue are the worklist table's (persistence, written with
every step): the task lists read it there, consistent with the step just recorded. Appraisals started before 0.4 also
keep `KinerjaStage`, `KinerjaStep`, `KinerjaAssignee`, `KinerjaOverdue`, `KinerjaEscalationLevel` and
`KinerjaDeadline` up to date (and must, to replay as they ran); newer ones set only who and where, at start, and
`KinerjaPenilai` again when a reviewer is reassigned.

They must be registered before a workflow sets them: `temporal server start-dev` takes `dev_server_args()`, a
running cluster (or the time-skipping test server, which has no `--search-attribute` flag) takes
`temporal_client.ensure_search_attributes`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

CYCLE = SearchAttributeKey.for_keyword("KinerjaCycle")
INSTANSI = SearchAttributeKey.for_keyword("KinerjaInstansi")
UNIT = SearchAttributeKey.for_keyword("KinerjaUnit")
NIP = SearchAttributeKey.for_keyword("KinerjaNip")  # the appraised employee
STAGE = SearchAttributeKey.for_keyword("KinerjaStage")
STEP = SearchAttributeKey.for_keyword("KinerjaStep")
ASSIGNEE = SearchAttributeKey.for_keyword("KinerjaAssignee")  # who must act now; unset while nobody is
PENILAI = SearchAttributeKey.for_keyword("KinerjaPenilai")  # the pejabat penilai kinerja, whatever the step
OVERDUE = SearchAttributeKey.for_bool("KinerjaOverdue")
ESCALATION_LEVEL = SearchAttributeKey.for_int("KinerjaEscalationLevel")
DEADLINE = SearchAttributeKey.for_datetime("KinerjaDeadline")  # of the current step; unset when none

ALL: tuple[SearchAttributeKey[Any], ...] = (
    CYCLE,
    INSTANSI,
    UNIT,
    NIP,
    STAGE,
    STEP,
    ASSIGNEE,
    PENILAI,
    OVERDUE,
    ESCALATION_LEVEL,
    DEADLINE,
)

TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
}


def dev_server_args() -> list[str]:
    """`--search-attribute Name=Type` for every attribute, for `temporal server start-dev`."""
    args: list[str] = []
    for key in ALL:
        args += ["--search-attribute", f"{key.name}={TYPE_NAMES[key.indexed_value_type]}"]
    return args


def desired(
    *,
    cycle_id: str,
    instansi_code: str,
    unit_code: str,
    employee_nip: str,
    stage: str,
    step: str,
    assignee: str | None,
    penilai: str | None,
    overdue: bool,
    escalation_level: int,
    deadline: datetime | None,
    progress: bool,
) -> list[tuple[SearchAttributeKey[Any], Any]]:
    """The value every attribute should have (None: unset; `penilai` None: left alone, by runs that do not keep it;
    `progress` False: who and where only, the rest is the worklist's)."""
    who = identity(
        cycle_id=cycle_id, instansi_code=instansi_code, unit_code=unit_code, employee_nip=employee_nip, penilai=None
    )
    kept_penilai = [(PENILAI, penilai)] if penilai is not None else []
    if not progress:
        return [*who, *kept_penilai]
    return [
        *who,
        (STAGE, stage),
        (STEP, step),
        (ASSIGNEE, assignee),
        *kept_penilai,
        (OVERDUE, overdue),
        (ESCALATION_LEVEL, escalation_level),
        (DEADLINE, deadline),
    ]


def identity(
    *, cycle_id: str, instansi_code: str, unit_code: str, employee_nip: str, penilai: str | None
) -> list[tuple[SearchAttributeKey[Any], Any]]:
    """Who and where: all an appraisal started since 0.4 keeps in visibility."""
    return [
        (CYCLE, cycle_id),
        (INSTANSI, instansi_code),
        (UNIT, unit_code),
        (NIP, employee_nip),
        *([(PENILAI, penilai)] if penilai is not None else []),
    ]


def initial(values: list[tuple[SearchAttributeKey[Any], Any]]) -> TypedSearchAttributes:
    """The attributes to pass when starting a workflow, which saves the workflow an upsert event."""
    return TypedSearchAttributes([SearchAttributePair(key, value) for key, value in values if value is not None])


def changes(
    values: list[tuple[SearchAttributeKey[Any], Any]], current: TypedSearchAttributes
) -> list[SearchAttributeUpdate[Any]]:
    """Only the attributes whose value differs from `current`: an unchanged attribute costs no history event."""
    updates: list[SearchAttributeUpdate[Any]] = []
    for key, value in values:
        if current.get(key) == value:
            continue
        if value is None:
            updates.append(key.value_unset())  # it has a value, or the comparison above would have matched
        else:
            updates.append(key.value_set(value))
    return updates
