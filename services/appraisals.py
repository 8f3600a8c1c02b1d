"""Enrolling an instansi's employees into a cycle: one `AppraisalInput` per active employee, from the database.

Reviewers come from the org tree and the explicit overrides (PermenPANRB 6/2022: the pejabat penilai is the direct
superior); deadlines from the cycle's calendar over the instansi's policy. Who cannot be enrolled is reported with
the reason, never silently left out. A cycle is planned a page at a time (`plan_page`): the active employees after
the previous page's last NIP and the people above them, so the memory of the worker that enrols does not grow with
the instansi. The cycle's first page records its calendar in the database, where survey imports and readers find its
SKM window (services/surveys.py).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, replace
from datetime import date

from pydantic import BaseModel

from domain.calendar import CycleCalendar, Deadlines, resolve
from domain.errors import DomainError, NotFound
from domain.organisation import Employee, ReviewerOverride, resolve_reviewers, superior_chain
from domain.policy import AppraisalPolicy
from domain.skp import Skp
from domain.stages import Step
from persistence.ports import AbstractUnitOfWork, CycleRecord
from workflows.contracts import AppraisalInput, appraisal_workflow_id

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
    """Whom a cycle enrols, in NIP order, and who it cannot: the whole cycle (`plan_cycle`) or one page of it
    (`plan_page`). Compact: the inputs share the deadlines and policy, and `inputs` builds them when asked."""

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

    @property
    def inputs(self) -> list[AppraisalInput]:
        return [self._input(planned) for planned in self.planned]

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


@dataclass(frozen=True)
class PlanPage:
    """One page of a cycle's enrolment: the plan of the active employees read, and where the next page starts."""

    plan: CyclePlan
    read: int  # active employees read: planned and skipped
    last_nip: str | None  # where the next page starts: the last NIP read, else the cursor given (None: from the first)
    in_scope: int  # active employees the cycle enrols or skips, counted now


PLAN_PAGE = 500  # employees read at once when planning a whole cycle


def plan_page(
    uow_factory: UowFactory,
    request: CycleRequest,
    *,
    after: str | None = None,
    limit: int = PLAN_PAGE,
    today: date | None = None,
) -> PlanPage:
    """Plan the active employees after the NIP `after` (from the first without it), `limit` of them, reading only them
    and the people above them: a worker's memory does not grow with the instansi (a province, a national rollout).
    Reviewers come from the org tree and the overrides as in `resolve_reviewers`."""
    code = request.instansi_code
    with uow_factory() as uow:
        _check(uow, request)
        recorded = uow.cycles.get(request.cycle_id)
        # The policy the cycle began with, whatever has changed since; the instansi's own before it has begun.
        kept = recorded.policy if recorded is not None else None
        policy = kept if kept is not None else uow.instansi.policy(code)
        rows = uow.employees.active_page(code, after=after, limit=limit, only=request.only_nips)
        in_scope = uow.employees.count_active(code, only=request.only_nips)
        overrides = uow.employees.overrides_of([employee.nip for employee in rows])
        levels = policy.escalation.max_levels + 1
        people = with_superiors(uow, code, rows, overrides, levels)
    on = today or date.today()
    planned: list[Planned] = []
    skipped: list[Skipped] = []
    for employee in rows:
        try:
            reviewers = resolve_reviewers(employee.nip, people, overrides, on=on)
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
                superiors=tuple(superior_chain(employee.nip, people, levels)),
            )
        )
    deadlines = request.deadlines or resolve(request.calendar, request.period, policy)
    return PlanPage(
        plan=CyclePlan(request=request, deadlines=deadlines, policy=policy, planned=planned, skipped=skipped),
        read=len(rows),
        last_nip=rows[-1].nip if rows else after,
        in_scope=in_scope,
    )


