"""Planning a cycle's enrolment on a real database (SQLite and PostgreSQL): who is enrolled with which reviewers, the
plan's pages (what the cycle's enrolment activity starts, page by page), and when the cycle's calendar is recorded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from persistence.uow import SqlAlchemyUnitOfWork
from services.appraisals import CycleRequest, plan_cycle
from tests.integration.commands import kinerja

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INSTANSI = "DUKCAPIL-JPR"
PENGAWAS = "197807212003122001"
SRI = "199212252019032001"
HERMAN = "198009092005011001"  # Sri's pejabat penilai

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture
def office(cli_database: None, capsys: pytest.CaptureFixture[str], uow_factory: UowFactory) -> UowFactory:
    roster = str(EXAMPLES / "roster_dukcapil.csv")
    assert kinerja(capsys, "impor", "roster", roster, "--instansi", INSTANSI, "--nama-instansi", "Dukcapil")[0] == 0
    return uow_factory


def _request(cycle_id: str) -> CycleRequest:
    return CycleRequest(cycle_id=cycle_id, instansi_code=INSTANSI, period=2026, supervision_team=[PENGAWAS])


def test_the_pages_of_a_plan_are_its_inputs_in_nip_order(office: UowFactory) -> None:
    plan = plan_cycle(office, _request("2026-PAGES"))
    inputs = plan.inputs
    assert plan.total == len(inputs) > 3
    assert [i.employee_nip for i in inputs] == sorted(i.employee_nip for i in inputs)
    pages = [plan.page(offset, 3) for offset in range(0, plan.total, 3)]
    assert [i for page in pages for i in page] == inputs
    assert plan.page(plan.total, 3) == []
    sri = next(i for i in inputs if i.employee_nip == SRI)
    assert (sri.penilai_nip, sri.cycle_id, sri.supervision_team) == (HERMAN, "2026-PAGES", [PENGAWAS])
    assert sri.superiors[0] == HERMAN and sri.policy.version == plan.policy_version


def test_a_plan_records_the_calendar_only_when_asked(office: UowFactory) -> None:
    plan_cycle(office, _request("2026-CHECKED"), register=False)  # `siklus mulai` checking before it starts
    plan_cycle(office, _request("2026-ENROLLED"))  # the cycle's own first enrolment page
    with office() as uow:
        assert uow.cycles.get("2026-CHECKED") is None
        assert uow.cycles.get("2026-ENROLLED") is not None
