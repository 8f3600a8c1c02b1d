"""The calibration board's units a page at a time (services.calibration_board.units_page): a province's instansi has
thousands of units, each drawn with its chart; those that break the pattern come first."""

from __future__ import annotations

from domain.policy import DEFAULT_POLICY
from domain.ratings import OrgPredicate, Predicate
from services.calibration_board import UNITS_PER_PAGE, UnitsPage, UnitTally, distribution, tallies, units_page


def _units(count: int, *, breaking: set[int]) -> list[UnitTally]:
    """`count` units of ten people; those in `breaking` all rated Sangat Baik (none Butuh Perbaikan: the pattern of
    Baik wants one)."""
    counted = {f"U{n:04d}": (10, 0, 0, 0, 0) if n in breaking else (2, 7, 1, 0, 0) for n in range(count)}
    return tallies(counted, OrgPredicate.BAIK, DEFAULT_POLICY)


def _page(units: list[UnitTally], page: int) -> UnitsPage:
    return units_page(units, page, OrgPredicate.BAIK, DEFAULT_POLICY, {"U0003": "Unit 3"})


def test_the_units_that_break_the_pattern_come_first_a_page_at_a_time() -> None:
    units = _units(2 * UNITS_PER_PAGE + 5, breaking={3, 30, 44})
    assert [u.unit for u in units if not u.compliant] == ["U0003", "U0030", "U0044"]
    first = _page(units, 1)
    assert (first.page, first.pages, first.total, first.violating) == (1, 3, 2 * UNITS_PER_PAGE + 5, 3)
    assert [u.unit for u in first.shown[:3]] == ["U0003", "U0030", "U0044"] and len(first.shown) == UNITS_PER_PAGE
    # a shown unit is drawn in full: every rule with its range, as distribution() makes it for any counts; named
    # where its name is known, by its code where not
    assert first.shown[1].name == "U0030"
    broken = first.shown[0]
    assert broken == distribution("U0003", "Unit 3", {Predicate.SANGAT_BAIK: 10}, OrgPredicate.BAIK, DEFAULT_POLICY)
    assert not broken.compliant and broken.violations
    last = _page(units, 99)  # past the last page: the last
    assert last.page == 3 and len(last.shown) == 5
    shown = [u.unit for page in (1, 2, 3) for u in _page(units, page).shown]
    assert sorted(shown) == sorted(u.unit for u in units) and len(set(shown)) == len(units)


def test_a_shown_unit_says_how_many_were_unrated_at_the_review_deadline() -> None:
    units = _units(3, breaking={1})
    page = units_page(units, 1, OrgPredicate.BAIK, DEFAULT_POLICY, {}, {"U0001": 2})
    assert [(u.unit, u.missing) for u in page.shown] == [("U0001", 2), ("U0000", 0), ("U0002", 0)]


def test_a_small_board_is_one_page() -> None:
    only = _page(_units(3, breaking=set()), 1)
    assert (only.page, only.pages, only.violating, len(only.shown)) == (1, 1, 0, 3)
    assert _page([], 1).pages == 1