def check_cycle(uow_factory: UowFactory, request: CycleRequest) -> AppraisalPolicy:
    """Refuse a cycle of an unknown instansi or naming people not on its roster, before anything starts; the
    instansi's policy otherwise. Who will be enrolled or skipped is for the cycle's own pages to find."""
    with uow_factory() as uow:
        _check(uow, request)
        return uow.instansi.policy(request.instansi_code)


def _check(uow: AbstractUnitOfWork, request: CycleRequest) -> None:
    code = request.instansi_code
    if uow.instansi.get(code) is None:
        raise NotFound(f"instansi {code} belum terdaftar; impor rosternya dahulu", field="instansi")
    require_officials(uow, request.supervision_team, "tim_pengawasan", active=False)
    require_officials(uow, request.pengelola_kinerja, "pengelola_kinerja", active=False)
    only = request.only_nips or []
    _require_people(uow.employees.by_nips(code, only), only, "nip")


def require_officials(uow: AbstractUnitOfWork, nips: Sequence[str], field: str, *, active: bool) -> None:
    """The supervision team and the pengelola kinerja are employees of some roster, not necessarily the instansi's
    own: the Inspektorat audits every dinas, and a provincial BKD's pengelola kinerja covers several instansi. On a
    roster they have an address for their notices. `active`: they must also still be in service (a grant or a change
    names them now); a running cycle's pages only check that they exist, so someone who left since does not stop
    the enrolment of everyone else."""
    missing = []
    for nip in nips:
        person = uow.employees.get(nip)
        if person is None or (active and not person.active):
            missing.append(nip)
    if missing:
        what = "pegawai aktif" if active else "pegawai"
        raise DomainError(
            f"NIP {', '.join(missing)} bukan {what} pada roster instansi mana pun; tim pengawasan dan pengelola"
            f" kinerja harus {what} (boleh dari instansi lain, mis. Inspektorat atau BKD)",
            field=field,
        )


def plan_cycle(
    uow_factory: UowFactory, request: CycleRequest, *, today: date | None = None, register: bool = True
) -> CyclePlan:
    """The whole cycle's plan, page by page (late joiners, a small office, the benchmark), under the cycle's policy."""
    pages = [plan_page(uow_factory, request, today=today)]
    while pages[-1].read == PLAN_PAGE:
        pages.append(plan_page(uow_factory, request, after=pages[-1].last_nip, today=today))
    plan = replace(
        pages[0].plan,
        planned=[one for page in pages for one in page.plan.planned],
        skipped=[one for page in pages for one in page.plan.skipped],
    )
    if register:
        record_calendar(uow_factory, request, plan.deadlines, plan.policy)
    return plan


def nip_of_planned(
    uow_factory: UowFactory, request: CycleRequest, position: int, *, today: date | None = None, size: int = PLAN_PAGE
) -> str:
    """The NIP of the `position`-th employee (from 1) the whole plan enrols, read page by page: where an enrolment
    continues whose pages were counted among the planned employees only (a cycle that began enrolling before pages
    had a NIP cursor). Past the end of the plan, the last employee read."""
    after: str | None = None
    seen = 0
    while True:
        page = plan_page(uow_factory, request, after=after, limit=size, today=today)
        planned = page.plan.planned
        if seen + len(planned) >= position:
            return planned[position - seen - 1].nip
        seen += len(planned)
        if page.read < size:
            return page.last_nip or ""
        after = page.last_nip


def with_superiors(
    uow: AbstractUnitOfWork, code: str, rows: list[Employee], overrides: list[ReviewerOverride], levels: int
) -> dict[str, Employee]:
    """The page's employees and, `levels` deep, the people above them (the org tree's and the overrides' reviewers),
    inactive ones included so `resolve_reviewers` can refuse them."""
    people = {employee.nip: employee for employee in rows}
    above = {employee.superior_nip for employee in rows if employee.superior_nip}
    above |= {nip for o in overrides for nip in (o.penilai_nip, o.atasan_nip) if nip}
    for _ in range(levels):
        missing = above - people.keys()
        if not missing:
            break
        found = uow.employees.by_nips(code, missing)
        people.update(found)
        above = {employee.superior_nip for employee in found.values() if employee.superior_nip}
    return people


