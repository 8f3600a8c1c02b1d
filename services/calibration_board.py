"""What the calibration page shows the pimpinan and the pengelola kinerja (SE MenPAN-RB 3/2023): the distribution of
predicates per unit and for the whole instansi against the pattern of an organisation predicate, each rule of the
pattern with the range it allows for that many employees and whether it is met, and the stored proposal or locked
decision in full (the cycle's state lists only its first changes).

The pattern is the instansi's policy (domain.policy.CalibrationPolicy); the check is the domain's
(domain.calibration.check_counts, the same rule the proposal applies). Units are shown for insight: the proposal and
the decision are the instansi's, one per cycle (services.calibration_store.GROUP).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from domain.calibration import Change, FinalPredicate, allowed_range, check_counts, compliance
from domain.policy import AppraisalPolicy
from domain.ratings import OrgPredicate, Predicate
from persistence.ports import AbstractUnitOfWork
from services.calibration_store import LOCKED, group_of
from services.cycles import NONE, by_predicate
from workflows.cycle_contracts import CalibrationState, CycleRef

UowFactory = Callable[[], AbstractUnitOfWork]
T = TypeVar("T")
PREDICATES: tuple[Predicate, ...] = tuple(Predicate)
INSTANSI = ""  # the whole instansi's distribution has no unit code


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RuleCheck(_Frozen):
    """One rule of the pattern for one distribution: the employees it counts and the range it allows them."""

    text: str
    predicates: list[Predicate]
    count: int
    low: int  # the fewest allowed, in whole employees for this total
    high: int  # the most allowed
    met: bool
    message: str | None  # the domain's words for the violation (None when met)

    @property
    def span(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


class Distribution(_Frozen):
    """The predicates of one unit (or of the instansi) and how they stand against the pattern."""

    unit: str  # "" for the instansi
    name: str
    counts: dict[Predicate, int]
    total: int
    missing: int  # enrolled with no review when the cycle summarised them
    rules: list[RuleCheck]

    @property
    def compliant(self) -> bool:
        return all(rule.met for rule in self.rules)

    @property
    def violations(self) -> list[str]:
        return [rule.message for rule in self.rules if rule.message]

    def bands(self) -> list[tuple[Predicate, Decimal, Decimal, str]]:
        """The share of the total each single-predicate rule allows (percent): what a chart shades."""
        found = []
        for rule in self.rules:
            if len(rule.predicates) == 1 and self.total > 0:
                low = Decimal(rule.low * 100) / self.total
                high = Decimal(rule.high * 100) / self.total
                found.append((rule.predicates[0], low, high, f"{rule.text}: {rule.span} dari {self.total} pegawai"))
        return found


CHANGES_PER_PAGE = 50  # a proposal for an instansi of 25,000 moves a thousand or more, each with its own fields


class Listed(_Frozen):
    """One page of what a stored calibration lists, in its order (`shown`: the subclass's)."""

    page: int = 1
    pages: int = 1
    total: int = 0

    @property
    def per_page(self) -> int:
        return CHANGES_PER_PAGE

    @property
    def first(self) -> int:
        """The number of the first line shown, counted from 1 over the whole list."""
        return (self.page - 1) * CHANGES_PER_PAGE + 1


class ChangesPage(Listed):
    """One page of the stored proposal's changes."""

    shown: list[Change] = []


class MovedPage(Listed):
    """One page of those a locked decision placed differently from what they were given, in the proposal's order."""

    shown: list[FinalPredicate] = []


class ShownProposal(_Frozen):
    """What the page shows of a stored proposal (domain.calibration.Proposal) besides its changes: its message and
    the counts after it. Not its entries, one per employee: 25,000 to read on every view in a province's instansi."""

    message: str
    counts_after: dict[Predicate, int]


class StoredCalibration(_Frozen):
    """The cycle's stored calibration as a page shows it: the proposal and a page of its changes while it waits, a
    page of whom the committee's decision moved once locked."""

    locked: bool
    proposal: ShownProposal | None = None
    changes: ChangesPage = ChangesPage()
    moved: MovedPage = MovedPage()

    @property
    def page(self) -> int:
        """The page of what it lists that is shown."""
        return self.moved.page if self.locked else self.changes.page


@dataclass(frozen=True)
class UnitTally:
    """One unit's predicates and whether they meet the pattern: what ranks the units. A unit's name and full
    Distribution (every rule with its range) are read and built only for the units a page shows: an instansi has
    thousands."""

    unit: str
    counts: tuple[int, ...]  # in Predicate's order, best first
    compliant: bool


@dataclass(frozen=True)
class Board:
    """The page's whole content; a dataclass, so its thousands of units are not validated once more."""

    cycle_id: str
    instansi_code: str
    period: int
    org_predicate: OrgPredicate
    pattern_set: bool  # the pattern is the one the pimpinan set (False: a preview the reader chose)
    instansi: Distribution
    unit_list: UnitsPage  # the page of units asked for
    stored: StoredCalibration | None


UNITS_PER_PAGE = 20  # a province's instansi has thousands of units: a page of them at a time, each with its chart


class UnitsPage(_Frozen):
    """One page of the board's units: those that break the pattern first (what the committee must look at), then the
    rest, each group by code."""

    shown: list[Distribution]
    page: int
    pages: int
    total: int
    violating: int


def tallies(
    counted: Mapping[str, tuple[int, ...]], org_predicate: OrgPredicate, policy: AppraisalPolicy
) -> list[UnitTally]:
    """Each unit of unit → counts (in Predicate's order), with whether it meets the pattern of `org_predicate`."""
    complies = _complies(org_predicate, policy)
    return [UnitTally(unit, counts, complies(counts)) for unit, counts in counted.items()]


_CHECKERS: dict[tuple[OrgPredicate, str], Callable[[tuple[int, ...]], bool]] = {}


def _complies(org_predicate: OrgPredicate, policy: AppraisalPolicy) -> Callable[[tuple[int, ...]], bool]:
    """domain.calibration.compliance, remembered per distinct counts: every view of a cycle's page ranks the same
    thousands of units again (a seventh of its CPU at a province's size). A policy's version names its content (the
    instansi's revision: persistence.repositories.organisation), so it keys the pattern."""
    key = (org_predicate, policy.version)
    checker = _CHECKERS.get(key)
    if checker is None:
        checker = functools.lru_cache(maxsize=16_384)(compliance(org_predicate, policy))
        if len(_CHECKERS) >= 64:  # a few organisation predicates of a few policies in use at once
            _CHECKERS.clear()
        _CHECKERS[key] = checker
    return checker


def paged(items: Sequence[T], page: int, size: int) -> tuple[list[T], int, int]:
    """The items of the `page`-th page of `size` (from 1; past the last, the last), that page and how many there
    are (at least one)."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 1), pages)
    start = (page - 1) * size
    return list(items[start : start + size]), page, pages


def ranked(units: list[UnitTally], page: int) -> tuple[list[UnitTally], int, int]:
    """The units of the `page`-th page, those that break the pattern first, each group by code."""
    return paged(sorted(units, key=lambda unit: (unit.compliant, unit.unit)), page, UNITS_PER_PAGE)


def changes_of(stored: StoredCalibration | None) -> ChangesPage:
    """The page of the proposal's changes `stored` holds (none once locked or before a proposal)."""
    return stored.changes if stored is not None and not stored.locked else ChangesPage()


def units_page(
    units: list[UnitTally],
    page: int,
    org_predicate: OrgPredicate,
    policy: AppraisalPolicy,
    names: Mapping[str, str],
    unreviewed: Mapping[str, int] | None = None,
) -> UnitsPage:
    """The `page`-th page of `units`, each shown unit (named from `names`, by code where it has none, with how many
    had no predicate at the review deadline from `unreviewed`) against the pattern of `org_predicate`."""
    shown, page, pages = ranked(units, page)
    missing = unreviewed or {}
    return UnitsPage(
        shown=[
            distribution(
                u.unit,
                names.get(u.unit, u.unit),
                by_predicate(u.counts),
                org_predicate,
                policy,
                missing=missing.get(u.unit, 0),
            )
            for u in shown
        ],
        page=page,
        pages=pages,
        total=len(units),
        violating=sum(1 for unit in units if not unit.compliant),
    )


def distribution(
    unit: str,
    name: str,
    counts: Mapping[Predicate, int],
    org_predicate: OrgPredicate,
    policy: AppraisalPolicy,
    *,
    missing: int = 0,
) -> Distribution:
    """`counts` against the pattern of `org_predicate` under `policy`: every rule with its range and whether met."""
    total = sum(counts.get(p, 0) for p in PREDICATES)
    broken = {v.rule: v.message for v in check_counts(counts, org_predicate, policy)}
    calibration = policy.calibration
    rules = []
    for rule in calibration.patterns[org_predicate]:
        low, high = allowed_range(rule, total, calibration.rounding)
        rules.append(
            RuleCheck(
                text=rule.text,
                predicates=sorted(rule.predicates, key=lambda p: p.rank),
                count=sum(counts.get(p, 0) for p in rule.predicates),
                low=low,
                high=high,
                met=rule.text not in broken,
                message=broken.get(rule.text),
            )
        )
    return Distribution(
        unit=unit,
        name=name,
        counts={p: counts.get(p, 0) for p in PREDICATES},
        total=total,
        missing=missing,
        rules=rules,
    )


def board(
    uow_factory: UowFactory,
    state: CalibrationState,
    preview: OrgPredicate | None = None,
    unit_page: int = 1,
    change_page: int = 1,
) -> Board:
    """The cycle's distributions against the pattern of the organisation predicate the pimpinan set, or, before
    that, of `preview` (Baik when none is asked for): the instansi's, and its units' a page at a time; with the
    stored calibration and the `change_page`-th page of what it lists."""
    ref = CycleRef(cycle_id=state.cycle_id, instansi_code=state.instansi_code, period=state.period)
    chosen = state.calibration.org_predicate if state.calibration is not None else None
    org_predicate = chosen or preview or OrgPredicate.BAIK
    with uow_factory() as uow:  # one unit of work: the page is asked often, and each costs a round trip or more
        counted = uow.reviews.predicate_counts(ref.cycle_id)
        policy = uow.instansi.policy(state.instansi_code)
        instansi = uow.instansi.get(state.instansi_code)
        found = _stored(uow, ref, change_page)
        # a unit whose every appraisal was still unrated at the review deadline is listed too, with nobody counted
        units = tallies({**dict.fromkeys(state.unreviewed, NONE), **counted}, org_predicate, policy)
        shown, _, _ = ranked(units, unit_page)
        names = uow.units.names(state.instansi_code, [u.unit for u in shown])
    name = instansi.name if instansi is not None else state.instansi_code
    whole = by_predicate([sum(counts[rank] for counts in counted.values()) for rank in range(len(PREDICATES))])
    return Board(
        cycle_id=state.cycle_id,
        instansi_code=state.instansi_code,
        period=state.period,
        org_predicate=org_predicate,
        pattern_set=chosen is not None,
        instansi=distribution(INSTANSI, name, whole, org_predicate, policy, missing=sum(state.unreviewed.values())),
        unit_list=units_page(units, unit_page, org_predicate, policy, names, state.unreviewed),
        stored=found,
    )


def stored(uow_factory: UowFactory, ref: CycleRef, page: int = 1) -> StoredCalibration | None:
    """The cycle's stored proposal or locked decision with the `page`-th page of what it lists (None before the
    organisation predicate is set)."""
    with uow_factory() as uow:
        return _stored(uow, ref, page)


def _stored(uow: AbstractUnitOfWork, ref: CycleRef, page: int) -> StoredCalibration | None:
    group = group_of(ref.cycle_id)
    found = uow.calibrations.summary(ref.instansi_code, ref.period, group)
    if found is None:
        return None
    status, summary = found
    total, lines = uow.calibrations.lines(ref.instansi_code, ref.period, group, _offset(page), CHANGES_PER_PAGE)
    pages = max(1, -(-total // CHANGES_PER_PAGE))
    if page > pages:  # past the last: the last
        page = pages
        total, lines = uow.calibrations.lines(ref.instansi_code, ref.period, group, _offset(page), CHANGES_PER_PAGE)
    return shown(status == LOCKED, summary or {}, lines, page=page, pages=pages, total=total)


def _offset(page: int) -> int:
    return (max(page, 1) - 1) * CHANGES_PER_PAGE


def shown(
    locked: bool, summary: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], *, page: int, pages: int, total: int
) -> StoredCalibration:
    """A stored calibration as the page shows it: from its `summary` (a proposal's ShownProposal, stored with it:
    services.calibration_store.SUMMARY_PARTS) and one page of the `lines` it lists (CalibrationRecord.listed: a
    proposal's changes, or once `locked` the decision's moved)."""
    at = {"page": page, "pages": pages, "total": total}
    if locked:
        moved = [FinalPredicate.model_validate(line) for line in lines]
        return StoredCalibration(locked=True, moved=MovedPage(shown=moved, **at))
    changes = [Change.model_validate(line) for line in lines]
    return StoredCalibration(
        locked=False, proposal=ShownProposal.model_validate(summary), changes=ChangesPage(shown=changes, **at)
    )
