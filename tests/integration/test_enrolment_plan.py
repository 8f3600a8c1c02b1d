"""Planning a cycle's enrolment on a real database (SQLite and PostgreSQL): who is enrolled with which reviewers, the
plan's pages (what the cycle's enrolment activity starts, page by page), and when the cycle's calendar is recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from domain.errors import DomainError, NotFound
from domain.officials import Officials
from domain.organisation import Employee, Instansi, ReviewerOverride, Unit, resolve_reviewers, superior_chain
from persistence.uow import SqlAlchemyUnitOfWork
from services.appraisals import (
    CycleRequest,
    PlanPage,
    check_cycle,
    nip_of_planned,
    plan_cycle,
    plan_page,
    record_calendar,
)
from services.officials_record import check_roster
from tests.integration.commands import kinerja

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INSTANSI = "DUKCAPIL-JPR"
PENGAWAS = "197807212003122001"
SRI = "199212252019032001"
HERMAN = "198009092005011001"  # Sri's pejabat penilai
KEPALA = "197203151998031001"  # Herman's superior, the head of the instansi
MARIA = "197904122006022002"  # another Kepala Bidang

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture
def office(cli_database: None, capsys: pytest.CaptureFixture[str], uow_factory: UowFactory) -> UowFactory:
    roster = str(EXAMPLES / "roster_dukcapil.csv")
    assert kinerja(capsys, "impor", "roster", roster, "--instansi", INSTANSI, "--nama-instansi", "Dukcapil")[0] == 0
    return uow_factory


def _request(cycle_id: str) -> CycleRequest:
    return CycleRequest(cycle_id=cycle_id, instansi_code=INSTANSI, period=2026, supervision_team=[PENGAWAS])


def _pages(office: UowFactory, request: CycleRequest, limit: int, after: str | None = None) -> list[PlanPage]:
    pages = [plan_page(office, request, after=after, limit=limit)]
    while pages[-1].read == limit:
        pages.append(plan_page(office, request, after=pages[-1].last_nip, limit=limit))
    return pages


def test_the_pages_of_a_plan_follow_a_nip_cursor_and_make_the_whole_plan(office: UowFactory) -> None:
    request = _request("2026-PAGES")
    plan = plan_cycle(office, request)
    inputs = plan.inputs
    assert [i.employee_nip for i in inputs] == sorted(i.employee_nip for i in inputs)
    assert [s.nip for s in plan.skipped] == [KEPALA]  # no superior inside the instansi: reported, not dropped
    pages = _pages(office, request, 3)
    assert [i for page in pages for i in page.plan.inputs] == inputs
    assert [s for page in pages for s in page.plan.skipped] == plan.skipped
    assert {page.in_scope for page in pages} == {len(inputs) + 1} == {sum(page.read for page in pages)}
    # Reviewers resolve from the page and the people above it only, as from the whole org tree: pages of one
    # employee, none of whose superiors is on the page, give what the domain rules give over everyone.
    with office() as uow:
        everyone, overrides = uow.employees.mapping(INSTANSI), uow.employees.overrides(INSTANSI)
    for page in _pages(office, request, 1):
        for one in page.plan.planned:
            reviewers = resolve_reviewers(one.nip, everyone, overrides, on=date.today())
            chain = tuple(superior_chain(one.nip, everyone, page.plan.policy.escalation.max_levels + 1))
            assert (one.penilai_nip, one.atasan_nip, one.superiors) == (
                reviewers.penilai_nip,
                reviewers.atasan_nip,
                chain,
            )
    sri = next(i for i in inputs if i.employee_nip == SRI)
    assert (sri.penilai_nip, sri.atasan_nip, sri.supervision_team) == (HERMAN, KEPALA, [PENGAWAS])
    assert sri.superiors == [HERMAN, KEPALA] and sri.policy.version == plan.policy_version
    # A cycle that began enrolling before pages had a cursor counted its offset among the planned employees only:
    # it continues after the one at that position.
    planned = [i.employee_nip for i in inputs]
    assert [nip_of_planned(office, request, n, size=3) for n in (1, 4, len(planned))] == [
        planned[0],
        planned[3],
        planned[-1],
    ]


def test_an_override_names_a_penilai_outside_the_page(office: UowFactory) -> None:
    with office() as uow:
        uow.employees.add_override(
            ReviewerOverride(
                employee_nip=SRI, penilai_nip=MARIA, effective_from=date(2026, 1, 1), reason="Plt. Kepala Bidang"
            ),
            created_by=PENGAWAS,
        )
        uow.commit()
    alone = _request("2026-OVERRIDE").model_copy(update={"only_nips": [SRI]})
    page = plan_page(office, alone, today=date(2026, 2, 1))
    [sri] = page.plan.inputs
    assert (sri.employee_nip, sri.penilai_nip, sri.atasan_nip) == (SRI, MARIA, KEPALA)


def test_a_roster_change_during_enrolment_neither_skips_nor_repeats_anyone(office: UowFactory) -> None:
    """Pages start after the last NIP read, so someone leaving before it does not shift the rest; someone joining
    before it waits for `siklus tambah`, as any late joiner."""
    request = _request("2026-MOVING")
    first = plan_page(office, request, limit=4)
    read = [p.nip for p in first.plan.planned] + [s.nip for s in first.plan.skipped]
    with office() as uow:
        leaver = uow.employees.get(read[0])
        assert leaver is not None
        uow.employees.save(leaver.model_copy(update={"active": False}), INSTANSI)
        joiner = leaver.model_copy(update={"nip": "197001012000011001", "name": "Pegawai Baru", "active": True})
        uow.employees.save(joiner, INSTANSI)
        uow.commit()
    rest = _pages(office, request, 4, after=first.last_nip)
    later = [p.nip for page in rest for p in page.plan.planned] + [s.nip for page in rest for s in page.plan.skipped]
    everyone = plan_cycle(office, _request("2026-AFTER"), register=False)
    now = {p.nip for p in everyone.planned} | {s.nip for s in everyone.skipped}
    assert set(read) | set(later) == (now - {joiner.nip}) | {leaver.nip}
    assert not set(read) & set(later)


def test_a_plan_records_the_calendar_only_when_asked(office: UowFactory) -> None:
    check_cycle(office, _request("2026-CHECKED"))  # `siklus mulai` checking before it starts
    plan_cycle(office, _request("2026-PLANNED"), register=False)
    plan_cycle(office, _request("2026-ENROLLED"))  # the cycle's own first enrolment page
    with office() as uow:
        assert uow.cycles.get("2026-CHECKED") is None and uow.cycles.get("2026-PLANNED") is None
        assert uow.cycles.get("2026-ENROLLED") is not None


def test_a_cycle_naming_people_off_the_roster_or_an_unknown_instansi_is_refused_before_it_starts(
    office: UowFactory,
) -> None:
    stranger = "199901012020011001"
    with pytest.raises(DomainError, match=f"{stranger} bukan pegawai pada roster instansi mana pun") as refused:
        check_cycle(office, _request("2026-X").model_copy(update={"supervision_team": [PENGAWAS, stranger]}))
    assert refused.value.field == "tim_pengawasan"
    with pytest.raises(DomainError) as refused:
        plan_page(office, _request("2026-X").model_copy(update={"pengelola_kinerja": [stranger]}))
    assert refused.value.field == "pengelola_kinerja"
    with pytest.raises(NotFound, match="instansi TIDAK-ADA belum terdaftar"):
        check_cycle(office, _request("2026-X").model_copy(update={"instansi_code": "TIDAK-ADA"}))


def test_a_policy_changed_while_a_cycle_enrols_applies_to_the_next_cycle_not_to_its_later_pages(
    office: UowFactory,
) -> None:
    request = _request("2026-STEADY")
    first = plan_page(office, request, limit=3)
    record_calendar(office, request, first.plan.deadlines, first.plan.policy)  # as the cycle's first page does
    with office() as uow:
        changed = uow.instansi.set_policy_overrides(INSTANSI, {"max_skp_returns": 5})
        uow.commit()
    assert changed.version != first.plan.policy_version
    later = plan_page(office, request, after=first.last_nip, limit=3)
    late_joiner = plan_page(office, request.model_copy(update={"only_nips": [SRI]}))
    assert later.plan.policy == late_joiner.plan.policy == first.plan.policy
    assert plan_page(office, _request("2027-NEXT"), limit=3).plan.policy == changed


def test_the_supervision_team_and_pengelola_may_come_from_another_instansi_roster(office: UowFactory) -> None:
    """The Inspektorat audits every dinas and a provincial BKD's pengelola kinerja covers several instansi: active
    employees of another roster may be officials of this instansi's cycle; someone made inactive may not be named in
    a change (a running cycle's pages only look for them: someone who left does not stop everyone's enrolment)."""
    auditor, pengelola = "198001012005011001", "198502022010012002"
    with office() as uow:
        uow.instansi.add(Instansi(code="INSPEKTORAT", name="Inspektorat"))
        uow.units.add(Unit(code="INSP", name="Inspektorat"), "INSPEKTORAT")
        uow.employees.add(Employee(nip=auditor, name="Auditor", jabatan="Auditor", unit_code="INSP"), "INSPEKTORAT")
        uow.employees.add(
            Employee(nip=pengelola, name="Analis BKD", jabatan="Analis", unit_code="INSP", active=False), "INSPEKTORAT"
        )
        uow.commit()
    check_cycle(office, _request("2026-Y").model_copy(update={"supervision_team": [auditor]}))
    check_cycle(office, _request("2026-Y").model_copy(update={"pengelola_kinerja": [pengelola]}))
    with office() as uow, pytest.raises(DomainError) as refused:
        officials = Officials(supervision_team=[auditor], pengelola_kinerja=[pengelola], pimpinan=[PENGAWAS])
        check_roster(uow, INSTANSI, officials)
    assert refused.value.field == "pengelola_kinerja"
