"""The supervision team's queue (`kinerja terlambat`, `GET /cycles/{id}/overdue`): the steps past their deadline and
already escalated, from the worklist table (never Temporal visibility), nearest deadline first, with the names of
the employees listed — only theirs, not the roster's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel

from domain.calendar import parse_duration
from domain.errors import DomainError
from domain.stages import Stage, Step
from domain.worklist import WorkItem, WorklistQuery
from persistence.ports import AbstractUnitOfWork
from services.worklist import names_of, open_steps

UowFactory = Callable[[], AbstractUnitOfWork]
AGE_FIELD = "terlambat_sejak"


class NamedStep(BaseModel):
    """One open step as a list shows it."""

    siklus: str
    instansi: str
    unit: str
    nip: str
    nama: str
    langkah: Step
    label: str
    menunggu: str | None  # who must act now
    batas_waktu: AwareDatetime | None
    terlambat: bool
    tingkat_eskalasi: int


class StepList(BaseModel):
    langkah: list[NamedStep]
    jumlah: int  # how many match, listed or not


def overdue_query(
    *,
    age: str | None,
    now: datetime,
    instansi: str | None = None,
    cycle: str | None = None,
    unit: str | None = None,
    stage: Stage | None = None,
) -> WorklistQuery:
    """The overdue steps of the instansi, cycle, unit and stage given, and with `age` only those whose deadline passed
    at least that long before `now`: filtered by the database, so the count and the first page are right."""
    query = WorklistQuery(overdue=True, instansi_code=instansi, cycle_id=cycle, unit_code=unit, stage=stage)
    if age is None:
        return query
    # In weeks, days, hours...: a month back from now is not what a month after each deadline is.
    length = parse_duration(age, AGE_FIELD).as_timedelta(AGE_FIELD)
    try:
        cutoff = (now - length).astimezone(UTC)
    except OverflowError:
        raise DomainError(f"'{age}' terlalu panjang untuk batas waktu mana pun", field=AGE_FIELD) from None
    return query.model_copy(update={"deadline_before": cutoff})


def named_steps(uow_factory: UowFactory, query: WorklistQuery, *, limit: int | None, offset: int = 0) -> StepList:
    """The open steps matching `query` (at most `limit` from the `offset`-th; None: all) with the employees' names,
    and how many match."""
    found = open_steps(uow_factory, query, limit=limit, offset=offset)
    names = names_of(uow_factory, found.items)
    return StepList(langkah=[named(item, names.get(item.employee_nip, "")) for item in found.items], jumlah=found.total)


def named(item: WorkItem, name: str) -> NamedStep:
    return NamedStep(
        siklus=item.cycle_id,
        instansi=item.instansi_code,
        unit=item.unit_code,
        nip=item.employee_nip,
        nama=name,
        langkah=item.step,
        label=item.step.label,
        menunggu=item.assignee,
        batas_waktu=item.deadline,
        terlambat=item.overdue,
        tingkat_eskalasi=item.escalation_level,
    )


def of_cycle(
    uow_factory: UowFactory,
    cycle_id: str,
    *,
    unit: str | None,
    stage: Stage | None,
    age: str | None,
    now: datetime,
    limit: int,
) -> StepList:
    """`GET /cycles/{id}/overdue`: the cycle's overdue steps (of a unit, a stage, late at least `age`)."""
    query = overdue_query(age=age, now=now, cycle=cycle_id, unit=unit, stage=stage)
    return named_steps(uow_factory, query, limit=limit)
