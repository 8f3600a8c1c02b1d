"""The public results of a cycle's survey: each unit's IKM, its mutu and the number of respondents, as the cycle
computed them at the window's close (services.cycles.survey_by_unit) — the transparency an office promises its
citizens (PermenPANRB 14/2017: the index is published). Before the close it says when the results come.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import NotFound
from domain.survey_window import SurveyPhase
from persistence.ports import AbstractUnitOfWork, CycleRecord
from services.surveys import window_of

UowFactory = Callable[[], AbstractUnitOfWork]


@dataclass(frozen=True)
class UnitResult:
    unit_code: str
    unit_name: str
    responses: int
    ikm: Decimal | None  # IKM konversi, 25–100, as published (2 dp)
    grade: str | None  # mutu A–D
    label: str | None  # kinerja unit: Sangat Baik … Tidak Baik
    adequate: bool  # enough respondents (Krejcie & Morgan, or the policy minimum)


@dataclass(frozen=True)
class Results:
    instansi_code: str
    instansi_name: str
    cycle: CycleRecord | None  # None: a period with several cycles (see `choices`)
    phase: SurveyPhase | None
    computed_at: datetime | None
    units: list[UnitResult]
    choices: list[CycleRecord]

    @property
    def zone(self) -> int | None:
        return self.cycle.deadlines.utc_offset_hours if self.cycle is not None else None


def results(uow_factory: UowFactory, instansi_code: str, key: str, *, now: datetime) -> Results:
    """The results of the cycle `key` names: a cycle id of the instansi, or a period (`2026`) with one cycle; a period
    with several lists them to choose from. NotFound for anything else, another instansi's cycle included."""
    with uow_factory() as uow:
        instansi = uow.instansi.get(instansi_code) if 0 < len(instansi_code) <= 32 else None
        if instansi is None:
            raise NotFound(f"instansi {instansi_code} tidak ditemukan", field="instansi")
        cycles = _cycles(uow, instansi_code, key)
        if len(cycles) != 1:
            return Results(instansi_code, instansi.name, None, None, None, [], cycles)
        cycle = cycles[0]
        survey = uow.cycles.survey(cycle.cycle_id)
        names = {unit.code: unit.name for unit in uow.units.list_by_instansi(instansi_code)}
    units = [
        UnitResult(
            unit_code=result.unit or "-",
            unit_name=names.get(result.unit or "", result.unit or "-"),
            responses=result.response_count,
            ikm=result.ikm,
            grade=result.grade,
            label=result.label,
            adequate=result.adequate,
        )
        for result in (survey.units if survey is not None else [])
    ]
    return Results(
        instansi_code=instansi_code,
        instansi_name=instansi.name,
        cycle=cycle,
        phase=window_of(cycle).phase(now),
        computed_at=survey.computed_at if survey is not None else None,
        units=units,
        choices=[],
    )


def _cycles(uow: AbstractUnitOfWork, instansi_code: str, key: str) -> list[CycleRecord]:
    if len(key) == 4 and key.isascii() and key.isdigit():
        found = uow.cycles.for_period(instansi_code, int(key))
    else:
        cycle = uow.cycles.get(key) if 0 < len(key) <= 64 else None
        found = [cycle] if cycle is not None and cycle.instansi_code == instansi_code else []
    if not found:
        raise NotFound(f"survei {key} instansi {instansi_code} tidak ditemukan", field="siklus")
    return found
