"""Enrolling an instansi's employees into a cycle: one `AppraisalInput` per active employee, from the database.

Reviewers come from the org tree and the explicit overrides (PermenPANRB 6/2022: the pejabat penilai is the direct
superior); deadlines from the cycle's calendar over the instansi's policy. Who cannot be enrolled is reported with
the reason, never silently left out. The first plan of a cycle records its calendar in the database, where survey
imports and readers find its SKM window (services/surveys.py).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel

from domain.calendar import CycleCalendar, Deadlines, resolve
from domain.errors import DomainError, NotFound
from domain.organisation import resolve_reviewers, superior_chain
from domain.policy import AppraisalPolicy
from domain.skp import Skp
from persistence.ports import AbstractUnitOfWork, CycleRecord
from workflows.contracts import AppraisalInput

UowFactory = Callable[[], AbstractUnitOfWork]


class CycleRequest(BaseModel):
    """What HR says when starting a cycle."""

    cycle_id: str
    instansi_code: str
    period: int
    calendar: CycleCalendar = CycleCalendar()
    deadlines: Deadlines | None = None  # already resolved (the cycle workflow's); else from `calendar` and the policy
    supervision_team: list[str]
    pengelola_kinerja: list[str] = []
    only_nips: list[str] | None = None  # enrol only these (a late joiner); None: every active employee


class Skipped(BaseModel):
    nip: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Planned:
    """One employee's place in a cycle: the part of their AppraisalInput that is theirs alone."""

    nip: str
    name: str
    unit_code: str
    penilai_nip: str
    atasan_nip: str | None
    superiors: tuple[str, ...]


@dataclass(frozen=True)
class CyclePlan:
    """Whom a cycle enrols, in NIP order, and who it cannot. Compact: 100,000 full AppraisalInputs held by a worker
    between enrolment pages took ~180 MiB (they share the deadlines and policy but not much else); these take a
    fraction, and `page` builds the inputs of one page when it is started."""

    request: CycleRequest
    deadlines: Deadlines
    policy: AppraisalPolicy
    planned: list[Planned]
    skipped: list[Skipped]

    @property
    def policy_version(self) -> str:
        return self.policy.version

    @property
    def total(self) -> int:
        return len(self.planned)

    def page(self, offset: int, limit: int) -> list[AppraisalInput]:
        return [self._input(planned) for planned in self.planned[offset : offset + limit]]

    @property
    def inputs(self) -> list[AppraisalInput]:
        """Every input at once: for a late joiner or a small office, not for a province."""
        return self.page(0, self.total)

    def _input(self, planned: Planned) -> AppraisalInput:
        request = self.request
        return AppraisalInput(
            cycle_id=request.cycle_id,
            instansi_code=request.instansi_code,
            period=request.period,
            employee_nip=planned.nip,
            employee_name=planned.name,
            unit_code=planned.unit_code,
            penilai_nip=planned.penilai_nip,
            atasan_nip=planned.atasan_nip,
            superiors=list(planned.superiors),
            supervision_team=request.supervision_team,
            pengelola_kinerja=request.pengelola_kinerja,
            deadlines=self.deadlines,
            policy=self.policy,
        )


def plan_cycle(
    uow_factory: UowFactory, request: CycleRequest, *, today: date | None = None, register: bool = True
) -> CyclePlan:
    with uow_factory() as uow:
        if uow.instansi.get(request.instansi_code) is None:
            raise NotFound(
                f"instansi {request.instansi_code} belum terdaftar; impor rosternya dahulu", field="instansi"
            )
        policy = uow.instansi.policy(request.instansi_code)
        employees = uow.employees.mapping(request.instansi_code)
        overrides = uow.employees.overrides(request.instansi_code)
    _require_people(employees.keys(), request.supervision_team, "tim_pengawasan")
    _require_people(employees.keys(), request.pengelola_kinerja, "pengelola_kinerja")
    deadlines = request.deadlines or resolve(request.calendar, request.period, policy)
    wanted = request.only_nips
    if wanted is not None:
        _require_people(employees.keys(), wanted, "nip")
    planned: list[Planned] = []
    skipped: list[Skipped] = []
    for employee in sorted(employees.values(), key=lambda e: e.nip):  # NIP order: enrolment pages are stable
        if wanted is not None and employee.nip not in wanted:
            continue
        if not employee.active:
            continue
        try:
            reviewers = resolve_reviewers(employee.nip, employees, overrides, on=today or date.today())
        except DomainError as error:
            skipped.append(Skipped(nip=employee.nip, name=employee.name, reason=str(error)))
            continue
        planned.append(
            Planned(
                nip=employee.nip,
                name=employee.name,
                unit_code=employee.unit_code,
                penilai_nip=reviewers.penilai_nip,
                atasan_nip=reviewers.atasan_nip,
                superiors=tuple(superior_chain(employee.nip, employees, policy.escalation.max_levels + 1)),
            )
        )
    if register:
        record_calendar(uow_factory, request, deadlines, policy.version)
    return CyclePlan(request=request, deadlines=deadlines, policy=policy, planned=planned, skipped=skipped)


def record_calendar(uow_factory: UowFactory, request: CycleRequest, deadlines: Deadlines, policy_version: str) -> None:
    """Record the cycle's calendar once, with the deadlines its workflow runs on: the cycle's own first enrolment page
    plans with them (a schedule's launcher and `siklus tambah` plan too), and `siklus mulai` records them from the
    running workflow's input once the start has succeeded, which also records a cycle started before calendars were
    kept. A running cycle keeps its deadlines whatever a later plan says, so the first registration is the one kept;
    `siklus mulai` checks its plan without registering it, so a start that fails leaves no calendar behind."""
    with uow_factory() as uow:
        uow.cycles.register(
            CycleRecord(
                cycle_id=request.cycle_id,
                instansi_code=request.instansi_code,
                period=request.period,
                deadlines=deadlines,
                policy_version=policy_version,
            )
        )
        uow.commit()


def stored_skp(uow_factory: UowFactory, nip: str, period: int) -> Skp:
    """The SKP draft imported for an employee (`kinerja impor skp`), to submit into the workflow."""
    with uow_factory() as uow:
        record = uow.skp.get(nip, period)
    if record is None:
        raise NotFound(
            f"belum ada SKP pegawai {nip} periode {period}; impor dahulu dengan `kinerja impor skp`",
            field="skp",
        )
    return record.skp


def _require_people(known: Container[str], nips: list[str], field: str) -> None:
    missing = [nip for nip in nips if nip not in known]
    if missing:
        raise DomainError(f"NIP tidak terdaftar di instansi: {', '.join(missing)}", field=field)
