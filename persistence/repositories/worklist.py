"""The worklist table (domain.worklist): one row per appraisal, replaced by each step and escalation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Insert, Row, Table, and_, delete, distinct, func, or_, select
from sqlalchemy.orm import Session

from domain.stages import Step
from domain.worklist import WorkItem, WorklistQuery
from persistence.orm import WorklistRow
from persistence.ports import UnitCounts
from persistence.repositories._sql import backend, dialect_insert

_WORKLIST: Table = WorklistRow.__table__  # type: ignore[assignment]
_ITEM_FIELDS = tuple(WorkItem.model_fields)
_CLOSED = [step.value for step in Step if step.closed]  # kept as the appraisal's last entry, never listed as open
_COUNTS = (func.count(), func.count().filter(WorklistRow.overdue.is_(True)))  # open steps, and how many are overdue


@cache
def _put(dialect: str, recorded: bool) -> Insert:
    """INSERT ... ON CONFLICT (workflow_id) DO UPDATE, built once per backend: every step a person takes runs it.

    A recorded write (from the workflow) replaces an entry written outside the workflow or recorded no later; an
    unrecorded one (`kinerja sinkron-worklist`) replaces only another unrecorded one."""
    insert = dialect_insert(dialect, _WORKLIST)
    columns = [name for name in (*_ITEM_FIELDS, "stage", "updated_at") if name != "workflow_id"]
    stored = _WORKLIST.c.recorded_at
    replaceable = or_(stored.is_(None), stored <= insert.excluded.recorded_at) if recorded else stored.is_(None)
    return insert.on_conflict_do_update(
        index_elements=["workflow_id"],
        set_={name: insert.excluded[name] for name in columns},
        where=replaceable,
    )


@cache
def _enrol(dialect: str) -> Insert:
    return dialect_insert(dialect, _WORKLIST).on_conflict_do_nothing(index_elements=["workflow_id"])


def _values(item: WorkItem, at: datetime) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in _ITEM_FIELDS}
    values["step"] = item.step.value
    values["stage"] = item.stage.value
    values["updated_at"] = at
    return values


def _item(row: WorklistRow | Row[Any]) -> WorkItem:
    return WorkItem.model_validate({name: getattr(row, name) for name in _ITEM_FIELDS})


_ITEM_COLUMNS = tuple(getattr(WorklistRow, name) for name in _ITEM_FIELDS)  # rows, not entities: lists are read-only


def _where(query: WorklistQuery) -> list[ColumnElement[bool]]:
    row = WorklistRow
    conditions: list[ColumnElement[bool]] = [row.step.not_in(_CLOSED)]
    equal: dict[str, Any] = {
        "cycle_id": query.cycle_id,
        "instansi_code": query.instansi_code,
        "unit_code": query.unit_code,
        "assignee": query.assignee,
        "penilai_nip": query.penilai_nip,
        "overdue": query.overdue,
        "stage": query.stage.value if query.stage is not None else None,
    }
    conditions += [getattr(row, name) == value for name, value in equal.items() if value is not None]
    if query.deadline_before is not None:
        conditions.append(row.deadline <= query.deadline_before)
    return conditions


class SqlWorklistRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def enrol(self, items: Sequence[WorkItem]) -> None:
        """The first entry of each new appraisal; an appraisal that has one already (a retried or repeated
        enrolment, or one that has moved on or finished) keeps it."""
        if items:
            at = datetime.now(UTC)
            self._session.execute(_enrol(backend(self._session)), [_values(item, at) for item in items])

    def put(self, item: WorkItem) -> None:
        """Where the appraisal stands now, unless the stored entry was recorded later (see `_put`)."""
        statement = _put(backend(self._session), item.recorded_at is not None)
        self._session.execute(statement, _values(item, datetime.now(UTC)))

    def remove_unchanged(self, entries: Sequence[tuple[str, datetime | None]]) -> int:
        """Remove each (workflow id, recorded_at) entry unless it was written again since it was read (a run reset
        meanwhile); returns how many were removed."""
        removed = 0
        for workflow_id, recorded_at in entries:
            same = WorklistRow.recorded_at.is_(None) if recorded_at is None else WorklistRow.recorded_at == recorded_at
            statement = delete(WorklistRow).where(WorklistRow.workflow_id == workflow_id, same)
            removed += len(self._session.execute(statement.returning(WorklistRow.workflow_id)).all())
        return removed

    def get(self, workflow_id: str) -> WorkItem | None:
        row = self._session.get(WorklistRow, workflow_id)
        return _item(row) if row is not None else None

    def open(self, query: WorklistQuery, *, limit: int | None = None, offset: int = 0) -> list[WorkItem]:
        """The open steps matching `query`, nearest deadline first (no deadline last), then by unit and NIP."""
        row = WorklistRow
        statement = (
            select(*_ITEM_COLUMNS)
            .where(*_where(query))
            .order_by(row.deadline.asc().nulls_last(), row.unit_code, row.employee_nip)  # the index's order (0011)
            .limit(limit)
            .offset(offset)
        )
        return [_item(found) for found in self._session.execute(statement)]

    def open_ids(self, query: WorklistQuery, *, after: str | None, limit: int) -> list[tuple[str, datetime | None]]:
        """(workflow id, recorded_at) of the open entries matching `query`, in id order, after the id `after`."""
        row = WorklistRow
        conditions = _where(query)
        if after is not None:
            conditions.append(row.workflow_id > after)
        statement = select(row.workflow_id, row.recorded_at).where(*conditions).order_by(row.workflow_id).limit(limit)
        return [(found.workflow_id, found.recorded_at) for found in self._session.execute(statement)]

    def at_step(self, cycle_id: str, step: Step, unit_code: str | None = None) -> dict[str, str]:
        """workflow id → NIP of the cycle's appraisals (of `unit_code` only, when given) whose entry stands at `step`
        now (e.g. the withdrawn): the latest recorded write, so an appraisal reset to before its withdrawal is no
        longer among them."""
        row = WorklistRow
        statement = select(row.workflow_id, row.employee_nip).where(row.cycle_id == cycle_id, row.step == step.value)
        if unit_code is not None:
            statement = statement.where(row.unit_code == unit_code)
        return {found.workflow_id: found.employee_nip for found in self._session.execute(statement)}

    def tally(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(instansi, stage) → (open steps, of which overdue), over every cycle: the worker's metrics."""
        row = WorklistRow
        statement = (
            select(row.instansi_code, row.stage, *_COUNTS)
            .where(row.step.not_in(_CLOSED))
            .group_by(row.instansi_code, row.stage)
        )
        return {(instansi, stage): (total, late) for instansi, stage, total, late in self._session.execute(statement)}

    def escalated_to_superior(
        self, nip: str, *, employee_steps: Sequence[Step], penilai_steps: Sequence[Step], limit: int
    ) -> list[WorkItem]:
        """Open overdue steps whose escalation has reached `nip` as a superior of whoever must act (domain.escalation's
        ladder): an employee's step from its first level on for their penilai, from the second for the atasan; a
        penilai's step from the first for the atasan. Nearest deadline first; the two indexes on penilai and atasan."""
        row = WorklistRow
        employees = [step.value for step in employee_steps]
        penilai = [step.value for step in penilai_steps]
        reached = or_(
            and_(row.penilai_nip == nip, row.step.in_(employees)),
            and_(
                row.atasan_nip == nip,
                or_(row.step.in_(penilai), and_(row.step.in_(employees), row.escalation_level >= 2)),
            ),
        )
        statement = (
            select(*_ITEM_COLUMNS)
            .where(row.step.not_in(_CLOSED), row.overdue.is_(True), row.escalation_level >= 1, reached)
            .order_by(row.deadline.asc().nulls_last(), row.unit_code, row.employee_nip)
            .limit(limit)
        )
        return [_item(found) for found in self._session.execute(statement)]

    def count(self, query: WorklistQuery) -> int:
        return self._session.scalar(select(func.count()).select_from(WorklistRow).where(*_where(query))) or 0

    def count_by_stage(self, query: WorklistQuery) -> dict[str, int]:
        """stage → how many open steps match `query` there."""
        row = WorklistRow
        statement = select(row.stage, func.count()).where(*_where(query)).group_by(row.stage)
        return dict(self._session.execute(statement).all())

    def units_by_count(self, query: WorklistQuery, *, limit: int, offset: int) -> UnitCounts:
        """The units with the most open steps matching `query` (`limit` from the `offset`-th; ties by code), each
        per stage, and how many units have any: counted by the database, so a province's thousands of units never
        reach Python (the supervision team's tally)."""
        row = WorklistRow
        where = _where(query)
        ranked = self._session.execute(
            select(row.unit_code, func.count().over())  # over the groups: how many units
            .where(*where)
            .group_by(row.unit_code)
            .order_by(func.count().desc(), row.unit_code)
            .limit(limit)
            .offset(offset)
        ).all()
        if not ranked:
            units = self._session.scalar(select(func.count(distinct(row.unit_code))).where(*where)) if offset else 0
            return UnitCounts(units=units or 0, by_unit={})
        by_unit: dict[str, dict[str, int]] = {unit: {} for unit, _ in ranked}
        counted = select(row.unit_code, row.stage, func.count()).where(*where, row.unit_code.in_(list(by_unit)))
        for unit, stage, count in self._session.execute(counted.group_by(row.unit_code, row.stage)):
            by_unit[unit][stage] = count
        return UnitCounts(units=ranked[0][1], by_unit=by_unit)

    def count_with_overdue(self, query: WorklistQuery) -> tuple[int, int]:
        """How many open steps match `query`, and how many of them are overdue, in one statement."""
        total, overdue = self._session.execute(select(*_COUNTS).select_from(WorklistRow).where(*_where(query))).one()
        return total, overdue
