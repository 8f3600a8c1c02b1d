"""The supervision team's overdue counts (services.supervision.overdue_page) at the size of a province's instansi:
per unit and stage, counted by the database, the units with most overdue first, a page of units at a time; a unit
filter that names no unit of the instansi is refused; past `UNITS_LISTED` units the filter takes a typed code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DomainError
from domain.organisation import Instansi, Unit
from domain.stages import Stage, Step
from domain.worklist import WorkItem
from persistence.uow import SqlAlchemyUnitOfWork
from services import supervision
from services.supervision import TALLY_UNITS, UNITS_LISTED, CycleChoice, OverdueFilter

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
INSTANSI = "PROV-X"
CYCLE = "2027-PROV-X"
NOW = datetime(2027, 3, 1, 8, tzinfo=UTC)
UNITS = UNITS_LISTED + 5
CHOICE = CycleChoice(CYCLE, INSTANSI, "Pemerintah Provinsi X", 2027, 9)


def _item(n: int, unit: str, step: Step, *, overdue: bool) -> WorkItem:
    nip = f"19800101200501{n:04d}"
    return WorkItem(
        workflow_id=f"appraisal-{CYCLE}-{nip}",
        cycle_id=CYCLE,
        instansi_code=INSTANSI,
        unit_code=unit,
        employee_nip=nip,
        penilai_nip="197001011995011001",
        step=step,
        assignee=nip,
        deadline=NOW - timedelta(days=2 if overdue else -5),
        overdue=overdue,
        escalation_level=1 if overdue else 0,
    )


def _seed(uow_factory: UowFactory) -> None:
    """Unit U000 has no overdue step; unit Un (n ≥ 1) has n % 7 overdue SKP drafts, one overdue self-assessment
    where n is even, and one step not yet due."""
    items: list[WorkItem] = []
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code=INSTANSI, name="Pemerintah Provinsi X"))
        for n in range(UNITS):
            uow.units.add(Unit(code=f"U{n:03d}", name=f"Unit {n}"), INSTANSI)
        uow.commit()
    for n in range(1, UNITS):
        unit = f"U{n:03d}"
        for _ in range(n % 7):
            items.append(_item(len(items), unit, Step.SKP_DRAFTING, overdue=True))
        if n % 2 == 0:
            items.append(_item(len(items), unit, Step.SELF_ASSESSMENT, overdue=True))
        items.append(_item(len(items), unit, Step.SKP_DRAFTING, overdue=False))
    with uow_factory() as uow:
        uow.worklist.enrol(items)
        uow.commit()


def _expected() -> dict[str, int]:
    return {f"U{n:03d}": n % 7 + (n % 2 == 0) for n in range(1, UNITS) if n % 7 + (n % 2 == 0)}


def test_the_units_with_most_overdue_come_first_a_page_at_a_time(uow_factory: UowFactory) -> None:
    _seed(uow_factory)
    expected = _expected()
    ranked = sorted(expected, key=lambda unit: (-expected[unit], unit))
    first = supervision.overdue_page(uow_factory, CHOICE, OverdueFilter(), now=NOW, limit=10, offset=0)
    assert first.steps.jumlah == sum(expected.values()) and len(first.steps.langkah) == 10
    assert first.tally_units == len(expected) and len(first.tallies) == TALLY_UNITS
    assert first.tally_pages == -(-len(expected) // TALLY_UNITS)
    assert [t.unit for t in first.tallies] == ranked[:TALLY_UNITS]
    assert first.stages == [Stage.TARGET_SETTING, Stage.SELF_ASSESSMENT]
    top = first.tallies[0]
    assert top.unit_name == f"Unit {int(top.unit[1:])}" and top.total == expected[top.unit]
    assert top.by_stage == {Stage.TARGET_SETTING: 6, Stage.SELF_ASSESSMENT: 1}

    last_offset = (len(expected) - 1) // TALLY_UNITS * TALLY_UNITS
    last = supervision.overdue_page(
        uow_factory, CHOICE, OverdueFilter(), now=NOW, limit=10, offset=0, tally_offset=last_offset
    )
    assert [t.unit for t in last.tallies] == ranked[last_offset:] and last.tally_units == len(expected)
    beyond = supervision.overdue_page(
        uow_factory, CHOICE, OverdueFilter(), now=NOW, limit=10, offset=0, tally_offset=len(expected) + 40
    )
    assert beyond.tallies == [] and beyond.tally_units == len(expected)

    stage = supervision.overdue_page(
        uow_factory, CHOICE, OverdueFilter(stage=Stage.SELF_ASSESSMENT), now=NOW, limit=500, offset=0
    )
    assert stage.stages == [Stage.SELF_ASSESSMENT] and stage.steps.jumlah == (UNITS - 1) // 2
    assert {t.total for t in stage.tallies} == {1}


def test_a_unit_filter_is_one_of_the_instansi_and_a_typed_code_past_the_listed_size(uow_factory: UowFactory) -> None:
    _seed(uow_factory)
    one = supervision.overdue_page(uow_factory, CHOICE, OverdueFilter(unit="U006"), now=NOW, limit=10, offset=0)
    assert one.steps.jumlah == 7 and [t.unit for t in one.tallies] == ["U006"] and one.tally_units == 1
    with pytest.raises(DomainError) as refused:
        supervision.overdue_page(uow_factory, CHOICE, OverdueFilter(unit="U999"), now=NOW, limit=10, offset=0)
    assert refused.value.field == "unit" and "U999" in str(refused.value)
    assert supervision.unit_choices(uow_factory, INSTANSI) is None  # 205 units: typed, with the tally's links
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code="KAB-Y", name="Kabupaten Y"))
        uow.units.add(Unit(code="DIN", name="Dinas"), "KAB-Y")
        uow.commit()
    assert supervision.unit_choices(uow_factory, "KAB-Y") == [("DIN", "Dinas")]


def test_nothing_overdue_counts_nothing(uow_factory: UowFactory) -> None:
    _seed(uow_factory)
    late = supervision.overdue_page(uow_factory, CHOICE, OverdueFilter(days=30), now=NOW, limit=10, offset=0)
    assert late.steps.jumlah == 0 and late.tallies == [] and late.tally_units == 0 and late.stages == []
