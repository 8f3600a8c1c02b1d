"""Custom search attributes, so operators and supervisors list work through Temporal visibility, e.g.

    KinerjaAssignee = '198001012005011002' AND KinerjaOverdue = true
    KinerjaInstansi = 'DISDIK' AND KinerjaStage = 'supervisor_review' ORDER BY KinerjaDeadline

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
) -> list[tuple[SearchAttributeKey[Any], Any]]:
    """The value every attribute should have (None: unset; `penilai` None: left alone, by runs that do not keep it)."""
    return [
        (CYCLE, cycle_id),
        (INSTANSI, instansi_code),
        (UNIT, unit_code),
        (NIP, employee_nip),
        (STAGE, stage),
        (STEP, step),
        (ASSIGNEE, assignee),
        *([(PENILAI, penilai)] if penilai is not None else []),
        (OVERDUE, overdue),
        (ESCALATION_LEVEL, escalation_level),
        (DEADLINE, deadline),
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
