"""A cycle's report for the pimpinan, pengelola kinerja and HR (`kinerja siklus laporan`, `GET /cycles/{id}/report`):
predicates and IKM per unit, the closing counts once the cycle has closed (the report so far before), every
reviewed employee's predicate a page at a time, and who was withdrawn, why and by whom."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel
from temporalio.client import Client

from domain.ratings import Predicate
from domain.withdrawal import WithdrawalCause
from persistence.ports import AbstractUnitOfWork
from services import cycle_actions, cycles
from workflows.cycle_contracts import CycleRef, CycleReport, CycleState, UnitIkm, UnitPredicates

UowFactory = Callable[[], AbstractUnitOfWork]


class EmployeeResult(BaseModel):
    nip: str
    nama: str
    unit: str
    predikat: Predicate
    capaian_rata_rata: Decimal | None
    ikm_unit: str | None
    mutu_unit: str | None
    sebagian_sejak: date | None = None  # joined during the period: appraised from that day on


class WithdrawnEmployee(BaseModel):
    nip: str
    nama: str
    unit: str
    sebab: WithdrawalCause
    tmt: str | None
    alasan: str
    ditarik_oleh: str
    ditarik_pada: AwareDatetime


class CycleReportView(BaseModel):
    siklus: str
    instansi: str
    periode: int
    final: bool  # False: the cycle has not closed; this is the report so far
    unit: list[UnitPredicates]
    survei: list[UnitIkm]
    penutupan: CycleReport | None  # the closing counts, once closed
    pegawai: list[EmployeeResult]  # the page asked for
    jumlah_pegawai: int  # every reviewed employee, listed or not
    ditarik: list[WithdrawnEmployee]


def build(uow_factory: UowFactory, state: CycleState, *, offset: int, limit: int) -> CycleReportView:
    ref = CycleRef(cycle_id=state.cycle_id, instansi_code=state.instansi_code, period=state.period)
    units = state.report.predicates if state.report else cycles.predicates_by_unit(uow_factory, ref)
    survey = state.report.survey if state.report else (state.survey or [])
    by_unit = {u.unit: u for u in survey}
    people, total = cycles.reviewed_page(uow_factory, ref, offset=offset, limit=limit)
    # Built without validating again what cycles.Reviewed already holds typed: 100,000 of them in the report's files.
    page = [
        EmployeeResult.model_construct(
            nip=p.nip,
            nama=p.name,
            unit=p.unit,
            predikat=p.predicate,
            capaian_rata_rata=p.achievement,
            ikm_unit=by_unit[p.unit].ikm if p.unit in by_unit else None,
            mutu_unit=by_unit[p.unit].grade if p.unit in by_unit else None,
            sebagian_sejak=p.partial_from,
        )
        for p in people
    ]
    return CycleReportView(
        siklus=state.cycle_id,
        instansi=state.instansi_code,
        periode=state.period,
        final=state.report is not None,
        unit=units,
        survei=survey,
        penutupan=state.report,
        pegawai=page,
        jumlah_pegawai=total,
        ditarik=[_withdrawn(w) for w in cycles.withdrawn(uow_factory, ref)],
    )


def _withdrawn(w: cycles.Withdrawn) -> WithdrawnEmployee:
    return WithdrawnEmployee(
        nip=w.nip,
        nama=w.name,
        unit=w.unit,
        sebab=w.cause,
        tmt=w.effective_on,
        alasan=w.reason,
        ditarik_oleh=w.withdrawn_by,
        ditarik_pada=w.withdrawn_at,
    )


async def of_cycle(
    client: Client, uow_factory: UowFactory, cycle_id: str, *, offset: int, limit: int
) -> CycleReportView:
    """`GET /cycles/{id}/report`: the cycle's state from its workflow, the rest from the database."""
    state = await cycle_actions.state(client, cycle_id)
    return await asyncio.to_thread(build, uow_factory, state, offset=offset, limit=limit)
