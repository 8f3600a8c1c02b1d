"""The periods of the year's periodic evaluation (domain.periods): which are evaluated before the annual one, whose
turn each step is, and what a period's realisation may name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.errors import DomainError
from domain.periods import PeriodStep, check_indicators, check_turn, windows
from domain.skp import Realisation
from domain.stages import Role


def test_the_periods_before_the_annual_evaluation() -> None:
    quarters = windows(2027, "triwulan")
    assert [(w.label, w.first_day, w.last_day) for w in quarters] == [
        ("Triwulan I", date(2027, 1, 1), date(2027, 3, 31)),
        ("Triwulan II", date(2027, 4, 1), date(2027, 6, 30)),
        ("Triwulan III", date(2027, 7, 1), date(2027, 9, 30)),
    ]  # Triwulan IV is the annual evaluation ("IV-AKHIR")
    assert [(w.label, w.last_day) for w in windows(2028, "semester")] == [("Semester I", date(2028, 6, 30))]
    months = windows(2028, "bulanan")
    assert len(months) == 11 and months[1].last_day == date(2028, 2, 29) and months[-1].label == "Bulan XI"
    assert windows(2027, "tidak_ada") == []


def test_each_step_is_taken_by_its_party_in_its_turn() -> None:
    check_turn(PeriodStep.REALISATION, PeriodStep.REALISATION, Role.PEGAWAI)
    check_turn(PeriodStep.DIALOG, PeriodStep.DIALOG, Role.PENILAI)
    for step, wanted, role, field in (
        (PeriodStep.REALISATION, PeriodStep.REALISATION, Role.PENILAI, "peran"),
        (PeriodStep.REALISATION, PeriodStep.DIALOG, Role.PENILAI, "tahap"),
        (PeriodStep.DONE, PeriodStep.REALISATION, Role.PEGAWAI, "tahap"),
    ):
        with pytest.raises(DomainError) as refused:
            check_turn(step, wanted, role)
        assert refused.value.field == field


def test_a_realisation_names_indicators_of_the_approved_skp_once() -> None:
    def realised(*ids: str) -> list[Realisation]:
        return [Realisation(indicator_id=i, value=Decimal(1)) for i in ids]

    check_indicators(realised("I1", "I2"), ["I1", "I2", "I3"])
    for bad in (realised(), realised("I9"), realised("I1", "I1")):
        with pytest.raises(DomainError) as refused:
            check_indicators(bad, ["I1", "I2", "I3"])
        assert refused.value.field == "realisasi"


def test_a_compressed_year_ends_each_period_at_its_instant() -> None:
    wit = timezone(timedelta(hours=9))
    ends = [datetime(2027, 2, 1, 3, 0, tzinfo=UTC), datetime(2027, 2, 1, 3, 30, tzinfo=UTC),
            datetime(2027, 2, 2, 16, 0, tzinfo=UTC)]  # fmt: skip
    quarters = windows(2027, "triwulan", ends, wit)
    assert [w.end(wit) for w in quarters] == ends
    assert [w.label for w in quarters] == ["Triwulan I", "Triwulan II", "Triwulan III"]
    # The days are read where the cycle's people live: 01.00 WIT on 3 February is still 3 February.
    assert [(w.first_day, w.last_day) for w in quarters][-1] == (date(2027, 2, 1), date(2027, 2, 3))
    # Without ends, a quarter ends at midnight after its last day, in the cycle's zone.
    assert windows(2027, "triwulan")[0].end(wit) == datetime(2027, 4, 1, tzinfo=wit)