def record_calendar(
    uow_factory: UowFactory, request: CycleRequest, deadlines: Deadlines, policy: AppraisalPolicy
) -> None:
    """Record the cycle's calendar once, with the deadlines its workflow runs on: the cycle's own first enrolment page
    records them (as a schedule's launcher and `siklus tambah` do), and `siklus mulai` records them from the running
    workflow's input once the start has succeeded, which also records a cycle started before calendars were kept. A
    running cycle keeps its deadlines whatever a later plan says, so the first registration is the one kept, and with
    it the policy every later page and late joiner of the cycle is planned under; `siklus mulai` checks the request
    without registering it, so a start that fails leaves no calendar behind."""
    with uow_factory() as uow:
        uow.cycles.register(
            CycleRecord(
                cycle_id=request.cycle_id,
                instansi_code=request.instansi_code,
                period=request.period,
                deadlines=deadlines,
                policy_version=policy.version,
                policy=policy,
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


REVIEWER_RULE = "pejabat penilai kinerja dan atasannya adalah pegawai aktif instansi yang sama (PermenPANRB 6/2022)"


def check_reassignment(
    uow_factory: UowFactory,
    instansi_code: str,
    employee_nip: str,
    penilai_nip: str,
    atasan_nip: str | None,
    *,
    cycle_id: str,
) -> None:
    """Refuse a new pejabat penilai or atasan (`alihkan`) who cannot appraise this employee, before the Update is
    sent: each must be an active employee of the same instansi on the roster, not the appraisee, and not withdrawn
    from the cycle (DomainError naming the field, `penilai_nip` or `atasan_nip`). The workflow's validator checks the
    rest against the appraisal: not the one reassigning, the two different, something changed."""
    named = {"penilai_nip": penilai_nip, **({"atasan_nip": atasan_nip} if atasan_nip is not None else {})}
    with uow_factory() as uow:
        people = uow.employees.by_nips(instansi_code, set(named.values()))
        entries = {nip: uow.worklist.get(appraisal_workflow_id(cycle_id, nip)) for nip in set(named.values())}
    for field, nip in named.items():
        role = "pejabat penilai" if field == "penilai_nip" else "atasan pejabat penilai"
        if nip == employee_nip:
            raise DomainError(
                f"pegawai {nip} tidak dapat menjadi {role} bagi dirinya sendiri", field=field, rule=REVIEWER_RULE
            )
        person = people.get(nip)
        if person is None:
            raise DomainError(
                f"NIP {nip} tidak terdaftar sebagai pegawai instansi {instansi_code}; {role} harus pegawai instansi"
                " yang sama",
                field=field,
                rule=REVIEWER_RULE,
            )
        if not person.active:
            raise DomainError(
                f"{person.name} (NIP {nip}) tidak lagi aktif di instansi {instansi_code}; pilih {role} yang aktif",
                field=field,
                rule=REVIEWER_RULE,
            )
        entry = entries.get(nip)
        if entry is not None and entry.step is Step.WITHDRAWN:
            raise DomainError(
                f"{person.name} (NIP {nip}) sudah ditarik dari siklus {cycle_id}; pilih {role} lain",
                field=field,
                rule=REVIEWER_RULE,
            )
    if atasan_nip is not None and atasan_nip == penilai_nip:
        raise DomainError(
            f"atasan pejabat penilai {atasan_nip} harus orang lain dari pejabat penilai", field="atasan_nip"
        )


def _require_people(known: Container[str], nips: list[str], field: str) -> None:
    missing = [nip for nip in nips if nip not in known]
    if missing:
        raise DomainError(f"NIP tidak terdaftar di instansi: {', '.join(missing)}", field=field)
